"""OAuth clients, grants, authorization codes and tokens (state only; HTTP is in oauth_web.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from werkzeug.datastructures import Headers

from devtools.google_emulator.errors import GoogleApiError
from devtools.google_emulator.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Principal

if TYPE_CHECKING:
    from devtools.google_emulator.state import EmulatorState

ACCESS_TOKEN_SECONDS = 3599


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)  # empty: any loopback URI is accepted


@dataclass
class Grant:
    grant_id: str
    client_id: str
    email: str
    scopes: frozenset[str]
    refresh_token: str
    alive: bool = True


@dataclass
class AccessToken:
    token: str
    grant_id: str
    expires_at: float


class OAuthStore:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.reset()

    def reset(self) -> None:
        self.clients: dict[str, OAuthClient] = {
            DEFAULT_CLIENT_ID: OAuthClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        }
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, AccessToken] = {}

    def authenticate(self, headers: Headers) -> Principal:
        """The principal of a Calendar call's bearer token, or 401 authError."""
        auth = headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise GoogleApiError(401, "required", "Login Required.", domain="global")
        with self.state.lock:
            at = self.access_tokens.get(token.strip())
            grant = self.grants.get(at.grant_id) if at else None
            if at is None or grant is None or not grant.alive or at.expires_at <= self.state.now():
                raise GoogleApiError(401, "authError", "Invalid Credentials")
            return Principal(grant.email, grant.client_id, grant.scopes, grant.grant_id)

    def issue_grant(self, email: str, scopes: frozenset[str] | set[str],
                    client_id: str = DEFAULT_CLIENT_ID) -> tuple[Grant, AccessToken]:
        """A live grant with a fresh access token, as a completed consent would leave it.

        Used by the token endpoint and directly by tests that need a token without a browser.
        """
        import secrets

        with self.state.lock:
            self.state.add_account(email)
            grant = Grant("g-" + secrets.token_hex(8), client_id, email, frozenset(scopes),
                          "1//" + secrets.token_urlsafe(32))
            self.grants[grant.grant_id] = grant
            return grant, self.new_access_token(grant)

    def new_access_token(self, grant: Grant) -> AccessToken:
        import secrets

        at = AccessToken("ya29." + secrets.token_urlsafe(32), grant.grant_id,
                         self.state.now() + ACCESS_TOKEN_SECONDS)
        self.access_tokens[at.token] = at
        return at
