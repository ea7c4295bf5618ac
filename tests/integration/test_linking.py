"""Calendar choice, wipe, status, revoke and re-link, on the emulators."""

from __future__ import annotations

import io

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions import i18n
from functions.context import get_context
from tests.integration.conftest import BRANCH, OTHER_BRANCH, Api, logged

pytestmark = pytest.mark.firestore
ACCOUNT = "praxis.berlin@example.com"


@pytest.fixture
def consented(api: Api) -> Api:
    api.setup_branch()
    api.consent()
    return api


def calendars(api: Api, resource: str = "anna") -> list[dict]:
    r = api.call("GET", f"/links/{BRANCH}/{resource}/calendars")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["calendars"]


def test_lists_writable_secondaries_never_the_primary(consented: Api) -> None:
    listed = calendars(consented)
    assert [c["summary"] for c in listed] == ["Termine Filiale"]  # "Feiertage" is read-only
    assert ACCOUNT not in [c["id"] for c in listed]
    assert listed[0]["access_role"] == "owner"


def test_a_calendar_is_offered_under_the_name_the_account_gave_it(consented: Api,
                                                                   control: EmulatorControl) -> None:
    (chosen,) = calendars(consented)
    control.set_summary_override(chosen["id"], ACCOUNT, "Meine Praxistermine")
    assert [(c["id"], c["summary"]) for c in calendars(consented)] == [(chosen["id"], "Meine Praxistermine")]


def test_the_primary_is_refused_by_its_flag_when_the_link_does_not_know_its_account(consented: Api) -> None:
    """A grant stored before the account's address was (no account_email on the link)."""
    get_context().store.update_link(BRANCH, "anna", {"account_email": None})
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": ACCOUNT},
                       headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "primary_calendar")
    assert r.get_json()["error"]["message"] == i18n.render("primary_calendar", "en")
    assert consented.status()["status"] == "consented"


def test_account_with_only_a_primary_lists_nothing(api: Api) -> None:
    api.setup_branch()
    api.consent(account="leer@example.com")
    assert calendars(api) == []


@pytest.mark.parametrize("calendar_id", ["primary", ACCOUNT])
def test_linking_the_primary_is_refused(consented: Api, calendar_id: str) -> None:
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": calendar_id, "clear_existing": True})
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "primary_calendar"
    assert consented.status()["status"] == "consented"


def test_link_existing_calendar_writes_the_id_field(consented: Api) -> None:
    (chosen,) = calendars(consented)
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"]})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json() == {"status": "linked", "google_calendar_id": chosen["id"],
                            "google_calendar_name": "Termine Filiale", "cleared": 0}
    resource = consented.call("GET", f"/planner/branches/{BRANCH}/resources/anna").get_json()
    assert resource["google_calendar_id"] == chosen["id"]
    assert resource["link_status"] == "linked"
    link = consented.status()
    assert (link["google_calendar_id"], link["google_calendar_name"]) == (chosen["id"], "Termine Filiale")
    assert link["branch_sync_enabled"] is True


def test_a_link_names_its_calendar_until_revoked_and_says_when_the_branch_is_off(consented: Api) -> None:
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Praxis – Anna"}})
    assert r.get_json()["google_calendar_name"] == "Praxis – Anna"
    assert consented.status()["google_calendar_name"] == "Praxis – Anna"
    branch = consented.call("GET", f"/planner/branches/{BRANCH}").get_json()
    off = consented.call("PUT", f"/planner/branches/{BRANCH}", {
        "timezone": branch["timezone"], "google_sync_enabled": False})
    assert off.status_code == 200, off.get_data(as_text=True)
    link = consented.status()
    assert (link["status"], link["branch_sync_enabled"]) == ("linked", False)  # linked, but paused
    assert consented.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}).status_code == 200
    assert "google_calendar_name" not in consented.status()


def test_link_new_calendar_creates_a_secondary(consented: Api, control: EmulatorControl) -> None:
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Praxis – Anna"}})
    assert r.status_code == 200, r.get_data(as_text=True)
    calendar_id = r.get_json()["google_calendar_id"]
    assert calendar_id != ACCOUNT
    assert calendar_id in [c["id"] for c in calendars(consented)]


def test_read_only_and_unknown_calendars_are_refused(consented: Api, control: EmulatorControl) -> None:
    reader = control.create_calendar(ACCOUNT, "Nur lesen", access_role="reader")
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": reader["id"]})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "calendar_not_writable")
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": "nope@group.calendar.google.com"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "calendar_not_found")


@pytest.mark.parametrize("body", [
    {}, {"calendar_id": "x", "new_calendar": {"summary": "y"}}, {"new_calendar": {"summary": ""}},
    {"new_calendar": "Kalender"}, {"calendar_id": 7}, {"calendar_id": "x", "clear_existing": "yes"},
    {"calendar_id": "x", "surprise": 1},
])
def test_bad_link_bodies_are_400_and_change_nothing(consented: Api, body: dict) -> None:
    r = consented.call("POST", f"/links/{BRANCH}/anna", body)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert consented.status()["status"] == "consented"


def _fill(control: EmulatorControl, calendar_id: str, n: int) -> None:
    for i in range(n):
        day = 1 + i % 28
        control.phone_create(calendar_id, {
            "summary": f"privat {i}",
            "start": {"dateTime": f"2026-{1 + i % 12:02d}-{day:02d}T09:00:00+01:00"},
            "end": {"dateTime": f"2026-{1 + i % 12:02d}-{day:02d}T10:00:00+01:00"}})


def test_wipe_of_300_events_with_preview(consented: Api, control: EmulatorControl) -> None:
    (chosen,) = calendars(consented)
    _fill(control, chosen["id"], 300)
    preview = consented.call("GET", f"/links/{BRANCH}/anna/preview",
                             query_string={"calendar_id": chosen["id"]})
    assert preview.get_json() == {"calendar_id": chosen["id"], "events": 300}
    control.reset_counters()
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"], "clear_existing": True})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["cleared"] == 300
    assert [e for e in control.events(chosen["id"]) if e["status"] != "cancelled"] == []
    # batched: 300 deletions in batches of <= 50 calls, not 300 HTTP requests; each event once
    assert control.counters()["requests"]["http"] < 20
    assert control.counters()["calendars"][chosen["id"]]["write"] == 300


def test_interrupted_wipe_resumes_and_counts_everything(consented: Api, control: EmulatorControl) -> None:
    (chosen,) = calendars(consented)
    _fill(control, chosen["id"], 120)
    control.add_fault(503, count=1000, method="DELETE")
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"], "clear_existing": True})
    assert r.status_code == 503
    assert r.get_json()["error"]["code"] == "google_unavailable"
    assert consented.status()["status"] == "consented"
    control.clear_faults()
    control.add_fault(503, count=60, method="DELETE")  # some batches fail again, then Google recovers
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"], "clear_existing": True})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["cleared"] == 120
    assert [e for e in control.events(chosen["id"]) if e["status"] != "cancelled"] == []


def test_a_resumed_wipe_counts_the_deletions_of_the_attempt_before(consented: Api,
                                                                   control: EmulatorControl) -> None:
    (chosen,) = calendars(consented)
    _fill(control, chosen["id"], 5)
    for event_id in ("keepme00001", "keepme00002"):  # two whose deletion keeps failing at first
        control.phone_create(chosen["id"], {"id": event_id, "summary": "privat",
                                            "start": {"dateTime": "2026-05-01T09:00:00+01:00"},
                                            "end": {"dateTime": "2026-05-01T10:00:00+01:00"}})
    control.add_fault(503, count=1000, method="DELETE", path_regex="events/keepme")
    body = {"calendar_id": chosen["id"], "clear_existing": True}
    assert consented.call("POST", f"/links/{BRANCH}/anna", body).status_code == 503  # 5 of 7 deleted
    control.clear_faults()
    r = consented.call("POST", f"/links/{BRANCH}/anna", body)
    assert r.status_code == 200 and r.get_json()["cleared"] == 7, r.get_data(as_text=True)
    [cleared] = consented.audit(action="cleared")
    assert cleared["details"] == {"calendar_id": chosen["id"], "deleted": 7}
    assert (cleared["actor"], cleared["role"]) == ("u-1", "planner")


def test_wipe_preview_of_the_primary_is_refused(consented: Api) -> None:
    r = consented.call("GET", f"/links/{BRANCH}/anna/preview", query_string={"calendar_id": "primary"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "primary_calendar")


def test_revoke_then_relink_from_scratch(consented: Api, control: EmulatorControl) -> None:
    (chosen,) = calendars(consented)
    consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"]})
    _fill(control, chosen["id"], 3)
    r = consented.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"})
    assert r.status_code == 200 and r.get_json() == {"status": "revoked"}
    assert consented.status()["status"] == "revoked"
    assert all(not g["alive"] for g in control.grants())  # revoked at Google
    assert len([e for e in control.events(chosen["id"]) if e["status"] != "cancelled"]) == 3  # untouched
    resource = consented.call("GET", f"/planner/branches/{BRANCH}/resources/anna").get_json()
    assert resource["link_status"] == "revoked" and resource["google_calendar_id"] is None
    assert consented.call("GET", f"/links/{BRANCH}/anna/calendars").status_code == 409
    assert consented.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}).status_code == 200

    consented.consent()
    assert consented.status()["status"] == "consented"
    r = consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"]})
    assert r.status_code == 200 and consented.status()["status"] == "linked"


def test_revoke_when_google_already_killed_the_grant(consented: Api, control: EmulatorControl) -> None:
    control.kill_grants()
    r = consented.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"})
    assert r.status_code == 200
    assert consented.status()["status"] == "revoked"


def test_dead_grant_turns_into_needs_reconsent(consented: Api, control: EmulatorControl,
                                              log_lines: io.StringIO) -> None:
    control.kill_grants()
    r = consented.call("GET", f"/links/{BRANCH}/anna/calendars")
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "needs_reconsent")
    status = consented.status()
    assert status["status"] == "needs_reconsent"
    assert status["last_error_code"] == "needs_reconsent"
    assert "link again" in consented.status(lang="en")["last_error"]
    entries = consented.audit()
    assert [(e["action"], e["actor"], e["role"], e["details"]) for e in entries[1:]] == [
        ("grant_dead", "u-1", "planner", {})]
    [line] = logged(log_lines, "link status changed")
    assert (line["link"], line["status"], line["reason"]) == (
        f"{BRANCH}:anna", "needs_reconsent", "grant_dead")


def test_reconsent_revokes_the_previous_grant(consented: Api, control: EmulatorControl) -> None:
    consented.consent()
    alive = [g for g in control.grants() if g["alive"]]
    assert len(alive) == 1


def test_audit_log_records_who_did_what(consented: Api, control: EmulatorControl) -> None:
    (chosen,) = calendars(consented)
    _fill(control, chosen["id"], 2)
    consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"], "clear_existing": True})
    consented.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"})
    entries = consented.audit()
    assert [e["action"] for e in entries] == ["consent_granted", "cleared", "linked", "revoked"]
    assert entries[1]["details"]["deleted"] == 2
    assert entries[0]["actor"] == "u-1" and entries[0]["role"] == "planner"
    assert all(e["at"] for e in entries)


# --- who may do what -------------------------------------------------------------------------

def test_employee_may_link_only_its_own_resource(consented: Api) -> None:
    own = consented.token("employee", resources=["anna"], sub="anna")
    assert consented.call("GET", f"/links/{BRANCH}/anna", token=own).status_code == 200
    r = consented.call("GET", f"/links/{BRANCH}/raum-1", token=own)
    assert (r.status_code, r.get_json()["error"]["code"]) == (403, "forbidden")
    r = consented.call("POST", "/oauth_start", {"branch_id": BRANCH, "resource_id": "raum-1"}, token=own)
    assert r.status_code == 403
    r = consented.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "raum-1"}, token=own)
    assert r.status_code == 403


def test_admin_of_another_branch_is_refused(consented: Api) -> None:
    other = consented.token("admin", branch=OTHER_BRANCH)
    for method, path, body in [("GET", f"/links/{BRANCH}/anna", None),
                               ("POST", "/oauth_start", {"branch_id": BRANCH, "resource_id": "anna"}),
                               ("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}),
                               ("GET", f"/planner/branches/{BRANCH}/resources/anna", None)]:
        r = consented.call(method, path, body, token=other)
        assert r.status_code == 403, (method, path)
    assert consented.status()["status"] == "consented"


def test_consent_as_the_employee_records_the_employee(api: Api) -> None:
    api.setup_branch()
    own = api.token("employee", resources=["anna"], sub="anna")
    query = api.google_decides(api.start_consent(token=own), account="anna.schmidt@example.com")
    assert api.callback(query).status_code == 200
    entries = api.audit()
    assert (entries[0]["actor"], entries[0]["role"]) == ("anna", "employee")


def test_a_calendar_can_serve_only_one_resource(consented: Api) -> None:
    (chosen,) = calendars(consented)
    assert consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"]}).status_code == 200
    consented.consent(resource="raum-1")
    r = consented.call("POST", f"/links/{BRANCH}/raum-1",
                       {"calendar_id": chosen["id"], "clear_existing": True})
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "calendar_in_use")
    assert consented.status(resource="raum-1")["status"] == "consented"
    # re-linking the same resource to its own calendar is fine
    assert consented.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": chosen["id"]}).status_code == 200


def test_a_wipe_preview_without_a_calendar_is_400_and_names_the_field(consented: Api) -> None:
    r = consented.call("GET", f"/links/{BRANCH}/anna/preview", headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "missing_field")
    assert r.get_json()["error"]["message"] == "'calendar_id' is required."


def test_a_wipe_preview_that_finds_the_grant_dead_audits_who_asked(consented: Api,
                                                                   control: EmulatorControl) -> None:
    (chosen,) = calendars(consented)
    control.kill_grants()
    r = consented.call("GET", f"/links/{BRANCH}/anna/preview", query_string={"calendar_id": chosen["id"]},
                       token=consented.token("admin"))
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "needs_reconsent")
    entries = consented.audit()
    assert [(e["action"], e["actor"], e["role"]) for e in entries[1:]] == [("grant_dead", "u-1", "admin")]
