"""Who may read and write events: visibility (404), roles (403 requiredAccessLevel), scopes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.conformance.conftest import APP_SCOPES, SCOPE

ME = "praxis.berlin@example.com"
BODY = {"summary": "x", "start": {"date": "2030-05-06"}, "end": {"date": "2030-05-07"}}


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["reason"]


def calendar_id(cal: Any, summary: str) -> str:
    items = cal.calendarList().list().execute()["items"]
    return next(e["id"] for e in items if e["summary"] == summary)


def test_a_reader_can_read_but_not_write(google: Any, calendar_for: Any) -> None:
    cal = calendar_for(ME)
    holidays = calendar_id(cal, "Feiertage")
    google.state.calendar.insert_event(holidays, {"id": "neujahr01", **BODY})
    assert [e["id"] for e in cal.events().list(calendarId=holidays).execute()["items"]] == ["neujahr01"]
    for request in (cal.events().insert(calendarId=holidays, body=BODY),
                    cal.events().patch(calendarId=holidays, eventId="neujahr01", body={"summary": "y"}),
                    cal.events().delete(calendarId=holidays, eventId="neujahr01")):
        with pytest.raises(HttpError) as exc:
            request.execute()
        assert error(exc) == (403, "requiredAccessLevel")


def test_events_of_a_calendar_the_account_cannot_see_are_404(calendar_for: Any) -> None:
    anna = calendar_for("anna.schmidt@example.com")
    for request in (anna.events().list(calendarId=ME),
                    anna.events().insert(calendarId=ME, body=BODY),
                    anna.events().get(calendarId="nobody@example.com", eventId="abcdef")):
        with pytest.raises(HttpError) as exc:
            request.execute()
        assert error(exc) == (404, "notFound")


def test_a_read_only_scope_cannot_write(calendar_for: Any) -> None:
    readonly = calendar_for(ME, {SCOPE + "calendar.events.readonly"})
    assert readonly.events().list(calendarId="primary").execute()["items"] == []
    with pytest.raises(HttpError) as exc:
        readonly.events().insert(calendarId="primary", body=BODY).execute()
    assert error(exc) == (403, "insufficientPermissions")


def test_events_need_an_events_scope(calendar_for: Any) -> None:
    list_only = calendar_for(ME, {SCOPE + "calendar.calendarlist.readonly"})
    with pytest.raises(HttpError) as exc:
        list_only.events().list(calendarId="primary").execute()
    assert error(exc) == (403, "insufficientPermissions")


def test_app_created_alone_covers_only_the_apps_calendars(calendar_for: Any) -> None:
    app = calendar_for(ME, {SCOPE + "calendar.app.created"})
    made = app.calendars().insert(body={"summary": "Planer"}).execute()
    ev = app.events().insert(calendarId=made["id"], body=BODY).execute()
    assert app.events().get(calendarId=made["id"], eventId=ev["id"]).execute()["id"] == ev["id"]
    with pytest.raises(HttpError) as exc:
        app.events().list(calendarId="primary").execute()
    assert error(exc) == (403, "insufficientPermissions")


def test_events_scope_writes_into_existing_calendars(calendar_for: Any) -> None:
    app = calendar_for(ME, APP_SCOPES)
    branch = calendar_id(app, "Termine Filiale")
    ev = app.events().insert(calendarId=branch, body=BODY).execute()
    assert app.events().get(calendarId=branch, eventId=ev["id"]).execute()["summary"] == "x"
