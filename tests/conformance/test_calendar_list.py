"""calendarList.list: what the principal sees, paging, and its scopes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.conformance.conftest import SCOPE

ME = "praxis.berlin@example.com"


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["reason"], body["message"]


def test_lists_the_seeded_calendars_with_roles_and_primary_flag(calendar_for: Any) -> None:
    items = calendar_for(ME).calendarList().list().execute()["items"]
    by_summary = {e["summary"]: e for e in items}
    assert set(by_summary) == {ME, "Termine Filiale", "Feiertage"}
    assert all(e["kind"] == "calendar#calendarListEntry" and e["timeZone"] for e in items)
    assert by_summary[ME]["id"] == ME and by_summary[ME]["primary"] is True
    assert [e for e in items if e.get("primary")] == [by_summary[ME]]
    assert by_summary["Termine Filiale"]["accessRole"] == "owner"
    assert by_summary["Feiertage"]["accessRole"] == "reader"


@pytest.mark.parametrize("email,expected", [
    ("anna.schmidt@example.com", {"anna.schmidt@example.com", "Anna – Praxis"}),
    ("leer@example.com", {"leer@example.com"}),
])
def test_each_account_sees_only_its_own_calendars(calendar_for: Any, email: str, expected: set) -> None:
    items = calendar_for(email).calendarList().list().execute()["items"]
    assert {e["summary"] for e in items} == expected


def test_pages_with_page_token(google: Any, calendar_for: Any) -> None:
    cal = calendar_for(ME)
    request = cal.calendarList().list(maxResults=2)
    pages, ids = 0, []
    while request is not None:
        page = request.execute()
        pages += 1
        ids += [e["id"] for e in page["items"]]
        request = cal.calendarList().list_next(request, page)
    assert pages == 2 and len(set(ids)) == 3


def test_max_results_is_capped_at_250(google: Any, calendar_for: Any) -> None:
    for n in range(250):
        google.state.calendar.create_calendar(ME, f"K{n:03d}")
    page = calendar_for(ME).calendarList().list(maxResults=1000).execute()
    assert len(page["items"]) == 250 and "nextPageToken" in page


def test_needs_a_calendar_list_scope(calendar_for: Any) -> None:
    app_only = calendar_for(ME, {SCOPE + "calendar.app.created", SCOPE + "calendar.events"})
    with pytest.raises(HttpError) as exc:
        app_only.calendarList().list().execute()
    assert error(exc) == (403, "insufficientPermissions", "Request had insufficient authentication scopes.")
    listing = calendar_for(ME, {SCOPE + "calendar.calendarlist.readonly"})
    assert len(listing.calendarList().list().execute()["items"]) == 3


def test_a_name_the_account_gave_a_calendar_is_its_entrys_summary_override_only(
        calendar_for: Any, ctl: Any) -> None:
    cal = calendar_for(ME)
    [entry] = [e for e in cal.calendarList().list().execute()["items"] if e["summary"] == "Termine Filiale"]
    assert "summaryOverride" not in entry
    ctl.set_summary_override(entry["id"], ME, "Meine Termine")
    [renamed] = [e for e in cal.calendarList().list().execute()["items"] if e["id"] == entry["id"]]
    assert (renamed["summary"], renamed["summaryOverride"]) == ("Termine Filiale", "Meine Termine")
    assert cal.calendars().get(calendarId=entry["id"]).execute()["summary"] == "Termine Filiale"
