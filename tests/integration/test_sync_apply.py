"""How a run applies its plan (functions/sync/apply.py): the cursor past its own planner writes,
what each Google answer does to the counts and the item, conflicts in the audit (found by
`make mutation`)."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from devtools.google_emulator.client import EmulatorControl
from functions.sync.mapping import appointment_id_for_event, event_id_for
from tests.integration.conftest import BRANCH, Api, every_document
from tests.integration.interleave import Steps
from tests.integration.test_sync import at, live, put, sync
from tests.integration.test_sync_rules import appointment, set_policy

pytestmark = pytest.mark.firestore

IDLE = {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}


def phone_event(control: EmulatorControl, cal: str, summary: str, day: int) -> dict:
    return control.phone_create(cal, {"summary": summary, "start": {"dateTime": at(day, 12)},
                                      "end": {"dateTime": at(day, 13)}})


@pytest.mark.parametrize("pull", ["create", "update", "delete"])
def test_the_run_after_a_pull_skips_its_own_planner_writes(
        linked: tuple[Api, str], control: EmulatorControl, firestore_client: firestore.Client,
        pull: str) -> None:
    """Two phone changes reach the planner (new events, edits or deletions of synced ones); the
    next run finds nothing new there (its cursor is past the run's own writes): an idle check,
    not one Firestore write."""
    api, cal = linked
    if pull == "create":
        phone_event(control, cal, "Vom Handy 1", 2)
        phone_event(control, cal, "Vom Handy 2", 3)
    else:
        for key, day in (("t1", 2), ("t2", 3)):
            put(api, key, start=at(day), end=at(day, 10))
        sync(api)
        for key in ("t1", "t2"):
            if pull == "update":
                control.phone_patch(cal, event_id_for(BRANCH, key), {"summary": "Verschoben"})
            else:
                control.phone_delete(cal, event_id_for(BRANCH, key))
    assert sync(api)["pulled"] == 2
    stamps = {d.reference.path: d.update_time for d in every_document(firestore_client)}
    control.reset_counters()
    assert sync(api) == IDLE
    assert control.counters()["calendars"][cal] == {"read": 1, "write": 0}
    assert {d.reference.path: d.update_time for d in every_document(firestore_client)} == stamps


@pytest.mark.parametrize("first_pull", ["create", "update"])
def test_a_pulled_item_stays_guarded_by_its_planner_version(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps, first_pull: str) -> None:
    """t1 came from the phone (or its last change did). The phone edits it again, and before the
    run writes that into the planner, the planner edits it too: the write is refused by the
    version the item was synced at, and the conflict is decided (planner_wins)."""
    api, cal = linked
    if first_pull == "create":
        event = phone_event(control, cal, "Vom Handy", 2)
        assert sync(api)["pulled"] == 1
        event_id = event["id"]
        key = appointment_id_for_event(BRANCH, "anna", event_id)
    else:
        put(api, "t1", title="Anpassung")
        sync(api)
        event_id, key = event_id_for(BRANCH, "t1"), "t1"
        control.phone_patch(cal, event_id, {"summary": "Vom Handy"})
        assert sync(api)["pulled"] == 1
    control.phone_patch(cal, event_id, {"summary": "Handy"})
    steps.before("acquire", lambda: put(api, key, start=at(2, 12), end=at(2, 13), title="Planer"))
    result = steps.run(lambda: sync(api))
    assert (result["conflicts"], result["failed"]) == (1, 0)
    assert appointment(api, key)["title"] == live(control, cal)[event_id]["summary"] == "Planer"


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
    [entry] = api.audit(action="conflict_resolved")
    assert (entry["actor"], entry["role"]) == ("sync", "system")
    assert entry["details"] == {"appointment_id": "t1", "event_id": event_id_for(BRANCH, "t1"),
                                "reason": "both_changed_planner_wins", "winner": "planner"}


def test_a_planner_deletion_racing_a_phone_edit_is_refused_by_the_events_etag(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps) -> None:
    """google_wins: the run plans to delete t1's event (deleted in the planner); before it writes,
    the phone edits the event. The delete carries the synced etag, Google refuses it, and the
    re-plan brings the edited appointment back."""
    api, cal = linked
    set_policy(api, "google_wins")
    put(api, "t1", title="Anpassung")
    sync(api)
    event_id = event_id_for(BRANCH, "t1")
    api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t1")
    steps.before("acquire", lambda: control.phone_patch(cal, event_id, {"summary": "Handy"}))
    result = steps.run(lambda: sync(api))
    assert result["failed"] == 0
    assert live(control, cal)[event_id]["summary"] == "Handy"
    assert appointment(api, "t1")["title"] == "Handy"


def test_each_deletion_counts_as_pushed(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    for key, day in (("t1", 2), ("t2", 3)):
        put(api, key, start=at(day), end=at(day, 10))
    sync(api)
    for key in ("t1", "t2"):
        api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/{key}")
    assert sync(api)["pushed"] == 2
    assert live(control, cal) == {}


def test_writes_google_keeps_failing_are_counted_in_the_links_error(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, _ = linked
    keys = ("t1", "t2", "t3")
    for day, key in enumerate(keys, start=2):
        put(api, key, start=at(day), end=at(day, 10))
    sync(api)
    for day, key in enumerate(keys, start=2):
        put(api, key, start=at(day, 11), end=at(day, 12))
    failing = "|".join(event_id_for(BRANCH, key) for key in keys[:2])
    control.add_fault(503, count=1000, method="PATCH", path_regex=f"/events/({failing})$")
    result = sync(api)
    assert (result["pushed"], result["failed"]) == (1, 1)
    assert api.status(lang="en")["last_error"].startswith("2 change(s) could not be written")
    control.clear_faults()
    assert sync(api)["pushed"] == 2


def test_a_run_with_a_ghost_write_records_every_item_it_wrote(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    """One insert is performed but answered 503 (a ghost); its retry is a 409, so it is patched.
    The other insert went through at once: both are recorded, the next run has nothing to do."""
    api, _ = linked
    for key, day in (("t1", 2), ("t2", 3)):
        put(api, key, start=at(day), end=at(day, 10))
    control.add_fault(503, count=1, kind="write", method="POST", ghost=True)
    assert sync(api)["pushed"] == 2
    assert sync(api) == IDLE


def test_a_run_that_lost_its_lease_writes_nothing_into_the_planner(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps,
        firestore_client: firestore.Client) -> None:
    """Another run took the link over (a relink, a consent, an expired lease) after this one
    planned to pull a phone edit: the planner write checks the lease in its transaction and the
    edit is not written by the run that no longer owns the link."""
    api, cal = linked
    put(api, "t1", title="Anpassung")
    sync(api)
    control.phone_patch(cal, event_id_for(BRANCH, "t1"), {"summary": "Handy"})
    link = firestore_client.collection("links").document(f"{BRANCH}:anna")
    steps.before("_write", lambda: link.update({"lease_owner": "another-run"}))
    assert steps.run(lambda: sync(api))["failed"] == 1
    assert appointment(api, "t1")["title"] == "Anpassung"
