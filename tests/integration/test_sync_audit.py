"""What a run that stops a link leaves for the admin: its audit entry (who, what, the finding), the
link's `last_error`, and a task answer that ends the retries where no retry can help."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.context import get_context
from functions.services import dispatch
from functions.sync.mapping import MARKER_APPOINTMENT_ID, appointment_id_for_event, event_id_for
from tests.integration.conftest import BRANCH, Api, link_doc, logged
from tests.integration.test_sync import at, put, sync
from tests.integration.test_sync_rules import set_policy

pytestmark = pytest.mark.firestore


def test_a_held_back_mass_change_is_audited_and_its_task_is_not_retried(
        linked: tuple[Api, str], control: EmulatorControl, log_lines: io.StringIO) -> None:
    api, cal = linked
    for i in range(15):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    sync(api)
    for i in range(12):
        control.phone_delete(cal, event_id_for(BRANCH, f"t{i}"))
    # 2xx: the queue would retry a 5xx, and no retry can take the admin's decision
    before = datetime.now(UTC)
    answer = dispatch.run_task(get_context(), BRANCH, "anna")
    assert answer["status"] == "blocked" and answer["failed"] == 1
    assert not [line for line in logged(log_lines, "") if line["severity"] == "ERROR"]  # upkeep too
    [entry] = api.audit(action="mass_change_blocked")
    assert (entry["actor"], entry["role"]) == ("sync", "system")
    assert (entry["details"]["planner_deletions"], entry["details"]["google_deletions"],
            entry["details"]["synced_items"]) == (12, 0, 15)
    assert "deletions" not in entry["details"]  # which appointments: kept on the link only
    assert api.status()["last_error"]
    doc = link_doc()
    assert set(doc["blocked"]) == {"reason", "google_deletions", "planner_deletions", "synced_items",
                                   "deletions"}  # the finding as it is, nothing more
    assert sorted(doc["blocked"]["deletions"], key=lambda d: int(d["appointment_id"][1:])) == [
        {"side": "planner", "appointment_id": f"t{i}", "event_id": None}
        for i in range(12)]  # the phone deleted these events: their appointments would go
    assert doc["last_checked_at"] >= before  # this run looked at it


@pytest.mark.parametrize(("break_it", "status", "action"), [
    (lambda control, cal: control.kill_grants(), "needs_reconsent", "grant_dead"),
    (lambda control, cal: control.delete_calendar(cal), "calendar_missing", "calendar_missing"),
])
def test_a_link_the_run_stops_is_audited_with_a_message(linked: tuple[Api, str], control: EmulatorControl,
                                                      break_it: Any, status: str, action: str) -> None:
    api, cal = linked
    put(api, "t1")
    break_it(control, cal)
    answer = dispatch.run_task(get_context(), BRANCH, "anna")
    assert answer["status"] == status  # 2xx: only a person can mend it
    link = api.status()
    assert link["status"] == status and link["last_error"]
    [entry] = [e for e in api.audit()
               if e["actor"] == "sync"]
    assert (entry["role"], entry["action"], entry["details"]) == ("system", action, {})


def test_every_conflict_of_a_run_is_counted_and_audited_with_its_winner(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    set_policy(api, "planner_wins")
    for key in ("t1", "t2"):
        put(api, key, title="Anpassung")
    sync(api)
    for key in ("t1", "t2"):
        put(api, key, title="Planer")
        control.phone_patch(cal, event_id_for(BRANCH, key), {"summary": "Handy"})
    assert sync(api)["conflicts"] == 2
    entries = api.audit(action="conflict_resolved")
    assert sorted(e["details"]["appointment_id"] for e in entries) == ["t1", "t2"]
    assert {(e["details"]["winner"], e["details"]["reason"]) for e in entries} == {
        ("planner", "both_changed_planner_wins")}


def test_a_second_event_claiming_an_appointment_is_audited_as_a_duplicate_without_a_winner(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    """The phone's event became an appointment; then another writer puts our deterministic event of
    that appointment into the calendar as well (an old install, a restored copy): a stray, audited."""
    api, cal = linked
    phone = control.phone_create(cal, {"summary": "Handy", "start": {"dateTime": at(1, 9)},
                                       "end": {"dateTime": at(1, 10)}})
    sync(api)
    key = appointment_id_for_event(BRANCH, "anna", phone["id"])
    claim = control.phone_create(cal, {
        "id": event_id_for(BRANCH, key), "summary": "Handy", "start": phone["start"], "end": phone["end"],
        "extendedProperties": {"private": {MARKER_APPOINTMENT_ID: key}}})
    assert sync(api)["conflicts"] == 1
    [entry] = api.audit(action="conflict_resolved")
    assert entry["details"] == {"appointment_id": key, "event_id": claim["id"], "reason": "duplicate_event",
                                "winner": None}
