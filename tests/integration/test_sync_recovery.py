"""What a run does about an item whose write a precondition refused (functions/sync/recovery.py):
the re-read of the item on Google may find it gone or not answer at all, and the texts it brings
are patient data like every other (found by `make mutation`)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.adapters.appointments_store import AppointmentStore
from functions.adapters.google_events import ROUNDS
from functions.adapters.sync_store import SyncStore
from functions.context import get_context
from functions.sync.mapping import event_id_for
from functions.sync.model import Appointment
from tests.integration.conftest import BRANCH, Api
from tests.integration.interleave import Steps
from tests.integration.test_sync import at, live, put, sync
from tests.integration.test_sync_rules import appointment, audit_reasons

pytestmark = pytest.mark.firestore


def synced_t1(api: Api) -> str:
    """Appointment t1, synced once (its event in Google); its event id."""
    put(api, "t1", title="Anpassung")
    sync(api)
    return event_id_for(BRANCH, "t1")


def refuse_then_reread(control: EmulatorControl, cal: str, event_id: str, code: int, count: int = 1) -> None:
    """The phone edits the event after the run planned (its patch then answers 412), and the
    run's re-read of it (a GET of that one event) answers `code` `count` times."""
    control.phone_patch(cal, event_id, {"summary": "Handy"})
    reason = {404: "notFound", 503: "backendError"}[code]
    control.add_fault(code, reason=reason, count=count, method="GET", path_regex=f"/events/{event_id}$")


def test_an_item_gone_when_it_is_re_read_is_planned_as_deleted_on_google(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps) -> None:
    """The event vanished (deleted and purged) between the refused write and its re-read: that
    is a deletion on Google, decided in the same run (the planner's edit brings the event back)."""
    api, cal = linked
    event_id = synced_t1(api)
    put(api, "t1", title="Planer")
    steps.before("acquire", lambda: refuse_then_reread(control, cal, event_id, 404))
    result = steps.run(lambda: sync(api))
    assert result["failed"] == 0
    assert "last_error" not in api.status()
    assert appointment(api, "t1")["title"] == "Planer"
    assert live(control, cal)[event_id]["summary"] == "Planer"
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}


def test_an_item_google_does_not_answer_for_is_left_for_the_next_run(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps) -> None:
    """The re-read fails every attempt: nothing is decided about the item (it is not taken for
    deleted), the cursors stay, and the next run resolves the conflict."""
    api, cal = linked
    event_id = synced_t1(api)
    put(api, "t1", title="Planer")
    steps.before("acquire", lambda: refuse_then_reread(control, cal, event_id, 503, count=ROUNDS))
    result = steps.run(lambda: sync(api))
    assert (result["failed"], result["pushed"], result["pulled"]) == (1, 0, 0)
    assert "1 change(s) could not be written" in api.status(lang="en")["last_error"]
    assert appointment(api, "t1")["title"] == "Planer"
    assert live(control, cal)[event_id]["summary"] == "Handy"
    settled = sync(api)
    assert (settled["conflicts"], settled["failed"]) == (1, 0)
    assert appointment(api, "t1")["title"] == live(control, cal)[event_id]["summary"] == "Planer"
    assert audit_reasons(api) == ["both_changed_planner_wins"]
    assert "last_error" not in api.status()


def test_a_planner_edit_racing_a_phone_deletion_is_replanned_in_the_same_run(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps) -> None:
    """The run plans to delete t1 in the planner (deleted on the phone); before it writes, the
    planner edits t1, so the deletion is refused. The re-read finds the event cancelled, and the
    edit wins: the event is back, with the edit, in the same run."""
    api, cal = linked
    event_id = synced_t1(api)
    control.phone_delete(cal, event_id)
    steps.before("acquire", lambda: put(api, "t1", title="Planer"))
    result = steps.run(lambda: sync(api))
    assert result["failed"] == 0
    assert "last_error" not in api.status()
    assert appointment(api, "t1")["title"] == "Planer"
    assert live(control, cal)[event_id]["summary"] == "Planer"
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}


# --- patient data of a run never reaches a log line ----------------------------------------------

TITLE, LOCATION, NOTES = "Hörtest Frau Müller", "Praxis Dr. Schäfer", "Tinnitus links"
SUMMARY, DESCRIPTION, PLACE = "Kontrolle Herr Özdemir", "Diabetes seit 2019", "Hausbesuch Lindenweg"
OTHER_TITLE = "Nachsorge Frau Weber"
TEXTS = (TITLE, LOCATION, NOTES, SUMMARY, DESCRIPTION, PLACE)
FRAGMENTS = ("Müller", "Schäfer", "Özdemir", "Tinnitus", "Diabetes", "Lindenweg")


def exploding(*texts: str) -> Callable[..., None]:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(" / ".join(texts))  # what a store error may say: the texts, bare
    return explode


def assert_logged_without(stream: io.StringIO, *pieces: str) -> None:
    out = stream.getvalue()
    assert "sync of a link failed" in out and "RuntimeError" in out  # the failure is logged ...
    for piece in pieces:
        assert piece not in out, piece                             # ... without patient data


def test_a_failing_run_logs_no_text_of_the_appointments_and_events_it_read(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch,
        log_lines: io.StringIO) -> None:
    api, cal = linked
    put(api, "t1", title=TITLE, location=LOCATION, notes=NOTES)
    put(api, "t2", title=OTHER_TITLE, start=at(4), end=at(4, 10))
    control.phone_create(cal, {"summary": SUMMARY, "description": DESCRIPTION, "location": PLACE,
                               "start": {"dateTime": at(3)}, "end": {"dateTime": at(3, 10)}})
    # after the run read both sides
    monkeypatch.setattr(SyncStore, "acquire", exploding(*TEXTS, OTHER_TITLE))
    assert sync(api)["failed"] == 1
    assert_logged_without(log_lines, *TEXTS, OTHER_TITLE, *FRAGMENTS, "Weber")


def test_a_run_that_fails_after_a_re_read_logs_none_of_the_texts_it_brought(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps,
        log_lines: io.StringIO) -> None:
    """Both sides edit t1 after the run read it: only the re-read sees the new texts."""
    api, cal = linked
    event_id = synced_t1(api)
    put(api, "t1", title="Zwischenstand")

    def both_sides_edit() -> None:
        put(api, "t1", title=TITLE, location=LOCATION, notes=NOTES)
        control.phone_patch(cal, event_id, {"summary": SUMMARY, "description": DESCRIPTION,
                                            "location": PLACE})

    steps.before("acquire", both_sides_edit)
    steps.before("finish", exploding(*TEXTS))  # after the re-planned writes
    assert steps.run(lambda: sync(api))["failed"] == 1
    assert_logged_without(log_lines, *TEXTS, *FRAGMENTS)


# --- the link's quarantine over several runs ------------------------------------------------------

def put_unmappable(appointment_id: str, title: str = "Kaputt") -> None:
    """Data stored before times were validated: a time the sync cannot represent."""
    AppointmentStore(get_context().store.db, BRANCH).put(Appointment(
        appointment_id, "anna", "9999-12-31T20:00:00-14:00", "9999-12-31T21:00:00-14:00", title))


def quarantine_audit(api: Api) -> list[tuple[str, dict]]:
    """The quarantine's audit entries, each made by the sync itself (actor sync, role system)."""
    entries = api.audit()
    quarantine = [e for e in entries if e["action"].startswith("quarantine")]
    assert all((e["actor"], e["role"]) == ("sync", "system") for e in quarantine), quarantine
    return [(e["action"], e["details"]) for e in quarantine]


def test_an_item_still_bad_when_seen_again_keeps_its_quarantine_entry(linked: tuple[Api, str]) -> None:
    """Edited but still unmappable: it stays in quarantine since it first went in, audited once."""
    api, _ = linked
    put_unmappable("bad")
    sync(api)
    (first,) = api.status()["quarantined"]
    put_unmappable("bad", title="Kaputt, noch immer")
    assert sync(api)["failed"] == 0
    assert api.status()["quarantined"] == [first]  # the same reason, the same since
    assert quarantine_audit(api) == [
        ("quarantined", {"appointment_id": "bad", "reason": "invalid_appointment"})]


def test_a_complete_listing_releases_an_item_that_is_gone_from_both_sides(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    """An item quarantined before it ever synced, then deleted in the planner: the next complete
    run (here after Google dropped the sync token) does not see it, and that is enough."""
    api, cal = linked
    put_unmappable("bad")
    sync(api)
    AppointmentStore(get_context().store.db, BRANCH).delete_if("bad", None)
    control.invalidate_sync_tokens(cal)
    assert sync(api)["failed"] == 0
    status = api.status()
    assert "quarantined" not in status and "last_error" not in status
    assert quarantine_audit(api)[-1] == ("quarantine_released", {"appointment_id": "bad"})


def test_a_mass_deletion_that_races_the_run_is_not_applied_by_its_re_plan(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps) -> None:
    """The run plans to pull eleven phone edits; before it writes, the planner deletes the eleven
    appointments. The re-plan of the refused writes would delete eleven events: the breaker holds
    it back, and the run reports the items as not written (its cursors stay)."""
    api, cal = linked
    for i in range(11):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    sync(api)
    for i in range(11):
        control.phone_patch(cal, event_id_for(BRANCH, f"t{i}"), {"summary": "Verschoben"})

    def planner_deletes_all() -> None:
        for i in range(11):
            api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t{i}")

    steps.before("acquire", planner_deletes_all)
    result = steps.run(lambda: sync(api))
    assert (result["failed"], result["pulled"]) == (1, 0)
    assert "11 change(s) could not be written" in api.status(lang="en")["last_error"]
    assert len(live(control, cal)) == 11
    assert sync(api)["failed"] == 1  # the next run sees the deletions again: a mass change
    assert api.status()["last_error_code"] == "mass_change_blocked"
    assert len(live(control, cal)) == 11


def test_a_refused_patch_of_an_item_without_state_re_reads_the_event_it_wrote(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps) -> None:
    """t1 and its event are both there but the link has no state for them (lost, as in a crash
    between a write and its commit), and both changed: the run adopts them, the planner's edit
    winning. The phone edits the event again just before the patch (412): the re-read must look
    for the event the refused patch named, as no state names it, and re-plan with what it finds."""
    api, cal = linked
    event_id = synced_t1(api)
    SyncStore(get_context().store.db).forget_all(BRANCH, "anna")
    put(api, "t1", title="Planer")
    control.phone_patch(cal, event_id, {"summary": "Handy"})
    steps.before("_batch", lambda: control.phone_patch(cal, event_id, {"location": "Filiale"}))
    result = steps.run(lambda: sync(api))
    # decided twice, each audited: on the listing, then on the re-read of the event
    assert result == {"links": 1, "pushed": 1, "pulled": 0, "conflicts": 2, "failed": 0, "skipped": 0}
    assert audit_reasons(api) == ["found_on_both_sides_without_state"] * 2
    assert steps.names.count("_batch") == 3  # the refused patch, the re-read, the patch again
    assert appointment(api, "t1")["title"] == live(control, cal)[event_id]["summary"] == "Planer"
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
