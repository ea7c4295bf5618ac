"""events.insert/get/patch/update/delete, driven by the real google-api-python-client."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from googleapiclient.errors import HttpError

ME = "praxis.berlin@example.com"


def timed(start: str = "2030-05-06T10:00:00+02:00", end: str = "2030-05-06T11:00:00+02:00",
          **extra: Any) -> dict[str, Any]:
    return {"summary": "Termin", "start": {"dateTime": start}, "end": {"dateTime": end}, **extra}


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["reason"]


@pytest.fixture
def cal(calendar_for: Any) -> Any:
    return calendar_for(ME)


def insert(cal: Any, body: dict[str, Any]) -> dict[str, Any]:
    return cal.events().insert(calendarId="primary", body=body).execute()


def test_insert_returns_a_complete_event_resource(cal: Any) -> None:
    ev = insert(cal, timed(id="termin00001"))
    assert ev["kind"] == "calendar#event"
    assert ev["id"] == "termin00001" and ev["status"] == "confirmed" and ev["sequence"] == 0
    assert re.fullmatch(r'"[^"]+"', ev["etag"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ev["updated"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ev["created"])
    assert ev["iCalUID"] and ev["htmlLink"].startswith("https://")
    assert ev["creator"]["email"] == ME and ev["organizer"]["email"] == ME
    assert cal.events().get(calendarId=ME, eventId="termin00001").execute() == ev


def test_generated_ids_use_googles_alphabet(cal: Any) -> None:
    ev = insert(cal, timed())
    assert re.fullmatch(r"[a-v0-9]{5,1024}", ev["id"])


@pytest.mark.parametrize("bad_id", ["abc", "Termin00001", "termin-0001", "wxyz00001", "a_b_c_d_e"])
def test_client_ids_outside_base32hex_are_400_invalid(cal: Any, bad_id: str) -> None:
    with pytest.raises(HttpError) as exc:
        insert(cal, timed(id=bad_id))
    assert error(exc) == (400, "invalid")


def test_insert_with_an_existing_id_is_409_duplicate_even_when_deleted(cal: Any) -> None:
    insert(cal, timed(id="dup00001"))
    with pytest.raises(HttpError) as exc:
        insert(cal, timed(id="dup00001"))
    assert error(exc) == (409, "duplicate")
    cal.events().delete(calendarId="primary", eventId="dup00001").execute()
    with pytest.raises(HttpError) as exc:
        insert(cal, timed(id="dup00001"))
    assert error(exc) == (409, "duplicate")


def test_delete_is_204_then_410_deleted_and_get_shows_cancelled(cal: Any) -> None:
    insert(cal, timed(id="del00001"))
    assert cal.events().delete(calendarId="primary", eventId="del00001").execute() == ""
    with pytest.raises(HttpError) as exc:
        cal.events().delete(calendarId="primary", eventId="del00001").execute()
    assert error(exc) == (410, "deleted")
    assert cal.events().get(calendarId="primary", eventId="del00001").execute()["status"] == "cancelled"


def test_unknown_event_is_404(cal: Any) -> None:
    with pytest.raises(HttpError) as exc:
        cal.events().get(calendarId="primary", eventId="nothere01").execute()
    assert error(exc) == (404, "notFound")


@pytest.mark.parametrize("method", ["patch", "update"])
def test_a_deleted_event_is_revived_with_status_confirmed(cal: Any, method: str) -> None:
    insert(cal, timed(id="revive001"))
    cal.events().delete(calendarId="primary", eventId="revive001").execute()
    body = {"status": "confirmed"} if method == "patch" else timed(status="confirmed")
    revived = getattr(cal.events(), method)(calendarId="primary", eventId="revive001", body=body).execute()
    assert revived["status"] == "confirmed"
    listed = cal.events().list(calendarId="primary").execute()["items"]
    assert [e["id"] for e in listed] == ["revive001"]


def test_patch_merges_objects_replaces_arrays_and_null_deletes(cal: Any) -> None:
    insert(cal, timed(id="merge0001", description="alt", location="Praxis",
                      extendedProperties={"private": {"a": "1", "b": "2"}},
                      attendees=[{"email": "x@example.com"}, {"email": "y@example.com"}]))
    ev = cal.events().patch(calendarId="primary", eventId="merge0001", body={
        "extendedProperties": {"private": {"b": "3", "c": "4"}},
        "attendees": [{"email": "z@example.com"}],
        "description": None,
    }).execute()
    assert ev["extendedProperties"]["private"] == {"a": "1", "b": "3", "c": "4"}
    assert ev["attendees"] == [{"email": "z@example.com"}]
    assert "description" not in ev and ev["location"] == "Praxis" and ev["summary"] == "Termin"


def test_update_replaces_the_whole_event(cal: Any) -> None:
    insert(cal, timed(id="put000001", description="weg", location="weg"))
    ev = cal.events().update(calendarId="primary", eventId="put000001",
                             body=timed(summary="Neu")).execute()
    assert ev["summary"] == "Neu"
    assert "description" not in ev and "location" not in ev
    assert ev["id"] == "put000001" and ev["creator"]["email"] == ME


def test_every_write_changes_etag_and_updated(cal: Any, google: Any) -> None:
    first = insert(cal, timed(id="etag00001"))
    google.state.advance_clock(1.0)
    second = cal.events().patch(calendarId="primary", eventId="etag00001", body={"summary": "b"}).execute()
    google.state.advance_clock(1.0)
    third = cal.events().patch(calendarId="primary", eventId="etag00001", body={"summary": "b"}).execute()
    assert len({first["etag"], second["etag"], third["etag"]}) == 3
    assert first["updated"] < second["updated"] < third["updated"]


def test_sequence_bumps_on_time_changes_only(cal: Any) -> None:
    insert(cal, timed(id="seq000001"))
    renamed = cal.events().patch(calendarId="primary", eventId="seq000001", body={"summary": "x"}).execute()
    assert renamed["sequence"] == 0
    moved = cal.events().patch(calendarId="primary", eventId="seq000001", body={
        "start": {"dateTime": "2030-05-06T12:00:00+02:00"},
        "end": {"dateTime": "2030-05-06T13:00:00+02:00"}}).execute()
    assert moved["sequence"] == 1


@pytest.mark.parametrize("method", ["patch", "update", "delete"])
def test_if_match_with_a_stale_etag_is_412_condition_not_met(cal: Any, method: str) -> None:
    stale = insert(cal, timed(id="match0001"))["etag"]
    fresh = cal.events().patch(calendarId="primary", eventId="match0001", body={"summary": "2"}).execute()
    kwargs: dict[str, Any] = {"calendarId": "primary", "eventId": "match0001"}
    if method != "delete":
        kwargs["body"] = timed(summary="3")
    request = getattr(cal.events(), method)(**kwargs)
    request.headers["If-Match"] = stale
    with pytest.raises(HttpError) as exc:
        request.execute()
    assert error(exc) == (412, "conditionNotMet")
    request = getattr(cal.events(), method)(**kwargs)
    request.headers["If-Match"] = fresh["etag"]
    request.execute()


def test_import_is_keyed_by_ical_uid(cal: Any) -> None:
    body = timed(iCalUID="termin-42@planer.example")
    first = cal.events().import_(calendarId="primary", body=body).execute()
    again = cal.events().import_(calendarId="primary", body={**body, "summary": "Neu"}).execute()
    assert again["id"] == first["id"] and again["summary"] == "Neu"
    assert again["iCalUID"] == "termin-42@planer.example"
    with pytest.raises(HttpError) as exc:
        cal.events().import_(calendarId="primary", body=timed()).execute()
    assert error(exc) == (400, "required")
