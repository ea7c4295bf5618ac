"""OAuth clients, grants and tokens (state only; HTTP is in oauth_web.py).

A *grant* is what one completed consent (one code exchange) leaves behind: a refresh token
(with `access_type=offline`) and the access tokens minted from it. Killing a grant (revoke,
control API, the 100-token limit, the clock) kills all of its tokens at once. Authorization
requests and codes are in oauth_flow.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers

from devtools.google_emulator.errors import GoogleApiError
from devtools.google_emulator.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Principal

if TYPE_CHECKING:
    from devtools.google_emulator.oauth_flow import AuthFlow
    from devtools.google_emulator.state import EmulatorState

ACCESS_TOKEN_SECONDS = 3599
MAX_REFRESH_TOKENS = 100  # per account and client; the oldest grant silently dies beyond this
UNUSED_REFRESH_SECONDS = 183 * 24 * 3600  # a refresh token unused for six months dies
TESTING_REFRESH_SECONDS = 7 * 24 * 3600  # apps in "Testing" publishing status
DEAD_GRANT = "Token has been expired or revoked."


class OAuthError(Exception):
    """An error of the token or revoke endpoint, in OAuth's `{error, error_description}` form."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)  # empty: any loopback URI is accepted
    testing: bool = False  # "Testing" publishing status: refresh tokens live 7 days


@dataclass
class Grant:
    grant_id: str
    client_id: str
    email: str
    scopes: frozenset[str]
    refresh_token: str | None
    alive: bool = True
    created_at: float = 0.0
    last_used: float = 0.0
    death: str = ""  # why it died, for the control API's grant list


@dataclass
class AccessToken:
    token: str
    grant_id: str
    expires_at: float
    scopes: frozenset[str] = frozenset()


class OAuthStore:
    def __init__(self, state: EmulatorState) -> None:
        from devtools.google_emulator.oauth_flow import AuthFlow

        self.state = state
        self.flow: AuthFlow = AuthFlow(self)
        self.reset()

    def reset(self) -> None:
        self.clients: dict[str, OAuthClient] = {
            DEFAULT_CLIENT_ID: OAuthClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        }
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> grant id
        self.flow.reset()

    # --- clients -------------------------------------------------------------------------

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str],
                        testing: bool = False) -> OAuthClient:
        """Add or replace an OAuth client (as creating one in the Cloud console would)."""
        with self.state.lock:
            client = OAuthClient(client_id, client_secret, list(redirect_uris), testing)
            self.clients[client_id] = client
            return client

    def check_client(self, client_id: str | None, client_secret: str | None) -> OAuthClient:
        """The client a token/revoke request authenticates as, or OAuth's errors."""
        client = self.clients.get(client_id or "")
        if client is None:
            raise OAuthError(401, "invalid_client", "Unauthorized")
        if not client_secret:
            raise OAuthError(400, "invalid_request", "client_secret is missing.")
        if not secrets.compare_digest(client_secret, client.client_secret):
            raise OAuthError(401, "invalid_client", "Unauthorized")
        return client

    # --- Calendar calls ------------------------------------------------------------------

    def authenticate(self, headers: Headers) -> Principal:
        """The principal of a Calendar call's bearer token, or 401 authError."""
        auth = headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise GoogleApiError(401, "required", "Login Required.", domain="global")
        with self.state.lock:
            at = self.access_tokens.get(token.strip())
            grant = self.grants.get(at.grant_id) if at else None
            if at is None or grant is None or not self.is_alive(grant) or at.expires_at <= self.state.now():
                raise GoogleApiError(401, "authError", "Invalid Credentials")
            return Principal(grant.email, grant.client_id, at.scopes, grant.grant_id)

    # --- grants --------------------------------------------------------------------------

    def issue_grant(self, email: str, scopes: frozenset[str] | set[str],
                    client_id: str = DEFAULT_CLIENT_ID, *, offline: bool = True) -> tuple[Grant, AccessToken]:
        """A live grant with a fresh access token, as a completed consent would leave it.

        Used by the token endpoint and directly by tests that need a token without a browser.
        """
        with self.state.lock:
            self.state.add_account(email)
            now = self.state.now()
            refresh = "1//" + secrets.token_urlsafe(48) if offline else None
            grant = Grant("g-" + secrets.token_hex(8), client_id, email, frozenset(scopes), refresh,
                          created_at=now, last_used=now)
            self.grants[grant.grant_id] = grant
            if refresh:
                self.refresh_tokens[refresh] = grant.grant_id
                self._enforce_refresh_token_limit(email, client_id)
            return grant, self.new_access_token(grant)

    def new_access_token(self, grant: Grant, scopes: frozenset[str] | None = None) -> AccessToken:
        at = AccessToken("ya29." + secrets.token_urlsafe(48), grant.grant_id,
                         self.state.now() + ACCESS_TOKEN_SECONDS,
                         grant.scopes if scopes is None else scopes)
        self.access_tokens[at.token] = at
        return at

    def is_alive(self, grant: Grant) -> bool:
        """Whether the grant still lives; applies the clock-based deaths lazily."""
        if not grant.alive:
            return False
        if grant.refresh_token:
            now = self.state.now()
            client = self.clients.get(grant.client_id)
            if now - grant.last_used >= UNUSED_REFRESH_SECONDS:
                self.kill(grant, "unused for six months")
            elif client is not None and client.testing and now - grant.created_at >= TESTING_REFRESH_SECONDS:
                self.kill(grant, "7 days old, app in Testing status")
        return grant.alive

    def kill(self, grant: Grant, why: str) -> None:
        if grant.alive:
            grant.alive = False
            grant.death = why

    def _enforce_refresh_token_limit(self, email: str, client_id: str) -> None:
        offline = [g for g in self.grants.values()
                   if g.email == email and g.client_id == client_id and g.refresh_token and self.is_alive(g)]
        offline.sort(key=lambda g: g.created_at)
        for grant in offline[:max(0, len(offline) - MAX_REFRESH_TOKENS)]:
            self.kill(grant, f"more than {MAX_REFRESH_TOKENS} refresh tokens")

    def granted_scopes(self, email: str, client_id: str) -> frozenset[str]:
        """Every scope this account has granted this client in a live grant (incremental auth)."""
        with self.state.lock:
            scopes: set[str] = set()
            for grant in self.grants.values():
                if grant.email == email and grant.client_id == client_id and self.is_alive(grant):
                    scopes |= grant.scopes
            return frozenset(scopes)

    def kill_grants(self, email: str | None = None, client_id: str | None = None) -> int:
        """Kill every live grant matching the filters, server side; the number killed."""
        with self.state.lock:
            killed = 0
            for grant in self.grants.values():
                if (email in (None, grant.email) and client_id in (None, grant.client_id)
                        and self.is_alive(grant)):
                    self.kill(grant, "killed by the control API")
                    killed += 1
            return killed

    def grants_info(self) -> list[dict[str, Any]]:
        """Every grant, dead ones too, for the control API."""
        with self.state.lock:
            return [{"grant_id": g.grant_id, "email": g.email, "client_id": g.client_id,
                     "scopes": sorted(g.scopes), "alive": self.is_alive(g), "death": g.death,
                     "refresh_token": g.refresh_token, "created_at": g.created_at,
                     "last_used": g.last_used} for g in self.grants.values()]

    # --- token endpoint: refresh; revoke endpoint ----------------------------------------

    def refresh(self, client: OAuthClient, refresh_token: str | None, scope: str | None) -> dict[str, Any]:
        """The `refresh_token` grant: a new access token, never a new refresh token."""
        if not refresh_token:
            raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
        with self.state.lock:
            grant = self.grants.get(self.refresh_tokens.get(refresh_token, ""))
            if grant is None or not self.is_alive(grant):
                raise OAuthError(400, "invalid_grant", DEAD_GRANT)
            if grant.client_id != client.client_id:
                raise OAuthError(401, "unauthorized_client", "Unauthorized")
            scopes = grant.scopes
            if scope:  # a refresh may narrow the scopes, never widen them
                asked = frozenset(scope.split())
                if not asked <= grant.scopes:
                    raise OAuthError(400, "invalid_scope", "Bad Request")
                scopes = asked
            grant.last_used = self.state.now()
            at = self.new_access_token(grant, scopes)
            return {"access_token": at.token, "expires_in": ACCESS_TOKEN_SECONDS,
                    "scope": " ".join(sorted(scopes)), "token_type": "Bearer"}

    def revoke(self, token: str | None) -> None:
        """Revoking an access or a refresh token kills the whole grant."""
        with self.state.lock:
            grant_id = self.refresh_tokens.get(token or "")
            if grant_id is None:
                at = self.access_tokens.get(token or "")
                if at is not None and at.expires_at > self.state.now():
                    grant_id = at.grant_id
            grant = self.grants.get(grant_id or "")
            if grant is None or not self.is_alive(grant):
                raise OAuthError(400, "invalid_token", "Token expired or revoked")
            self.kill(grant, "revoked")
