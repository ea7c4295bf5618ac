"""Window edges, frozen past items, complete listings, the breaker, moves and recurring instances."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from functions.sync import mapping
from functions.sync.model import (
    MASS_CHANGE_BLOCKED,
    ConflictReason,
    CreateEvent,
    DeleteAppointment,
    DeleteEvent,
    ForgetState,
    GoogleEvent,
    Link,
    Privacy,
    RecordConflict,
    UpdateAppointment,
    UpdateEvent,
)

from .builders import NOW, POLICY, appointment, event, kinds, phone_event, run, synced_state, with_privacy


def _at(delta: timedelta) -> str:
    return mapping.local_text(NOW + delta, "Europe/Berlin")


def _timed(start: timedelta, end: timedelta, id: str = "a1"):
    return appointment(id, start=_at(start), end=_at(end))


H, D = timedelta(hours=1), timedelta(days=1)


# --- window ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "created"),
    [
        (-2 * H, -H, False),  # past
        (-H, timedelta(0), False),  # ends exactly now
        (-H, timedelta(minutes=1), True),  # in progress
        (365 * D - timedelta(minutes=1), 365 * D + H, True),  # starts just before the horizon
        (365 * D, 365 * D + H, False),  # starts at the horizon
    ],
    ids=["past", "ends-now", "in-progress", "before-horizon", "at-horizon"],
)
def test_new_items_are_created_only_inside_the_window(start, end, created) -> None:
    appt = _timed(start, end)
    assert kinds(run({"a1": appt}).actions) == (["CreateEvent"] if created else [])
    phone = phone_event(start={"dateTime": _at(start)}, end={"dateTime": _at(end)})
    assert kinds(run({}, [phone]).actions) == (["CreateAppointment"] if created else [])


def test_synced_item_follows_edits_out_of_the_window() -> None:
    appt = _timed(D, D + H)
    state = synced_state(appt, event(appt))
    into_past = replace(appt, start=_at(-3 * H), end=_at(-2 * H), version=2)
    beyond = replace(appt, start=_at(400 * D), end=_at(400 * D + H), version=2)
    assert kinds(run({"a1": into_past}, [], [state]).actions) == ["UpdateEvent"]
    assert kinds(run({"a1": beyond}, [], [state]).actions) == ["UpdateEvent"]


def test_frozen_past_items_are_never_written() -> None:
    """Unchanged: nothing. Changed on either side: only the stale state is dropped."""
    appt = _timed(-3 * H, -2 * H)
    ev = event(appt)
    state = synced_state(appt, ev)
    assert run({"a1": appt}, [ev], [state]).actions == ()
    edited_past = replace(appt, title="Nachtrag", version=2)
    cancelled = [replace(ev, status="cancelled")]
    for planner, google in [({"a1": edited_past}, []), ({"a1": None}, []), ({}, cancelled)]:
        assert run(planner, google, [state]).actions == (ForgetState("a1"),)


def test_past_item_edited_back_into_the_future_is_synced() -> None:
    appt = _timed(-3 * H, -2 * H)
    state = synced_state(appt, event(appt))
    back = replace(appt, start=_at(D), end=_at(D + H), version=2)
    assert kinds(run({"a1": back}, [], [state]).actions) == ["UpdateEvent"]


# --- complete listings -----------------------------------------------------------------------


def test_complete_listing_reconciles_by_id_and_never_recreates() -> None:
    appt = _timed(D * 3, D * 3 + H)
    ev = event(appt)
    assert run({"a1": appt}, [ev], [synced_state(appt, ev)], complete=True).actions == ()
    lost_state = run({"a1": appt}, [ev], [], complete=True)
    assert kinds(lost_state.actions) == ["SaveState"]


def test_complete_listing_missing_event_means_deleted_on_google() -> None:
    appt = _timed(D * 3, D * 3 + H)
    state = synced_state(appt, event(appt))
    assert run({"a1": appt}, [], [state], complete=True).actions == (DeleteAppointment("a1", 1),)
    assert kinds(run({}, [], [state], complete=True, planner_complete=False).actions) == ["DeleteAppointment"]


def test_complete_listing_missing_appointment_means_deleted_in_planner() -> None:
    appt = _timed(D * 3, D * 3 + H)
    ev = event(appt)
    plan = run({}, [ev], [synced_state(appt, ev)], complete=True)
    assert plan.actions == (DeleteEvent("a1", ev.id, ev.etag),)


@pytest.mark.parametrize(
    ("start", "end", "deleted"),
    [
        (-H, timedelta(minutes=1), True),  # ends just after now: still listed, so missing = deleted
        (365 * D - timedelta(minutes=1), 365 * D + H, True),
        (365 * D + H, 365 * D + 2 * H, False),  # synced, then moved beyond the horizon
    ],
    ids=["ends-just-after-now", "starts-just-before-horizon", "beyond-horizon"],
)
def test_complete_listing_proves_deletions_across_the_whole_window(start, end, deleted) -> None:
    appt = _timed(start, end)
    plan = run({"a1": appt}, [], [synced_state(appt, event(appt))], complete=True)
    assert kinds(plan.actions) == (["DeleteAppointment"] if deleted else [])


def test_listing_bounds_widen_the_window_by_a_day() -> None:
    assert mapping.listing_bounds(NOW, 365) == (NOW - D, NOW + 366 * D)


def test_complete_listing_imports_phone_events_and_creates_missing_events() -> None:
    plan = run({"a1": _timed(D, D + H)}, [phone_event()], [], complete=True)
    assert sorted(kinds(plan.actions)) == ["CreateAppointment", "CreateEvent"]


# --- circuit breaker -------------------------------------------------------------------------


def _synced(n: int):
    appts = [_timed(D * 2 + i * H, D * 2 + i * H + H / 2, id=f"a{i:03}") for i in range(n)]
    return appts, [synced_state(a, event(a)) for a in appts]


@pytest.mark.parametrize(
    ("synced", "deleted", "blocked"),
    [
        (10, 10, False),
        (11, 11, True),
        (54, 11, True),
        (55, 11, False),
        (60, 12, False),
        (60, 13, True),
        (100, 20, False),
        (100, 21, True),
    ],
)
def test_breaker_limits_planner_deletions(synced: int, deleted: int, blocked: bool) -> None:
    """More than max(10, 20 %): 10 always pass, 20 % of 55 is exactly 11, of 54 it is less."""
    appts, states = _synced(synced)
    cancelled = [GoogleEvent(mapping.event_id_for("b1", a.id), status="cancelled") for a in appts[:deleted]]
    plan = run({}, cancelled, states)
    assert (plan.blocked is not None) is blocked
    if plan.blocked:
        assert plan.actions == () and plan.blocked.reason == MASS_CHANGE_BLOCKED
        assert (plan.blocked.planner_deletions, plan.blocked.google_deletions) == (deleted, 0)
        assert plan.blocked.synced_items == synced
    else:
        assert kinds(plan.actions) == ["DeleteAppointment"] * deleted


@pytest.mark.parametrize(("synced", "deleted", "blocked"), [(30, 10, False), (30, 11, True), (100, 21, True)])
def test_breaker_limits_google_deletions_unless_forced(synced: int, deleted: int, blocked: bool) -> None:
    appts, states = _synced(synced)
    plan = run({a.id: None for a in appts[:deleted]}, [], states)
    assert (plan.blocked is not None) is blocked
    if blocked:
        assert plan.actions == () and plan.blocked.google_deletions == deleted
        forced = run({a.id: None for a in appts[:deleted]}, [], states, force=True)
        assert forced.blocked is None and kinds(forced.actions).count("DeleteEvent") == deleted


# --- moves between resources -----------------------------------------------------------------


def test_move_between_resources_leaves_old_calendar_and_appears_in_new() -> None:
    appt = _timed(D, D + H)
    ev = event(appt)
    moved = replace(appt, resource_id="r2", version=2)
    old = run({"a1": moved}, [], [synced_state(appt, ev)])
    new = run({"a1": moved}, [], [], link=Link("b1", "r2"))
    assert old.actions == (DeleteEvent("a1", ev.id, ev.etag),)
    (create,) = new.actions
    assert isinstance(create, CreateEvent) and create.event_id == ev.id  # same id, other calendar


def test_moved_google_born_appointment_gets_a_deterministic_event_in_the_new_calendar() -> None:
    phone = phone_event()
    key = mapping.appointment_id_for_event("b1", "r1", phone.id)
    moved = appointment(key, resource_id="r2", start=_at(D), end=_at(D + H))
    waiting = run({key: moved}, [], [], link=Link("b1", "r2"))  # a delta: wait for a full listing
    assert waiting.actions == () and waiting.full_sync_needed
    (create,) = run({key: moved}, [], [], link=Link("b1", "r2"), complete=True).actions
    assert isinstance(create, CreateEvent) and create.event_id == mapping.event_id_for("b1", key)


def test_google_born_appointment_without_state_never_gets_a_second_event() -> None:
    """Its state was lost and the delta does not show its event: creating our own event would
    give it two; the complete listing then shows the phone's event and adopts it."""
    phone = phone_event()
    key = mapping.appointment_id_for_event("b1", "r1", phone.id)
    pulled = appointment(key, start=phone.start.date_time, end=phone.end.date_time, title="Zahnarzt privat",
                         location=None, notes=None)
    waiting = run({key: pulled}, [], [])
    assert waiting.actions == () and waiting.full_sync_needed
    adopted = run({key: pulled}, [phone], [], complete=True)
    assert kinds(adopted.actions) == ["SaveState"]


# --- recurring instances, bad items ----------------------------------------------------------


def _instance(day: int) -> GoogleEvent:
    start = NOW + D * day
    return phone_event(
        f"series1_{start:%Y%m%dT%H%M%SZ}",
        recurringEventId="series1",
        originalStartTime={"dateTime": _at(D * day)},
        start={"dateTime": _at(D * day)},
        end={"dateTime": _at(D * day + H)},
    )


def test_recurring_instances_are_items_of_their_own() -> None:
    instances = [_instance(d) for d in (1, 8, 15)]
    plan = run({}, instances)
    assert kinds(plan.actions) == ["CreateAppointment"] * 3
    states = [a.state for a in plan.actions]  # type: ignore[union-attr]
    assert {s.recurring_event_id for s in states} == {"series1"}
    moved = replace(
        instances[1],
        start=instances[1].end,
        end=replace(instances[1].end, date_time=_at(D * 8 + 2 * H)),
        etag='"p2"',
    )
    (update,) = run({}, [moved], states).actions
    by_event = {s.event_id: s.appointment_id for s in states}
    assert isinstance(update, UpdateAppointment) and update.appointment_id == by_event[instances[1].id]


def test_cancelled_series_deletes_every_synced_instance() -> None:
    states = [a.state for a in run({}, [_instance(d) for d in (1, 8)]).actions]  # type: ignore[union-attr]
    plan = run({}, [GoogleEvent("series1", status="cancelled")], states)
    assert kinds(plan.actions) == ["DeleteAppointment", "DeleteAppointment"]


def test_invalid_items_are_recorded_and_skipped() -> None:
    broken = appointment(end="2030-04-02T08:00:00+02:00")
    assert run({"a1": broken}).actions == (
        RecordConflict("a1", None, ConflictReason.INVALID_APPOINTMENT, None),
    )
    bad_event = phone_event(end={"dateTime": "2030-04-03T09:00:00+02:00"})
    (record,) = run({}, [bad_event]).actions
    assert isinstance(record, RecordConflict) and record.reason is ConflictReason.INVALID_EVENT


def test_second_event_for_a_synced_appointment_is_reported_not_synced() -> None:
    phone = phone_event()
    key = mapping.appointment_id_for_event("b1", "r1", phone.id)
    state = synced_state(appointment(key), phone)
    ours = event(appointment(key))  # our deterministic event for the same appointment
    plan = run({}, [ours], [state])
    assert plan.actions == (RecordConflict(key, ours.id, ConflictReason.DUPLICATE_EVENT, None),)


def test_hidden_field_edit_on_google_only_refreshes_the_etag() -> None:
    policy = with_privacy(Privacy.BUSY, POLICY)
    appt = _timed(D, D + H)
    ev = event(appt, policy)
    state = synced_state(appt, ev, policy)
    phone_edit = replace(ev, summary="Belegt (Zahnarzt)", etag='"e9"')
    (save,) = run({}, [phone_edit], [state], policy=policy).actions
    assert not isinstance(save, UpdateAppointment | UpdateEvent)
    assert save.state.google_etag == '"e9"'  # type: ignore[union-attr]
