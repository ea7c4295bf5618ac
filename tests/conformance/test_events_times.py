"""Event start/end validation and rendering (timed, all-day, time zones)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

ME = "praxis.berlin@example.com"


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["reason"]


@pytest.fixture
def cal(calendar_for: Any) -> Any:
    return calendar_for(ME)


def insert(cal: Any, body: dict[str, Any]) -> dict[str, Any]:
    return cal.events().insert(calendarId="primary", body={"summary": "t", **body}).execute()


@pytest.mark.parametrize("body", [
    {"end": {"dateTime": "2030-05-06T11:00:00Z"}},
    {"start": {"dateTime": "2030-05-06T10:00:00Z"}},
    {"start": {}, "end": {"dateTime": "2030-05-06T11:00:00Z"}},
])
def test_missing_start_or_end_is_400_required(cal: Any, body: dict[str, Any]) -> None:
    with pytest.raises(HttpError) as exc:
        insert(cal, body)
    assert error(exc) == (400, "required")


@pytest.mark.parametrize("start,end", [
    ({"dateTime": "2030-05-06T11:00:00Z"}, {"dateTime": "2030-05-06T10:00:00Z"}),
    ({"date": "2030-05-06"}, {"date": "2030-05-06"}),
    ({"date": "2030-05-07"}, {"date": "2030-05-06"}),
])
def test_end_before_start_is_400_time_range_empty(cal: Any, start: dict, end: dict) -> None:
    with pytest.raises(HttpError) as exc:
        insert(cal, {"start": start, "end": end})
    assert error(exc) == (400, "timeRangeEmpty")


@pytest.mark.parametrize("start", [
    {"dateTime": "6.5.2030 10:00"},
    {"dateTime": "2030-05-06T10:00:00", "timeZone": "PST"},
    {"date": "2030-13-01"},
    {"date": "2030-05-06", "dateTime": "2030-05-06T10:00:00Z"},
])
def test_malformed_times_are_400_invalid(cal: Any, start: dict) -> None:
    with pytest.raises(HttpError) as exc:
        insert(cal, {"start": start, "end": {"dateTime": "2030-05-07T10:00:00Z"}})
    assert error(exc) == (400, "invalid")


def test_a_datetime_without_offset_needs_a_time_zone(cal: Any) -> None:
    body = {"start": {"dateTime": "2030-05-06T10:00:00"}, "end": {"dateTime": "2030-05-06T11:00:00"}}
    with pytest.raises(HttpError) as exc:
        insert(cal, body)
    assert error(exc)[0] == 400
    body["start"]["timeZone"] = body["end"]["timeZone"] = "Europe/Berlin"
    ev = insert(cal, body)
    assert ev["start"] == {"dateTime": "2030-05-06T10:00:00+02:00", "timeZone": "Europe/Berlin"}


def test_datetimes_are_rendered_in_the_calendars_time_zone(cal: Any) -> None:
    ev = insert(cal, {"start": {"dateTime": "2030-01-06T09:00:00Z"},
                      "end": {"dateTime": "2030-01-06T09:30:00Z"}})
    assert ev["start"] == {"dateTime": "2030-01-06T10:00:00+01:00"}
    assert ev["end"] == {"dateTime": "2030-01-06T10:30:00+01:00"}


def test_all_day_events_keep_exclusive_end_dates(cal: Any) -> None:
    ev = insert(cal, {"start": {"date": "2030-05-06"}, "end": {"date": "2030-05-07"}})
    assert ev["start"] == {"date": "2030-05-06"} and ev["end"] == {"date": "2030-05-07"}


def test_patching_all_day_to_timed_needs_date_null(cal: Any) -> None:
    ev = insert(cal, {"start": {"date": "2030-05-06"}, "end": {"date": "2030-05-07"}})
    timed = {"start": {"dateTime": "2030-05-06T10:00:00Z"}, "end": {"dateTime": "2030-05-06T11:00:00Z"}}
    with pytest.raises(HttpError) as exc:
        cal.events().patch(calendarId="primary", eventId=ev["id"], body=timed).execute()
    assert error(exc) == (400, "invalid")
    for key in ("start", "end"):
        timed[key]["date"] = None
    moved = cal.events().patch(calendarId="primary", eventId=ev["id"], body=timed).execute()
    assert moved["start"] == {"dateTime": "2030-05-06T12:00:00+02:00"}


@pytest.mark.parametrize("extra", [
    {"status": "maybe"},
    {"extendedProperties": {"private": {"n": 1}}},
    {"extendedProperties": {"secret": {"n": "1"}}},
])
def test_bad_status_or_extended_properties_are_400_invalid(cal: Any, extra: dict) -> None:
    with pytest.raises(HttpError) as exc:
        insert(cal, {"start": {"date": "2030-05-06"}, "end": {"date": "2030-05-07"}, **extra})
    assert error(exc) == (400, "invalid")


def test_tentative_status_and_extended_properties_round_trip(cal: Any) -> None:
    ev = insert(cal, {"start": {"date": "2030-05-06"}, "end": {"date": "2030-05-07"},
                      "status": "tentative",
                      "extendedProperties": {"private": {"planner": "42"}, "shared": {"k": "v"}}})
    got = cal.events().get(calendarId="primary", eventId=ev["id"]).execute()
    assert got["status"] == "tentative"
    assert got["extendedProperties"] == {"private": {"planner": "42"}, "shared": {"k": "v"}}
