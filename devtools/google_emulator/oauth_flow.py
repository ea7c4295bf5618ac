"""The authorization-code flow's state: validated auth requests awaiting consent, and codes.

The consent page (oauth_web.py) only shows an opaque request id; everything the user did not
type (client, redirect URI, PKCE challenge, requested scopes) stays here, server side.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from devtools.google_emulator.oauth_store import (
    ACCESS_TOKEN_SECONDS,
    TESTING_REFRESH_SECONDS,
    OAuthClient,
    OAuthError,
)

if TYPE_CHECKING:
    from devtools.google_emulator.oauth_store import OAuthStore

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
USERINFO_EMAIL = SCOPE_PREFIX + "userinfo.email"
USERINFO_PROFILE = SCOPE_PREFIX + "userinfo.profile"
SCOPE_ALIASES = {"email": USERINFO_EMAIL, "profile": USERINFO_PROFILE}
# Sign-in scopes are not offered as checkboxes: granting the request grants them.
SIGN_IN_SCOPES = frozenset({"openid", USERINFO_EMAIL, USERINFO_PROFILE})
CODE_SECONDS = 600
PENDING_SECONDS = 3600
_SCOPE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


class ConsentError(Exception):
    """A bad authorization request: Google shows an error page and does not redirect."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(f"Error {status}: {error}")
        self.status = status
        self.error = error
        self.detail = detail


@dataclass
class AuthRequest:
    """A validated authorization request, waiting for the user's decision."""

    request_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]  # normalized, in request order
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    offline: bool
    prompt_consent: bool
    include_granted_scopes: bool
    login_hint: str
    created_at: float

    @property
    def granular_scopes(self) -> tuple[str, ...]:
        """The scopes the consent page offers as checkboxes."""
        return tuple(s for s in self.scopes if s not in SIGN_IN_SCOPES)


@dataclass
class AuthCode:
    code: str
    request: AuthRequest
    email: str
    scopes: frozenset[str]
    expires_at: float
    grant_id: str | None = None  # set once exchanged: a reuse kills that grant


def normalize_scopes(raw: str) -> tuple[str, ...]:
    """Space-separated scopes → canonical names (`email` → userinfo.email), or invalid_scope."""
    out: list[str] = []
    bad: list[str] = []
    for scope in raw.split():
        scope = SCOPE_ALIASES.get(scope, scope)
        name = scope.removeprefix(SCOPE_PREFIX)
        if scope != "openid" and (name == scope or not _SCOPE_NAME.match(name)):
            bad.append(scope)
        elif scope not in out:
            out.append(scope)
    if bad:
        raise ConsentError(400, "invalid_scope", f"Some requested scopes were invalid. {{invalid={bad}}}")
    return tuple(out)


def loopback_uri(uri: str) -> bool:
    """What the default client accepts without registered URIs: http on 127.0.0.1 / localhost."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and not parts.fragment


def with_query(uri: str, params: Mapping[str, str | None]) -> str:
    """`uri` with `params` appended (None values left out), keeping any query it has."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return uri + ("&" if urlsplit(uri).query else "?") + query


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class AuthFlow:
    def __init__(self, oauth: OAuthStore) -> None:
        self.oauth = oauth
        self.reset()

    def reset(self) -> None:
        self.pending: dict[str, AuthRequest] = {}
        self.codes: dict[str, AuthCode] = {}

    # --- the consent page ----------------------------------------------------------------

    def begin(self, params: Mapping[str, str]) -> AuthRequest:
        """Validate an authorization request as Google does, in Google's order; keep it pending."""
        client = self._client_and_redirect(params)
        redirect_uri = params["redirect_uri"]
        response_type = params.get("response_type", "")
        if not response_type:
            raise ConsentError(400, "invalid_request", "Missing required parameter: response_type")
        if response_type != "code":
            raise ConsentError(400, "unsupported_response_type",
                               f"Invalid response_type: {response_type}")
        if not params.get("scope", "").strip():
            raise ConsentError(400, "invalid_request", "Missing required parameter: scope")
        scopes = normalize_scopes(params["scope"])
        challenge, method = self._pkce(params)
        access_type = params.get("access_type", "online")
        if access_type not in ("online", "offline"):
            raise ConsentError(400, "invalid_request", f"Invalid access_type: {access_type}")
        with self.oauth.state.lock:
            req = AuthRequest(
                "req-" + secrets.token_urlsafe(24), client.client_id, redirect_uri, scopes,
                params.get("state"), challenge, method, access_type == "offline",
                "consent" in params.get("prompt", "").split(),
                params.get("include_granted_scopes", "").lower() == "true",
                params.get("login_hint", "").strip().lower(), self.oauth.state.now())
            self.pending[req.request_id] = req
            return req

    def _client_and_redirect(self, params: Mapping[str, str]) -> OAuthClient:
        client_id = params.get("client_id", "")
        if not client_id:
            raise ConsentError(400, "invalid_request", "Missing required parameter: client_id")
        client = self.oauth.clients.get(client_id)
        if client is None:
            raise ConsentError(401, "invalid_client", "The OAuth client was not found.")
        uri = params.get("redirect_uri", "")
        if not uri:
            raise ConsentError(400, "invalid_request", "Missing required parameter: redirect_uri")
        ok = uri in client.redirect_uris if client.redirect_uris else loopback_uri(uri)
        if not ok:
            raise ConsentError(400, "redirect_uri_mismatch",
                               f"You can't sign in to this app because it doesn't comply with Google's "
                               f"OAuth 2.0 policy. redirect_uri={uri} is not registered for this client.")
        return client

    @staticmethod
    def _pkce(params: Mapping[str, str]) -> tuple[str | None, str | None]:
        challenge = params.get("code_challenge") or None
        method = params.get("code_challenge_method") or None
        if challenge is None:
            if method is not None:
                raise ConsentError(400, "invalid_request", "Missing code_challenge.")
            return None, None
        method = method or "plain"
        if method not in ("S256", "plain"):
            raise ConsentError(400, "invalid_request", f"Invalid code_challenge_method: {method}")
        if not _VERIFIER.match(challenge):
            raise ConsentError(400, "invalid_request", "Invalid code_challenge.")
        return challenge, method

    def get_pending(self, request_id: str) -> AuthRequest:
        with self.oauth.state.lock:
            req = self.pending.get(request_id)
            if req is None or self.oauth.state.now() - req.created_at > PENDING_SECONDS:
                raise ConsentError(400, "invalid_request",
                                   "This sign-in request expired or was already answered. Start again.")
            return req

    def deny(self, request_id: str) -> str:
        """The user pressed Deny: the redirect back to the app."""
        with self.oauth.state.lock:
            req = self.get_pending(request_id)
            del self.pending[request_id]
            return with_query(req.redirect_uri, {"error": "access_denied", "state": req.state})

    def allow(self, request_id: str, email: str, ticked: Iterable[str]) -> str:
        """The user pressed Allow as `email` with `ticked` boxes: a code, and the redirect back.

        Granted are the ticked scopes (only ones that were requested), the requested sign-in
        scopes, and with include_granted_scopes=true what this account granted this client
        before. Nothing ticked is allowed, as on Google: the app gets what is left, maybe nothing.
        """
        with self.oauth.state.lock:
            req = self.get_pending(request_id)
            del self.pending[request_id]
            self.oauth.state.add_account(email)
            chosen = set(ticked) & set(req.granular_scopes)
            scopes = chosen | (set(req.scopes) & SIGN_IN_SCOPES)
            if req.include_granted_scopes:
                scopes |= self.oauth.granted_scopes(email, req.client_id)
            code = AuthCode("4/0A" + secrets.token_urlsafe(40), req, email, frozenset(scopes),
                            self.oauth.state.now() + CODE_SECONDS)
            self.codes[code.code] = code
            return with_query(req.redirect_uri,
                              {"code": code.code, "scope": " ".join(sorted(scopes)), "state": req.state})

    # --- the token endpoint --------------------------------------------------------------

    def exchange(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        """The `authorization_code` grant: single use, short-lived, redirect URI and PKCE bound."""
        raw = form.get("code", "")
        if not raw:
            raise OAuthError(400, "invalid_request", "Missing required parameter: code")
        with self.oauth.state.lock:
            code = self.codes.get(raw)
            if code is None or code.request.client_id != client.client_id:
                raise OAuthError(400, "invalid_grant", "Malformed auth code.")
            if code.grant_id is not None:  # reuse: Google also revokes what the code gave
                grant = self.oauth.grants.get(code.grant_id)
                if grant is not None:
                    self.oauth.kill(grant, "its authorization code was reused")
                raise OAuthError(400, "invalid_grant", "Bad Request")
            if code.expires_at <= self.oauth.state.now():
                raise OAuthError(400, "invalid_grant", "Bad Request")
            if form.get("redirect_uri", "") != code.request.redirect_uri:
                raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
            self._check_verifier(code.request, form.get("code_verifier"))
            return self._issue(client, code)

    @staticmethod
    def _check_verifier(req: AuthRequest, verifier: str | None) -> None:
        if req.code_challenge is None:
            return
        if not verifier:
            raise OAuthError(400, "invalid_grant", "Missing code verifier.")
        expected = s256(verifier) if req.code_challenge_method == "S256" else verifier
        if not secrets.compare_digest(expected, req.code_challenge):
            raise OAuthError(400, "invalid_grant", "Invalid code verifier.")

    def _issue(self, client: OAuthClient, code: AuthCode) -> dict[str, Any]:
        """Tokens for a good code. A refresh token only with access_type=offline, and, as on
        Google, only on the first consent of this account to this client unless prompt=consent."""
        req = code.request
        had_offline = any(g.refresh_token and self.oauth.is_alive(g)
                          for g in self.oauth.grants.values()
                          if g.email == code.email and g.client_id == client.client_id)
        offline = req.offline and (req.prompt_consent or not had_offline)
        grant, at = self.oauth.issue_grant(code.email, code.scopes, client.client_id, offline=offline)
        code.grant_id = grant.grant_id
        body: dict[str, Any] = {"access_token": at.token, "expires_in": ACCESS_TOKEN_SECONDS,
                                "scope": " ".join(sorted(code.scopes)), "token_type": "Bearer"}
        if grant.refresh_token:
            body["refresh_token"] = grant.refresh_token
            if client.testing:
                body["refresh_token_expires_in"] = TESTING_REFRESH_SECONDS - 1
        return body
