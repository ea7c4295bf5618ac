"""The emulator's state: queues, tasks, name tombstones, the clock, and dispatch bookkeeping.

Everything is guarded by one condition variable (`state.cond`); the dispatcher thread waits
on it and every change that can make a task dispatchable notifies it. The clock is the wall
clock plus an offset that only moves forward (`advance`), so tests can make a task scheduled
in the future, a backoff or a name's dedupe window pass at once.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devtools.cloud_tasks_emulator import model
from devtools.cloud_tasks_emulator.errors import GRPC_CODE, ApiError, grpc_code_for_http, not_found
from devtools.cloud_tasks_emulator.model import PAUSED, RUNNING, QueuePb, TaskPb

# A named task's name cannot be used again this long after the task was deleted, completed,
# failed for good or purged: Google's window for queues made through the Cloud Tasks API.
DEDUPE_WINDOW = 3600.0
# A deleted queue's name cannot be used again this long ("a tombstone window of up to 3 days").
QUEUE_TOMBSTONE = 3 * 86400.0
LOG_LIMIT = 10_000

IdTokenSource = Callable[[str, str], str]


@dataclass(eq=False)
class QueueRecord:
    queue: QueuePb
    tokens: float
    refilled: float
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    in_flight: int = 0


@dataclass(eq=False)
class TaskRecord:
    task: TaskPb
    queue: QueueRecord
    due: float
    seq: int
    in_flight: int = 0
    first_dispatch: float | None = None
    previous_status: int | None = None
    executions: int = 0  # answers from the worker, 5xx left out (X-CloudTasks-TaskExecutionCount)


@dataclass
class Dispatch:
    """One attempt, as taken out of the state for the dispatcher (a snapshot: no lock needed)."""

    record: TaskRecord
    queue_name: str
    task_name: str
    url: str
    method: str
    headers: dict[str, str]
    body: bytes
    oidc_email: str | None
    oidc_audience: str | None
    deadline: float
    retry_count: int
    execution_count: int
    eta: float
    previous_status: int | None
    dispatched_at: float
    forced: bool = False


class TasksState:
    def __init__(self, dedupe_window: float = DEDUPE_WINDOW, queue_tombstone: float = QUEUE_TOMBSTONE,
                 id_token_source: IdTokenSource | None = None) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.dedupe_window = dedupe_window
        self.queue_tombstone = queue_tombstone
        self.id_token_source = id_token_source
        self._seq = itertools.count()
        self.reset()

    # --- clock, reset -------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self.cond:
            self._offset += seconds
            self.cond.notify_all()
            return self.now()

    def reset(self) -> None:
        """No queues, no tasks, no tombstones, no log; the clock back to the wall clock."""
        with self.cond:
            self._offset = 0.0
            self.queues: dict[str, QueueRecord] = {}
            self.task_tombstones: dict[str, float] = {}
            self.queue_tombstones: dict[str, float] = {}
            self.log: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
            self.forced: list[Dispatch] = []
            self.cond.notify_all()

    # --- queues -------------------------------------------------------------------------------
    def queue(self, name: str) -> QueueRecord:
        record = self.queues.get(name)
        if record is None:
            raise not_found(f"Queue {name}")
        return record

    def create_queue(self, parent: str, queue: QueuePb) -> QueuePb:
        model.check_location(parent)
        match = model.check_queue_name(queue.name)
        if match["parent"] != parent:
            raise model.invalid(f"Queue name {queue.name!r} is not under parent {parent!r}.")
        with self.cond:
            if queue.name in self.queues:
                raise ApiError("ALREADY_EXISTS", "Queue already exists")
            if self.queue_tombstones.get(queue.name, 0.0) > self.now():
                raise ApiError("FAILED_PRECONDITION", "The queue cannot be created because a queue "
                               "with this name existed too recently.")
            return self._install_queue(queue)

    def _install_queue(self, queue: QueuePb) -> QueuePb:
        stored = QueuePb()
        stored.CopyFrom(queue)
        for output_only in ("state", "purge_time"):
            stored.ClearField(output_only)
        model.apply_queue_defaults(stored)
        stored.state = RUNNING
        now = self.now()
        self.queues[stored.name] = QueueRecord(stored, float(stored.rate_limits.max_burst_size), now)
        self.cond.notify_all()
        return _copy(stored)

    def update_queue(self, queue: QueuePb, paths: list[str]) -> QueuePb:
        """UpdateQueue: only the masked fields (all settable ones when the mask is empty);
        a queue that does not exist is created, as Google does."""
        model.check_queue_name(queue.name)
        settable = ("rate_limits", "retry_config", "stackdriver_logging_config")
        for path in paths:
            top = path.split(".")[0]
            if path in ("rate_limits.max_burst_size",) or top in ("state", "purge_time", "name"):
                raise model.invalid(f"update_mask path {path!r} is output only or cannot be changed.")
            if top not in settable and top not in ("app_engine_routing_override", "http_target"):
                raise model.invalid(f"update_mask path {path!r} is not a field of Queue.")
        with self.cond:
            record = self.queues.get(queue.name)
            if record is None:
                if self.queue_tombstones.get(queue.name, 0.0) > self.now():
                    raise ApiError("FAILED_PRECONDITION", "The queue cannot be created because a queue "
                                   "with this name existed too recently.")
                return self._install_queue(queue)
            updated = QueuePb()
            updated.CopyFrom(record.queue)
            for path in paths or settable:
                _copy_path(queue, updated, path.split("."))
            # Output-only and defaulted values are computed again from what was set.
            updated.rate_limits.max_burst_size = 0
            model.apply_queue_defaults(updated)
            record.queue = updated
            record.tokens = min(record.tokens, float(updated.rate_limits.max_burst_size))
            self.cond.notify_all()
            return _copy(updated)

    def list_queues(self, parent: str) -> list[QueuePb]:
        model.check_location(parent)
        with self.cond:
            return [_copy(r.queue) for name, r in sorted(self.queues.items())
                    if name.startswith(parent + "/queues/")]

    def get_queue(self, name: str) -> QueuePb:
        model.check_queue_name(name)
        with self.cond:
            return _copy(self.queue(name).queue)

    def delete_queue(self, name: str) -> None:
        model.check_queue_name(name)
        with self.cond:
            self.queue(name)
            del self.queues[name]
            self.queue_tombstones[name] = self.now() + self.queue_tombstone

    def set_queue_state(self, name: str, state: int) -> QueuePb:
        model.check_queue_name(name)
        with self.cond:
            record = self.queue(name)
            if record.queue.state not in (RUNNING, PAUSED):
                raise ApiError("FAILED_PRECONDITION", "The queue is disabled.")
            record.queue.state = state
            self.cond.notify_all()
            return _copy(record.queue)

    def purge_queue(self, name: str) -> QueuePb:
        """Every task of the queue is deleted at once (Google: within about a minute)."""
        model.check_queue_name(name)
        with self.cond:
            record = self.queue(name)
            now = self.now()
            for task in list(record.tasks.values()):
                self._remove(task, now)
            record.queue.purge_time.CopyFrom(model.timestamp(now))
            self.cond.notify_all()
            return _copy(record.queue)

    # --- tasks --------------------------------------------------------------------------------
    def create_task(self, parent: str, task: TaskPb, view: int = model.BASIC) -> TaskPb:
        model.check_queue_name(parent)
        with self.cond:
            record = self.queue(parent)
            now = self.now()
            if task.name:
                match = model.check_task_name(task.name)
                if match["queue"] != parent:
                    raise model.invalid(f"Task name {task.name!r} is not in queue {parent!r}.")
                if task.name in record.tasks or self.task_tombstones.get(task.name, 0.0) > now:
                    raise ApiError("ALREADY_EXISTS", "The task cannot be created because a task with "
                                   "this name existed too recently. For more information about task "
                                   "de-duplication see https://cloud.google.com/tasks/docs/reference/rest/"
                                   "v2/projects.locations.queues.tasks/create#body.request_body.FIELDS.task.")
            stored = TaskPb()
            stored.CopyFrom(task)
            model.validate_new_task(stored, now)
            if self.id_token_source is None and stored.http_request.HasField("oidc_token"):
                raise ApiError("FAILED_PRECONDITION", "This Cloud Tasks emulator cannot sign OIDC tokens: "
                               "start it with an ID-token source (--google-root / id_token_url).")
            if not stored.name:
                stored.name = f"{parent}/tasks/{secrets.randbelow(2**63 - 10**18) + 10**18}"
            stored.create_time.CopyFrom(model.timestamp(now))
            rec = TaskRecord(stored, record, model.epoch(stored.schedule_time), next(self._seq))
            record.tasks[stored.name] = rec
            self.cond.notify_all()
            return model.view_of(stored, view)

    def task(self, name: str) -> TaskRecord:
        match = model.check_task_name(name)
        record = self.queues.get(match["queue"])
        task = record.tasks.get(name) if record else None
        if task is None:
            raise not_found(f"Task {name}")
        return task

    def get_task(self, name: str, view: int = model.BASIC) -> TaskPb:
        with self.cond:
            return model.view_of(self.task(name).task, view)

    def list_tasks(self, parent: str, view: int = model.BASIC) -> list[TaskPb]:
        """The queue's tasks, soonest first (Google: "in any order")."""
        model.check_queue_name(parent)
        with self.cond:
            record = self.queue(parent)
            return [model.view_of(t.task, view)
                    for t in sorted(record.tasks.values(), key=lambda t: (t.due, t.seq))]

    def delete_task(self, name: str) -> None:
        """A task can be deleted while it waits or is being dispatched (its answer is then
        ignored); a completed or permanently failed task is gone: NOT_FOUND."""
        with self.cond:
            self._remove(self.task(name), self.now())
            self.cond.notify_all()

    def run_task(self, name: str, view: int = model.BASIC) -> TaskPb:
        """RunTask: dispatch now, whatever the queue's state, rate limits or the schedule."""
        with self.cond:
            record = self.task(name)
            now = self.now()
            self.forced.append(self._start(record, now, forced=True))
            self.cond.notify_all()
            return model.view_of(record.task, view)

    def _remove(self, record: TaskRecord, now: float) -> None:
        name = record.task.name
        if record.queue.tasks.get(name) is record:
            del record.queue.tasks[name]
        self.task_tombstones[name] = now + self.dedupe_window
        if len(self.task_tombstones) > 50_000:
            self.task_tombstones = {n: t for n, t in self.task_tombstones.items() if t > now}

    # --- dispatching --------------------------------------------------------------------------
    def take_due(self) -> tuple[list[Dispatch], float]:
        """The attempts to start now (forced ones first) and how long until the next may be
        due. Honours queue state, schedule times, the token bucket and max_concurrent_dispatches."""
        with self.cond:
            now = self.now()
            out, self.forced = self.forced, []
            wait = 3600.0
            for queue in self.queues.values():
                if queue.queue.state != RUNNING or not queue.tasks:
                    continue
                rl = queue.queue.rate_limits
                queue.tokens = min(float(rl.max_burst_size),
                                   queue.tokens + (now - queue.refilled) * rl.max_dispatches_per_second)
                queue.refilled = now
                waiting = sorted((t for t in queue.tasks.values() if not t.in_flight),
                                 key=lambda t: (t.due, t.seq))
                for task in waiting:
                    if task.due > now:
                        wait = min(wait, task.due - now)
                        break
                    if queue.in_flight >= rl.max_concurrent_dispatches:
                        break  # finish() notifies
                    if queue.tokens < 1.0:
                        wait = min(wait, (1.0 - queue.tokens) / rl.max_dispatches_per_second)
                        break
                    queue.tokens -= 1.0
                    out.append(self._start(task, now))
            return out, max(wait, 0.0)

    def _start(self, record: TaskRecord, now: float, forced: bool = False) -> Dispatch:
        task, req = record.task, record.task.http_request
        record.in_flight += 1
        record.queue.in_flight += 1
        retry_count = task.dispatch_count
        task.dispatch_count += 1
        if record.first_dispatch is None:
            record.first_dispatch = now
            task.first_attempt.dispatch_time.CopyFrom(model.timestamp(now))
        task.last_attempt.Clear()
        task.last_attempt.schedule_time.CopyFrom(task.schedule_time)
        task.last_attempt.dispatch_time.CopyFrom(model.timestamp(now))
        oidc = req.oidc_token if req.HasField("oidc_token") else None
        return Dispatch(
            record=record, queue_name=record.queue.queue.name, task_name=task.name, url=req.url,
            method=model.METHOD_NAMES[req.http_method], headers=dict(req.headers), body=bytes(req.body),
            oidc_email=oidc.service_account_email if oidc else None,
            oidc_audience=(oidc.audience or req.url) if oidc else None,
            deadline=model.seconds(task.dispatch_deadline), retry_count=retry_count,
            execution_count=record.executions, eta=record.due, previous_status=record.previous_status,
            dispatched_at=now, forced=forced)

    def finish(self, dispatch: Dispatch, http_status: int | None, error: str | None,
               retry_after: float | None = None) -> None:
        """Record an attempt's outcome: 2xx deletes the task; anything else (or no answer:
        `error` is then a google.rpc.Code name) retries it after the backoff, or gives up."""
        with self.cond:
            record, queue = dispatch.record, dispatch.record.queue
            record.in_flight -= 1
            queue.in_flight -= 1
            now = self.now()
            code = grpc_code_for_http(http_status) if http_status is not None else (error or "UNKNOWN")
            entry: dict[str, Any] = {
                "task": dispatch.task_name, "queue": dispatch.queue_name, "retry_count": dispatch.retry_count,
                "status": http_status, "code": code, "dispatched_at": dispatch.dispatched_at,
                "finished_at": now, "forced": dispatch.forced, "outcome": "ignored"}
            self.cond.notify_all()
            if self.queues.get(queue.queue.name) is not queue:
                return  # the queue was deleted or the emulator reset meanwhile: nothing to record
            self.log.append(entry)
            if queue.tasks.get(dispatch.task_name) is not record:
                return  # deleted or purged while in flight: the answer is ignored
            task = record.task
            if http_status is not None:
                task.response_count += 1
                record.previous_status = http_status
                if http_status < 500:
                    record.executions += 1
            attempt = task.last_attempt
            attempt.response_time.CopyFrom(model.timestamp(now))
            attempt.response_status.code = GRPC_CODE[code]
            attempt.response_status.message = (f"HTTP status code {http_status}" if http_status is not None
                                               else code)
            if http_status is not None and 200 <= http_status < 300:
                entry["outcome"] = "completed"
                self._remove(record, now)
                return
            if record.in_flight:
                entry["outcome"] = "failed"
                return  # another attempt (RunTask) is still out; it decides
            first = record.first_dispatch if record.first_dispatch is not None else now
            if model.gives_up(queue.queue, task.dispatch_count, first, now):
                entry["outcome"] = "gave_up"
                self._remove(record, now)
                return
            delay = model.retry_delay(queue.queue, task.dispatch_count)
            if retry_after is not None and http_status in (429, 503):
                delay = max(delay, min(retry_after, model.seconds(queue.queue.retry_config.max_backoff)))
            record.due = now + delay
            task.schedule_time.CopyFrom(model.timestamp(record.due))
            entry["outcome"] = "retry"
            entry["retry_in"] = delay

    # --- hooks for tests ----------------------------------------------------------------------
    def dispatches(self, task: str | None = None) -> list[dict[str, Any]]:
        """Finished attempts, oldest first (of one task: its full name or its short id)."""
        with self.cond:
            return [dict(e) for e in self.log
                    if task is None or e["task"] == task or model.short_name(e["task"]) == task]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Wait until `predicate()` (called under the lock) holds; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True


def _copy(queue: QueuePb) -> QueuePb:
    out = QueuePb()
    out.CopyFrom(queue)
    return out


def _copy_path(source: Any, target: Any, path: list[str]) -> None:
    """Copy field `path` (already split at dots) of message `source` into `target`."""
    name, rest = path[0], path[1:]
    descriptor = source.DESCRIPTOR.fields_by_name.get(name)
    if descriptor is None:
        raise model.invalid(f"Queue has no field {name!r}.")
    if rest:
        _copy_path(getattr(source, name), getattr(target, name), rest)
    elif descriptor.message_type is not None:
        if source.HasField(name):
            getattr(target, name).CopyFrom(getattr(source, name))
        else:
            target.ClearField(name)
    else:
        setattr(target, name, getattr(source, name))
