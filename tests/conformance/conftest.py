"""Conformance helpers: the REAL google-api-python-client/google-auth against the emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.conformance.push_support import PRAXIS, Receiver

SCOPE = "https://www.googleapis.com/auth/"
FULL = frozenset({SCOPE + "calendar"})
APP_SCOPES = frozenset({SCOPE + "calendar.app.created", SCOPE + "calendar.events",
                        SCOPE + "calendar.calendarlist.readonly"})


def credentials_for(server: EmulatorServer, email: str, scopes: Iterable[str] = FULL) -> Credentials:
    grant, at = server.state.oauth.issue_grant(email, frozenset(scopes))
    return Credentials(token=at.token, refresh_token=grant.refresh_token,
                       token_uri=server.root + "token", client_id=DEFAULT_CLIENT_ID,
                       client_secret=DEFAULT_CLIENT_SECRET, scopes=sorted(scopes))


def calendar_service(server: EmulatorServer, credentials: Credentials) -> Any:
    return build("calendar", "v3", credentials=credentials, static_discovery=True,
                 cache_discovery=False, client_options={"api_endpoint": server.root + "calendar/v3/"})


def new_batch(server: EmulatorServer, callback: Callable[..., None]) -> BatchHttpRequest:
    return BatchHttpRequest(callback=callback, batch_uri=server.root + "batch/calendar/v3")


@pytest.fixture
def calendar_for(google: EmulatorServer) -> Callable[..., Any]:
    """`calendar_for(email, scopes=FULL)` → a real Calendar v3 service acting as that account."""

    def make(email: str = "praxis.berlin@example.com", scopes: Iterable[str] = FULL) -> Any:
        return calendar_service(google, credentials_for(google, email, scopes))

    return make


# --- the push tests' receiver and calendar (test_push.py, test_push_knobs.py) --------------------

@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback webhook receiver for the channels a test opens."""
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def praxis(calendar_for: Callable[..., Any]) -> Any:
    """A Calendar service of the account PRAXIS, whose calendars the push tests watch."""
    return calendar_for(PRAXIS)
