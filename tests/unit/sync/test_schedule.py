"""The link schedule: backstop buckets, backoff, task names (pure, hypothesis)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.sync import schedule

DIVISORS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]
link_ids = st.from_regex(r"[A-Za-z0-9_-]{1,20}:[A-Za-z0-9_-]{1,20}", fullmatch=True)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1),
                       timezones=st.just(UTC))


@given(link_ids, st.sampled_from(DIVISORS), moments)
def test_a_link_is_due_exactly_once_in_every_interval(link_id: str, interval: int, start: datetime) -> None:
    bucket = schedule.poll_bucket(link_id)
    minutes = [start + timedelta(minutes=m) for m in range(interval)]
    assert sum(bucket in schedule.due_buckets(m, interval) for m in minutes) == 1


def test_buckets_spread_links_over_the_hour() -> None:
    counts = Counter(schedule.poll_bucket(f"b:r{i}") for i in range(6000))
    assert set(counts) == set(range(60)) and max(counts.values()) < 2 * min(counts.values())


@pytest.mark.parametrize("bad", [0, 7, 45, 61, -5])
def test_intervals_that_do_not_divide_the_hour_are_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="divide 60"):
        schedule.due_buckets(datetime(2030, 1, 1, tzinfo=UTC), bad)


@given(link_ids, moments, st.integers(1, 30), st.integers(0, 10_000))
def test_a_burst_within_one_window_is_one_task_due_at_its_end(link_id: str, now: datetime, debounce: int,
                                                             offset_ms: int) -> None:
    task = schedule.change_task(link_id, now, debounce)
    assert now < task.due <= now + timedelta(seconds=debounce)
    later = now + timedelta(milliseconds=offset_ms)
    same = schedule.change_task(link_id, later, debounce)
    assert (same.name == task.name) == (later < task.due)


@given(link_ids, link_ids, moments)
def test_task_names_are_valid_and_per_link(a: str, b: str, now: datetime) -> None:
    name = schedule.poll_task(a, now).name
    assert len(name) <= 500 and all(c.isalnum() or c in "-_" for c in name)
    assert (schedule.poll_task(b, now).name == name) == (a == b)
    assert schedule.poll_task(a, now + timedelta(minutes=1)).name != name


def test_an_idle_check_writes_the_heartbeat_when_none_is_stored_or_it_is_an_hour_old() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert schedule.heartbeat_due(None, now)
    assert schedule.heartbeat_due(now - timedelta(hours=1), now)  # exactly an hour: due
    assert not schedule.heartbeat_due(now - timedelta(minutes=59, seconds=59), now)
    assert not schedule.heartbeat_due(now, now)


def test_a_links_bucket_and_task_names_are_the_same_in_every_deployment() -> None:
    # Golden values: a changed hash would move every link to another minute and rename its tasks.
    assert schedule.poll_bucket("praxis-berlin:anna") == 33
    assert schedule.poll_bucket("b:r") == 55
    now = datetime(2026, 12, 3, 9, 17, 42, tzinfo=UTC)
    slot = schedule.poll_task("b:r", now)
    # the link's safe id, its hash tag, and the minute since the epoch (2026-12-03 09:17 UTC)
    assert slot == schedule.TaskSlot("b-r-c8a1da5b-poll-29938157", now, schedule.POLL, None)


def test_a_long_link_id_makes_a_task_id_within_cloud_tasks_limit() -> None:
    name = schedule._safe("x" * 600)
    assert name == "x" * 400 + "-" + name[-8:] and len(name) == 409
    assert schedule._safe("x" * 600) != schedule._safe("x" * 601)  # the tag keeps them apart


def test_due_buckets_follow_utc_whatever_the_machines_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")  # +05:30: local minutes differ from UTC's by 30
    time.tzset()
    try:
        now = datetime(2026, 12, 3, 9, 17, tzinfo=UTC)
        assert schedule.due_buckets(now, 60) == [17]
        in_india = datetime(2026, 12, 3, 14, 47, tzinfo=ZoneInfo("Asia/Kolkata"))  # the same moment
        assert schedule.due_buckets(in_india, 60) == [17]
    finally:
        monkeypatch.undo()
        time.tzset()
