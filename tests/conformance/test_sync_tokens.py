"""Incremental sync: sync tokens, deletions, invalidation and consistency while paging."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

ME = "praxis.berlin@example.com"


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["domain"], body["errors"][0]["reason"]


def event(eid: str, hour: int = 10, **extra: Any) -> dict[str, Any]:
    return {"id": eid, "summary": eid, "start": {"dateTime": f"2030-05-06T{hour:02d}:00:00Z"},
            "end": {"dateTime": f"2030-05-06T{hour:02d}:30:00Z"}, **extra}


@pytest.fixture
def cal(calendar_for: Any) -> Any:
    return calendar_for(ME)


def insert(cal: Any, body: dict[str, Any]) -> dict[str, Any]:
    return cal.events().insert(calendarId="primary", body=body).execute()


def drain(cal: Any, **params: Any) -> tuple[list[dict[str, Any]], str]:
    """Every page of a listing; returns the items and the final nextSyncToken."""
    items: list[dict[str, Any]] = []
    request = cal.events().list(calendarId="primary", **params)
    while True:
        page = request.execute()
        assert ("nextPageToken" in page) != ("nextSyncToken" in page)
        items += page["items"]
        if "nextSyncToken" in page:
            return items, page["nextSyncToken"]
        request = cal.events().list_next(request, page)


def test_incremental_sync_returns_only_what_changed(cal: Any) -> None:
    insert(cal, event("same00001"))
    insert(cal, event("edit00001"))
    _, token = drain(cal)
    cal.events().patch(calendarId="primary", eventId="edit00001", body={"summary": "neu"}).execute()
    insert(cal, event("neu000001"))
    items, token2 = drain(cal, syncToken=token)
    assert sorted(e["id"] for e in items) == ["edit00001", "neu000001"]
    assert drain(cal, syncToken=token2)[0] == []


def test_deletions_come_as_minimal_cancelled_items_unless_show_deleted(cal: Any) -> None:
    insert(cal, event("gone00001", description="geheim"))
    _, token = drain(cal)
    cal.events().delete(calendarId="primary", eventId="gone00001").execute()
    items, _ = drain(cal, syncToken=token)
    assert [(e["id"], e["status"]) for e in items] == [("gone00001", "cancelled")]
    assert set(items[0]) <= {"kind", "etag", "id", "status"}
    _, token_sd = drain(cal, showDeleted=True)
    cal.events().patch(calendarId="primary", eventId="gone00001", body={"summary": "x"}).execute()
    full, _ = drain(cal, syncToken=token_sd, showDeleted=True)
    assert full[0]["status"] == "cancelled" and full[0]["summary"] == "x"


@pytest.mark.parametrize("param,value", [
    ("iCalUID", "x@google.com"), ("orderBy", "updated"), ("privateExtendedProperty", ["a=b"]),
    ("q", "x"), ("sharedExtendedProperty", ["a=b"]), ("timeMin", "2030-01-01T00:00:00Z"),
    ("timeMax", "2030-01-01T00:00:00Z"), ("updatedMin", "2030-01-01T00:00:00Z"),
])
def test_sync_token_with_a_filter_is_400(cal: Any, param: str, value: Any) -> None:
    _, token = drain(cal)
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", syncToken=token, **{param: value}).execute()
    assert error(exc)[0] == 400


@pytest.mark.parametrize("scope", ["calendar", "all"])
def test_invalidated_tokens_are_410_full_sync_required(google: Any, cal: Any, scope: str) -> None:
    _, token = drain(cal)
    google.state.calendar.invalidate_sync_tokens(ME if scope == "calendar" else None)
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", syncToken=token).execute()
    assert error(exc) == (410, "calendar", "fullSyncRequired")
    _, fresh = drain(cal)
    assert drain(cal, syncToken=fresh)[0] == []


def test_invalidating_one_calendar_keeps_the_others_tokens(google: Any, cal: Any) -> None:
    _, token = drain(cal)
    other = google.state.calendar.create_calendar(ME, "Andere")
    google.state.calendar.invalidate_sync_tokens(other["id"])
    assert drain(cal, syncToken=token)[0] == []


@pytest.mark.parametrize("token", ["garbage", "eyJ0IjoicyJ9"])
def test_unknown_tokens_are_410_full_sync_required(cal: Any, token: str) -> None:
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", syncToken=token).execute()
    assert error(exc) == (410, "calendar", "fullSyncRequired")


def test_sync_tokens_are_short_and_opaque_like_googles(cal: Any) -> None:
    """Sent with every incremental listing: the emulator's are as short as Google's (~30 chars)."""
    insert(cal, event("evt00001"))
    token = cal.events().list(calendarId="primary").execute()["nextSyncToken"]
    assert len(token) <= 40
    assert "primary" not in token and ME not in token
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", syncToken=token[:-8]).execute()
    assert error(exc) == (410, "calendar", "fullSyncRequired")


def test_a_token_of_another_calendar_is_410(cal: Any) -> None:
    other = cal.calendars().insert(body={"summary": "Zweiter"}).execute()
    token = cal.events().list(calendarId=other["id"]).execute()["nextSyncToken"]
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", syncToken=token).execute()
    assert error(exc) == (410, "calendar", "fullSyncRequired")


def test_changes_made_while_paging_are_not_lost(cal: Any) -> None:
    for n in range(1, 7):
        insert(cal, event(f"evt0000{n}", hour=n))
    request = cal.events().list(calendarId="primary", maxResults=3)
    page = request.execute()
    seen = {e["id"] for e in page["items"]}
    assert seen == {"evt00001", "evt00002", "evt00003"}
    # While the client pages: a new event sorting before the cursor, an edit and two deletions
    # of events already handed out (an offset-based pager would now skip evt00004), and a
    # deletion of one not handed out yet.
    insert(cal, event("evt00000"))
    cal.events().patch(calendarId="primary", eventId="evt00001", body={"summary": "neu"}).execute()
    for gone in ("evt00002", "evt00003", "evt00006"):
        cal.events().delete(calendarId="primary", eventId=gone).execute()
    while "nextPageToken" in page:
        request = cal.events().list_next(request, page)
        page = request.execute()
        seen |= {e["id"] for e in page["items"]}
    assert {"evt00004", "evt00005"} <= seen
    changes, _ = drain(cal, syncToken=page["nextSyncToken"])
    status = {e["id"]: e["status"] for e in changes}
    assert status == {"evt00000": "confirmed", "evt00001": "confirmed", "evt00002": "cancelled",
                      "evt00003": "cancelled", "evt00006": "cancelled"}
    assert next(e for e in changes if e["id"] == "evt00001")["summary"] == "neu"


def test_incremental_results_page_with_the_sync_token(cal: Any) -> None:
    _, token = drain(cal)
    for n in range(5):
        insert(cal, event(f"inc{n:05d}"))
    request = cal.events().list(calendarId="primary", syncToken=token, maxResults=2)
    pages, items = 0, []
    while request is not None:
        page = request.execute()
        pages += 1
        assert ("nextPageToken" in page) != ("nextSyncToken" in page)
        items += page["items"]
        request = cal.events().list_next(request, page)
    assert pages == 3 and len({e["id"] for e in items}) == 5


def test_a_sync_token_must_be_used_with_the_same_single_events(cal: Any) -> None:
    _, token = drain(cal, singleEvents=False)
    with pytest.raises(HttpError) as exc:
        cal.events().list(calendarId="primary", syncToken=token, singleEvents=True).execute()
    assert error(exc)[0] == 400


def test_phone_edits_bump_etag_and_sequence_and_show_up_in_sync(google: Any, cal: Any) -> None:
    before = insert(cal, event("phone0001"))
    _, token = drain(cal)
    google.state.calendar.patch_event(ME, "phone0001", {"start": {"dateTime": "2030-05-06T15:00:00Z"},
                                                        "end": {"dateTime": "2030-05-06T16:00:00Z"}})
    google.state.calendar.insert_event(ME, event("phone0002"))
    items, token = drain(cal, syncToken=token)
    by_id = {e["id"]: e for e in items}
    assert set(by_id) == {"phone0001", "phone0002"}
    assert by_id["phone0001"]["etag"] != before["etag"] and by_id["phone0001"]["sequence"] == 1
    google.state.calendar.delete_event(ME, "phone0002")
    items, _ = drain(cal, syncToken=token)
    assert [(e["id"], e["status"]) for e in items] == [("phone0002", "cancelled")]
    stored = {e["id"]: e["status"] for e in google.state.calendar.all_events(ME)}
    assert stored == {"phone0001": "confirmed", "phone0002": "cancelled"}
