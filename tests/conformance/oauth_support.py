"""Helpers for the OAuth conformance tests: the real google-auth-oauthlib Flow, and a tiny
"browser" (requests + an HTML parser) that answers the emulator's consent page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from google_auth_oauthlib.flow import Flow

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

SCOPE = "https://www.googleapis.com/auth/"
APP_CREATED = SCOPE + "calendar.app.created"
EVENTS = SCOPE + "calendar.events"
LIST_RO = SCOPE + "calendar.calendarlist.readonly"
PLANNER_SCOPES = [APP_CREATED, EVENTS]
REDIRECT = "http://127.0.0.1:9/oauth/callback"  # never followed: the tests read Location


@dataclass
class ConsentPage:
    """What a person sees on the consent page, parsed from its HTML."""

    status: int
    html: str
    request_id: str = ""
    accounts: dict[str, bool] = field(default_factory=dict)  # email -> checked
    scopes: dict[str, bool] = field(default_factory=dict)  # scope -> checked
    ids: set[str] = field(default_factory=set)  # element ids (buttons, text field)


class _PageParser(HTMLParser):
    def __init__(self, page: ConsentPage) -> None:
        super().__init__()
        self.page = page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.page.ids.add(f"{tag}#{a['id']}")
        if tag != "input":
            return
        name, value = a.get("name"), a.get("value") or ""
        if name == "request_id":
            self.page.request_id = value
        elif name == "account":
            self.page.accounts[value] = "checked" in a
        elif name == "scope":
            self.page.scopes[value] = "checked" in a


def open_consent(url: str) -> ConsentPage:
    """GET the authorization URL as a browser would, and parse the page."""
    resp = requests.get(url, allow_redirects=False, timeout=10)
    page = ConsentPage(resp.status_code, resp.text)
    _PageParser(page).feed(resp.text)
    return page


def decide(server: EmulatorServer, request_id: str, decision: str = "allow", *,
           account: str | None = "praxis.berlin@example.com", scopes: Iterable[str] = (),
           other_email: str = "") -> requests.Response:
    """Press Allow or Deny on the consent page (the form post, redirects not followed)."""
    data: dict[str, Any] = {"request_id": request_id, "decision": decision, "scope": list(scopes),
                            "other_email": other_email}
    if account is not None:
        data["account"] = account
    return requests.post(server.root + "o/oauth2/v2/auth/decision", data=data, allow_redirects=False,
                         timeout=10)


def make_flow(server: EmulatorServer, scopes: Iterable[str] = PLANNER_SCOPES, *,
              client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
              redirect_uri: str = REDIRECT) -> Flow:
    """The REAL google-auth-oauthlib Flow, pointed at the emulator."""
    config = {"web": {"client_id": client_id, "client_secret": client_secret,
                      "auth_uri": server.root + "o/oauth2/v2/auth", "token_uri": server.root + "token",
                      "redirect_uris": [redirect_uri]}}
    return Flow.from_client_config(config, list(scopes), redirect_uri=redirect_uri)


def auth_url(flow: Flow, **overrides: str) -> str:
    """The authorization URL the planner builds (offline, consent, incremental; PKCE S256)."""
    params = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
    params.update(overrides)
    url, _state = flow.authorization_url(**params)
    return url


def consent(server: EmulatorServer, flow: Flow, ticked: Iterable[str] | None = None,
            account: str = "praxis.berlin@example.com", **overrides: str) -> str:
    """Run the consent page for `flow` ticking `ticked` (default: every box); the redirect URL."""
    page = open_consent(auth_url(flow, **overrides))
    assert page.status == 200, page.html
    boxes = list(page.scopes) if ticked is None else list(ticked)
    resp = decide(server, page.request_id, account=account, scopes=boxes)
    assert resp.status_code == 302, resp.text
    return resp.headers["Location"]


def params(url: str) -> dict[str, str]:
    """The query parameters of a redirect URL (single values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def token_post(server: EmulatorServer, data: dict[str, str],
               auth: tuple[str, str] | None = None) -> requests.Response:
    return requests.post(server.root + "token", data=data, auth=auth, timeout=10)


def code_for(server: EmulatorServer, flow: Flow, **overrides: str) -> str:
    """A fresh authorization code for `flow` (all boxes ticked)."""
    return params(consent(server, flow, **overrides))["code"]
