"""When a link is checked, and under which Cloud Tasks name: pure decisions, no I/O.

- **Backstop poll**: every link has a fixed minute of the hour (`poll_bucket`, a stable hash of
  its id). With a poll interval of P minutes (P divides 60), a link is due in every minute m with
  m ≡ bucket (mod P): once per interval, spread evenly over the links, and found by an indexed
  equality query (`poll_bucket in due_buckets(...)`). An idle check therefore writes nothing:
  the schedule is a property of the link id, not a timestamp to move forward.
- **Sooner**: a planner write queues its link at once (debounced: every write within one
  window of `debounce` seconds maps to the same task name, due at the window's end). A failed
  run is retried by the queue itself (its retry config backs off), and at the latest by the
  next backstop poll: no schedule is written, on failure either.
- **Push**: a Google notification queues its link at once, debounced by *round*: every
  notification of a channel until the link's push task starts (the run counts the round up
  first) maps to one task name, due `debounce` seconds after the first. So a burst within that
  time is one sync whatever clock window it crosses, and no notification that came before the
  run's listing is lost (it read the old round, so its change is older than the listing). The
  hour in the name keeps a round whose task never started (a failed dispatch) from blocking
  its name for longer than Cloud Tasks remembers names.
- **Backstop with push**: a link whose channel is healthy is checked every `push interval`
  minutes instead, found by its own field (`push_bucket`, the same minute of the hour).
- **Heartbeat**: an idle check writes nothing, except `last_checked_at` when the stored one is
  an hour old or more (`heartbeat_due`): at most 24 writes a link and day, and a check within
  the hour still writes nothing.
- **Task names** make a link's task unique per purpose and window, so Cloud Tasks' own
  deduplication (ALREADY_EXISTS for a name used within the last hour) keeps a link from being
  queued twice for the same reason. A task also carries why it runs (`reason`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MINUTES_PER_HOUR = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")

# Why a task runs (in its body): a backstop poll, a planner change, a Google notification.
POLL, CHANGE, PUSH = "poll", "change", "push"
REASONS = (POLL, CHANGE, PUSH)
HEARTBEAT = timedelta(hours=1)


def poll_bucket(link_id: str) -> int:
    """The link's minute of the hour (0-59), stable across deployments and instances."""
    digest = hashlib.sha256(link_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % MINUTES_PER_HOUR


def check_interval(minutes: int) -> int:
    """A poll interval the buckets can serve: a divisor of 60 (1, 2, 3, 4, 5, 6, 10, ... 60)."""
    if minutes < 1 or MINUTES_PER_HOUR % minutes:
        raise ValueError(f"the poll interval must divide 60 minutes, not {minutes}")
    return minutes


def due_buckets(now: datetime, interval_minutes: int) -> list[int]:
    """The buckets due in `now`'s minute: every bucket ≡ that minute (mod the interval)."""
    interval = check_interval(interval_minutes)
    minute = now.astimezone(UTC).minute
    return list(range(minute % interval, MINUTES_PER_HOUR, interval))


@dataclass(frozen=True)
class TaskSlot:
    """One Cloud Task for one link: its name (unique per link, purpose and window) and when it
    is due."""

    name: str
    due: datetime
    reason: str = CHANGE
    channel_id: str | None = None  # push: the channel whose notification queued it


def _safe(link_id: str) -> str:
    """Task ids allow letters, digits, '-' and '_' ('branch:resource' has a colon); a short
    hash keeps two ids that differ only in replaced characters apart."""
    tag = hashlib.sha256(link_id.encode()).hexdigest()[:8]
    return f"{_UNSAFE.sub('-', link_id)[:400]}-{tag}"


def poll_task(link_id: str, now: datetime) -> TaskSlot:
    """The backstop check of this minute: due at once."""
    minute = int(now.timestamp()) // 60
    return TaskSlot(f"{_safe(link_id)}-poll-{minute}", now, POLL)


def change_task(link_id: str, now: datetime, debounce_seconds: int) -> TaskSlot:
    """A planner change: every change within one debounce window is one task, due at the
    window's end (so a burst of writes is one sync, at most `debounce_seconds` late)."""
    if debounce_seconds < 1:
        raise ValueError("the debounce window is at least one second")
    window = int(now.timestamp()) // debounce_seconds
    due = datetime.fromtimestamp((window + 1) * debounce_seconds, UTC)
    return TaskSlot(f"{_safe(link_id)}-change-{debounce_seconds}-{window}", due)


def push_task(link_id: str, channel_id: str, round_: int, now: datetime, debounce_seconds: int) -> TaskSlot:
    """A Google notification on `channel_id`: every notification of the channel's current round
    is one task, due `debounce_seconds` after the first of them."""
    if debounce_seconds < 1:
        raise ValueError("the debounce window is at least one second")
    hour = int(now.timestamp()) // 3600
    due = now + timedelta(seconds=debounce_seconds)
    return TaskSlot(f"{_safe(link_id)}-push-{channel_id}-{round_}-{hour}", due, PUSH, channel_id)


def heartbeat_due(last_checked_at: datetime | None, now: datetime) -> bool:
    """Whether an idle check writes the link's `last_checked_at` (never written, or an hour old)."""
    return last_checked_at is None or now - last_checked_at >= HEARTBEAT
