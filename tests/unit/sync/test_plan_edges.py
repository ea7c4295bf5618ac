"""Edges of the plan that `make mutation` found untested: what each action carries, ties, the
window's "ends exactly now", the breaker's base and default, recurring series ids, floating times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.sync import mapping
from functions.sync.model import (
    ConflictReason,
    ConflictResolution,
    CreateAppointment,
    CreateEvent,
    EventTime,
    ForgetState,
    GoogleChanges,
    GoogleEvent,
    ItemState,
    PlannerChanges,
    RecordConflict,
    SaveState,
    Side,
    UpdateAppointment,
    UpdateEvent,
)
from functions.sync.plan import plan_link

from .builders import LINK, NOW, POLICY, appointment, event, kinds, phone_event, run, synced_state

H, D = timedelta(hours=1), timedelta(days=1)
NEWEST = replace(POLICY, conflict_resolution=ConflictResolution.NEWEST_WINS)
GOOGLE_WINS = replace(POLICY, conflict_resolution=ConflictResolution.GOOGLE_WINS)


def _at(delta: timedelta) -> str:
    return mapping.local_text(NOW + delta, "Europe/Berlin")


def _timed(start: timedelta, end: timedelta, id: str = "a1", **fields):
    return appointment(id, start=_at(start), end=_at(end), **fields)


# --- what the actions carry ------------------------------------------------------------------

def test_a_phone_edit_keeps_the_event_id_in_the_state_it_saves() -> None:
    appt = appointment()
    ev = event(appt)
    edited = event(appt, summary="Am Telefon geändert", etag='"e2"')
    (action,) = run({}, [edited], [synced_state(appt, ev)]).actions
    assert isinstance(action, UpdateAppointment)
    assert action.state.event_id == ev.id and action.state.google_etag == '"e2"'


def test_both_sides_equal_without_state_are_adopted_under_the_events_id() -> None:
    appt = appointment()
    ev = event(appt)  # found on both sides without state, e.g. after lost item states
    (save,) = run({"a1": appt}, [ev], []).actions
    assert isinstance(save, SaveState)
    assert (save.state.appointment_id, save.state.event_id) == ("a1", ev.id)
    assert (save.state.planner_version, save.state.google_etag) == (appt.version, ev.etag)


def test_a_version_bump_without_a_content_change_refreshes_the_stored_version() -> None:
    # The next write's precondition is the version; a stale one would be rejected.
    appt = appointment()
    ev = event(appt)
    (save,) = run({"a1": replace(appt, version=7)}, [], [synced_state(appt, ev)]).actions
    assert isinstance(save, SaveState)
    assert (save.state.planner_version, save.state.google_etag) == (7, ev.etag)


def test_gone_on_both_sides_forgets_that_item() -> None:
    appt = appointment()
    ev = event(appt)
    plan = run({"a1": None}, [GoogleEvent(ev.id, status="cancelled")], [synced_state(appt, ev)])
    assert plan.actions == (ForgetState("a1"),)


def test_an_event_that_cannot_be_mapped_is_recorded_with_its_id() -> None:
    broken = phone_event("phone-broken", start={"dateTime": "2030-04-03T10:00:00+02:00"}, end=None)
    (record,) = run({}, [broken], []).actions
    assert isinstance(record, RecordConflict)
    assert (record.reason, record.event_id) == (ConflictReason.INVALID_EVENT, "phone-broken")


def test_an_edit_of_a_recurring_instance_keeps_the_series_id() -> None:
    # A later cancellation of the whole series finds its instances by this id.
    appt = appointment()
    ev = event(appt, recurringEventId="series-1")
    state = synced_state(appt, ev)
    assert state.recurring_event_id == "series-1"
    (update,) = run({"a1": replace(appt, title="Neu", version=2)}, [], [state]).actions
    assert isinstance(update, UpdateEvent)
    assert update.state.recurring_event_id == "series-1"


# --- conflicts -------------------------------------------------------------------------------

def test_newest_wins_ties_go_to_the_planner() -> None:
    appt = appointment()
    ev = event(appt)
    same_time = datetime(2030, 3, 19, 20, 0, tzinfo=UTC)
    planner = replace(appt, title="Im Planer geändert", version=2, updated=same_time)
    google = event(appt, summary="Am Telefon geändert", etag='"e2"', updated="2030-03-19T20:00:00.000Z")
    record, change = run({"a1": planner}, [google], [synced_state(appt, ev)], policy=NEWEST).actions
    assert isinstance(record, RecordConflict) and isinstance(change, UpdateEvent)
    assert (record.reason, record.winner) == (ConflictReason.BOTH_CHANGED_PLANNER_NEWER, Side.PLANNER)


def test_found_on_both_sides_is_resolved_when_only_one_side_is_in_the_window() -> None:
    # Lost state; the phone moved the event into the past (or the planner did): still one item.
    planner_now = _timed(D, D + H)
    event_past = event(planner_now, start={"dateTime": _at(-3 * H)}, end={"dateTime": _at(-2 * H)})
    for appt, ev in ((planner_now, event_past), (_timed(-3 * H, -2 * H), event(planner_now))):
        record, change = run({"a1": appt}, [ev], []).actions
        assert isinstance(record, RecordConflict) and isinstance(change, UpdateEvent)
        assert record.reason is ConflictReason.FOUND_ON_BOTH_SIDES_WITHOUT_STATE


def test_google_winning_over_an_unversioned_appointment_without_state() -> None:
    appt = appointment(version=None)
    ev = event(appt, summary="Am Telefon geändert")
    record, change = run({"a1": appt}, [ev], [], policy=GOOGLE_WINS).actions
    assert isinstance(record, RecordConflict) and isinstance(change, UpdateAppointment)
    assert change.if_version is None  # no version to hold the write to


# --- window ----------------------------------------------------------------------------------

def test_an_item_that_ends_exactly_now_is_past_an_edit_only_forgets_its_state() -> None:
    appt = _timed(-H, timedelta(0))
    ev = event(appt)
    state = synced_state(appt, ev)
    assert state.ends_at == NOW
    edited = event(appt, summary="nachträglich geändert", etag='"e2"')
    assert run({}, [edited], [state]).actions == (ForgetState("a1"),)


def test_a_floating_event_time_is_read_in_the_branchs_zone() -> None:
    phone = phone_event(start={"dateTime": "2030-04-03T10:00:00"}, end={"dateTime": "2030-04-03T11:00:00"})
    (create,) = run({}, [phone], []).actions
    assert isinstance(create, CreateAppointment)
    assert (create.appointment.start, create.appointment.end) == ("2030-04-03T10:00:00+02:00",
                                                                 "2030-04-03T11:00:00+02:00")


# --- breaker ---------------------------------------------------------------------------------

def _synced(n: int, start: timedelta, prefix: str) -> tuple[list, list[ItemState]]:
    appts = [_timed(start + i * H, start + i * H + H / 2, id=f"{prefix}{i:03}") for i in range(n)]
    return appts, [synced_state(a, event(a)) for a in appts]


def test_the_breaker_counts_only_items_that_have_not_ended() -> None:
    # 50 live items: 11 deletions are more than 20 %. Ten more that end exactly now must not
    # raise the base to 60 (of which 11 would be less than 20 %).
    live, live_states = _synced(50, 2 * D, "a")
    ended_states = [synced_state(a, event(a)) for a in
                    (_timed(-H - i * H, -i * H, id=f"z{i:03}") for i in range(10))]
    assert ended_states[0].ends_at == NOW
    cancelled = [GoogleEvent(mapping.event_id_for("b1", a.id), status="cancelled") for a in live[:11]]
    plan = run({}, cancelled, [*live_states, *ended_states])
    assert plan.blocked is not None and plan.blocked.synced_items == 50


def test_the_breaker_is_on_unless_the_caller_forces_it() -> None:
    appts, states = _synced(20, 2 * D, "a")
    deleted = {a.id: None for a in appts[:11]}
    plan = plan_link(LINK, POLICY, PlannerChanges(deleted), GoogleChanges(()), states, NOW)
    assert plan.blocked is not None and plan.actions == ()
    forced = plan_link(LINK, POLICY, PlannerChanges(deleted), GoogleChanges(()), states, NOW, force=True)
    assert forced.blocked is None and kinds(forced.actions) == ["DeleteEvent"] * 11


# --- the state a write fills in --------------------------------------------------------------

def test_after_write_fills_only_what_the_plan_left_open() -> None:
    appt = appointment()
    state = synced_state(appt, event(appt))
    assert state.after_write(google_etag='"new"', planner_version=9) == state  # both were set
    open_state = replace(state, google_etag=None, planner_version=None)
    filled = open_state.after_write(google_etag='"new"', planner_version=9)
    assert (filled.google_etag, filled.planner_version) == ('"new"', 9)


def test_writes_to_google_carry_the_item_and_its_event_id() -> None:
    appt = appointment()
    ev = event(appt)
    (create,) = run({"a1": appt}, [], []).actions
    assert isinstance(create, CreateEvent)
    assert (create.appointment_id, create.event_id, create.state.event_id) == ("a1", ev.id, ev.id)
    (update,) = run({"a1": replace(appt, title="Neu", version=2)}, [], [synced_state(appt, ev)]).actions
    assert isinstance(update, UpdateEvent)
    assert (update.appointment_id, update.event_id, update.state.event_id) == ("a1", ev.id, ev.id)


def test_a_conflict_the_planner_wins_updates_the_synced_event() -> None:
    appt = appointment()
    ev = event(appt)
    planner = replace(appt, title="Im Planer geändert", version=2)
    google = event(appt, summary="Am Telefon geändert", etag='"e2"')
    _, change = run({"a1": planner}, [google], [synced_state(appt, ev)]).actions
    assert isinstance(change, UpdateEvent)
    assert (change.appointment_id, change.event_id, change.state.event_id) == ("a1", ev.id, ev.id)


# --- an item that cannot be mapped -----------------------------------------------------------

_FAR = ("9999-12-31T20:00:00-14:00", "9999-12-31T21:00:00-14:00")  # past what Google and Python hold


def test_an_appointment_that_cannot_be_mapped_is_a_conflict_of_its_own_and_the_others_sync() -> None:
    bad, good = appointment("bad", start=_FAR[0], end=_FAR[1]), appointment("good")
    plan = run({"bad": bad, "good": good})
    assert kinds(plan.actions) == ["RecordConflict", "CreateEvent"]
    conflict, create = plan.actions
    assert (conflict.appointment_id, conflict.event_id, conflict.reason) == (
        "bad", None, ConflictReason.INVALID_APPOINTMENT)
    assert create.appointment_id == "good"
    assert plan.items == frozenset({"bad", "good"})  # the shell releases quarantined items it saw


def test_a_phone_event_that_cannot_be_mapped_is_a_conflict_of_its_own() -> None:
    broken = GoogleEvent("handy1", summary="Handy", start=EventTime(date_time="0001-01-01T00:00:00+14:00"),
                         end=EventTime(date_time="0001-01-01T01:00:00+14:00"))
    plan = run({"good": appointment("good")}, [broken])
    assert kinds(plan.actions) == ["RecordConflict", "CreateEvent"]
    conflict = plan.actions[0]
    assert (conflict.event_id, conflict.reason) == ("handy1", ConflictReason.INVALID_EVENT)
    assert plan.items == frozenset({"good", conflict.appointment_id})


def test_a_mapping_that_fails_inside_the_decision_quarantines_that_item_only(monkeypatch) -> None:
    """gather maps every item first; should a later mapping (the event body, the appointment of a
    phone event) still refuse one, that item is a conflict of its own side and the others sync."""
    real_body, real_from_event = mapping.event_body, mapping.appointment_from_event

    def event_body(appt, policy):
        if appt.id == "bad":
            raise ValueError("cannot be written")
        return real_body(appt, policy)

    def appointment_from_event(ev, key, link, policy):
        if ev.id == "phone-bad":
            raise ValueError("cannot be read")
        return real_from_event(ev, key, link, policy)

    monkeypatch.setattr(mapping, "event_body", event_body)
    monkeypatch.setattr(mapping, "appointment_from_event", appointment_from_event)
    phone = phone_event("phone-bad")
    plan = run({"bad": appointment("bad"), "good": appointment("good")}, [phone])
    by_id = {a.appointment_id: a for a in plan.actions}
    assert by_id["bad"] == RecordConflict("bad", None, ConflictReason.INVALID_APPOINTMENT, None)
    phone_key = mapping.appointment_id_for_event(LINK.branch_id, LINK.resource_id, "phone-bad")
    assert by_id[phone_key] == RecordConflict(phone_key, "phone-bad", ConflictReason.INVALID_EVENT, None)
    assert isinstance(by_id["good"], CreateEvent)
    assert len(plan.actions) == 3


def test_restore_writes_the_events_google_lost_again_instead_of_deleting_appointments() -> None:
    appts = [appointment(f"a{i}") for i in range(3)]
    states = [synced_state(a, event(a)) for a in appts]
    gone = [GoogleEvent(s.event_id, status="cancelled") for s in states[:2]]
    untouched = {a.id: a for a in appts}
    assert kinds(run(untouched, gone, states).actions) == ["DeleteAppointment", "DeleteAppointment"]
    plan = run(untouched, gone, states, restore=True)
    assert kinds(plan.actions) == ["CreateEvent", "CreateEvent"]
    assert [(a.appointment_id, a.event_id) for a in plan.actions] == [
        (s.appointment_id, s.event_id) for s in states[:2]]  # the old ids come back
    # what the planner itself deleted is still deleted in Google
    deleted = run({"a0": None, **{a.id: a for a in appts[1:]}}, gone[1:], states, restore=True)
    assert sorted(kinds(deleted.actions)) == ["CreateEvent", "DeleteEvent"]


def test_a_pulled_phone_event_is_in_sync_at_the_next_run_whatever_the_privacy() -> None:
    from functions.sync.model import Privacy

    from .builders import with_privacy

    for level in Privacy:
        policy = with_privacy(level)
        phone = phone_event("phone-new")
        (create,) = run({}, [phone], policy=policy).actions
        assert isinstance(create, CreateAppointment)
        again = run({create.appointment.id: create.appointment}, [phone], [create.state], policy=policy)
        assert again.actions == (), level


def test_all_day_items_sync_both_ways_in_the_branchs_zone() -> None:
    day = appointment("day1", start="2030-04-02", end="2030-04-03", all_day=True)
    (create,) = run({"day1": day}).actions
    assert isinstance(create, CreateEvent)
    assert create.state.starts_at == datetime(2030, 4, 1, 22, 0, tzinfo=UTC)  # Berlin midnight (+02:00)
    phone = phone_event("phone-day", start={"date": "2030-04-04"}, end={"date": "2030-04-05"})
    (pulled,) = run({}, [phone]).actions
    assert isinstance(pulled, CreateAppointment) and pulled.appointment.all_day
    assert (pulled.appointment.start, pulled.appointment.end) == ("2030-04-04", "2030-04-05")
    # a day that ended yesterday in Berlin is not synced any more
    past = appointment("old", start="2030-03-19", end="2030-03-20", all_day=True)
    assert run({"old": past}).actions == ()
