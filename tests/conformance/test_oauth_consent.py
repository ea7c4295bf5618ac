"""The consent page `GET /o/oauth2/v2/auth`: request validation, the page, Allow and Deny."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from devtools.google_emulator.state import DEFAULT_CLIENT_ID
from tests.conformance.oauth_support import (
    APP_CREATED,
    EVENTS,
    PLANNER_SCOPES,
    REDIRECT,
    auth_url,
    decide,
    make_flow,
    open_consent,
    params,
)


def raw_auth_url(server: EmulatorServer, **query: str) -> str:
    base = {"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
            "scope": " ".join(PLANNER_SCOPES)}
    base.update(query)
    return server.root + "o/oauth2/v2/auth?" + urlencode({k: v for k, v in base.items() if v != "-"})


def test_page_offers_accounts_and_unticked_scopes_with_stable_selectors(google: EmulatorServer) -> None:
    page = open_consent(auth_url(make_flow(google)))
    assert page.status == 200
    assert "LOCAL Google emulator" in page.html
    assert set(page.accounts) == {"praxis.berlin@example.com", "anna.schmidt@example.com",
                                  "leer@example.com"}
    assert sum(page.accounts.values()) == 1  # one account preselected, so Allow works at once
    assert page.scopes == {APP_CREATED: False, EVENTS: False}  # granular consent: unticked
    assert {"button#allow", "button#deny", "input#other-email"} <= page.ids
    assert "View and edit events on all your calendars" in page.html
    # the pending request stays server side: the form carries only an opaque id
    assert page.request_id and page.html.count('type="hidden"') == 1


def test_login_hint_preselects_that_account(google: EmulatorServer) -> None:
    page = open_consent(auth_url(make_flow(google), login_hint="anna.schmidt@example.com"))
    assert page.accounts["anna.schmidt@example.com"] is True
    assert page.accounts["praxis.berlin@example.com"] is False


def test_allow_redirects_with_code_granted_scopes_and_state(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google, state="xyz 1"))
    resp = decide(google, page.request_id, scopes=[EVENTS])
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    got = params(location)
    assert got["code"] and got["scope"] == EVENTS and got["state"] == "xyz 1"


def test_state_is_left_out_when_the_request_had_none(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google))
    got = params(decide(google, page.request_id, scopes=PLANNER_SCOPES).headers["Location"])
    assert "state" not in got
    assert set(got["scope"].split()) == set(PLANNER_SCOPES)


def test_deny_redirects_with_access_denied_and_state(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google, state="s-1"))
    resp = decide(google, page.request_id, "deny")
    assert resp.status_code == 302
    assert params(resp.headers["Location"]) == {"error": "access_denied", "state": "s-1"}


def test_a_decision_is_taken_once_and_only_for_a_known_request(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google))
    assert decide(google, page.request_id, scopes=[EVENTS]).status_code == 302
    again = decide(google, page.request_id, scopes=[EVENTS])
    assert again.status_code == 400 and "Location" not in again.headers
    assert decide(google, "req-made-up").status_code == 400


def test_form_cannot_grant_scopes_that_were_not_requested(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google, scope=EVENTS))
    full = "https://www.googleapis.com/auth/calendar"
    got = params(decide(google, page.request_id, scopes=[EVENTS, full]).headers["Location"])
    assert got["scope"] == EVENTS


def test_allow_with_nothing_ticked_grants_only_the_sign_in_scopes(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google, scope="openid email " + EVENTS))
    assert list(page.scopes) == [EVENTS]  # sign-in scopes are not offered as boxes
    got = params(decide(google, page.request_id, scopes=[]).headers["Location"])
    assert set(got["scope"].split()) == {"openid", "https://www.googleapis.com/auth/userinfo.email"}
    assert got["code"]


def test_allow_with_nothing_ticked_and_nothing_else_still_redirects(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google))
    got = params(decide(google, page.request_id, scopes=[]).headers["Location"])
    assert got["code"] and got["scope"] == ""


def test_other_email_creates_that_account(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google))
    resp = decide(google, page.request_id, account=None, scopes=[EVENTS], other_email="Neu@Example.com")
    assert resp.status_code == 302
    accounts = {a["email"] for a in EmulatorControl(google.root).accounts()}
    assert "neu@example.com" in accounts


def test_bad_email_shows_the_page_again(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google))
    resp = decide(google, page.request_id, account=None, other_email="not-an-email")
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert 'role="alert"' in resp.text and page.request_id in resp.text


@pytest.mark.parametrize(("query", "status", "error"), [
    ({"client_id": "nobody.apps.googleusercontent.com"}, 401, "invalid_client"),
    ({"client_id": "-"}, 400, "invalid_request"),
    ({"redirect_uri": "https://evil.example.com/cb"}, 400, "redirect_uri_mismatch"),
    ({"redirect_uri": "-"}, 400, "invalid_request"),
    ({"response_type": "token"}, 400, "unsupported_response_type"),
    ({"response_type": "-"}, 400, "invalid_request"),
    ({"scope": "-"}, 400, "invalid_request"),
    ({"scope": "calendar"}, 400, "invalid_scope"),
    ({"code_challenge": "a" * 43, "code_challenge_method": "S512"}, 400, "invalid_request"),
    ({"code_challenge": "short", "code_challenge_method": "S256"}, 400, "invalid_request"),
    ({"access_type": "forever"}, 400, "invalid_request"),
])
def test_bad_requests_get_an_error_page_and_no_redirect(google: EmulatorServer, query: dict[str, str],
                                                        status: int, error: str) -> None:
    page = open_consent(raw_auth_url(google, **query))
    assert page.status == status
    assert f"Error {status}: {error}" in page.html
    assert not page.request_id


def test_registered_client_accepts_only_its_exact_redirect_uris(google: EmulatorServer) -> None:
    ctl = EmulatorControl(google.root)
    ctl.register_client("exact.apps.googleusercontent.com", "s3cret", ["http://localhost:8080/cb"])
    ok = open_consent(raw_auth_url(google, client_id="exact.apps.googleusercontent.com",
                                   redirect_uri="http://localhost:8080/cb"))
    assert ok.status == 200
    for near_miss in ("http://localhost:8080/cb/", "http://127.0.0.1:8080/cb", "http://localhost:8081/cb"):
        page = open_consent(raw_auth_url(google, client_id="exact.apps.googleusercontent.com",
                                         redirect_uri=near_miss))
        assert page.status == 400 and "Error 400: redirect_uri_mismatch" in page.html


def test_redirect_keeps_a_query_the_redirect_uri_already_has(google: EmulatorServer) -> None:
    page = open_consent(raw_auth_url(google, redirect_uri="http://localhost:5000/cb?tenant=7", state="k"))
    location = decide(google, page.request_id, "deny").headers["Location"]
    assert location.startswith("http://localhost:5000/cb?tenant=7&")
    assert params(location) == {"tenant": "7", "error": "access_denied", "state": "k"}


def test_enter_in_the_email_field_allows_as_that_account(google: EmulatorServer) -> None:
    """Pressing Enter submits with the first button: Allow comes first in the form."""
    page = open_consent(raw_auth_url(google))
    assert page.html.index('id="allow"') < page.html.index('id="deny"')
    resp = requests.post(google.root + "o/oauth2/v2/auth/decision", allow_redirects=False, timeout=10,
                         data={"request_id": page.request_id, "account": "praxis.berlin@example.com",
                               "other_email": "enter@example.com", "scope": [EVENTS]})
    assert resp.status_code == 302 and params(resp.headers["Location"])["code"]
    assert "enter@example.com" in {a["email"] for a in EmulatorControl(google.root).accounts()}
