"""One item that cannot be synced never blocks its link: it is quarantined, the rest syncs."""

from __future__ import annotations

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.adapters.appointments_store import AppointmentStore
from functions.context import get_context
from functions.sync.mapping import event_id_for
from functions.sync.model import Appointment
from tests.integration.conftest import BRANCH, Api
from tests.integration.test_sync import at, live, put, sync

pytestmark = pytest.mark.firestore


def audit(api: Api, action: str) -> list[dict]:
    return [e["details"] for e in api.audit(action=action)]


def test_an_event_google_refuses_is_quarantined_and_retried_when_it_changes(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1", start=at(2), end=at(2, 10))
    put(api, "t2", start=at(3), end=at(3, 10))
    control.add_fault(400, reason="invalid", count=1, kind="write")  # the first write: t1's
    result = sync(api)
    assert (result["pushed"], result["failed"]) == (1, 0)
    assert list(live(control, cal)) == [event_id_for(BRANCH, "t2")]
    status = api.status()
    assert [(q["appointment_id"], q["reason"]) for q in status["quarantined"]] == [
        ("t1", "google_refused_write")]
    assert "Quarantäne" in status["last_error"]
    assert audit(api, "quarantined") == [{"appointment_id": "t1", "reason": "google_refused_write"}]
    # the cursors moved on: the rest of the link syncs both ways
    control.phone_create(cal, {"summary": "Vom Handy", "start": {"dateTime": at(4, 12)},
                               "end": {"dateTime": at(4, 13)}})
    assert sync(api)["pulled"] == 1
    assert "quarantined" in api.status()  # t1 did not change: it waits
    put(api, "t1", start=at(2, 11), end=at(2, 12))  # it changed: tried again, and it goes through
    assert sync(api)["pushed"] == 1
    assert event_id_for(BRANCH, "t1") in live(control, cal)
    status = api.status()
    assert "quarantined" not in status and "last_error" not in status
    assert audit(api, "quarantine_released") == [{"appointment_id": "t1"}]


def test_an_appointment_that_cannot_be_mapped_does_not_stop_its_resource(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    """Data stored before times were validated: a time the sync cannot represent."""
    api, cal = linked
    AppointmentStore(get_context().store.db, BRANCH).put(Appointment(
        "bad", "anna", "9999-12-31T20:00:00-14:00", "9999-12-31T21:00:00-14:00", "Kaputt"))
    put(api, "ok", start=at(2), end=at(2, 10))
    result = sync(api)
    assert (result["pushed"], result["failed"], result["conflicts"]) == (1, 0, 0)
    assert [q["appointment_id"] for q in api.status()["quarantined"]] == ["bad"]
    control.phone_patch(cal, event_id_for(BRANCH, "ok"), {"summary": "Verschoben"})
    assert sync(api)["pulled"] == 1  # both ways go on
    assert audit(api, "quarantined") == [{"appointment_id": "bad", "reason": "invalid_appointment"}]
    api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/bad")
    sync(api)
    assert "quarantined" not in api.status()
