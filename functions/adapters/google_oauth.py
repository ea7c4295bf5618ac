"""Google OAuth 2.0 with the real google-auth-oauthlib: consent URL, code exchange, revoke.

Scopes (GOOGLE_API_NOTES.md): one consent must serve both calendar choices and the sync, with
the least power that does:
- `calendar.calendarlist.readonly`: list the account's existing calendars (and learn its
  primary id, which is its email) — read-only, and no access to any event;
- `calendar.events`: write events in the existing secondary calendar the practice picks;
- `calendar.app.created`: create a new secondary calendar (and nothing else of the account's).
Broader scopes (`calendar`) would also allow deleting or re-sharing the user's calendars.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import requests
from google_auth_oauthlib.flow import Flow

from functions.config import OAuthClientConfig, Settings

PREFIX = "https://www.googleapis.com/auth/"
SCOPES = (PREFIX + "calendar.app.created", PREFIX + "calendar.events",
          PREFIX + "calendar.calendarlist.readonly")


class ExchangeFailed(Exception):
    """Google refused the authorization code (used, expired, wrong verifier...)."""


@dataclass(frozen=True)
class Grant:
    refresh_token: str
    access_token: str
    granted_scopes: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return set(SCOPES) <= set(self.granted_scopes)


def _client_config(settings: Settings, client: OAuthClientConfig) -> dict[str, Any]:
    # GOOGLE_AUTH_URI / GOOGLE_TOKEN_URI win over the URLs inside the downloaded client JSON.
    return {"web": {"client_id": client.client_id, "client_secret": client.client_secret,
                    "auth_uri": settings.google_auth_uri, "token_uri": settings.google_token_uri,
                    "redirect_uris": [settings.redirect_uri]}}


def _flow(settings: Settings, client: OAuthClientConfig, **kwargs: Any) -> Flow:
    return Flow.from_client_config(_client_config(settings, client), scopes=list(SCOPES),
                                   redirect_uri=settings.redirect_uri, **kwargs)


def new_code_verifier() -> str:
    """A PKCE code verifier: 128 characters of RFC 7636's unreserved set."""
    return secrets.token_urlsafe(96)


def authorization_url(settings: Settings, client: OAuthClientConfig, state: str, code_verifier: str) -> str:
    """Google's consent URL (PKCE S256 of `code_verifier`, offline access, consent prompt)."""
    flow = _flow(settings, client, code_verifier=code_verifier, autogenerate_code_verifier=False)
    url, _ = flow.authorization_url(state=state, access_type="offline", prompt="consent",
                                    include_granted_scopes="true")
    return url


def exchange(settings: Settings, client: OAuthClientConfig, code: str, code_verifier: str) -> Grant:
    flow = _flow(settings, client, code_verifier=code_verifier, autogenerate_code_verifier=False)
    try:
        token = flow.fetch_token(code=code)
    except Warning as partial:  # oauthlib: "Scope has changed" = the user unticked a scope
        token = getattr(partial, "token", None)
        if token is None:
            raise ExchangeFailed("partial grant without token") from None
    except Exception as exc:  # oauthlib/requests errors: invalid_grant, network, 5xx
        raise ExchangeFailed(type(exc).__name__) from None
    scopes = token.get("scope") or []
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not token.get("refresh_token"):
        raise ExchangeFailed("no refresh token (offline access not granted)")
    return Grant(token["refresh_token"], token["access_token"], tuple(scopes))


def revoke(settings: Settings, token: str) -> bool:
    """Withdraw the grant at Google. True when Google revoked it or it was already dead."""
    try:
        answer = requests.post(settings.google_revoke_uri, data={"token": token}, timeout=15)
    except requests.RequestException:
        return False
    return answer.status_code == 200 or (answer.status_code == 400 and "invalid_token" in answer.text)
