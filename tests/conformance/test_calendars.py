"""calendars.insert/get/delete and the `primary` alias."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.conformance.conftest import APP_SCOPES, SCOPE

ME = "praxis.berlin@example.com"


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["reason"]


def test_insert_returns_a_group_calendar_owned_by_the_caller(google: Any, calendar_for: Any) -> None:
    cal = calendar_for(ME)
    made = cal.calendars().insert(body={"summary": "Planer", "timeZone": "Europe/Vienna"}).execute()
    assert made["kind"] == "calendar#calendar" and made["summary"] == "Planer"
    assert made["timeZone"] == "Europe/Vienna"
    assert re.fullmatch(r"[^@]+@group\.calendar\.google\.com", made["id"])
    entry = next(e for e in cal.calendarList().list().execute()["items"] if e["id"] == made["id"])
    assert entry["accessRole"] == "owner" and "primary" not in entry
    stored = google.state.calendar.calendars[made["id"]]
    assert stored.created_by_client == "local-client.apps.googleusercontent.com"
    assert stored.owner == ME


def test_insert_without_summary_is_400_required(calendar_for: Any) -> None:
    with pytest.raises(HttpError) as exc:
        calendar_for(ME).calendars().insert(body={}).execute()
    assert error(exc) == (400, "required")


def test_primary_is_an_alias_for_the_accounts_email(calendar_for: Any) -> None:
    cal = calendar_for(ME)
    assert cal.calendars().get(calendarId="primary").execute()["id"] == ME
    ev = cal.events().insert(calendarId="primary", body={
        "start": {"date": "2030-05-06"}, "end": {"date": "2030-05-07"}}).execute()
    assert cal.events().get(calendarId=ME, eventId=ev["id"]).execute()["id"] == ev["id"]


def test_the_primary_calendar_cannot_be_deleted(calendar_for: Any) -> None:
    with pytest.raises(HttpError) as exc:
        calendar_for(ME).calendars().delete(calendarId="primary").execute()
    assert error(exc)[0] == 400


def test_a_deleted_calendar_is_404_afterwards(calendar_for: Any) -> None:
    cal = calendar_for(ME)
    made = cal.calendars().insert(body={"summary": "Weg"}).execute()
    assert cal.calendars().delete(calendarId=made["id"]).execute() == ""
    for call in (cal.calendars().get(calendarId=made["id"]),
                 cal.events().list(calendarId=made["id"])):
        with pytest.raises(HttpError) as exc:
            call.execute()
        assert error(exc) == (404, "notFound")


def test_a_calendar_of_another_account_is_404(calendar_for: Any) -> None:
    anna = calendar_for("anna.schmidt@example.com")
    with pytest.raises(HttpError) as exc:
        anna.calendars().get(calendarId=ME).execute()
    assert error(exc) == (404, "notFound")


def test_a_reader_cannot_delete_the_calendar(calendar_for: Any) -> None:
    cal = calendar_for(ME)
    holidays = next(e for e in cal.calendarList().list().execute()["items"] if e["summary"] == "Feiertage")
    with pytest.raises(HttpError) as exc:
        cal.calendars().delete(calendarId=holidays["id"]).execute()
    assert error(exc) == (403, "requiredAccessLevel")


def test_app_created_scope_covers_only_calendars_this_client_made(google: Any, calendar_for: Any) -> None:
    app = calendar_for(ME, APP_SCOPES)
    made = app.calendars().insert(body={"summary": "Vom Planer"}).execute()
    assert app.calendars().get(calendarId=made["id"]).execute()["id"] == made["id"]
    foreign = google.state.calendar.create_calendar(ME, "Handy")  # made by the user, not the app
    with pytest.raises(HttpError) as exc:
        app.calendars().get(calendarId=foreign["id"]).execute()
    assert error(exc) == (403, "insufficientPermissions")
    app.calendars().delete(calendarId=made["id"]).execute()


def test_calendar_scopes_are_checked(calendar_for: Any) -> None:
    events_only = calendar_for(ME, {SCOPE + "calendar.events"})
    with pytest.raises(HttpError) as exc:
        events_only.calendars().insert(body={"summary": "x"}).execute()
    assert error(exc) == (403, "insufficientPermissions")
    readonly = calendar_for(ME, {SCOPE + "calendar.readonly"})
    assert readonly.calendars().get(calendarId="primary").execute()["id"] == ME
    made = calendar_for(ME).calendars().insert(body={"summary": "x"}).execute()
    with pytest.raises(HttpError) as exc:
        readonly.calendars().delete(calendarId=made["id"]).execute()
    assert error(exc) == (403, "insufficientPermissions")
