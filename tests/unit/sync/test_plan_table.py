"""Every row of the decision table in `functions.sync.plan`, as plain-value examples."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from functions.sync import mapping
from functions.sync.model import (
    ConflictReason,
    ConflictResolution,
    CreateAppointment,
    CreateEvent,
    DeleteAppointment,
    DeleteEvent,
    GoogleEvent,
    RecordConflict,
    SaveState,
    Side,
    UpdateAppointment,
    UpdateEvent,
)

from .builders import LINK, POLICY, appointment, event, kinds, phone_event, run, synced_state

A0 = appointment()
E0 = event(A0)
S0 = synced_state(A0, E0)

EARLY = datetime(2030, 3, 19, 9, 0, tzinfo=UTC)
LATE = "2030-03-19T20:00:00.000Z"

PLANNER = {
    "silent": {},
    "echo": {"a1": A0},
    "edited": {"a1": replace(A0, title="Kontrolle (verlegt)", version=2, updated=EARLY)},
    "edited_late": {
        "a1": replace(
            A0, title="Kontrolle (verlegt)", version=2, updated=datetime(2030, 3, 19, 21, 0, tzinfo=UTC)
        )
    },
    "deleted": {"a1": None},
    "moved": {"a1": replace(A0, resource_id="r2", version=2)},
}
GOOGLE: dict[str, list[GoogleEvent]] = {
    "silent": [],
    "echo": [E0],
    "etag_only": [replace(E0, etag='"e2"')],
    "edited": [event(A0, summary="Kontrolle am Telefon verschoben", etag='"e2"', updated=LATE)],
    "cancelled": [GoogleEvent(id=E0.id, status="cancelled")],
}

R = ConflictReason
GONE_ON_GOOGLE = R.DELETED_ON_GOOGLE_CHANGED_IN_PLANNER
GONE_IN_PLANNER = R.DELETED_IN_PLANNER_CHANGED_ON_GOOGLE
P, G = Side.PLANNER, Side.GOOGLE
PW, GW, NW = ConflictResolution.PLANNER_WINS, ConflictResolution.GOOGLE_WINS, ConflictResolution.NEWEST_WINS

# (planner, google, resolution, expected action kinds, (reason, winner) of the conflict or None)
SYNCED_ROWS = [
    ("silent", "silent", PW, [], None),
    ("echo", "echo", PW, [], None),
    ("silent", "etag_only", PW, ["SaveState"], None),
    ("silent", "edited", PW, ["UpdateAppointment"], None),
    ("silent", "cancelled", PW, ["DeleteAppointment"], None),
    ("edited", "silent", PW, ["UpdateEvent"], None),
    ("edited", "echo", PW, ["UpdateEvent"], None),
    ("edited", "etag_only", PW, ["UpdateEvent"], None),
    ("edited", "edited", PW, ["RecordConflict", "UpdateEvent"], (R.BOTH_CHANGED_PLANNER_WINS, P)),
    ("edited", "edited", GW, ["RecordConflict", "UpdateAppointment"], (R.BOTH_CHANGED_GOOGLE_WINS, G)),
    ("edited", "edited", NW, ["RecordConflict", "UpdateAppointment"], (R.BOTH_CHANGED_GOOGLE_NEWER, G)),
    ("edited_late", "edited", NW, ["RecordConflict", "UpdateEvent"], (R.BOTH_CHANGED_PLANNER_NEWER, P)),
    ("edited", "cancelled", PW, ["RecordConflict", "CreateEvent"], (GONE_ON_GOOGLE, P)),
    ("edited", "cancelled", NW, ["RecordConflict", "CreateEvent"], (GONE_ON_GOOGLE, P)),
    ("edited", "cancelled", GW, ["RecordConflict", "DeleteAppointment"], (GONE_ON_GOOGLE, G)),
    ("deleted", "silent", PW, ["DeleteEvent"], None),
    ("deleted", "etag_only", PW, ["DeleteEvent"], None),
    ("deleted", "edited", PW, ["RecordConflict", "DeleteEvent"], (GONE_IN_PLANNER, P)),
    ("deleted", "edited", GW, ["RecordConflict", "CreateAppointment"], (GONE_IN_PLANNER, G)),
    ("deleted", "edited", NW, ["RecordConflict", "CreateAppointment"], (GONE_IN_PLANNER, G)),
    ("deleted", "cancelled", PW, ["ForgetState"], None),
    ("moved", "silent", PW, ["DeleteEvent"], None),
    ("moved", "edited", GW, ["RecordConflict", "DeleteEvent"], (R.MOVED_IN_PLANNER_CHANGED_ON_GOOGLE, P)),
    ("moved", "cancelled", PW, ["ForgetState"], None),
]


@pytest.mark.parametrize(
    ("planner", "google", "resolution", "expected", "conflict"),
    SYNCED_ROWS,
    ids=[f"{p}-{g}-{r.value}" for p, g, r, _, _ in SYNCED_ROWS],
)
def test_synced_item_table(planner, google, resolution, expected, conflict) -> None:
    policy = replace(POLICY, conflict_resolution=resolution)
    plan = run(PLANNER[planner], GOOGLE[google], [S0], policy=policy)
    assert plan.blocked is None and not plan.full_sync_needed
    assert kinds(plan.actions) == expected
    records = [a for a in plan.actions if isinstance(a, RecordConflict)]
    assert [(r.reason, r.winner) for r in records] == ([conflict] if conflict else [])
    assert all(r.appointment_id == "a1" and r.event_id == E0.id for r in records)


def test_both_changed_to_the_same_content_is_no_conflict() -> None:
    edited = replace(A0, title="Neu", version=2)
    plan = run({"a1": edited}, [event(edited, etag='"e2"')], [S0])
    assert kinds(plan.actions) == ["SaveState"]
    (save,) = plan.actions
    assert isinstance(save, SaveState)
    assert save.state.google_etag == '"e2"' and save.state.planner_version == 2
    assert save.state.planner_hash == save.state.google_hash != S0.planner_hash


def test_update_event_carries_current_etag_body_and_next_state() -> None:
    edited = replace(A0, title="Kontrolle (verlegt)", version=2)
    (action,) = run({"a1": edited}, [replace(E0, etag='"e2"')], [S0]).actions
    assert isinstance(action, UpdateEvent)
    assert (action.event_id, action.if_match) == (E0.id, '"e2"')
    assert action.body["summary"] == "Kontrolle (verlegt)"
    assert action.state.planner_version == 2 and action.state.google_etag is None
    assert action.state.after_write(google_etag='"e3"').google_etag == '"e3"'
    expected = mapping.content_hash(mapping.appointment_content(edited, POLICY.privacy))
    assert action.state.planner_hash == action.state.google_hash == expected


def test_update_appointment_carries_fields_version_and_state() -> None:
    start, end = {"dateTime": "2030-04-02T10:00:00+02:00"}, {"dateTime": "2030-04-02T10:45:00+02:00"}
    edited = event(A0, summary="Verschoben", location=None, etag='"e2"', start=start, end=end)
    (action,) = run({}, [edited], [S0]).actions
    assert isinstance(action, UpdateAppointment)
    assert action.if_version == 1
    assert action.fields == {
        "start": "2030-04-02T10:00:00+02:00",
        "end": "2030-04-02T10:45:00+02:00",
        "all_day": False,
        "title": "Verschoben",
        "location": None,
        "notes": "Allergie: Penicillin",
    }
    assert action.state.google_etag == '"e2"' and action.state.planner_version is None


def test_revived_event_keeps_its_id_and_deletes_carry_preconditions() -> None:
    edited = replace(A0, title="Neu", version=2)
    _, create = run({"a1": edited}, GOOGLE["cancelled"], [S0]).actions
    assert isinstance(create, CreateEvent) and create.event_id == E0.id
    assert create.insert_body["id"] == E0.id and create.body["status"] == "confirmed"
    (delete_event,) = run({"a1": None}, [], [S0]).actions
    assert delete_event == DeleteEvent("a1", E0.id, '"e1"')
    (delete_appointment,) = run({}, GOOGLE["cancelled"], [S0]).actions
    assert delete_appointment == DeleteAppointment("a1", 1)


def test_google_wins_revival_recreates_the_appointment_from_the_event() -> None:
    policy = replace(POLICY, conflict_resolution=GW)
    _, create = run({"a1": None}, GOOGLE["edited"], [S0], policy=policy).actions
    assert isinstance(create, CreateAppointment)
    assert create.appointment.id == "a1" and create.appointment.title == "Kontrolle am Telefon verschoben"
    assert create.appointment.resource_id == LINK.resource_id


# --- items without state ---------------------------------------------------------------------

PHONE = phone_event()
PHONE_KEY = mapping.appointment_id_for_event(LINK.branch_id, LINK.resource_id, PHONE.id)


def test_new_appointment_creates_event_with_deterministic_id() -> None:
    (action,) = run({"a1": A0}).actions
    assert isinstance(action, CreateEvent)
    assert action.event_id == mapping.event_id_for("b1", "a1") == E0.id
    assert action.state.planner_version == 1 and action.state.google_etag is None


def test_new_phone_event_creates_appointment_with_derived_id() -> None:
    (action,) = run({}, [PHONE]).actions
    assert isinstance(action, CreateAppointment)
    assert action.appointment.id == PHONE_KEY and PHONE_KEY.startswith("gcal-")
    assert action.appointment.title == "Zahnarzt privat"
    assert action.state.event_id == PHONE.id and action.state.google_etag == '"p1"'


def test_new_phone_event_that_is_cancelled_or_unknown_deletion_does_nothing() -> None:
    assert run({}, [GoogleEvent("phone0002", status="cancelled")]).actions == ()
    assert run({"zz": None}).actions == ()
    assert run({"zz": replace(A0, id="zz", resource_id="r9")}).actions == ()


@pytest.mark.parametrize(
    ("resolution", "ev", "expected", "winner"),
    [
        (PW, E0, ["SaveState"], None),
        (PW, event(A0, summary="anders"), ["RecordConflict", "UpdateEvent"], P),
        (GW, event(A0, summary="anders"), ["RecordConflict", "UpdateAppointment"], G),
    ],
    ids=["equal", "differ-planner-wins", "differ-google-wins"],
)
def test_found_on_both_sides_without_state_is_adopted(resolution, ev, expected, winner) -> None:
    plan = run({"a1": A0}, [ev], [], policy=replace(POLICY, conflict_resolution=resolution))
    assert kinds(plan.actions) == expected
    if winner:
        assert plan.actions[0] == RecordConflict("a1", E0.id, R.FOUND_ON_BOTH_SIDES_WITHOUT_STATE, winner)


@pytest.mark.parametrize(
    ("appointments", "planner_complete", "expected", "full_sync_needed"),
    [
        ({"a1": None}, False, ["DeleteEvent"], False),
        ({"a1": replace(A0, resource_id="r2")}, False, ["DeleteEvent"], False),
        ({}, True, ["DeleteEvent"], False),
        ({}, False, [], True),
    ],
    ids=["planner-deleted", "planner-moved", "absent-from-complete-listing", "planner-silent"],
)
def test_our_event_without_state(appointments, planner_complete, expected, full_sync_needed) -> None:
    plan = run(appointments, [E0], [], planner_complete=planner_complete)
    assert kinds(plan.actions) == expected
    assert plan.full_sync_needed is full_sync_needed


def test_phone_event_whose_appointment_moved_away_is_removed_here() -> None:
    moved = appointment(PHONE_KEY, resource_id="r2")
    assert kinds(run({PHONE_KEY: moved}, [PHONE]).actions) == ["DeleteEvent"]


def test_phone_event_missing_from_complete_planner_listing_is_imported() -> None:
    assert kinds(run({}, [PHONE], complete=True).actions) == ["CreateAppointment"]
