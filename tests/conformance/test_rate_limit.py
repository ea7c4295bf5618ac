"""Per-user rate limit: a sliding 60 s window on the emulator clock, every API call counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl, EmulatorControlError
from tests.conformance.conftest import new_batch

PRAXIS = "praxis.berlin@example.com"
ANNA = "anna.schmidt@example.com"


def ok(service: Any) -> bool:
    """One calendarList.list call: True if it passed, False if it was rate limited."""
    try:
        service.calendarList().list().execute()
    except HttpError as err:
        assert err.resp.status == 403
        assert err.error_details[0] == {"domain": "usageLimits", "reason": "userRateLimitExceeded",
                                        "message": "User Rate Limit Exceeded"}
        return False
    return True


def batch_statuses(server: EmulatorServer, service: Any, parts: int) -> list[int]:
    statuses: list[int] = []
    batch = new_batch(server, lambda _id, _resp, exc: statuses.append(exc.resp.status if exc else 200))
    for _ in range(parts):
        batch.add(service.calendarList().list())
    batch.execute()
    return statuses


def test_off_by_default_and_600_per_minute_once_enabled(google: EmulatorServer, ctl: EmulatorControl,
                                                        calendar_for: Callable[..., Any]) -> None:
    service = calendar_for(PRAXIS)
    statuses = [s for _ in range(13) for s in batch_statuses(google, service, 50)]
    assert len(statuses) == 650 and set(statuses) == {200}
    assert ctl.set_rate_limit(True) == {"enabled": True, "per_minute": 600}
    statuses = [s for _ in range(13) for s in batch_statuses(google, service, 50)]
    assert statuses.count(200) == 600 and statuses[600:] == [403] * 50


def test_limit_is_per_user(ctl: EmulatorControl, calendar_for: Callable[..., Any]) -> None:
    ctl.set_rate_limit(True, per_minute=3)
    praxis, anna = calendar_for(PRAXIS), calendar_for(ANNA)
    assert [ok(praxis) for _ in range(4)] == [True, True, True, False]
    assert ok(anna)


def test_window_slides_on_the_emulator_clock(ctl: EmulatorControl, calendar_for: Callable[..., Any]) -> None:
    ctl.set_rate_limit(True, per_minute=3)
    service = calendar_for(PRAXIS)
    assert ok(service) and ok(service)  # t = 0
    ctl.advance_clock(30)
    assert ok(service)  # t = 30
    assert not ok(service)
    ctl.advance_clock(31)  # t = 61: the two calls of t = 0 left the window
    assert [ok(service) for _ in range(3)] == [True, True, False]
    ctl.advance_clock(60)
    assert ok(service)


def test_batch_parts_count_one_by_one(google: EmulatorServer, ctl: EmulatorControl,
                                      calendar_for: Callable[..., Any]) -> None:
    ctl.set_rate_limit(True, per_minute=3)
    assert batch_statuses(google, calendar_for(PRAXIS), 5) == [200, 200, 200, 403, 403]


def test_disabling_lifts_the_limit(ctl: EmulatorControl, calendar_for: Callable[..., Any]) -> None:
    ctl.set_rate_limit(True, per_minute=1)
    service = calendar_for(PRAXIS)
    assert ok(service) and not ok(service)
    assert ctl.set_rate_limit(False) == {"enabled": False, "per_minute": 1}
    assert all(ok(service) for _ in range(3))


@pytest.mark.parametrize("per_minute", [0, -5, True, "10"])
def test_bad_limits_are_refused(ctl: EmulatorControl, per_minute: Any) -> None:
    with pytest.raises(EmulatorControlError) as err:
        ctl._call("POST", "/rate-limit", {"enabled": True, "per_minute": per_minute})
    assert err.value.status == 400
