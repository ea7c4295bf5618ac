"""The two-way sync through the HTTP functions, on the Firestore emulator and the local Google."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from devtools.google_emulator.client import EmulatorControl
from functions.adapters.appointments_store import AppointmentStore
from functions.sync import engine
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, OTHER_BRANCH, Api, every_document

pytestmark = pytest.mark.firestore


def at(days: float, hour: int = 9, minutes: int = 0) -> str:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:{minutes:02d}:00+01:00"


def put(api: Api, appointment_id: str, **fields: Any) -> dict:
    body = {"resource_id": "anna", "start": at(2), "end": at(2, 10), "title": "Hörtest Frau Müller"} | fields
    r = api.call("PUT", f"/planner/branches/{BRANCH}/appointments/{appointment_id}", body)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def sync(api: Api, **body: Any) -> dict:
    r = api.call("POST", "/sync", body or None)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def live(control: EmulatorControl, calendar_id: str) -> dict[str, dict]:
    return {e["id"]: e for e in control.events(calendar_id) if e["status"] != "cancelled"}


def test_planner_appointment_reaches_google_once(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1", location="Raum 2", notes="bringt Hörgerät mit")
    assert sync(api)["pushed"] == 1
    events = live(control, cal)
    (event,) = events.values()
    assert event["id"] == event_id_for(BRANCH, "t1")
    assert event["summary"] == "Hörtest Frau Müller" and event["location"] == "Raum 2"
    assert event["start"]["timeZone"] == "Europe/Berlin"
    assert "Müller" not in str(event.get("extendedProperties"))
    assert event["visibility"] == "private" and "attendees" not in event
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
    assert len(live(control, cal)) == 1


def test_a_run_reads_every_planner_change_page_by_page(linked: tuple[Api, str], control: EmulatorControl,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    api, cal = linked
    sync(api)  # the first run after linking reads everything; from now on changes after the cursor
    monkeypatch.setattr(engine, "PLANNER_PAGE", 3)  # pages of 3: full, full, then a short one
    pages: list[list[str]] = []
    changes_since = AppointmentStore.changes_since

    def recorded(store: AppointmentStore, *args: Any) -> list:
        page = changes_since(store, *args)
        pages.append([c.appointment.id for c in page])
        return page

    monkeypatch.setattr(AppointmentStore, "changes_since", recorded)
    for i in range(7):
        put(api, f"t{i}", start=at(1 + i), end=at(1 + i, 10))
    assert sync(api)["pushed"] == 7
    assert pages == [["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6"]]  # each change read once
    assert sorted(live(control, cal)) == sorted(event_id_for(BRANCH, f"t{i}") for i in range(7))
    pages.clear()
    for i in (8, 9, 10):  # exactly one full page, then an empty one
        put(api, f"t{i}", start=at(i), end=at(i, 10))
    assert sync(api)["pushed"] == 3
    assert pages == [["t8", "t9", "t10"], []]


def test_idle_sync_changes_nothing_anywhere(linked: tuple[Api, str], control: EmulatorControl,
                                           firestore_client: firestore.Client) -> None:
    api, cal = linked
    put(api, "t1")
    control.phone_create(cal, {"summary": "privat", "start": {"dateTime": at(3, 12)},
                               "end": {"dateTime": at(3, 13)}})
    sync(api)
    sync(api)  # the echo of our own writes is recognised
    before = control.events(cal)
    stamps = {d.reference.path: d.update_time for d in every_document(firestore_client)}
    control.reset_counters()
    feed = api.call("GET", f"/planner/branches/{BRANCH}/changes").get_json()
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
    counters = control.counters()
    assert counters["calendars"][cal] == {"read": 1, "write": 0}  # one events.list, nothing else
    assert counters["requests"] == {"http": 1, "batch_parts": 0, "token": 0}  # token reused
    assert control.events(cal) == before
    assert api.call("GET", f"/planner/branches/{BRANCH}/changes").get_json() == feed
    after = {d.reference.path: d.update_time for d in every_document(firestore_client)}
    assert after == stamps  # not one Firestore document written or created


def test_an_appointment_recreated_after_deletion_revives_its_event(linked: tuple[Api, str],
                                                                  control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t1")
    sync(api)
    assert live(control, cal) == {}  # the event is cancelled; its id stays taken at Google
    put(api, "t1", title="wieder da")
    assert sync(api)["pushed"] == 1  # insert meets 409 on the deleted event, patches it back
    (event,) = live(control, cal).values()
    assert event["id"] == event_id_for(BRANCH, "t1") and event["summary"] == "wieder da"
    assert len(control.events(cal)) == 1


def test_phone_created_event_becomes_an_appointment(linked: tuple[Api, str],
                                                    control: EmulatorControl) -> None:
    api, cal = linked
    sync(api)
    control.phone_create(cal, {"summary": "Außentermin", "start": {"dateTime": at(3, 14)},
                               "end": {"dateTime": at(3, 15)}})
    assert sync(api)["pulled"] == 1
    changes = api.call("GET", f"/planner/branches/{BRANCH}/changes").get_json()["changes"]
    (change,) = [c for c in changes if c["origin"] == "google"]
    assert change["appointment"]["title"] == "Außentermin"
    assert change["appointment"]["resource_id"] == "anna"
    assert sync(api)["pushed"] == 0  # no echo back to Google


def test_phone_move_and_delete_reach_the_planner(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    eid = event_id_for(BRANCH, "t1")
    control.phone_patch(cal, eid, {"start": {"dateTime": at(4, 11)}, "end": {"dateTime": at(4, 12)}})
    assert sync(api)["pulled"] == 1
    got = api.call("GET", f"/planner/branches/{BRANCH}/appointments/t1").get_json()
    assert got["appointment"]["start"].startswith(at(4, 11)[:10])
    control.phone_delete(cal, eid)
    assert sync(api)["pulled"] == 1
    assert api.call("GET", f"/planner/branches/{BRANCH}/appointments/t1").status_code == 404


def test_planner_delete_removes_the_event(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    assert api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t1").status_code == 204
    sync(api)
    assert live(control, cal) == {}


def test_past_appointments_are_never_synced(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "old", start=at(-3), end=at(-3, 10))
    sync(api)
    assert live(control, cal) == {}


def test_sync_token_loss_reconciles_without_duplicates(linked: tuple[Api, str],
                                                       control: EmulatorControl) -> None:
    api, cal = linked
    for i in range(3):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    sync(api)
    control.invalidate_sync_tokens(cal)
    result = sync(api)
    assert result["failed"] == 0 and result["pushed"] == 0
    assert len(live(control, cal)) == 3


def test_dead_grant_marks_the_link_and_stops_calls(linked: tuple[Api, str], control: EmulatorControl,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    api, _ = linked
    put(api, "t1")
    control.kill_grants()
    with caplog.at_level(logging.WARNING, logger="functions.status_log"):
        assert sync(api)["failed"] == 1
    assert api.status()["status"] == "needs_reconsent"
    # the one line the alerts count (infra/monitoring.tf), with the consent's age in hours
    [line] = [r for r in caplog.records if getattr(r, "event", None) == "link_status_changed"]
    assert (line.link, line.status, line.reason) == (f"{BRANCH}:anna", "needs_reconsent", "grant_dead")
    assert 0 <= line.consent_age_hours < 1
    control.reset_counters()
    sync(api)
    assert control.counters()["requests"]["http"] == 0


def test_deleted_calendar_marks_calendar_missing(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    control.delete_calendar(cal)
    assert sync(api)["failed"] == 1
    assert api.status()["status"] == "calendar_missing"


def test_disabled_branch_is_not_synced(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    api.call("PUT", f"/planner/branches/{BRANCH}",
             {"timezone": "Europe/Berlin", "google_sync_enabled": False})
    assert sync(api)["links"] == 0
    assert live(control, cal) == {}


def test_a_scheduled_run_syncs_every_linked_resource_of_every_enabled_branch(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, anna = linked
    raum = api.link_new_calendar("raum-1", "Raum 1")
    api.setup_branch(OTHER_BRANCH)
    hamburg = api.link_new_calendar("anna", "Anna (HH)", branch=OTHER_BRANCH)
    api.setup_branch("muenchen", enabled=True, resources=("anna",))  # no link at all
    calendars = {(BRANCH, "anna"): anna, (BRANCH, "raum-1"): raum, (OTHER_BRANCH, "anna"): hamburg}
    for (branch, resource), _ in calendars.items():
        r = api.call("PUT", f"/planner/branches/{branch}/appointments/{branch}-{resource}",
                     {"resource_id": resource, "start": at(2), "end": at(2, 10), "title": "Termin"})
        assert r.status_code == 200, r.get_data(as_text=True)
    assert sync(api) == {"links": 3, "pushed": 3, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
    for (branch, resource), calendar in calendars.items():
        assert list(live(control, calendar)) == [event_id_for(branch, f"{branch}-{resource}")]
    api.call("PUT", f"/planner/branches/{OTHER_BRANCH}",
             {"timezone": "Europe/Berlin", "google_sync_enabled": False})
    assert sync(api)["links"] == 2


def test_sync_requires_the_planner(linked: tuple[Api, str]) -> None:
    api, _ = linked
    r = api.call("POST", "/sync", None, token=api.token("admin"))
    assert r.status_code == 403
    assert api.client.post("/sync").status_code == 401


@pytest.mark.parametrize("body", [{"force": True}, {"resource_id": "anna"}, {"branch_id": "a/b"},
                                  {"branch_id": BRANCH, "force": "yes"}, {"branch_id": BRANCH, "x": 1}])
def test_bad_sync_bodies_are_400(linked: tuple[Api, str], body: dict) -> None:
    api, _ = linked
    assert api.call("POST", "/sync", body).status_code == 400


def test_cloud_schedulers_oidc_token_is_accepted_with_audience_and_account_checked(
        linked: tuple[Api, str], control: EmulatorControl, firestore_project: str) -> None:
    api, _ = linked
    invoker = f"sync-scheduler@{firestore_project}.iam.gserviceaccount.com"
    audience = "http://127.0.0.1:8080/sync"
    good = control.id_token(invoker, audience)
    r = api.client.post("/sync", headers={"Authorization": f"Bearer {good}"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["links"] == 1
    for token in (control.id_token("someone@evil.example", audience), control.id_token(invoker, "https://other/sync"),
                  good[:-4] + "AAAA"):
        r = api.client.post("/sync", headers={"Authorization": f"Bearer {token}"})
        assert (r.status_code, r.get_json()["error"]["code"]) == (401, "unauthenticated")
    # the scheduler's token opens nothing else
    r = api.client.get(f"/links/{BRANCH}/anna", headers={"Authorization": f"Bearer {good}"})
    assert r.status_code == 401
