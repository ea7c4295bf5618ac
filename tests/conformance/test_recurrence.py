"""Recurring events: expansion rules, instance ids, exceptions, and incremental sync of series."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

ME = "praxis.berlin@example.com"
TZ = "Europe/Berlin"


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["reason"]


def series(eid: str, rule: list[str], start: str = "2030-05-06T10:00:00",
           end: str = "2030-05-06T11:00:00") -> dict[str, Any]:
    return {"id": eid, "summary": "Sprechstunde", "recurrence": rule,
            "start": {"dateTime": start, "timeZone": TZ}, "end": {"dateTime": end, "timeZone": TZ}}


@pytest.fixture
def cal(calendar_for: Any) -> Any:
    return calendar_for(ME)


def insert(cal: Any, body: dict[str, Any]) -> dict[str, Any]:
    return cal.events().insert(calendarId="primary", body=body).execute()


def instances(cal: Any, **params: Any) -> list[dict[str, Any]]:
    return cal.events().list(calendarId="primary", singleEvents=True, orderBy="startTime",
                             **params).execute()["items"]


def starts(items: list[dict[str, Any]]) -> list[str]:
    return [e["start"].get("dateTime", e["start"].get("date")) for e in items]


def test_single_events_expands_instances_instead_of_the_master(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=3"]))
    items = instances(cal)
    assert [e["id"] for e in items] == ["serie0001_20300506T080000Z", "serie0001_20300513T080000Z",
                                        "serie0001_20300520T080000Z"]
    assert all(e["recurringEventId"] == "serie0001" and "recurrence" not in e for e in items)
    assert items[1]["originalStartTime"] == {"dateTime": "2030-05-13T10:00:00+02:00", "timeZone": TZ}
    assert items[1]["end"]["dateTime"] == "2030-05-13T11:00:00+02:00"


def test_without_single_events_the_master_is_listed_with_its_recurrence(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=3"]))
    items = cal.events().list(calendarId="primary").execute()["items"]
    assert [(e["id"], e["recurrence"]) for e in items] == [("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=3"])]


@pytest.mark.parametrize("rule,expected", [
    (["RRULE:FREQ=DAILY;INTERVAL=2;COUNT=3"], ["06", "08", "10"]),
    (["RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4"], ["06", "08", "13", "15"]),
    (["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20300604T000000Z"], ["07", "21"]),
    (["RRULE:FREQ=DAILY;UNTIL=20300509T080000Z"], ["06", "07", "08", "09"]),
    (["RRULE:FREQ=DAILY;COUNT=4", "EXDATE;TZID=Europe/Berlin:20300507T100000"], ["06", "08", "09"]),
    (["RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20300508T080000Z"], ["06", "07"]),
])
def test_rrule_parts_are_honoured(cal: Any, rule: list[str], expected: list[str]) -> None:
    insert(cal, series("rule00001", rule))  # 2030-05-06 is a Monday
    assert [s[8:10] for s in starts(instances(cal))] == expected


def test_all_day_series_use_date_instance_ids(cal: Any) -> None:
    insert(cal, {"id": "urlaub001", "summary": "Urlaub", "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
                 "start": {"date": "2030-05-06"}, "end": {"date": "2030-05-07"}})
    items = instances(cal)
    assert [e["id"] for e in items] == ["urlaub001_20300506", "urlaub001_20300507"]
    assert items[1]["start"] == {"date": "2030-05-07"} and items[1]["end"] == {"date": "2030-05-08"}


def test_expansion_keeps_local_time_across_daylight_saving(cal: Any) -> None:
    insert(cal, series("dst000001", ["RRULE:FREQ=WEEKLY;COUNT=2"], "2030-03-25T10:00:00",
                       "2030-03-25T11:00:00"))
    assert starts(instances(cal)) == ["2030-03-25T10:00:00+01:00", "2030-04-01T10:00:00+02:00"]


def test_unbounded_rules_expand_to_time_max_or_a_horizon(cal: Any) -> None:
    insert(cal, series("forever01", ["RRULE:FREQ=DAILY"]))
    window = instances(cal, timeMin="2030-06-01T00:00:00Z", timeMax="2030-06-08T00:00:00Z")
    assert len(window) == 7
    request = cal.events().list(calendarId="primary", singleEvents=True, maxResults=2500)
    everything = request.execute()["items"]
    assert 365 < len(everything) < 2500
    last = datetime.fromisoformat(max(starts(everything)))
    assert last < datetime.fromisoformat("2030-05-06T10:00:00+02:00") + timedelta(days=800)


def test_recurring_timed_events_need_a_time_zone(cal: Any) -> None:
    body = {"summary": "x", "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
            "start": {"dateTime": "2030-05-06T10:00:00+02:00"},
            "end": {"dateTime": "2030-05-06T11:00:00+02:00"}}
    with pytest.raises(HttpError) as exc:
        insert(cal, body)
    assert error(exc)[0] == 400


@pytest.mark.parametrize("rule", [["RRULE:FREQ=HOURLY"], ["RRULE:FREQ=MONTHLY;BYDAY=1MO"],
                                  ["RDATE:20300601T100000Z"], ["RRULE:FREQ=DAILY;COUNT=0"], ["nonsense"]])
def test_unsupported_or_broken_rules_are_400_invalid(cal: Any, rule: list[str]) -> None:
    with pytest.raises(HttpError) as exc:
        insert(cal, series("broken001", rule))
    assert error(exc) == (400, "invalid")


def test_instances_can_be_fetched_by_id_and_unknown_ones_are_404(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=3"]))
    got = cal.events().get(calendarId="primary", eventId="serie0001_20300513T080000Z").execute()
    assert got["recurringEventId"] == "serie0001" and got["start"]["dateTime"] == "2030-05-13T10:00:00+02:00"
    for missing in ("serie0001_20300514T080000Z", "serie0001_20300527T080000Z", "serie0001_junk"):
        with pytest.raises(HttpError) as exc:
            cal.events().get(calendarId="primary", eventId=missing).execute()
        assert error(exc) == (404, "notFound")


def test_patching_an_instance_makes_a_moved_exception(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=3"]))
    inst = "serie0001_20300513T080000Z"
    moved = cal.events().patch(calendarId="primary", eventId=inst, body={
        "start": {"dateTime": "2030-05-14T15:00:00", "timeZone": TZ},
        "end": {"dateTime": "2030-05-14T16:00:00", "timeZone": TZ}}).execute()
    assert moved["id"] == inst and moved["recurringEventId"] == "serie0001"
    assert moved["originalStartTime"]["dateTime"] == "2030-05-13T10:00:00+02:00"
    assert starts(instances(cal)) == ["2030-05-06T10:00:00+02:00", "2030-05-14T15:00:00+02:00",
                                      "2030-05-20T10:00:00+02:00"]
    masters = cal.events().list(calendarId="primary").execute()["items"]
    assert sorted(e["id"] for e in masters) == ["serie0001", inst]


def test_deleting_an_instance_cancels_just_that_one(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=3"]))
    token = cal.events().list(calendarId="primary", singleEvents=True).execute()["nextSyncToken"]
    cal.events().delete(calendarId="primary", eventId="serie0001_20300513T080000Z").execute()
    assert [s[8:10] for s in starts(instances(cal))] == ["06", "20"]
    changes = cal.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()["items"]
    assert changes == [{"kind": "calendar#event", "etag": changes[0]["etag"],
                        "id": "serie0001_20300513T080000Z", "status": "cancelled",
                        "recurringEventId": "serie0001",
                        "originalStartTime": {"dateTime": "2030-05-13T10:00:00+02:00", "timeZone": TZ}}]


def test_incremental_sync_of_a_changed_master_yields_its_instances(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=4"]))
    token = cal.events().list(calendarId="primary", singleEvents=True).execute()["nextSyncToken"]
    cal.events().patch(calendarId="primary", eventId="serie0001",
                       body={"summary": "Neu", "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"]}).execute()
    page = cal.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    status = {e["id"].split("_")[1][:8]: (e["status"], e.get("summary")) for e in page["items"]}
    assert status == {"20300506": ("confirmed", "Neu"), "20300513": ("confirmed", "Neu"),
                      "20300520": ("cancelled", None), "20300527": ("cancelled", None)}
    cal.events().delete(calendarId="primary", eventId="serie0001").execute()
    page = cal.events().list(calendarId="primary", singleEvents=True,
                             syncToken=page["nextSyncToken"]).execute()
    assert {e["status"] for e in page["items"]} == {"cancelled"} and len(page["items"]) >= 2
    assert instances(cal) == []


def test_a_deleted_master_comes_as_cancelled_without_single_events(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=4"]))
    token = cal.events().list(calendarId="primary").execute()["nextSyncToken"]
    cal.events().delete(calendarId="primary", eventId="serie0001").execute()
    items = cal.events().list(calendarId="primary", syncToken=token).execute()["items"]
    assert [(e["id"], e["status"]) for e in items] == [("serie0001", "cancelled")]


def test_cancelled_instances_stay_in_a_listing_without_single_events(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=WEEKLY;COUNT=3"]))
    cal.events().delete(calendarId="primary", eventId="serie0001_20300513T080000Z").execute()
    items = cal.events().list(calendarId="primary").execute()["items"]
    assert {e["id"]: e["status"] for e in items} == {"serie0001": "confirmed",
                                                     "serie0001_20300513T080000Z": "cancelled"}
    assert instances(cal, showDeleted=True)[1]["status"] == "cancelled"


def test_events_instances_lists_one_series_with_its_exceptions(cal: Any) -> None:
    insert(cal, series("serie0001", ["RRULE:FREQ=DAILY;COUNT=5"]))
    insert(cal, series("andere001", ["RRULE:FREQ=DAILY;COUNT=5"]))
    cal.events().patch(calendarId="primary", eventId="serie0001_20300507T080000Z",
                       body={"summary": "verlegt"}).execute()
    cal.events().delete(calendarId="primary", eventId="serie0001_20300508T080000Z").execute()
    request = cal.events().instances(calendarId="primary", eventId="serie0001", maxResults=3)
    pages = []
    while request is not None:
        page = request.execute()
        pages.append([(e["id"].split("_")[1][:8], e.get("summary")) for e in page["items"]])
        request = cal.events().instances_next(request, page)
    sprech = "Sprechstunde"
    assert pages == [[("20300506", sprech), ("20300507", "verlegt"), ("20300509", sprech)],
                     [("20300510", sprech)]]
