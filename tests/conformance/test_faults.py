"""Fault injection: the next `count` matching Calendar calls answer an error (per batch part)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl, EmulatorControlError
from tests.conformance.conftest import new_batch

PRAXIS = "praxis.berlin@example.com"
EVENT = {"summary": "Termin", "start": {"dateTime": "2026-03-02T09:00:00+01:00"},
         "end": {"dateTime": "2026-03-02T09:30:00+01:00"}}


@pytest.fixture
def service(calendar_for: Callable[..., Any]) -> Any:
    return calendar_for(PRAXIS)


def failure(request: Any) -> tuple[int, str] | None:
    """(status, reason) of the error a request answers, or None if it succeeds."""
    try:
        request.execute()
    except HttpError as err:
        return err.resp.status, err.error_details[0]["reason"]
    return None


def listing(service: Any, calendar_id: str = "primary") -> Any:
    return service.events().list(calendarId=calendar_id)


@pytest.mark.parametrize(("code", "reason"), [(503, "backendError"), (500, "backendError"),
                                              (429, "rateLimitExceeded"), (403, "rateLimitExceeded")])
def test_default_reasons(ctl: EmulatorControl, service: Any, code: int, reason: str) -> None:
    ctl.add_fault(code)
    assert failure(listing(service)) == (code, reason)
    assert failure(listing(service)) is None


def test_count_calls_fail_then_calls_succeed(ctl: EmulatorControl, service: Any) -> None:
    ctl.add_fault(503, count=2)
    assert [failure(listing(service)) for _ in range(3)] == [(503, "backendError")] * 2 + [None]


def test_403_quota_exceeded_by_reason(ctl: EmulatorControl, service: Any) -> None:
    ctl.add_fault(403, reason="quotaExceeded")
    try:
        listing(service).execute()
    except HttpError as err:
        assert err.resp.status == 403
        assert err.error_details[0] == {"domain": "usageLimits", "reason": "quotaExceeded",
                                        "message": "Calendar usage limits exceeded."}
    else:
        pytest.fail("no fault")


@pytest.mark.parametrize("spec", [{"code": 404}, {"code": 200}, {"code": 503, "count": 0},
                                  {"code": 503, "kind": "delete"}, {"code": 503, "path_regex": "("},
                                  {"code": 409, "ghost": True}, {"code": 503, "colour": "red"}])
def test_bad_fault_specs_are_refused(ctl: EmulatorControl, spec: dict[str, Any]) -> None:
    with pytest.raises(EmulatorControlError) as err:
        ctl._call("POST", "/faults", spec)
    assert err.value.status == 400
    assert ctl.faults() == []


def test_other_codes_take_a_reason(ctl: EmulatorControl, service: Any) -> None:
    ctl.add_fault(409, reason="duplicate")
    assert failure(service.events().insert(calendarId="primary", body=EVENT)) == (409, "duplicate")


def test_kind_filter(ctl: EmulatorControl, service: Any) -> None:
    ctl.add_fault(503, kind="write")
    assert failure(listing(service)) is None
    assert failure(service.events().insert(calendarId="primary", body=EVENT)) == (503, "backendError")


def test_method_filter(ctl: EmulatorControl, service: Any) -> None:
    made = service.events().insert(calendarId="primary", body=EVENT).execute()
    ctl.add_fault(503, method="PATCH")
    assert failure(service.events().get(calendarId="primary", eventId=made["id"])) is None
    patch = service.events().patch(calendarId="primary", eventId=made["id"], body={"summary": "x"})
    assert failure(patch) == (503, "backendError")


def test_path_regex_filter(ctl: EmulatorControl, service: Any) -> None:
    ctl.add_fault(503, path_regex=r"/users/me/calendarList$")
    assert failure(listing(service)) is None
    assert failure(service.calendarList().list()) == (503, "backendError")


def test_calendar_id_filter_resolves_primary(ctl: EmulatorControl, service: Any) -> None:
    other = ctl.create_calendar(PRAXIS, "Andere")["id"]
    ctl.add_fault(503, calendar_id=PRAXIS, count=2)
    assert failure(listing(service, other)) is None
    assert failure(listing(service, "primary")) == (503, "backendError")
    assert failure(listing(service, PRAXIS)) == (503, "backendError")


def test_ghost_performs_the_write_then_answers_503(ctl: EmulatorControl, service: Any) -> None:
    ctl.add_fault(ghost=True, kind="write")
    body = {**EVENT, "id": "ghost0001"}
    assert failure(service.events().insert(calendarId="primary", body=body)) == (503, "backendError")
    assert [e["id"] for e in ctl.events(PRAXIS)] == ["ghost0001"]  # the write happened
    assert failure(service.events().insert(calendarId="primary", body=body)) == (409, "duplicate")


def test_faults_apply_per_batch_part(google: EmulatorServer, ctl: EmulatorControl, service: Any) -> None:
    ctl.add_fault(503, kind="write", count=2)
    answers: dict[str, int] = {}

    def collect(request_id: str, _response: Any, exc: HttpError | None) -> None:
        answers[request_id] = exc.resp.status if exc else 200

    batch = new_batch(google, collect)
    for n in range(4):
        batch.add(service.events().insert(calendarId="primary", body={**EVENT, "summary": f"t{n}"}),
                  request_id=str(n))
    batch.add(listing(service), request_id="read")
    batch.execute()
    assert answers == {"0": 503, "1": 503, "2": 200, "3": 200, "read": 200}


def test_pending_faults_are_listed_with_remaining_count_and_cleared(ctl: EmulatorControl,
                                                                    service: Any) -> None:
    ctl.add_fault(503, count=3, kind="read")
    ctl.add_fault(429, method="POST")
    failure(listing(service))
    assert ctl.faults() == [
        {"code": 503, "reason": "backendError", "count": 2, "kind": "read", "ghost": False},
        {"code": 429, "reason": "rateLimitExceeded", "count": 1, "method": "POST", "ghost": False}]
    assert ctl.clear_faults() == 2
    assert ctl.faults() == [] and failure(listing(service)) is None


def test_faulted_calls_still_count(ctl: EmulatorControl, service: Any) -> None:
    ctl.add_fault(503)
    failure(listing(service))
    assert ctl.counters()["calendars"][PRAXIS] == {"read": 1, "write": 0}
