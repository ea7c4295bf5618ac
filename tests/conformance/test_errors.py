"""Every error of the Calendar pipeline is Google's envelope; OAuth endpoints use OAuth's form.

Checked with raw HTTP (the exact shape) and with googleapiclient (what the library makes of it:
HttpError details, and which errors `execute(num_retries=n)` retries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from tests.conformance.conftest import credentials_for, new_batch

PRAXIS = "praxis.berlin@example.com"


def assert_envelope(resp: requests.Response, code: int, reason: str) -> None:
    assert resp.status_code == code
    assert resp.headers["Content-Type"].startswith("application/json")
    error = resp.json()["error"]
    assert set(error) == {"errors", "code", "message"} and error["code"] == code
    assert len(error["errors"]) == 1 and set(error["errors"][0]) == {"domain", "reason", "message"}
    assert error["errors"][0]["reason"] == reason and error["errors"][0]["message"] == error["message"]


def bearer(server: EmulatorServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials_for(server, PRAXIS).token}"}


def test_unknown_api_path_is_404_not_found(google: EmulatorServer) -> None:
    resp = requests.get(google.root + "calendar/v3/nothing/here", headers=bearer(google), timeout=10)
    assert_envelope(resp, 404, "notFound")


def test_wrong_method_is_405(google: EmulatorServer) -> None:
    resp = requests.put(google.root + "calendar/v3/users/me/calendarList", headers=bearer(google),
                        timeout=10)
    assert_envelope(resp, 405, "httpMethodNotAllowed")


def test_bad_token_is_401_auth_error_with_challenge(google: EmulatorServer) -> None:
    resp = requests.get(google.root + "calendar/v3/users/me/calendarList",
                        headers={"Authorization": "Bearer ya29.forged"}, timeout=10)
    assert_envelope(resp, 401, "authError")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer realm=")


@pytest.mark.parametrize(("code", "reason"), [(503, "backendError"), (429, "rateLimitExceeded"),
                                              (403, "quotaExceeded"), (410, "fullSyncRequired")])
def test_injected_faults_use_the_envelope(google: EmulatorServer, code: int, reason: str) -> None:
    EmulatorControl(google.root).add_fault(code, reason=reason)
    resp = requests.get(google.root + "calendar/v3/calendars/primary/events", headers=bearer(google),
                        timeout=10)
    assert_envelope(resp, code, reason)


def test_rate_limit_uses_the_envelope(google: EmulatorServer) -> None:
    EmulatorControl(google.root).set_rate_limit(True, per_minute=1)
    headers = bearer(google)
    url = google.root + "calendar/v3/users/me/calendarList"
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    assert_envelope(requests.get(url, headers=headers, timeout=10), 403, "userRateLimitExceeded")


def test_batch_part_errors_reach_the_callback_as_http_errors(google: EmulatorServer,
                                                             calendar_for: Callable[..., Any]) -> None:
    EmulatorControl(google.root).add_fault(403, reason="quotaExceeded", kind="write")
    service = calendar_for(PRAXIS)
    seen: list[tuple[int, str]] = []

    def collect(_id: str, _resp: Any, exc: HttpError | None) -> None:
        assert exc is not None
        seen.append((exc.resp.status, exc.error_details[0]["reason"]))

    batch = new_batch(google, collect)
    batch.add(service.events().insert(calendarId="primary", body={
        "summary": "x", "start": {"date": "2026-03-02"}, "end": {"date": "2026-03-03"}}))
    batch.execute()
    assert seen == [(403, "quotaExceeded")]


def without_backoff(request: Any) -> Any:
    """googleapiclient sleeps rand() * 2**n between retries; make that 0 to keep tests fast."""
    request._rand = lambda: 0.0
    return request


@pytest.mark.parametrize(("code", "reason"), [(503, None), (500, None), (429, None),
                                              (403, "rateLimitExceeded"), (403, "userRateLimitExceeded")])
def test_client_library_retries_what_google_says_to_retry(google: EmulatorServer, code: int,
                                                          reason: str | None,
                                                          calendar_for: Callable[..., Any]) -> None:
    EmulatorControl(google.root).add_fault(code, reason=reason, count=2)
    request = without_backoff(calendar_for(PRAXIS).events().list(calendarId="primary"))
    assert "items" in request.execute(num_retries=2)


@pytest.mark.parametrize(("code", "reason"), [(403, "quotaExceeded"), (403, "insufficientPermissions"),
                                              (404, "notFound"), (410, "fullSyncRequired")])
def test_client_library_does_not_retry_the_rest(google: EmulatorServer, code: int, reason: str,
                                                calendar_for: Callable[..., Any]) -> None:
    EmulatorControl(google.root).add_fault(code, reason=reason)
    request = without_backoff(calendar_for(PRAXIS).events().list(calendarId="primary"))
    with pytest.raises(HttpError) as err:
        request.execute(num_retries=3)
    assert err.value.resp.status == code and err.value.error_details[0]["reason"] == reason


def test_oauth_endpoints_answer_oauth_errors_not_the_envelope(google: EmulatorServer) -> None:
    token = requests.post(google.root + "token", data={"grant_type": "password"},
                          auth=("local-client.apps.googleusercontent.com", "local-client-secret"), timeout=10)
    assert token.status_code == 400 and set(token.json()) == {"error", "error_description"}
    revoke = requests.post(google.root + "revoke", data={"token": "nope"}, timeout=10)
    assert revoke.status_code == 400 and set(revoke.json()) == {"error", "error_description"}
