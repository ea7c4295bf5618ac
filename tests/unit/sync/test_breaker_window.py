"""The breaker over change-driven runs: a bulk deletion that arrives in slices (one task per
debounce window or push notification) is counted over the last hour, not per run."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from functions.sync import breaker, mapping
from functions.sync.model import GoogleEvent
from tests.unit.sync.builders import NOW, kinds, run
from tests.unit.sync.test_plan_scenarios import _synced


def _cancel(appts, ids) -> list[GoogleEvent]:
    return [GoogleEvent(mapping.event_id_for("b1", a.id), status="cancelled") for a in appts if a.id in ids]


def test_slices_of_a_mass_deletion_add_up_within_the_hour() -> None:
    """100 synced; the phone deletes 8 per run: each slice alone passes, the window does not."""
    appts, states = _synced(100)
    entries: list[dict] = []
    now = NOW
    for n in range(4):  # 8, 16, 24 deleted of 100 before the fourth slice
        remaining = states[8 * n:]
        earlier = breaker.recent(entries, now)
        plan = run({}, _cancel(appts, {a.id for a in appts[8 * n:8 * n + 8]}), remaining,
                   now=now, earlier=earlier)
        if n < 2:  # 8, then 16 of 100: under max(10, 20 %)
            assert plan.blocked is None and kinds(plan.actions) == ["DeleteAppointment"] * 8
            entries = breaker.remember(entries, now, plan.actions)
        else:  # 24 > 20 % of the 100 synced before the first slice
            assert plan.blocked is not None
            assert (plan.blocked.planner_deletions, plan.blocked.synced_items) == (8 * n + 8, 100)
            break
        now += timedelta(seconds=3)
    else:
        raise AssertionError("never blocked")


def test_deletions_older_than_the_window_count_no_more() -> None:
    appts, states = _synced(100)
    entries = [{"at": NOW - breaker.WINDOW, "google": 0, "planner": 19}]  # exactly an hour ago
    plan = run({}, _cancel(appts, {a.id for a in appts[:8]}), states[:81],
               earlier=breaker.recent(entries, NOW))
    assert plan.blocked is None
    assert breaker.remember(entries, NOW, plan.actions) == [{"at": NOW, "google": 0, "planner": 8}]
    young = [{"at": NOW - breaker.WINDOW + timedelta(seconds=1), "google": 0, "planner": 19}]
    assert run({}, _cancel(appts, {a.id for a in appts[:8]}), states[:81],
               earlier=breaker.recent(young, NOW)).blocked is not None


def test_each_side_is_counted_on_its_own() -> None:
    appts, states = _synced(30)
    earlier = breaker.Recent(google=9, planner=0)  # nine events deleted in Google this hour
    plan = run({}, _cancel(appts, {a.id for a in appts[:3]}), states, earlier=earlier)
    assert plan.blocked is None  # 3 planner deletions; the 9 were the other side
    plan = run({a.id: None for a in appts[:3]}, [], states, earlier=earlier)
    assert plan.blocked is not None and plan.blocked.google_deletions == 12
    assert run({a.id: None for a in appts[:3]}, [], states, earlier=earlier, force=True).blocked is None


def test_a_run_without_deletions_adds_no_entry() -> None:
    assert breaker.remember(None, NOW, ()) == []
    assert breaker.recent(None, NOW) == breaker.Recent()


@given(st.lists(st.tuples(st.integers(0, 7200), st.integers(0, 30), st.integers(0, 30)), max_size=20))
def test_recent_sums_exactly_the_entries_younger_than_the_window(raw: list[tuple[int, int, int]]) -> None:
    entries = [{"at": NOW - timedelta(seconds=age), "google": g, "planner": p} for age, g, p in raw]
    young = [(g, p) for age, g, p in raw if age < breaker.WINDOW.total_seconds()]
    assert breaker.recent(entries, NOW) == breaker.Recent(sum(g for g, _ in young), sum(p for _, p in young))
    kept = breaker.remember(entries, NOW, ())
    assert breaker.recent(kept, NOW) == breaker.recent(entries, NOW) and len(kept) == len(young)


def test_the_base_is_the_items_synced_before_the_earlier_deletions() -> None:
    """60 synced now, 9 deleted in Google this hour: 12 of the 69 there were is under 20 %."""
    appts, states = _synced(60)
    plan = run({a.id: None for a in appts[:3]}, [], states, earlier=breaker.Recent(google=9, planner=0))
    assert plan.blocked is None and kinds(plan.actions).count("DeleteEvent") == 3
    plan = run({a.id: None for a in appts[:3]}, [], states[:41], earlier=breaker.Recent(google=9, planner=9))
    assert plan.blocked is not None and plan.blocked.synced_items == 59  # 12 of 41 + 18: over 20 %


def test_a_blocked_run_lists_its_own_deletions_by_side_and_id() -> None:
    from functions.sync.model import DeleteAppointment, DeleteEvent, Deletion, Side

    actions = [DeleteEvent(f"a{i}", f"ev{i}", "etag") for i in range(11)] + [DeleteAppointment("p1", 3)]
    blocked = breaker.check(actions, synced_items=12, force=False)
    assert blocked is not None
    assert blocked.deletions == (*(Deletion(Side.GOOGLE, f"a{i}", f"ev{i}") for i in range(11)),
                                 Deletion(Side.PLANNER, "p1", None))
    many = [DeleteAppointment(f"p{i}", 1) for i in range(breaker.LISTED + 5)]
    listed = breaker.check(many, synced_items=len(many), force=False)
    assert listed is not None and len(listed.deletions) == breaker.LISTED
    assert listed.planner_deletions == breaker.LISTED + 5  # the count is the whole run's
