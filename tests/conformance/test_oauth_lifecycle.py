"""How grants and tokens live and die: expiry, refresh by google-auth, revoke, kill, limits."""

from __future__ import annotations

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2.credentials import Credentials

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from devtools.google_emulator.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.conformance.conftest import FULL, calendar_service, credentials_for
from tests.conformance.oauth_support import EVENTS, REDIRECT, consent, make_flow

PRAXIS = "praxis.berlin@example.com"
DAY = 24 * 3600


def calendar_list_status(server: EmulatorServer, access_token: str) -> tuple[int, dict]:
    resp = requests.get(server.root + "calendar/v3/users/me/calendarList",
                        headers={"Authorization": f"Bearer {access_token}"}, timeout=10)
    return resp.status_code, resp.json()


def revoke(server: EmulatorServer, token: str, in_query: bool = False) -> requests.Response:
    if in_query:
        return requests.post(server.root + "revoke", params={"token": token}, timeout=10)
    return requests.post(server.root + "revoke", data={"token": token}, timeout=10)


def refreshes(creds: Credentials) -> bool:
    try:
        creds.refresh(AuthRequest())
    except RefreshError:
        return False
    return True


def test_access_token_expires_after_3599_s_of_emulator_clock(google: EmulatorServer) -> None:
    creds = credentials_for(google, PRAXIS)
    ctl = EmulatorControl(google.root)
    ctl.advance_clock(3598)
    assert calendar_list_status(google, creds.token)[0] == 200
    ctl.advance_clock(2)
    status, body = calendar_list_status(google, creds.token)
    assert status == 401 and body["error"]["errors"][0]["reason"] == "authError"


def test_service_keeps_working_by_refreshing_then_stops_when_grant_dies(google: EmulatorServer) -> None:
    creds = credentials_for(google, PRAXIS)
    service = calendar_service(google, creds)
    service.calendarList().list().execute()
    old = creds.token
    EmulatorControl(google.root).advance_clock(3600)
    items = service.calendarList().list().execute()["items"]  # 401 → google-auth refreshes → retry
    assert creds.token != old and any(i.get("primary") for i in items)
    assert EmulatorControl(google.root).kill_grants(email=PRAXIS) == 1
    with pytest.raises(RefreshError, match="invalid_grant"):
        service.calendarList().list().execute()


def test_missing_bearer_is_401_login_required(google: EmulatorServer) -> None:
    resp = requests.get(google.root + "calendar/v3/users/me/calendarList", timeout=10)
    assert resp.status_code == 401 and resp.json()["error"]["errors"][0]["reason"] == "required"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("which", ["refresh", "access"])
def test_revoking_either_token_kills_the_whole_grant(google: EmulatorServer, which: str) -> None:
    creds = credentials_for(google, PRAXIS)
    token = creds.refresh_token if which == "refresh" else creds.token
    resp = revoke(google, token)
    assert resp.status_code == 200 and resp.json() == {}
    assert calendar_list_status(google, creds.token)[0] == 401
    assert not refreshes(creds)


def test_revoke_takes_the_token_from_the_query_too(google: EmulatorServer) -> None:
    creds = credentials_for(google, PRAXIS)
    assert revoke(google, creds.refresh_token, in_query=True).status_code == 200
    assert not refreshes(creds)


def test_revoking_an_unknown_or_dead_token_is_invalid_token(google: EmulatorServer) -> None:
    expected = {"error": "invalid_token", "error_description": "Token expired or revoked"}
    resp = revoke(google, "ya29.unknown")
    assert resp.status_code == 400 and resp.json() == expected
    creds = credentials_for(google, PRAXIS)
    assert revoke(google, creds.refresh_token).status_code == 200
    again = revoke(google, creds.token)
    assert again.status_code == 400 and again.json() == expected


def test_revoking_one_grant_leaves_the_others(google: EmulatorServer) -> None:
    first, second = credentials_for(google, PRAXIS), credentials_for(google, PRAXIS)
    revoke(google, first.refresh_token)
    assert refreshes(second) and calendar_list_status(google, second.token)[0] == 200


def test_a_real_flow_grant_can_be_revoked(google: EmulatorServer) -> None:
    flow = make_flow(google, [EVENTS])
    flow.fetch_token(authorization_response=consent(google, flow))
    creds = flow.credentials
    assert refreshes(creds)
    assert revoke(google, creds.token).status_code == 200
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(AuthRequest())


def test_more_than_100_refresh_tokens_silently_kill_the_oldest(google: EmulatorServer) -> None:
    oldest = credentials_for(google, PRAXIS)
    for _ in range(98):
        google.state.oauth.issue_grant(PRAXIS, FULL)
    second = credentials_for(google, PRAXIS)  # the 100th: all still alive
    other_account = credentials_for(google, "anna.schmidt@example.com")
    assert refreshes(oldest)
    flow = make_flow(google, [EVENTS])  # the 101st, by a real consent
    flow.fetch_token(authorization_response=consent(google, flow, include_granted_scopes="false"))
    assert not refreshes(oldest)
    assert refreshes(second) and refreshes(flow.credentials) and refreshes(other_account)


def test_refresh_token_unused_for_six_months_dies(google: EmulatorServer) -> None:
    used, idle = credentials_for(google, PRAXIS), credentials_for(google, PRAXIS)
    ctl = EmulatorControl(google.root)
    ctl.advance_clock(120 * DAY)
    assert refreshes(used)
    ctl.advance_clock(65 * DAY)  # 185 days after issue, 65 after the last use
    assert refreshes(used)
    assert not refreshes(idle)


def test_testing_apps_refresh_tokens_die_after_7_days(google: EmulatorServer) -> None:
    ctl = EmulatorControl(google.root)
    ctl.register_client("testing.apps.googleusercontent.com", "t-secret", [REDIRECT], testing=True)
    flow = make_flow(google, [EVENTS], client_id="testing.apps.googleusercontent.com",
                     client_secret="t-secret")
    token = flow.fetch_token(authorization_response=consent(google, flow))
    assert token["refresh_token_expires_in"] == 7 * DAY - 1
    creds = flow.credentials
    ctl.advance_clock(6 * DAY)
    assert refreshes(creds)
    ctl.advance_clock(DAY)
    assert not refreshes(creds)


def test_grants_are_listed_and_killed_by_filters(google: EmulatorServer) -> None:
    ctl = EmulatorControl(google.root)
    ctl.register_client("other.apps.googleusercontent.com", "o-secret", [REDIRECT])
    praxis = credentials_for(google, PRAXIS)
    google.state.oauth.issue_grant(PRAXIS, FULL, "other.apps.googleusercontent.com")
    anna = credentials_for(google, "anna.schmidt@example.com")
    assert len(ctl.grants()) == 3
    assert ctl.kill_grants(email=PRAXIS, client_id=DEFAULT_CLIENT_ID) == 1
    listed = {(g["email"], g["client_id"]): g for g in ctl.grants()}
    assert listed[(PRAXIS, DEFAULT_CLIENT_ID)]["alive"] is False
    assert listed[(PRAXIS, "other.apps.googleusercontent.com")]["alive"] is True
    assert not refreshes(praxis) and refreshes(anna)
    assert ctl.kill_grants() == 2 and not refreshes(anna)


def test_credentials_for_fixture_matches_the_default_client(google: EmulatorServer) -> None:
    creds = credentials_for(google, PRAXIS)
    assert (creds.client_id, creds.client_secret) == (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    assert refreshes(creds)
