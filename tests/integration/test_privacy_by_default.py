"""Issue 13, items 7 and 8 on the emulators: a new resource shows only "Belegt"; a consumer
Google account (gmail.com) shows more only after an admin confirmed it for that account; and
withdrawing consent can remove every event the bridge wrote, found by its marker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.context import get_context
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, Api, link_doc
from tests.integration.test_sync import live, put, sync

pytestmark = pytest.mark.firestore
GMAIL = "praxis.berlin@gmail.com"
RESOURCE = f"/planner/branches/{BRANCH}/resources/anna"


def audit_actions(api: Api) -> list[str]:
    return [e["action"] for e in api.audit()]


def test_a_new_resource_shows_only_busy_at_google(api: Api, control: EmulatorControl) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}",
                 {"timezone": "Europe/Berlin", "google_sync_enabled": True})
    assert r.status_code == 200
    r = api.call("PUT", RESOURCE, {"name": "Anna", "kind": "employee"})  # no privacy chosen
    assert r.get_json()["privacy"] == "busy"
    cal = api.link_new_calendar()
    put(api, "t1", title="Hörtest Frau Müller", notes="Tinnitus")
    sync(api)
    (event,) = live(control, cal).values()
    assert event["summary"] == "Belegt" and "description" not in event
    assert event["visibility"] == "private" and "attendees" not in event


def consent_gmail_full(api: Api) -> None:
    api.setup_branch(privacy="full")
    api.consent(account=GMAIL)


def test_a_consumer_account_needs_a_confirmation_to_link_above_busy(api: Api,
                                                                   control: EmulatorControl) -> None:
    consent_gmail_full(api)
    assert api.status()["consumer_account"] is True
    control.reset_counters()
    r = api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Anna"}})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "consumer_account_confirmation"
    assert api.status()["status"] == "consented"
    assert control.counters()["requests"]["http"] == 0  # refused before any call to Google
    employee = api.token("employee", resources=["anna"], sub="u-anna")
    r = api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Anna"},
                                                   "confirm_consumer_account": True}, token=employee)
    assert r.status_code == 403  # the practice decides, not the employee
    r = api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Anna"},
                                                   "confirm_consumer_account": True}, role="admin")
    assert r.status_code == 200, r.get_data(as_text=True)
    status = api.status()
    assert status["consumer_confirmation"]["account_email"] == GMAIL
    entries = api.audit()
    confirmed = next(e for e in entries if e["action"] == "consumer_account_confirmed")
    assert (confirmed["actor"], confirmed["role"], confirmed["details"]) == (
        "u-1", "admin", {"account_email": GMAIL, "privacy": "full"})
    put(api, "t1", title="Hörtest Frau Müller")
    sync(api)
    (event,) = live(control, r.get_json()["google_calendar_id"]).values()
    assert event["summary"] == "Hörtest Frau Müller"  # confirmed: the chosen level


def test_an_unconfirmed_consumer_account_gets_busy_whatever_the_resource_says(
        api: Api, control: EmulatorControl) -> None:
    """A resource set to full before the rule (or by a direct write) never leaks to gmail.com."""
    api.setup_branch(privacy="busy")
    api.consent(account=GMAIL)
    r = api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Anna"}})
    assert r.status_code == 200  # busy: no confirmation needed
    cal = r.get_json()["google_calendar_id"]
    get_context().store.db.collection("branches").document(BRANCH).collection(
        "resources").document("anna").update({"privacy": "full"})
    put(api, "t1", title="Hörtest Frau Müller")
    sync(api)
    assert [e["summary"] for e in live(control, cal).values()] == ["Belegt"]


def test_raising_the_privacy_of_a_consumer_account_needs_the_admins_confirmation(
        api: Api, control: EmulatorControl) -> None:
    api.setup_branch(privacy="busy")
    api.consent(account=GMAIL)
    assert api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "A"}}).status_code == 200
    r = api.call("PUT", RESOURCE, {"name": "anna", "kind": "employee", "privacy": "title_only"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "consumer_account_confirmation"
    got = api.call("GET", RESOURCE).get_json()
    assert got["privacy"] == "busy" and got["name"] == "anna"  # nothing changed
    r = api.call("PUT", RESOURCE, {"name": "anna", "kind": "employee", "privacy": "title_only",
                                   "confirm_consumer_account": True}, role="admin")
    assert r.status_code == 200 and r.get_json()["privacy"] == "title_only"
    assert "consumer_account_confirmed" in audit_actions(api)
    # the confirmation is for this account: a consent of another gmail account needs its own
    api.consent(account="jemand.anders@gmail.com")
    assert "consumer_confirmation" not in api.status()


def test_a_workspace_account_needs_no_confirmation(api: Api) -> None:
    api.setup_branch(privacy="full")
    api.consent(account="praxis.berlin@example.com")
    assert api.status()["consumer_account"] is False
    assert api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "A"}}).status_code == 200


# --- withdrawal removes the bridge's events (item 8) ------------------------------------------

def test_withdrawal_removes_our_events_by_marker_also_without_our_records(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    put(api, "t2", title="Anpassung")
    sync(api)
    phone = control.phone_create(cal, {"summary": "Zahnarzt privat",
                                       "start": {"dateTime": "2031-01-02T10:00:00Z"},
                                       "end": {"dateTime": "2031-01-02T11:00:00Z"}})
    sync(api)  # the phone's event became an appointment of the planner (gcal-…): it stays
    get_context().store.forget_sync_items(BRANCH, "anna")  # our own records are gone
    r = api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna", "remove_events": True})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json() == {"status": "revoked", "events_removed": 2}
    assert list(live(control, cal)) == [phone["id"]]
    entries = api.audit()
    removed = next(e for e in entries if e["action"] == "events_removed")
    assert removed["details"] == {"calendar_id": cal, "removed": 2}
    assert entries[-1]["action"] == "revoked" and entries[-1]["details"]["events_removed"] == 2


def test_withdrawal_without_removal_leaves_the_calendar_as_it_is(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    r = api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"})
    assert r.get_json() == {"status": "revoked"}
    assert list(live(control, cal)) == [event_id_for(BRANCH, "t1")]
    r = api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna", "remove_events": True})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_revoked"


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_bad_remove_events_is_400_and_revokes_nothing(linked: tuple[Api, str], value: object) -> None:
    api, _ = linked
    r = api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna", "remove_events": value})
    assert r.status_code == 400
    assert api.status()["status"] == "linked"


def test_the_planner_may_confirm_too_and_the_record_says_who_when_and_what(api: Api) -> None:
    api.setup_branch(privacy="busy")
    api.consent(account=GMAIL)
    assert api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "A"}}).status_code == 200
    r = api.call("PUT", RESOURCE, {"name": "anna", "kind": "employee", "privacy": "title_only"},
                 headers={"Accept-Language": "de"})
    assert r.status_code == 409
    message = r.get_json()["error"]["message"]
    assert GMAIL in message and "title_only" in message  # which account, which level
    before = datetime.now(UTC)
    r = api.call("PUT", RESOURCE, {"name": "anna", "kind": "employee", "privacy": "title_only",
                                   "confirm_consumer_account": True},
                 token=api.token("planner", sub="planner-system"))
    assert r.status_code == 200, r.get_data(as_text=True)
    record = link_doc()["consumer_confirmation"]
    assert {k: record[k] for k in ("account_email", "actor", "role", "privacy")} == {
        "account_email": GMAIL, "actor": "planner-system", "role": "planner", "privacy": "title_only"}
    assert before - timedelta(seconds=5) <= record["at"] <= datetime.now(UTC) + timedelta(seconds=5)


def test_a_level_set_before_the_rule_may_stay_without_confirming(api: Api) -> None:
    """Renaming a resource whose level was already above busy is no raise: no 409; the sync
    keeps showing only "Belegt" until someone confirms."""
    api.setup_branch(privacy="busy")
    api.consent(account=GMAIL)
    get_context().store.db.collection("branches").document(BRANCH).collection(
        "resources").document("anna").update({"privacy": "full"})
    r = api.call("PUT", RESOURCE, {"name": "Anna Schmidt", "kind": "employee", "privacy": "full"})
    assert r.status_code == 200 and r.get_json()["name"] == "Anna Schmidt"
    assert "consumer_confirmation" not in api.status()


def test_after_a_withdrawal_the_old_account_needs_no_confirmation(api: Api) -> None:
    api.setup_branch(privacy="busy")
    api.consent(account=GMAIL)
    assert api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}).status_code == 200
    r = api.call("PUT", RESOURCE, {"name": "anna", "kind": "employee", "privacy": "full"})
    assert r.status_code == 200 and r.get_json()["privacy"] == "full"
