"""events.list full listings: filters, ordering, paging and parameter validation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

ME = "praxis.berlin@example.com"


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["reason"]


def event(eid: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"id": eid, "summary": eid, "start": {"dateTime": start}, "end": {"dateTime": end}, **extra}


@pytest.fixture
def cal(calendar_for: Any) -> Any:
    return calendar_for(ME)


def insert(cal: Any, body: dict[str, Any]) -> dict[str, Any]:
    return cal.events().insert(calendarId="primary", body=body).execute()


def ids(page: dict[str, Any]) -> list[str]:
    return sorted(e["id"] for e in page["items"])


def phone_inserts(google: Any, prefix: str, count: int) -> None:
    """Set up `count` events through the store (the "phone"): that many API calls would be slow."""
    for n in range(count):
        google.state.calendar.insert_event(ME, event(f"{prefix}{n:05d}", "2030-05-06T10:00:00Z",
                                                     "2030-05-06T11:00:00Z"))


def test_full_listing_omits_cancelled_events_unless_show_deleted(cal: Any) -> None:
    insert(cal, event("keep00001", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z"))
    insert(cal, event("gone00001", "2030-05-06T12:00:00Z", "2030-05-06T13:00:00Z"))
    cal.events().delete(calendarId="primary", eventId="gone00001").execute()
    assert ids(cal.events().list(calendarId="primary").execute()) == ["keep00001"]
    shown = cal.events().list(calendarId="primary", showDeleted=True).execute()
    assert ids(shown) == ["gone00001", "keep00001"]
    assert {e["id"]: e["status"] for e in shown["items"]}["gone00001"] == "cancelled"


def test_time_min_bounds_the_end_and_time_max_the_start_both_exclusive(cal: Any) -> None:
    insert(cal, event("slot00001", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z"))

    def listed(**kw: str) -> bool:
        return ids(cal.events().list(calendarId="primary", **kw).execute()) == ["slot00001"]

    assert not listed(timeMin="2030-05-06T11:00:00Z")
    assert listed(timeMin="2030-05-06T10:59:59Z")
    assert not listed(timeMax="2030-05-06T10:00:00Z")
    assert listed(timeMax="2030-05-06T10:00:01Z")
    assert listed(timeMin="2030-05-06T12:30:00+02:00", timeMax="2030-05-06T12:30:01+02:00")


@pytest.mark.parametrize("time_max", ["2030-05-06T10:00:00Z", "2030-05-06T09:00:00Z"])
def test_time_max_not_after_time_min_is_400_time_range_empty(cal: Any, time_max: str) -> None:
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", timeMin="2030-05-06T10:00:00Z", timeMax=time_max).execute()
    assert error(exc) == (400, "timeRangeEmpty")


def test_time_bounds_need_an_offset(cal: Any) -> None:
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", timeMin="2030-05-06T10:00:00").execute()
    assert error(exc) == (400, "invalid")


def test_order_by_start_time_needs_single_events(cal: Any) -> None:
    insert(cal, event("later0001", "2030-05-07T10:00:00Z", "2030-05-07T11:00:00Z"))
    insert(cal, event("first0001", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z"))
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", orderBy="startTime").execute()
    assert error(exc) == (400, "invalid")
    page = cal.events().list(calendarId="primary", orderBy="startTime", singleEvents=True).execute()
    assert [e["id"] for e in page["items"]] == ["first0001", "later0001"]


def test_private_extended_property_filter(cal: Any) -> None:
    insert(cal, event("ours00001", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z",
                      extendedProperties={"private": {"planner": "1", "branch": "b"}}))
    insert(cal, event("theirs001", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z",
                      extendedProperties={"private": {"planner": "2"}}))
    page = cal.events().list(calendarId="primary", privateExtendedProperty=["planner=1"]).execute()
    assert ids(page) == ["ours00001"]
    page = cal.events().list(calendarId="primary",
                             privateExtendedProperty=["planner=1", "branch=x"]).execute()
    assert ids(page) == []


def test_pages_carry_next_page_token_xor_next_sync_token(cal: Any) -> None:
    for n in range(5):
        insert(cal, event(f"page{n:05d}", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z"))
    seen, token, pages = [], None, 0
    while True:
        page = cal.events().list(calendarId="primary", maxResults=2, pageToken=token).execute()
        pages += 1
        assert ("nextPageToken" in page) != ("nextSyncToken" in page)
        seen += [e["id"] for e in page["items"]]
        token = page.get("nextPageToken")
        if token is None:
            break
    assert pages == 3 and sorted(seen) == [f"page{n:05d}" for n in range(5)]


def test_max_results_defaults_to_250(google: Any, cal: Any) -> None:
    phone_inserts(google, "dflt", 251)
    page = cal.events().list(calendarId="primary").execute()
    assert len(page["items"]) == 250 and "nextPageToken" in page


def test_max_results_is_capped_at_2500(google: Any, cal: Any) -> None:
    phone_inserts(google, "cap", 2501)
    page = cal.events().list(calendarId="primary", maxResults=5000).execute()
    assert len(page["items"]) == 2500 and "nextPageToken" in page


def test_a_page_token_from_another_query_is_400(cal: Any) -> None:
    for n in range(3):
        insert(cal, event(f"other{n:04d}", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z"))
    token = cal.events().list(calendarId="primary", maxResults=1).execute()["nextPageToken"]
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", maxResults=1, pageToken=token, q="x").execute()
    assert error(exc) == (400, "invalid")


def test_updated_min_includes_deletions_regardless_of_show_deleted(google: Any, cal: Any) -> None:
    insert(cal, event("old000001", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z"))
    insert(cal, event("gone00001", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z"))
    google.state.advance_clock(60)
    since = cal.events().patch(calendarId="primary", eventId="gone00001", body={}).execute()["updated"]
    cal.events().delete(calendarId="primary", eventId="gone00001").execute()
    page = cal.events().list(calendarId="primary", updatedMin=since).execute()
    assert [(e["id"], e["status"]) for e in page["items"]] == [("gone00001", "cancelled")]


def test_q_searches_summary_description_and_location(cal: Any) -> None:
    insert(cal, event("kontrolle", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z",
                      description="Kontrolle beim Zahnarzt"))
    insert(cal, event("haar00001", "2030-05-06T10:00:00Z", "2030-05-06T11:00:00Z", location="Friseur"))
    assert ids(cal.events().list(calendarId="primary", q="zahnarzt").execute()) == ["kontrolle"]
    assert ids(cal.events().list(calendarId="primary", q="FRISEUR").execute()) == ["haar00001"]
