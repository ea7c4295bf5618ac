"""POST /batch/calendar/v3 with the real BatchHttpRequest."""

from __future__ import annotations

import json
from typing import Any

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from tests.conformance.conftest import calendar_service, credentials_for, new_batch

ME = "praxis.berlin@example.com"
BODY = {"summary": "x", "start": {"date": "2030-05-06"}, "end": {"date": "2030-05-07"}}


class Results:
    """Collects the batch callbacks: request id → (response, status or None)."""

    def __init__(self) -> None:
        self.by_id: dict[str, tuple[Any, int | None, str | None]] = {}

    def __call__(self, request_id: str, response: Any, exc: HttpError | None) -> None:
        if exc is None:
            self.by_id[request_id] = (response, None, None)
        else:
            reason = json.loads(exc.content)["error"]["errors"][0]["reason"]
            self.by_id[request_id] = (None, exc.resp.status, reason)


def test_a_batch_mixes_successes_and_errors_in_order(google: Any, calendar_for: Any) -> None:
    cal = calendar_for(ME)
    cal.events().insert(calendarId="primary", body={"id": "dup000001", **BODY}).execute()
    results = Results()
    batch = new_batch(google, results)
    batch.add(cal.events().insert(calendarId="primary", body={"id": "fresh0001", **BODY}))
    batch.add(cal.events().insert(calendarId="primary", body={"id": "dup000001", **BODY}))
    batch.add(cal.events().get(calendarId="nobody@example.com", eventId="dup000001"))
    batch.add(cal.events().patch(calendarId="primary", eventId="dup000001", body={"summary": "neu"}))
    batch.add(cal.events().delete(calendarId="primary", eventId="dup000001"))
    batch.execute()
    got = results.by_id
    assert got["1"][0]["id"] == "fresh0001"
    assert got["2"][1:] == (409, "duplicate")
    assert got["3"][1:] == (404, "notFound")
    assert got["4"][0]["summary"] == "neu"
    assert got["5"] == ("", None, None)
    stored = {e["id"]: e["status"] for e in google.state.calendar.all_events(ME)}
    assert stored == {"fresh0001": "confirmed", "dup000001": "cancelled"}


def test_each_part_acts_as_its_own_principal(google: Any, calendar_for: Any) -> None:
    praxis, anna = calendar_for(ME), calendar_for("anna.schmidt@example.com")
    results = Results()
    batch = new_batch(google, results)
    batch.add(praxis.events().insert(calendarId="primary", body={"id": "mine00001", **BODY}))
    batch.add(anna.events().get(calendarId=ME, eventId="mine00001"))
    batch.add(anna.calendars().get(calendarId="primary"))
    batch.execute()
    assert results.by_id["1"][0]["creator"]["email"] == ME
    assert results.by_id["2"][1:] == (404, "notFound")
    assert results.by_id["3"][0]["id"] == "anna.schmidt@example.com"


def test_parts_with_an_expired_token_are_401_and_the_client_refreshes(google: Any) -> None:
    creds = credentials_for(google, ME)
    cal = calendar_service(google, creds)
    old_token = creds.token
    google.state.advance_clock(3600)  # the access token (3599 s) is dead; the refresh token is not
    results = Results()
    batch = new_batch(google, results)
    batch.add(cal.events().insert(calendarId="primary", body={"id": "late00001", **BODY}))
    batch.add(cal.calendars().get(calendarId="primary"))
    batch.execute()
    assert creds.token != old_token  # only a 401 in a part makes BatchHttpRequest refresh
    assert results.by_id["1"][0]["id"] == "late00001" and results.by_id["2"][0]["id"] == ME
    assert google.state.faults.snapshot()["requests"]["batch_parts"] == 4  # 2 refused, 2 redone


def test_an_unrefreshable_expired_token_fails_the_batch(google: Any) -> None:
    token_only = Credentials(token=credentials_for(google, ME).token)  # no refresh token kept
    cal = calendar_service(google, token_only)
    google.state.advance_clock(3600)
    batch = new_batch(google, Results())
    batch.add(cal.calendars().get(calendarId="primary"))
    with pytest.raises(RefreshError):
        batch.execute()
    assert google.state.faults.snapshot()["requests"]["batch_parts"] == 1


def test_a_batch_holds_at_most_1000_calls(google: Any, calendar_for: Any) -> None:
    calendars = calendar_for(ME).calendars()
    results = Results()
    batch = new_batch(google, results)
    for _ in range(1000):
        batch.add(calendars.get(calendarId="primary"))
    # The client refuses a 1001st add(); slip one past it to see what the server says.
    batch._requests["extra"] = calendars.get(calendarId="primary")
    batch._callbacks["extra"] = None
    batch._order.append("extra")
    with pytest.raises(HttpError) as exc:
        batch.execute()
    assert exc.value.resp.status == 400
    assert google.state.faults.snapshot()["requests"]["batch_parts"] == 0
    batch._order.remove("extra")
    batch.execute()
    assert len(results.by_id) == 1000 and all(r[0]["id"] == ME for r in results.by_id.values())


def test_outer_headers_apply_to_parts_that_do_not_set_them(google: Any) -> None:
    # Requests built without credentials carry no Authorization; executing the batch over an
    # authorized http puts it on the outer request only, and Google applies it to every part.
    bare = build("calendar", "v3", http=httplib2.Http(), static_discovery=True,
                 client_options={"api_endpoint": google.root + "calendar/v3/"})
    results = Results()
    batch = new_batch(google, results)
    batch.add(bare.calendars().get(calendarId="primary"))
    batch.execute(http=AuthorizedHttp(credentials_for(google, ME), http=httplib2.Http()))
    assert results.by_id["1"][0]["id"] == ME
    # Served at once: a 401 would have made the client refresh and send the part again.
    assert google.state.faults.snapshot()["requests"]["batch_parts"] == 1
