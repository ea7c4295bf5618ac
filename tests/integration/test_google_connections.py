"""`ThreadConnections`: each thread keeps one connection to Google across accounts, and a
connection Google closed while it sat idle is replaced without an error reaching the caller."""

from __future__ import annotations

import json
import threading
import time

import pytest
from google_auth_httplib2 import AuthorizedHttp

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from functions.adapters.google_calendar import ThreadConnections
from tests.conformance.conftest import credentials_for

EVENT = {"summary": "Termin", "start": {"dateTime": "2030-03-02T09:00:00+01:00"},
         "end": {"dateTime": "2030-03-02T09:30:00+01:00"}}


@pytest.fixture
def events_url(google: EmulatorServer) -> str:
    return google.root + "calendar/v3/calendars/primary/events"


def test_one_connection_per_thread_across_accounts(google: EmulatorServer, ctl: EmulatorControl,
                                                   events_url: str) -> None:
    connections = ThreadConnections()
    accounts = [AuthorizedHttp(credentials_for(google, email), http=connections)
                for email in ("praxis.berlin@example.com", "anna.schmidt@example.com")]

    def calls() -> None:
        for http in accounts * 2:
            assert http.request(events_url)[0].status == 200

    calls()
    assert ctl.counters()["connections"] == 1
    worker = threading.Thread(target=calls)
    worker.start()
    worker.join()
    assert ctl.counters()["connections"] == 2  # another thread, its own connection
    assert ctl.counters()["requests"]["http"] == 8


@pytest.mark.parametrize("wait", [0.0, 0.3])
def test_a_connection_closed_while_idle_is_replaced_and_the_request_sent_once(
        google: EmulatorServer, events_url: str, wait: float) -> None:
    http = AuthorizedHttp(credentials_for(google, "praxis.berlin@example.com"), http=ThreadConnections())
    assert http.request(events_url)[0].status == 200
    google.drop_connections()
    time.sleep(wait)  # given time, the client has seen the close, and its next send fails
    response, _ = http.request(events_url, method="POST", body=json.dumps(EVENT),
                               headers={"Content-Type": "application/json"})
    assert response.status == 200
    listed = json.loads(http.request(events_url)[1])
    assert [e["summary"] for e in listed["items"]] == ["Termin"]  # sent once
