"""The server around the pipeline: request counters, emulated latency, quiet logs, loopback."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from tests.conformance.conftest import credentials_for, new_batch
from tests.conformance.oauth_support import consent, make_flow

PRAXIS = "praxis.berlin@example.com"
EVENT = {"summary": "Termin", "start": {"dateTime": "2026-03-02T09:00:00+01:00"},
         "end": {"dateTime": "2026-03-02T09:30:00+01:00"}}


def run_batch(server: EmulatorServer, requests_: list[Any]) -> None:
    batch = new_batch(server, lambda *_: None)
    for req in requests_:
        batch.add(req)
    batch.execute()


def test_counters_per_calendar_and_per_http_request(google: EmulatorServer, ctl: EmulatorControl,
                                                    calendar_for: Callable[..., Any]) -> None:
    service = calendar_for(PRAXIS)
    other = ctl.create_calendar(PRAXIS, "Andere")["id"]
    ctl.reset_counters()
    service.events().list(calendarId="primary").execute()
    service.events().insert(calendarId=PRAXIS, body=EVENT).execute()
    service.calendarList().list().execute()  # names no calendar: only the HTTP count
    run_batch(google, [service.events().insert(calendarId=other, body=EVENT),
                       service.events().insert(calendarId=other, body=EVENT),
                       service.events().list(calendarId=other)])
    assert ctl.counters() == {
        "calendars": {PRAXIS: {"read": 1, "write": 1}, other: {"read": 1, "write": 2}},
        "requests": {"http": 4, "batch_parts": 3, "token": 0},
        "connections": 1}  # the service's connection is kept alive between its calls


def test_oauth_and_control_requests_are_not_api_requests(google: EmulatorServer,
                                                         ctl: EmulatorControl) -> None:
    flow = make_flow(google)
    flow.fetch_token(authorization_response=consent(google, flow))
    ctl.faults()
    ctl.events(PRAXIS)
    assert ctl.counters()["requests"] == {"http": 0, "batch_parts": 0, "token": 1}  # the code exchange


def test_reset_counters_zeroes_them(ctl: EmulatorControl, calendar_for: Callable[..., Any]) -> None:
    calendar_for(PRAXIS).events().list(calendarId="primary").execute()
    assert ctl.counters()["requests"]["http"] == 1
    ctl.reset_counters()
    assert ctl.counters() == {"calendars": {}, "requests": {"http": 0, "batch_parts": 0, "token": 0},
                              "connections": 0}


def test_unauthenticated_calls_count_as_http_only(google: EmulatorServer, ctl: EmulatorControl) -> None:
    requests.get(google.root + f"calendar/v3/calendars/{PRAXIS}/events", timeout=10)
    assert ctl.counters() == {"calendars": {}, "requests": {"http": 1, "batch_parts": 0, "token": 0},
                              "connections": 1}


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_latency_delays_each_api_request_once(google: EmulatorServer, ctl: EmulatorControl,
                                              calendar_for: Callable[..., Any]) -> None:
    service = calendar_for(PRAXIS)
    ctl.set_latency(300)
    assert timed(lambda: service.events().list(calendarId="primary").execute()) >= 0.3
    batch_time = timed(lambda: run_batch(google, [service.events().list(calendarId="primary")] * 5))
    assert 0.3 <= batch_time < 0.9  # a batch is one round trip, not five (1.5 s)
    assert timed(lambda: ctl.faults()) < 0.3  # the control API is not delayed
    ctl.set_latency(0)
    assert timed(lambda: service.events().list(calendarId="primary").execute()) < 0.3


def test_latency_is_waited_outside_the_lock_so_requests_overlap(google: EmulatorServer,
                                                                ctl: EmulatorControl) -> None:
    tokens = [credentials_for(google, PRAXIS).token for _ in range(6)]
    ctl.set_latency(300)

    def call(token: str) -> int:
        return requests.get(google.root + "calendar/v3/calendars/primary/events",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code

    with ThreadPoolExecutor(6) as pool:
        elapsed = timed(lambda: assert_all_ok(list(pool.map(call, tokens))))
    assert 0.3 <= elapsed < 1.2  # six round trips of 300 ms overlap (in a row: 1.8 s)


def assert_all_ok(statuses: list[int]) -> None:
    assert statuses == [200] * len(statuses)


def test_connections_are_kept_alive_and_a_new_one_costs_a_handshake(google: EmulatorServer,
                                                                     ctl: EmulatorControl) -> None:
    """As against Google: a client that keeps its connection pays the handshake's round trip
    once; one that opens a connection per call pays it every time."""
    token = credentials_for(google, PRAXIS).token
    url = google.root + "calendar/v3/calendars/primary/events"
    headers = {"Authorization": f"Bearer {token}"}
    ctl.set_latency(200)
    with requests.Session() as session:
        first = timed(lambda: session.get(url, headers=headers, timeout=10).raise_for_status())
        again = timed(lambda: session.get(url, headers=headers, timeout=10).raise_for_status())
    assert first >= 0.4 and 0.2 <= again < 0.4  # handshake + request, then the request alone
    assert ctl.counters()["connections"] == 1
    for _ in range(2):  # a connection per call
        requests.get(url, headers=headers | {"Connection": "close"}, timeout=10).raise_for_status()
    assert ctl.counters()["connections"] == 3 and ctl.counters()["requests"]["http"] == 4


def test_a_request_body_is_read_whole_so_the_next_request_on_the_connection_works(
        google: EmulatorServer, ctl: EmulatorControl) -> None:
    token = credentials_for(google, PRAXIS).token
    url = google.root + "calendar/v3/calendars/primary/events"
    headers = {"Authorization": f"Bearer {token}"}
    with requests.Session() as session:
        created = session.post(url, headers=headers, json=EVENT, timeout=10)
        chunked = session.post(url, headers=headers | {"Content-Type": "application/json"},
                               data=iter([json.dumps(EVENT).encode()]), timeout=10)  # chunked upload
        listed = session.get(url, headers=headers, timeout=10)
    assert [created.status_code, chunked.status_code, listed.status_code] == [200, 200, 200]
    assert len(listed.json()["items"]) == 2
    assert ctl.counters()["connections"] == 1


def test_bad_latency_is_refused(ctl: EmulatorControl) -> None:
    from devtools.google_emulator.client import EmulatorControlError

    for ms in (-1, "5", 60_001):
        with pytest.raises(EmulatorControlError):
            ctl._call("POST", "/latency", {"ms": ms})


def test_requests_are_not_logged_at_info(google: EmulatorServer, calendar_for: Callable[..., Any],
                                         caplog: pytest.LogCaptureFixture) -> None:
    service = calendar_for(PRAXIS)
    with caplog.at_level(logging.INFO):
        service.events().list(calendarId="primary").execute()
        EmulatorControl(google.root).faults()
    assert not [r for r in caplog.records if r.name.startswith(("werkzeug", "devtools"))]
    with caplog.at_level(logging.DEBUG, logger="devtools.google_emulator.http"):
        service.events().list(calendarId="primary").execute()
    lines = [r.getMessage() for r in caplog.records if r.name == "devtools.google_emulator.http"]
    assert any("GET /calendar/v3/calendars/primary/events" in line and "200" in line for line in lines)


def test_server_listens_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer("0.0.0.0")  # noqa: S104  (the point of the test)
