"""Cloud Tasks v2 resources as the emulator keeps them: names, defaults, validation, backoff.

Pure functions over the raw protobuf messages of google-cloud-tasks (no I/O, no clock): the
state (state.py) and the REST surface (rest_api.py) share them, and tests can check them alone.
"""

from __future__ import annotations

import ipaddress
import math
import re
from urllib.parse import urlsplit

from google.cloud import tasks_v2
from google.protobuf import duration_pb2, timestamp_pb2

from devtools.cloud_tasks_emulator.errors import ApiError, invalid

QueuePb = tasks_v2.Queue.pb()
TaskPb = tasks_v2.Task.pb()
AttemptPb = tasks_v2.Attempt.pb()
RUNNING, PAUSED, DISABLED = (tasks_v2.Queue.State.RUNNING.value, tasks_v2.Queue.State.PAUSED.value,
                             tasks_v2.Queue.State.DISABLED.value)
BASIC, FULL = tasks_v2.Task.View.BASIC.value, tasks_v2.Task.View.FULL.value
POST = tasks_v2.HttpMethod.POST.value
METHOD_NAMES = {m.value: m.name for m in tasks_v2.HttpMethod if m.value}
BODY_METHODS = {tasks_v2.HttpMethod.POST.value, tasks_v2.HttpMethod.PUT.value,
                tasks_v2.HttpMethod.PATCH.value}

# Google's documented defaults and limits (https://cloud.google.com/tasks/docs/quotas).
DEFAULT_MAX_DISPATCHES_PER_SECOND = 500.0
MAX_DISPATCHES_PER_SECOND = 500.0
DEFAULT_MAX_CONCURRENT_DISPATCHES = 1000
MAX_CONCURRENT_DISPATCHES = 5000
DEFAULT_MAX_ATTEMPTS = 100
DEFAULT_MIN_BACKOFF = 0.1
DEFAULT_MAX_BACKOFF = 3600.0
DEFAULT_MAX_DOUBLINGS = 16
DEFAULT_DISPATCH_DEADLINE = 600.0
MIN_DISPATCH_DEADLINE, MAX_DISPATCH_DEADLINE = 15.0, 1800.0
MAX_SCHEDULE_AHEAD = 30 * 86400.0
MAX_TASK_BYTES = 100 * 1024
MAX_HEADER_BYTES = 80 * 1024
MAX_URL_LENGTH = 2083
# Headers Cloud Tasks computes or reserves (HttpRequest.headers): a task's own values are dropped.
RESERVED_HEADERS = ("host", "content-length", "user-agent", "x-google-", "x-appengine-",
                    "x-cloudtasks-")

_PROJECT = r"[A-Za-z0-9][A-Za-z0-9:._-]{0,99}"
_LOCATION = r"[a-z0-9][a-z0-9-]{0,62}"
LOCATION_RE = re.compile(rf"projects/{_PROJECT}/locations/{_LOCATION}")
QUEUE_RE = re.compile(rf"(?P<parent>projects/{_PROJECT}/locations/{_LOCATION})"
                      r"/queues/(?P<id>[A-Za-z0-9-]{1,100})")
TASK_RE = re.compile(rf"(?P<queue>projects/{_PROJECT}/locations/{_LOCATION}/queues/[A-Za-z0-9-]{{1,100}})"
                     r"/tasks/(?P<id>[A-Za-z0-9_-]{1,500})")


# --- time ---------------------------------------------------------------------------------

def timestamp(epoch: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(round(epoch * 1e9))
    return ts


def epoch(ts: timestamp_pb2.Timestamp) -> float:
    return ts.seconds + ts.nanos / 1e9


def seconds(d: duration_pb2.Duration) -> float:
    return d.seconds + d.nanos / 1e9


def duration(value: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromNanoseconds(round(value * 1e9))
    return d


# --- names --------------------------------------------------------------------------------

def check_location(parent: str) -> None:
    if not LOCATION_RE.fullmatch(parent):
        raise invalid(f"Invalid resource field value in the request: parent {parent!r} is not "
                      "projects/PROJECT_ID/locations/LOCATION_ID.")


def check_queue_name(name: str) -> re.Match[str]:
    match = QUEUE_RE.fullmatch(name)
    if not match:
        raise invalid(f"Queue name {name!r} is not projects/PROJECT_ID/locations/LOCATION_ID/queues/QUEUE_ID "
                      "(QUEUE_ID: letters, digits, hyphens; at most 100).")
    return match


def check_task_name(name: str) -> re.Match[str]:
    match = TASK_RE.fullmatch(name)
    if not match:
        raise invalid(f"Task name {name!r} is not .../queues/QUEUE_ID/tasks/TASK_ID (TASK_ID: letters, "
                      "digits, hyphens, underscores; at most 500).")
    return match


def short_name(name: str) -> str:
    return name.rsplit("/", 1)[-1]


# --- queues -------------------------------------------------------------------------------

def burst_size(max_dispatches_per_second: float) -> int:
    """The token bucket's size. Google picks it ("generally at least equal to
    max_dispatches_per_second"); the emulator takes exactly that lower bound, at least 1."""
    return max(1, math.ceil(max_dispatches_per_second))


def apply_queue_defaults(queue: QueuePb) -> None:
    """Validate the settable fields of `queue` and fill what is unset with Google's defaults."""
    if queue.HasField("app_engine_routing_override"):
        raise ApiError("UNIMPLEMENTED", "App Engine queues are not emulated (HTTP targets only).")
    if queue.HasField("http_target"):
        raise ApiError("UNIMPLEMENTED", "Queue-level http_target overrides are not emulated.")
    rl = queue.rate_limits
    if rl.max_dispatches_per_second < 0 or rl.max_dispatches_per_second > MAX_DISPATCHES_PER_SECOND:
        raise invalid(f"rate_limits.max_dispatches_per_second must be in (0, {MAX_DISPATCHES_PER_SECOND:g}].")
    if rl.max_concurrent_dispatches < 0 or rl.max_concurrent_dispatches > MAX_CONCURRENT_DISPATCHES:
        raise invalid(f"rate_limits.max_concurrent_dispatches must be in [1, {MAX_CONCURRENT_DISPATCHES}].")
    rl.max_dispatches_per_second = rl.max_dispatches_per_second or DEFAULT_MAX_DISPATCHES_PER_SECOND
    rl.max_concurrent_dispatches = rl.max_concurrent_dispatches or DEFAULT_MAX_CONCURRENT_DISPATCHES
    rl.max_burst_size = burst_size(rl.max_dispatches_per_second)
    rc = queue.retry_config
    if rc.max_attempts < -1:
        raise invalid("retry_config.max_attempts must be -1 (unlimited) or more.")
    for field in ("min_backoff", "max_backoff", "max_retry_duration"):
        if rc.HasField(field) and seconds(getattr(rc, field)) < 0:
            raise invalid(f"retry_config.{field} must not be negative.")
    if rc.max_doublings < 0:
        raise invalid("retry_config.max_doublings must not be negative.")
    rc.max_attempts = rc.max_attempts or DEFAULT_MAX_ATTEMPTS
    if not rc.HasField("min_backoff") or seconds(rc.min_backoff) == 0:
        rc.min_backoff.CopyFrom(duration(DEFAULT_MIN_BACKOFF))
    if not rc.HasField("max_backoff") or seconds(rc.max_backoff) == 0:
        rc.max_backoff.CopyFrom(duration(max(DEFAULT_MAX_BACKOFF, seconds(rc.min_backoff))))
    if seconds(rc.min_backoff) > seconds(rc.max_backoff):
        raise invalid("retry_config.min_backoff must not be greater than retry_config.max_backoff.")
    if not rc.HasField("max_retry_duration"):
        rc.max_retry_duration.CopyFrom(duration(0))
    rc.max_doublings = rc.max_doublings or DEFAULT_MAX_DOUBLINGS


def retry_delay(queue: QueuePb, retry: int) -> float:
    """Seconds before retry number `retry` (1 = the first retry), as RetryConfig documents:
    min_backoff, doubled max_doublings times, then growing linearly by min_backoff·2^max_doublings,
    capped at max_backoff (min 10 s, max 300 s, 3 doublings: 10, 20, 40, 80, 160, 240, 300, 300…)."""
    rc = queue.retry_config
    low, high = seconds(rc.min_backoff), seconds(rc.max_backoff)
    doublings = min(rc.max_doublings, 60)
    if retry - 1 <= doublings:
        delay = low * 2.0 ** (retry - 1)
    else:
        delay = low * 2.0 ** doublings * (retry - doublings)
    return max(low, min(high, delay))


def gives_up(queue: QueuePb, attempts: int, first_attempt: float, now: float) -> bool:
    """True when a task that failed its `attempts`-th attempt is not tried again: both
    max_attempts and max_retry_duration must be satisfied (-1 / 0 meaning unlimited)."""
    rc = queue.retry_config
    limit, age = rc.max_attempts, seconds(rc.max_retry_duration)
    attempts_done = limit != -1 and attempts >= limit
    age_done = age > 0 and now - first_attempt >= age
    if limit == -1:
        return age_done
    if age == 0:
        return attempts_done
    return attempts_done and age_done


# --- tasks --------------------------------------------------------------------------------

def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_new_task(task: TaskPb, now: float) -> None:
    """Validate a task of CreateTask and set its defaults (method, deadline, schedule time)."""
    kind = task.WhichOneof("message_type")
    if kind == "app_engine_http_request":
        raise ApiError("UNIMPLEMENTED", "App Engine tasks are not emulated (HTTP targets only).")
    if kind != "http_request":
        raise invalid("Task.http_request is required (the emulator has HTTP targets only).")
    req = task.http_request
    parts = urlsplit(req.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("HttpRequest.url must begin with \"http://\" or \"https://\".")
    if len(req.url) > MAX_URL_LENGTH:
        raise invalid(f"HttpRequest.url is longer than {MAX_URL_LENGTH} characters.")
    if not is_loopback(parts.hostname):
        raise invalid("The local Cloud Tasks emulator only dispatches to loopback hosts, "
                      f"not {parts.hostname!r}.")
    req.http_method = req.http_method or POST
    if req.body and req.http_method not in BODY_METHODS:
        raise invalid("A request body is allowed only if the HTTP method is POST, PUT, or PATCH.")
    if sum(len(k) + len(v) for k, v in req.headers.items()) >= MAX_HEADER_BYTES:
        raise invalid("The size of the headers must be less than 80KB.")
    auth = req.WhichOneof("authorization_header")
    if auth == "oauth_token":
        raise ApiError("UNIMPLEMENTED", "oauth_token is not emulated (use oidc_token).")
    if auth == "oidc_token" and "@" not in req.oidc_token.service_account_email:
        raise invalid("oidc_token.service_account_email must be a service account's email.")
    if task.HasField("dispatch_deadline"):
        deadline = seconds(task.dispatch_deadline)
        if not MIN_DISPATCH_DEADLINE <= deadline <= MAX_DISPATCH_DEADLINE:
            raise invalid("dispatch_deadline must be between 15 seconds and 30 minutes.")
    else:
        task.dispatch_deadline.CopyFrom(duration(DEFAULT_DISPATCH_DEADLINE))
    if task.HasField("schedule_time") and epoch(task.schedule_time) > now + MAX_SCHEDULE_AHEAD:
        raise invalid("The task's schedule_time is more than 30 days in the future.")
    if not task.HasField("schedule_time") or epoch(task.schedule_time) < now:
        task.schedule_time.CopyFrom(timestamp(now))
    for output_only in ("create_time", "first_attempt", "last_attempt", "dispatch_count",
                        "response_count", "view"):
        task.ClearField(output_only)
    if task.ByteSize() > MAX_TASK_BYTES:
        raise invalid(f"Task size too large: {task.ByteSize()} bytes, the limit is {MAX_TASK_BYTES}.")


def view_of(task: TaskPb, view: int) -> TaskPb:
    """A copy of `task` as a response shows it: BASIC (the default) leaves the body out."""
    out = TaskPb()
    out.CopyFrom(task)
    out.view = FULL if view == FULL else BASIC
    if out.view == BASIC:
        out.http_request.ClearField("body")
    return out
