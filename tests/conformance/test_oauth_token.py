"""The token endpoint `POST /token`, driven by the REAL google-auth-oauthlib Flow and google-auth."""

from __future__ import annotations

import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2.credentials import Credentials

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from devtools.google_emulator.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.conformance.oauth_support import (
    APP_CREATED,
    EVENTS,
    LIST_RO,
    PLANNER_SCOPES,
    REDIRECT,
    code_for,
    consent,
    make_flow,
    params,
    token_post,
)

BASIC = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)


def refresh_post(server: EmulatorServer, refresh_token: str, **extra: str) -> dict:
    return token_post(server, {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra},
                      auth=BASIC).json()


def test_flow_gets_offline_tokens_and_credentials_refresh(google: EmulatorServer) -> None:
    flow = make_flow(google)
    token = flow.fetch_token(authorization_response=consent(google, flow))
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3599
    assert token["refresh_token"].startswith("1//") and set(token["scope"]) == set(PLANNER_SCOPES)
    creds = flow.credentials
    assert creds.token_uri == google.root + "token" and set(creds.granted_scopes) == set(PLANNER_SCOPES)
    first = creds.token
    creds.refresh(AuthRequest())
    assert creds.token != first and creds.refresh_token == token["refresh_token"]


def test_token_answers_are_json_and_not_cached(google: EmulatorServer) -> None:
    flow = make_flow(google, [EVENTS])
    code = code_for(google, flow)
    resp = token_post(google, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                               "code_verifier": flow.code_verifier}, auth=BASIC)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Type"].startswith("application/json")
    bad = token_post(google, {"grant_type": "authorization_code", "code": code}, auth=("x", "y"))
    assert bad.headers["Cache-Control"] == "no-store"


def test_partial_grant_is_reported_and_relaxed_flow_reads_it(google: EmulatorServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    flow = make_flow(google)
    with pytest.raises(Warning, match="Scope has changed"):
        flow.fetch_token(authorization_response=consent(google, flow, ticked=[APP_CREATED]))
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    flow = make_flow(google)
    flow.fetch_token(authorization_response=consent(google, flow, ticked=[APP_CREATED]))
    assert flow.credentials.granted_scopes == [APP_CREATED]


def test_client_secret_in_the_body_works_too(google: EmulatorServer) -> None:
    flow = make_flow(google, [EVENTS])
    resp = token_post(google, {"grant_type": "authorization_code", "code": code_for(google, flow),
                               "redirect_uri": REDIRECT, "code_verifier": flow.code_verifier,
                               "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET})
    assert resp.status_code == 200 and resp.json()["access_token"].startswith("ya29.")


@pytest.mark.parametrize("auth", [("nobody.apps.googleusercontent.com", "x"), (DEFAULT_CLIENT_ID, "wrong")])
def test_unknown_client_or_wrong_secret_is_invalid_client(google: EmulatorServer,
                                                          auth: tuple[str, str]) -> None:
    flow = make_flow(google, [EVENTS])
    data = {"grant_type": "authorization_code", "code": code_for(google, flow), "redirect_uri": REDIRECT,
            "code_verifier": flow.code_verifier}
    for resp in (token_post(google, data, auth=auth),
                 token_post(google, {**data, "client_id": auth[0], "client_secret": auth[1]})):
        assert resp.status_code == 401
        assert resp.json() == {"error": "invalid_client", "error_description": "Unauthorized"}


def test_code_is_single_use_and_reuse_kills_its_tokens(google: EmulatorServer) -> None:
    flow = make_flow(google, [EVENTS])
    data = {"grant_type": "authorization_code", "code": code_for(google, flow), "redirect_uri": REDIRECT,
            "code_verifier": flow.code_verifier}
    first = token_post(google, data, auth=BASIC).json()
    again = token_post(google, data, auth=BASIC)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert refresh_post(google, first["refresh_token"])["error"] == "invalid_grant"


def test_code_expires_on_the_emulator_clock(google: EmulatorServer) -> None:
    flow = make_flow(google, [EVENTS])
    code = code_for(google, flow)
    EmulatorControl(google.root).advance_clock(601)
    resp = token_post(google, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                               "code_verifier": flow.code_verifier}, auth=BASIC)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_code_of_another_client_is_invalid_grant(google: EmulatorServer) -> None:
    EmulatorControl(google.root).register_client("other.apps.googleusercontent.com", "o-secret", [REDIRECT])
    flow = make_flow(google, [EVENTS])
    resp = token_post(google, {"grant_type": "authorization_code", "code": code_for(google, flow),
                               "redirect_uri": REDIRECT, "code_verifier": flow.code_verifier},
                      auth=("other.apps.googleusercontent.com", "o-secret"))
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_redirect_uri_must_equal_the_auth_requests(google: EmulatorServer) -> None:
    flow = make_flow(google, [EVENTS])
    code = code_for(google, flow)
    base = {"grant_type": "authorization_code", "code": code, "code_verifier": flow.code_verifier}
    for uri in ("http://127.0.0.1:9/other", ""):
        resp = token_post(google, {**base, "redirect_uri": uri}, auth=BASIC)
        assert resp.status_code == 400 and resp.json()["error"] == "redirect_uri_mismatch"
    assert token_post(google, {**base, "redirect_uri": REDIRECT}, auth=BASIC).status_code == 200


@pytest.mark.parametrize("verifier", [None, "x" * 64])
def test_pkce_verifier_missing_or_wrong_is_invalid_grant(google: EmulatorServer,
                                                         verifier: str | None) -> None:
    flow = make_flow(google, [EVENTS])
    data = {"grant_type": "authorization_code", "code": code_for(google, flow), "redirect_uri": REDIRECT}
    if verifier:
        data["code_verifier"] = verifier
    resp = token_post(google, data, auth=BASIC)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_plain_pkce_and_no_pkce_are_accepted(google: EmulatorServer) -> None:
    verifier = "v" * 50
    flow = make_flow(google, [EVENTS])
    flow.autogenerate_code_verifier = False
    code = code_for(google, flow, code_challenge=verifier, code_challenge_method="plain")
    resp = token_post(google, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                               "code_verifier": verifier}, auth=BASIC)
    assert resp.status_code == 200
    flow = make_flow(google, [EVENTS])
    flow.autogenerate_code_verifier = False
    resp = token_post(google, {"grant_type": "authorization_code", "code": code_for(google, flow),
                               "redirect_uri": REDIRECT}, auth=BASIC)
    assert resp.status_code == 200


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", ""])
def test_unsupported_grant_type(google: EmulatorServer, grant_type: str) -> None:
    resp = token_post(google, {"grant_type": grant_type}, auth=BASIC)
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"


def test_online_access_gets_no_refresh_token(google: EmulatorServer) -> None:
    flow = make_flow(google, [EVENTS])
    token = flow.fetch_token(authorization_response=consent(google, flow, access_type="online"))
    assert "refresh_token" not in token and token["access_token"]


def test_refresh_token_only_on_first_consent_unless_prompt_consent(google: EmulatorServer) -> None:
    first = make_flow(google, [EVENTS])
    assert "refresh_token" in first.fetch_token(authorization_response=consent(google, first, prompt=""))
    again = make_flow(google, [EVENTS])
    assert "refresh_token" not in again.fetch_token(authorization_response=consent(google, again, prompt=""))
    forced = make_flow(google, [EVENTS])
    assert "refresh_token" in forced.fetch_token(authorization_response=consent(google, forced))


def test_include_granted_scopes_adds_earlier_grants(google: EmulatorServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    earlier = make_flow(google, [LIST_RO])  # an earlier consent to another scope
    earlier.fetch_token(authorization_response=consent(google, earlier))
    flow = make_flow(google, [EVENTS])
    got = params(consent(google, flow))
    assert set(got["scope"].split()) == {LIST_RO, EVENTS}
    alone = params(consent(google, make_flow(google, [EVENTS]), include_granted_scopes="false"))
    assert alone["scope"] == EVENTS


def test_refresh_gives_a_new_access_token_and_no_new_refresh_token(google: EmulatorServer) -> None:
    flow = make_flow(google)
    token = flow.fetch_token(authorization_response=consent(google, flow))
    body = refresh_post(google, token["refresh_token"])
    assert body["access_token"] != token["access_token"] and "refresh_token" not in body
    assert body["expires_in"] == 3599 and body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == set(PLANNER_SCOPES)


def test_refresh_may_narrow_but_not_widen_the_scopes(google: EmulatorServer) -> None:
    flow = make_flow(google)
    refresh = flow.fetch_token(authorization_response=consent(google, flow))["refresh_token"]
    assert refresh_post(google, refresh, scope=EVENTS)["scope"] == EVENTS
    wider = refresh_post(google, refresh, scope=EVENTS + " https://www.googleapis.com/auth/calendar")
    assert wider["error"] == "invalid_scope"


def test_refresh_asking_for_ungranted_scopes_fails_like_google(google: EmulatorServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Flow.credentials carries the *requested* scopes; after a partial grant google-auth sends
    them on refresh and Google answers invalid_scope. Build Credentials from granted_scopes."""
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    flow = make_flow(google)
    flow.fetch_token(authorization_response=consent(google, flow, ticked=[EVENTS]))
    with pytest.raises(RefreshError, match="invalid_scope"):
        flow.credentials.refresh(AuthRequest())
    c = flow.credentials
    fixed = Credentials(None, refresh_token=c.refresh_token, token_uri=c.token_uri, client_id=c.client_id,
                        client_secret=c.client_secret, scopes=c.granted_scopes)
    fixed.refresh(AuthRequest())
    assert fixed.valid


def test_refresh_token_of_another_client_is_refused(google: EmulatorServer) -> None:
    EmulatorControl(google.root).register_client("other.apps.googleusercontent.com", "o-secret", [REDIRECT])
    flow = make_flow(google, [EVENTS])
    refresh = flow.fetch_token(authorization_response=consent(google, flow))["refresh_token"]
    resp = token_post(google, {"grant_type": "refresh_token", "refresh_token": refresh},
                      auth=("other.apps.googleusercontent.com", "o-secret"))
    assert resp.status_code == 401 and resp.json()["error"] == "unauthorized_client"


def test_unknown_refresh_token_is_expired_or_revoked(google: EmulatorServer) -> None:
    resp = token_post(google, {"grant_type": "refresh_token", "refresh_token": "1//nope"}, auth=BASIC)
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant",
                           "error_description": "Token has been expired or revoked."}
