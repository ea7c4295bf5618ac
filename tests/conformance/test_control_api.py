"""The control API under /_emulator/, used over HTTP through `EmulatorControl`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl, EmulatorControlError
from tests.conformance.conftest import credentials_for

PRAXIS = "praxis.berlin@example.com"
EVENT = {"summary": "Kontrolle", "start": {"dateTime": "2026-03-02T09:00:00+01:00"},
         "end": {"dateTime": "2026-03-02T09:30:00+01:00"}}


def reason_of(err: EmulatorControlError) -> str:
    return err.body["error"]["errors"][0]["reason"]


def test_reset_brings_back_a_fresh_start(google: EmulatorServer, ctl: EmulatorControl) -> None:
    ctl.add_account("extra@example.com")
    ctl.register_client("x.apps.googleusercontent.com", "s", ["http://localhost:1/cb"])
    ctl.add_fault(503)
    ctl.set_latency(5)
    ctl.set_rate_limit(True, 1)
    credentials_for(google, PRAXIS)
    before = ctl.advance_clock(10 * 3600)
    ctl.reset()
    assert {a["email"] for a in ctl.accounts()} == {PRAXIS, "anna.schmidt@example.com", "leer@example.com"}
    assert ctl.faults() == [] and ctl.grants() == []
    assert "x.apps.googleusercontent.com" not in google.state.oauth.clients
    assert google.state.faults.latency_ms == 0 and not google.state.faults.rate_limit_enabled
    assert ctl.advance_clock(0) < before - 9 * 3600


def test_accounts_are_listed_and_added(ctl: EmulatorControl, calendar_for: Callable[..., Any]) -> None:
    assert ctl.add_account("Neu@Example.com", "Neue Praxis") == {"email": "neu@example.com",
                                                                "display_name": "Neue Praxis"}
    assert {"email": "neu@example.com", "display_name": "Neue Praxis"} in ctl.accounts()
    items = calendar_for("neu@example.com").calendarList().list().execute()["items"]
    assert [i["id"] for i in items] == ["neu@example.com"]  # a new account has its primary
    with pytest.raises(EmulatorControlError) as err:
        ctl.add_account("kein-at-zeichen")
    assert err.value.status == 400 and reason_of(err.value) == "invalid"


def test_clock_moves_forward_only(ctl: EmulatorControl) -> None:
    now = ctl.advance_clock(0)
    assert ctl.advance_clock(3600) >= now + 3600
    with pytest.raises(EmulatorControlError) as err:
        ctl.advance_clock(-1)
    assert err.value.status == 400


def test_client_registration_is_validated(ctl: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError) as err:
        ctl._call("POST", "/clients", {"client_id": "c", "client_secret": "s", "redirect_uris": "http://x"})
    assert err.value.status == 400
    assert ctl.register_client("c.apps", "s", ["http://localhost:1/cb"])["redirect_uris"] == [
        "http://localhost:1/cb"]


def test_bad_json_is_a_parse_error_in_googles_envelope(google: EmulatorServer) -> None:
    resp = requests.post(google.root + "_emulator/faults", data=b"{nope", timeout=10)
    assert resp.status_code == 400
    assert resp.json()["error"]["errors"][0]["reason"] == "parseError"
    assert resp.json()["error"]["code"] == 400


def test_user_made_calendar_shows_in_the_owners_list(ctl: EmulatorControl,
                                                     calendar_for: Callable[..., Any]) -> None:
    made = ctl.create_calendar(PRAXIS, "Privat")
    shared = ctl.create_calendar(PRAXIS, "Nur lesen", access_role="reader")
    items = {i["id"]: i for i in calendar_for(PRAXIS).calendarList().list().execute()["items"]}
    assert items[made["id"]]["summary"] == "Privat" and items[made["id"]]["accessRole"] == "owner"
    assert items[shared["id"]]["accessRole"] == "reader"
    with pytest.raises(EmulatorControlError) as err:
        ctl.create_calendar("niemand@example.com", "x")
    assert err.value.status == 400


def test_deleted_calendar_is_404_for_the_app(ctl: EmulatorControl, calendar_for: Callable[..., Any]) -> None:
    cal = ctl.create_calendar(PRAXIS, "Weg damit")
    service = calendar_for(PRAXIS)
    service.events().list(calendarId=cal["id"]).execute()
    ctl.delete_calendar(cal["id"])
    with pytest.raises(HttpError) as err:
        service.events().list(calendarId=cal["id"]).execute()
    assert err.value.resp.status == 404
    with pytest.raises(EmulatorControlError) as gone:
        ctl.delete_calendar(cal["id"])
    assert gone.value.status == 404 and reason_of(gone.value) == "notFound"


def test_phone_edits_go_through_the_store_and_show_in_incremental_sync(
        ctl: EmulatorControl, calendar_for: Callable[..., Any]) -> None:
    cal = ctl.create_calendar(PRAXIS, "Telefon")["id"]
    service = calendar_for(PRAXIS)
    token = service.events().list(calendarId=cal).execute()["nextSyncToken"]
    made = ctl.phone_create(cal, EVENT)
    page = service.events().list(calendarId=cal, syncToken=token).execute()
    assert [i["id"] for i in page["items"]] == [made["id"]]
    moved = ctl.phone_patch(cal, made["id"], {"summary": "Verschoben",
                                              "start": {"dateTime": "2026-03-02T10:00:00+01:00"},
                                              "end": {"dateTime": "2026-03-02T10:30:00+01:00"}})
    assert moved["etag"] != made["etag"] and moved["updated"] >= made["updated"]
    assert moved["sequence"] > made.get("sequence", 0) and moved["summary"] == "Verschoben"
    page = service.events().list(calendarId=cal, syncToken=page["nextSyncToken"]).execute()
    assert page["items"][0]["summary"] == "Verschoben"
    ctl.phone_delete(cal, made["id"])
    page = service.events().list(calendarId=cal, syncToken=page["nextSyncToken"]).execute()
    assert [(i["id"], i["status"]) for i in page["items"]] == [(made["id"], "cancelled")]
    assert [e["status"] for e in ctl.events(cal)] == ["cancelled"]  # stored, cancelled ones too


def test_phone_errors_use_googles_envelope(ctl: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError) as err:
        ctl.phone_patch(PRAXIS, "nichtda12345", {"summary": "x"})
    assert err.value.status == 404 and reason_of(err.value) == "notFound"
    with pytest.raises(EmulatorControlError) as err:
        ctl.phone_create("nope@group.calendar.google.com", EVENT)
    assert err.value.status == 404


def test_events_view_touches_no_counters(ctl: EmulatorControl) -> None:
    ctl.phone_create(PRAXIS, EVENT)
    ctl.reset_counters()
    assert len(ctl.events(PRAXIS)) == 1
    assert ctl.counters() == {"calendars": {}, "requests": {"http": 0, "batch_parts": 0, "token": 0},
                              "connections": 0}


def test_invalidated_sync_tokens_answer_410(ctl: EmulatorControl, calendar_for: Callable[..., Any]) -> None:
    service = calendar_for(PRAXIS)
    other = ctl.create_calendar(PRAXIS, "Andere")["id"]
    mine = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    theirs = service.events().list(calendarId=other).execute()["nextSyncToken"]
    ctl.invalidate_sync_tokens(PRAXIS)
    with pytest.raises(HttpError) as err:
        service.events().list(calendarId="primary", syncToken=mine).execute()
    assert err.value.resp.status == 410 and err.value.error_details[0]["reason"] == "fullSyncRequired"
    theirs = service.events().list(calendarId=other, syncToken=theirs).execute()["nextSyncToken"]
    ctl.invalidate_sync_tokens()
    with pytest.raises(HttpError) as err:
        service.events().list(calendarId=other, syncToken=theirs).execute()
    assert err.value.resp.status == 410


def test_control_client_refuses_non_loopback_roots() -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmulatorControl("http://example.com/")


def test_a_grant_issued_by_the_control_api_refreshes_and_counts_token_requests(
        google: EmulatorServer) -> None:
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    from devtools.google_emulator.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    ctl = EmulatorControl(google.root)
    scope = "https://www.googleapis.com/auth/calendar.events"
    issued = ctl.issue_grant("neu@example.com", [scope])
    ctl.reset_counters()
    creds = Credentials(None, refresh_token=issued["refresh_token"], token_uri=google.root + "token",
                        client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, scopes=[scope])
    creds.refresh(Request())
    assert creds.token and creds.token != issued["access_token"]
    assert ctl.counters()["requests"]["token"] == 1
    assert [g["email"] for g in ctl.grants() if g["alive"]] == ["neu@example.com"]


def test_the_clients_consent_helper_presses_allow_or_deny_like_a_person(google: EmulatorServer) -> None:
    from tests.conformance.oauth_support import auth_url, make_flow, params

    ctl = EmulatorControl(google.root)
    allowed = params(ctl.consent(auth_url(make_flow(google))))
    assert allowed["code"] and allowed["state"] and allowed["scope"]
    denied = params(ctl.consent(auth_url(make_flow(google)), allow=False))
    assert denied["error"] == "access_denied" and "code" not in denied
    with pytest.raises(ValueError):
        ctl.consent("http://127.0.0.1:1/o/oauth2/v2/auth")
