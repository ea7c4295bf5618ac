"""OAuth 2.0 over HTTP: the consent page, the token endpoint and the revoke endpoint.

Errors of the consent page are HTML pages (Google shows them in the browser and does not
redirect); the token and revoke endpoints answer OAuth's JSON `{error, error_description}`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

from werkzeug.datastructures import MultiDict
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from devtools.google_emulator.oauth_flow import ConsentError
from devtools.google_emulator.oauth_page import consent_page, error_page
from devtools.google_emulator.oauth_store import OAuthClient, OAuthError
from devtools.google_emulator.routing import web_route
from devtools.google_emulator.state import EmulatorState

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _html(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/html", headers=_NO_STORE)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8",
                    headers=_NO_STORE)


def _consent_error(err: ConsentError) -> Response:
    return _html(error_page(err.status, err.error, err.detail), err.status)


@web_route("GET", "/o/oauth2/v2/auth")
@web_route("GET", "/o/oauth2/auth")
def authorize(state: EmulatorState, request: Request) -> Response:
    """Validate the authorization request, then show the consent page for it."""
    try:
        req = state.oauth.flow.begin(request.args.to_dict())
    except ConsentError as err:
        return _consent_error(err)
    with state.lock:
        accounts = list(state.accounts.values())
    return _html(consent_page(req, accounts))


@web_route("POST", "/o/oauth2/v2/auth/decision")
def decide(state: EmulatorState, request: Request) -> Response:
    """Allow or Deny on the consent page → 302 back to the app's redirect URI."""
    form = request.form
    request_id = form.get("request_id", "")
    try:
        if form.get("decision") == "deny":
            return redirect(state.oauth.flow.deny(request_id), 302)
        req = state.oauth.flow.get_pending(request_id)
        email = (form.get("other_email", "").strip() or form.get("account", "")).lower()
        if not _EMAIL.match(email):
            with state.lock:
                accounts = list(state.accounts.values())
            return _html(consent_page(req, accounts, error="Choose an account, or type a valid email "
                                                           "address for another one."), 400)
        return redirect(state.oauth.flow.allow(request_id, email, form.getlist("scope")), 302)
    except ConsentError as err:
        return _consent_error(err)


def _form(request: Request) -> MultiDict:
    """The token endpoint's parameters: form-encoded as a rule; JSON accepted too."""
    if request.mimetype == "application/json":
        try:
            data = json.loads(request.get_data() or b"{}")
        except ValueError:
            data = {}
        return MultiDict({k: str(v) for k, v in data.items()} if isinstance(data, dict) else {})
    return request.form


def _client(state: EmulatorState, request: Request, form: MultiDict) -> OAuthClient:
    """Client authentication: HTTP Basic (form-urlencoded parts) or client_id/secret in the body."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        client_id = unquote_plus(auth.username or "")
        secret = unquote_plus(auth.password or "")
        if form.get("client_id") not in (None, client_id):
            raise OAuthError(401, "invalid_client", "Unauthorized")
        return state.oauth.check_client(client_id, secret)
    return state.oauth.check_client(form.get("client_id"), form.get("client_secret"))


@web_route("POST", "/token")
def token(state: EmulatorState, request: Request) -> Response:
    """The token endpoint: `authorization_code` and `refresh_token` grants."""
    state.faults.count_token()
    form = _form(request)
    try:
        client = _client(state, request, form)
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return _json(state.oauth.flow.exchange(client, form))
        if grant_type == "refresh_token":
            return _json(state.oauth.refresh(client, form.get("refresh_token"), form.get("scope")))
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    except OAuthError as err:
        return _json(err.body(), err.status)


@web_route("POST", "/revoke")
def revoke(state: EmulatorState, request: Request) -> Response:
    """Revoke an access or refresh token (form body or query): the whole grant dies."""
    raw = request.form.get("token") or request.args.get("token")
    try:
        state.oauth.revoke(raw)
    except OAuthError as err:
        return _json(err.body(), err.status)
    return _json({})
