"""How a run applies its plan (functions/sync/apply.py): the cursor past its own planner writes,
what each Google answer does to the counts and the item, conflicts in the audit (found by
`make mutation`)."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from devtools.google_emulator.client import EmulatorControl
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, Api, every_document
from tests.integration.interleave import Steps
from tests.integration.test_sync import at, live, put, sync

pytestmark = pytest.mark.firestore

IDLE = {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}


def phone_event(control: EmulatorControl, cal: str, summary: str, day: int) -> dict:
    return control.phone_create(cal, {"summary": summary, "start": {"dateTime": at(day, 12)},
                                      "end": {"dateTime": at(day, 13)}})


def test_the_run_after_a_pull_skips_its_own_planner_writes(
        linked: tuple[Api, str], control: EmulatorControl, firestore_client: firestore.Client) -> None:
    """Two phone events become appointments; the next run finds nothing new in the planner (its
    cursor is past the run's own writes): an idle check, not one Firestore write."""
    api, cal = linked
    phone_event(control, cal, "Vom Handy 1", 2)
    phone_event(control, cal, "Vom Handy 2", 3)
    assert sync(api)["pulled"] == 2
    stamps = {d.reference.path: d.update_time for d in every_document(firestore_client)}
    control.reset_counters()
    assert sync(api) == IDLE
    assert control.counters()["calendars"][cal] == {"read": 1, "write": 0}
    assert {d.reference.path: d.update_time for d in every_document(firestore_client)} == stamps


def test_a_planner_write_between_the_runs_own_writes_is_not_skipped(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps) -> None:
    """While the run pulls two phone events, the planner books t9 between the two writes: the
    cursor may not jump past t9, so the next run pushes it."""
    api, cal = linked
    phone_event(control, cal, "Vom Handy 1", 2)
    phone_event(control, cal, "Vom Handy 2", 3)
    steps.before("_write#2", lambda: put(api, "t9", start=at(4), end=at(4, 10), title="Dazwischen"))
    assert steps.run(lambda: sync(api))["pulled"] == 2
    assert sync(api)["pushed"] == 1
    assert live(control, cal)[event_id_for(BRANCH, "t9")]["summary"] == "Dazwischen"
    assert sync(api) == IDLE


# --- what each Google answer does --------------------------------------------------------------

def test_a_deletion_google_answers_gone_is_done_but_not_counted_as_pushed(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    """The event was already gone (deleted and purged): nothing was written, the item is done."""
    api, _ = linked
    put(api, "t1")
    sync(api)
    api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t1")
    control.add_fault(410, reason="deleted", method="DELETE")
    result = sync(api)
    assert (result["pushed"], result["failed"]) == (0, 0)
    assert "last_error" not in api.status()
    assert sync(api) == IDLE  # its state went with it: nothing left to decide


def test_an_event_that_vanishes_under_a_patch_makes_the_next_run_list_everything(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    """Google answers 404 to the patch of t1's edit: the edit is not recorded as written, and the
    next run lists the calendar completely, finds the event and writes the edit."""
    api, cal = linked
    put(api, "t1", title="Anpassung")
    sync(api)
    put(api, "t1", title="Verschoben")
    control.add_fault(404, reason="notFound", method="PATCH")
    result = sync(api)
    assert (result["pushed"], result["failed"]) == (0, 0)
    assert live(control, cal)[event_id_for(BRANCH, "t1")]["summary"] == "Anpassung"
    assert sync(api)["pushed"] == 1
    assert live(control, cal)[event_id_for(BRANCH, "t1")]["summary"] == "Verschoben"
    assert sync(api) == IDLE


def test_a_resolved_conflict_is_audited_with_the_item_and_the_winner(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1", title="Anpassung")
    sync(api)
    put(api, "t1", title="Planer")
    control.phone_patch(cal, event_id_for(BRANCH, "t1"), {"summary": "Handy"})
    assert sync(api)["conflicts"] == 1
    entries = api.call("GET", f"/links/{BRANCH}/anna/audit").get_json()["entries"]
    [entry] = [e for e in entries if e["action"] == "conflict_resolved"]
    assert (entry["actor"], entry["role"]) == ("sync", "system")
    assert entry["details"] == {"appointment_id": "t1", "event_id": event_id_for(BRANCH, "t1"),
                                "reason": "both_changed_planner_wins", "winner": "planner"}
