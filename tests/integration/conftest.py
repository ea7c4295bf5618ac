"""The functions wired to the real emulators: Firestore (official) and the local Google."""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from google.cloud import firestore
from werkzeug.test import Client, TestResponse

from devtools.devserver import create_devserver_app
from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from devtools.run import local_environment
from functions import logs
from functions.config import KeyVersion
from functions.context import reset_caches
from functions.crypto import TokenCipher
from tests.integration.interleave import steps  # noqa: F401  (the fixture)

PUBLIC = "http://127.0.0.1:8080"
BEGIN = "/oauth_callback/begin?"
BRANCH, OTHER_BRANCH = "berlin", "hamburg"
TOKEN_KEY = b"k" * 32


@dataclass
class Api:
    """The deployed functions as a caller sees them (`/planner/...`, `/links/...`)."""

    client: Client
    google: EmulatorServer
    jwt_key: str
    tokens: dict[str, str] = field(default_factory=dict)
    public: str = PUBLIC  # PUBLIC_BASE_URL of these functions

    def token(self, role: str = "admin", branch: str | None = BRANCH, resources: list[str] | None = None,
              sub: str = "u-1", ttl: int = 600) -> str:
        claims: dict[str, Any] = {"sub": sub, "role": role, "exp": int(time.time()) + ttl}
        if branch is not None:
            claims["branch_id"] = branch
        if resources is not None:
            claims["resource_ids"] = resources
        return jwt.encode(claims, self.jwt_key, algorithm="HS256")

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             role: str = "planner", headers: dict[str, str] | None = None, **kw: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {token or self.token(role)}", **(headers or {})}
        return self.client.open(path, method=method, json=body, headers=headers, **kw)

    def setup_branch(self, branch: str = BRANCH, enabled: bool = True,
                     resources: tuple[str, ...] = ("anna", "raum-1"), privacy: str = "full") -> None:
        """The branch and its resources; `privacy` as the admin chose it (the sync tests read
        titles and notes in Google: "full"; a resource left without a choice is "busy")."""
        r = self.call("PUT", f"/planner/branches/{branch}",
                      {"timezone": "Europe/Berlin", "google_sync_enabled": enabled})
        assert r.status_code == 200, r.get_data(as_text=True)
        for res in resources:
            r = self.call("PUT", f"/planner/branches/{branch}/resources/{res}",
                          {"name": res, "kind": "employee", "privacy": privacy})
            assert r.status_code == 200, r.get_data(as_text=True)

    def start_consent(self, branch: str = BRANCH, resource: str = "anna", token: str | None = None) -> str:
        r = self.call("POST", "/oauth_start", {"branch_id": branch, "resource_id": resource}, token=token)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["authorization_url"]

    def begin(self, authorization_url: str, client: Client | None = None) -> str:
        """The browser (this test client, or `client`: another browser) opens the URL that
        oauth_start answered; our begin step sets its cookie and sends it on to Google."""
        assert authorization_url.startswith(self.public + BEGIN), authorization_url
        path = authorization_url.removeprefix(self.public)  # same host as callback()
        r = (client or self.client).get(path)
        assert r.status_code == 302, r.get_data(as_text=True)
        return r.headers["Location"]

    def google_decides(self, authorization_url: str, account: str = "praxis.berlin@example.com",
                       allow: bool = True, scopes: list[str] | None = None) -> dict[str, str]:
        """What a person does on Google's consent page; returns the redirect's query. Our begin
        URL (what oauth_start answers) is opened in this test client's browser first."""
        if authorization_url.startswith(self.public + BEGIN):
            authorization_url = self.begin(authorization_url)
        location = EmulatorControl(self.google.root).consent(authorization_url, account, allow=allow,
                                                             scopes=scopes)
        assert location.startswith(self.public + "/oauth_callback"), location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def callback(self, query: dict[str, str], lang: str = "de", client: Client | None = None) -> TestResponse:
        return (client or self.client).get("/oauth_callback", query_string=query,
                                           headers={"Accept-Language": lang})

    def other_browser(self) -> Client:
        """A second browser: the same functions, its own (empty) cookie jar."""
        return Client(self.client.application)

    def consent(self, branch: str = BRANCH, resource: str = "anna",
                account: str = "praxis.berlin@example.com") -> TestResponse:
        answer = self.callback(self.google_decides(self.start_consent(branch, resource), account))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer

    def link_new_calendar(self, resource: str = "anna", summary: str = "Anna", branch: str = BRANCH,
                          account: str = "praxis.berlin@example.com") -> str:
        """Consent for the resource, then link it to a new calendar; returns the calendar id."""
        self.consent(branch, resource, account)
        r = self.call("POST", f"/links/{branch}/{resource}", {"new_calendar": {"summary": summary}})
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["google_calendar_id"]

    def status(self, branch: str = BRANCH, resource: str = "anna", lang: str | None = None) -> dict[str, Any]:
        """GET /links/{b}/{r}; `lang`: its Accept-Language (without: the branch's language)."""
        r = self.call("GET", f"/links/{branch}/{resource}",
                      headers={"Accept-Language": lang} if lang else None)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()

    def audit(self, resource: str = "anna", action: str | None = None,
              branch: str = BRANCH) -> list[dict[str, Any]]:
        """GET /links/{b}/{r}/audit: its entries, oldest first; with `action`, only those."""
        r = self.call("GET", f"/links/{branch}/{resource}/audit")
        assert r.status_code == 200, r.get_data(as_text=True)
        entries = r.get_json()["entries"]
        return [e for e in entries if action is None or e["action"] == action]


@pytest.fixture
def api(google: EmulatorServer, firestore_project: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    env = local_environment(google.root, PUBLIC)
    env["SECRET_TOKEN_KEY"] = "1:" + base64.b64encode(TOKEN_KEY).decode()
    for key, value in env.items():
        if key != "GOOGLE_CLOUD_PROJECT":
            monkeypatch.setenv(key, value)
    reset_caches()
    yield Api(Client(create_devserver_app()), google, env["SECRET_PLANNER_JWT_KEY"])
    reset_caches()


def link_doc(resource: str = "anna", branch: str = BRANCH) -> dict[str, Any]:
    """The stored link document (fields the API does not show: lease, buckets, the records)."""
    from functions.context import get_context

    return get_context().store.db.collection("links").document(f"{branch}:{resource}").get().to_dict()


def every_document(db: firestore.Client) -> list[firestore.DocumentSnapshot]:
    """Every document of the database, subcollections included."""
    out: list[firestore.DocumentSnapshot] = []

    def walk(collection: firestore.CollectionReference) -> None:
        for snap in collection.stream():
            out.append(snap)
            for sub in snap.reference.collections():
                walk(sub)

    for top in db.collections():
        walk(top)
    return out


@pytest.fixture
def linked(api: Api) -> tuple[Api, str]:
    """Branch berlin with its resources; anna linked to a new calendar of praxis.berlin."""
    api.setup_branch()
    return api, api.link_new_calendar()


@pytest.fixture
def control(api: Api) -> EmulatorControl:
    """The Google emulator's control API: the phone, faults, counters."""
    return EmulatorControl(api.google.root)


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher([KeyVersion("1", TOKEN_KEY)])


ApiFactory = Callable[..., Api]


def logged(lines: io.StringIO, text: str) -> list[dict[str, Any]]:
    """The JSON log lines (of `log_lines`) whose message holds `text`."""
    return [json.loads(x) for x in lines.getvalue().splitlines() if text in x]


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every line the product logs during the test, as the JSON Cloud Logging receives."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # restored after the test
    stream = io.StringIO()
    logs.configure_logging(stream=stream)
    yield stream
