"""The planner's appointment API: validation (4xx, nothing changed), versions, the changes feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.sync import limits
from functions.sync.mapping import appointment_id_for_event
from tests.integration.conftest import BRANCH, Api

pytestmark = pytest.mark.firestore
PATH = f"/planner/branches/{BRANCH}/appointments"
GOOD = {"resource_id": "anna", "start": "2031-05-06T09:00:00+02:00", "end": "2031-05-06T10:00:00+02:00",
        "title": "Hörtest"}


@pytest.fixture
def branch(api: Api) -> Api:
    api.setup_branch()
    return api


def feed(api: Api, cursor: str | None = None, limit: int | None = None) -> dict:
    query = {k: v for k, v in {"cursor": cursor, "limit": limit}.items() if v is not None}
    r = api.call("GET", f"/planner/branches/{BRANCH}/changes", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_put_get_delete_round_trip(branch: Api) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | {"location": "Raum 2", "notes": "Hörgerät"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["version"] == 1 and body["appointment"]["title"] == "Hörtest"
    assert branch.call("GET", f"{PATH}/t1").get_json() == body
    assert branch.call("DELETE", f"{PATH}/t1").status_code == 204
    r = branch.call("GET", f"{PATH}/t1")
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "not_found")
    r = branch.call("DELETE", f"{PATH}/t1", headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["message"]) == (404, "Appointment t1 does not exist.")
    r = branch.call("GET", f"{PATH}/t1", headers={"Accept-Language": "en"})
    assert r.get_json()["error"]["message"] == "Appointment t1 does not exist."


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/planner/branches/b:1/changes"), ("GET", "/planner/branches/b:1/appointments/t1"),
    ("PUT", "/planner/branches/b:1/appointments/t1"), ("DELETE", "/planner/branches/b:1/appointments/t1")])
def test_a_bad_branch_id_is_400_and_names_it(branch: Api, method: str, path: str) -> None:
    r = branch.call(method, path, GOOD if method == "PUT" else None, headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_id")
    assert r.get_json()["error"]["message"].startswith("branch_id must be")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_bad_appointment_id_is_400_and_names_it(branch: Api, method: str) -> None:
    body = GOOD if method == "PUT" else None
    r = branch.call(method, f"{PATH}/t:1", body, headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_id")
    assert r.get_json()["error"]["message"].startswith("appointment_id must be")


def test_unchanged_put_keeps_the_version_and_the_feed(branch: Api) -> None:
    branch.call("PUT", f"{PATH}/t1", GOOD)
    before = feed(branch)
    again = branch.call("PUT", f"{PATH}/t1", GOOD).get_json()
    assert again["version"] == 1
    assert feed(branch) == before
    changed = branch.call("PUT", f"{PATH}/t1", GOOD | {"title": "Anpassung"}).get_json()
    assert changed["version"] == 2


def test_all_day_appointments_use_dates_with_exclusive_end(branch: Api) -> None:
    r = branch.call("PUT", f"{PATH}/d1", GOOD | {"all_day": True, "start": "2031-05-06", "end": "2031-05-07"})
    assert r.status_code == 200 and r.get_json()["appointment"]["all_day"] is True


@pytest.mark.parametrize(("change", "code"), [
    ({"end": "2031-05-06T08:00:00+02:00"}, "invalid_time"),                 # end before start
    ({"end": GOOD["start"]}, "invalid_time"),                               # empty
    ({"start": "2031-05-06T09:00:00"}, "invalid_time"),                     # no offset
    ({"start": "06.05.2031 09:00"}, "invalid_time"),
    ({"all_day": True, "start": "2031-05-06", "end": "2031-05-06"}, "invalid_time"),
    ({"all_day": True}, "invalid_time"),                                    # timed values, all-day flag
    ({"all_day": True, "start": "2031-W19-2", "end": "2031-05-07"}, "invalid_time"),  # ISO week date
    ({"all_day": "ja"}, "invalid_field"),
    ({"title": None}, "missing_field"),
    ({"title": 5}, "invalid_field"),
    ({"title": "x" * (limits.TITLE_MAX + 1)}, "invalid_field"),
    ({"location": "x" * (limits.LOCATION_MAX + 1)}, "invalid_field"),
    ({"notes": "x" * (limits.NOTES_MAX + 1)}, "invalid_field"),
    ({"notes": "a\ud800b"}, "invalid_field"),                                # lone surrogate: was a 500
    ({"resource_id": "a/b"}, "invalid_id"),
    ({"patient": "Müller"}, "unknown_field"),
])
def test_bad_appointments_are_400_and_change_nothing(branch: Api, change: dict, code: str) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | change)
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, code), r.get_data(as_text=True)
    assert branch.call("GET", f"{PATH}/t1").status_code == 404
    assert feed(branch)["changes"] == []


@pytest.mark.parametrize(("change", "code", "message"), [
    ({"resource_id": "a/b"}, "invalid_id", "resource_id must be 1-64 letters, digits"),
    ({"start": "06.05.2031 09:00"}, "invalid_time", "'start' must be RFC 3339 with an offset"),
    ({"end": "2031-05-06T10:00:00"}, "invalid_time", "'end' must be RFC 3339 with an offset"),
    ({"start": "2031-02-30T09:00:00+01:00"}, "invalid_time", "'start' is not a valid RFC 3339 time."),
    ({"end": "2031-05-06T24:00:00+02:00"}, "invalid_time", "'end' is not a valid RFC 3339 time."),
])
def test_a_bad_resource_or_time_is_a_400_that_names_it(branch: Api, change: dict, code: str,
                                                       message: str) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | change, headers={"Accept-Language": "en"})
    error = r.get_json()["error"]
    assert (r.status_code, error["code"]) == (400, code)
    assert error["message"].startswith(message), error["message"]
    assert branch.call("GET", f"{PATH}/t1").status_code == 404


@pytest.mark.parametrize("text", ["2031-05-06T09:00:00Z", "2031-05-06t09:00:00.5z"])
def test_a_time_in_utc_is_stored_as_google_writes_it(branch: Api, text: str) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | {"start": text, "end": "2031-05-06T12:00:00+02:00"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["appointment"]["start"] == text.upper()


# Issue 9 (4a): times Python or another zone cannot represent were accepted, then failed every run.
EXTREME_TIMES = [
    ({"start": "9999-12-31T20:00:00-14:00", "end": "9999-12-31T21:00:00-14:00"}, "start"),
    ({"start": "0001-01-01T01:00:00+14:00", "end": "0001-01-01T02:00:00+14:00"}, "start"),
    ({"start": "0001-01-01T01:00:00+14:00"}, "start"),                          # the end is fine
    ({"start": "9999-12-30T23:00:00Z", "end": "9999-12-31T00:00:00Z"}, "end"),  # just past the range
    ({"start": "0001-01-01T23:59:59Z"}, "start"),
    ({"all_day": True, "start": "0001-01-01", "end": "0001-01-02"}, "start"),
    ({"all_day": True, "start": "9999-12-30", "end": "9999-12-31"}, "end"),
]


@pytest.mark.parametrize(("change", "field"), EXTREME_TIMES)
def test_times_beyond_what_every_zone_can_show_are_400_and_change_nothing(branch: Api, change: dict,
                                                                          field: str) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | change)
    assert r.status_code == 400, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == "invalid_time"
    assert error["message"].startswith(f"'{field}'")
    assert "0001-01-02" in error["message"] and "9999-12-30" in error["message"]
    assert branch.call("GET", f"{PATH}/t1").status_code == 404
    assert feed(branch)["changes"] == []


@pytest.mark.parametrize("change", [
    {"start": "0001-01-02T00:00:00Z", "end": "0001-01-02T02:00:00+01:00"},
    {"start": "9999-12-30T22:00:00Z", "end": "9999-12-30T23:59:59Z"},
    {"start": "9999-12-31T09:59:59+14:00", "end": "9999-12-31T10:59:58+11:00"},
    {"all_day": True, "start": "0001-01-02", "end": "9999-12-30"},
])
def test_the_edges_of_the_time_range_are_accepted(branch: Api, change: dict) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | change)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["appointment"]["start"] == change["start"]


def test_texts_up_to_the_limits_are_stored_exactly_as_sent(branch: Api) -> None:
    texts = {"title": "", "location": "", "notes": "  "}
    r = branch.call("PUT", f"{PATH}/t1", GOOD | texts)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert {k: r.get_json()["appointment"][k] for k in texts} == texts
    longest = {"title": " T" + "t" * (limits.TITLE_MAX - 3) + " ", "location": "L" * limits.LOCATION_MAX,
               "notes": "N" * limits.NOTES_MAX}
    r = branch.call("PUT", f"{PATH}/t2", GOOD | longest)
    assert r.status_code == 200, r.get_data(as_text=True)
    stored = branch.call("GET", f"{PATH}/t2").get_json()["appointment"]
    assert {k: stored[k] for k in longest} == longest  # not stripped, not cut


def _body(appointment: dict) -> dict:
    keys = ("resource_id", "start", "end", "all_day", "title", "location", "notes")
    return {k: appointment[k] for k in keys}


def _sync(api: Api) -> dict:
    r = api.call("POST", "/sync")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def _at(days: int, hour: int) -> str:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:00:00+01:00"


def test_appointments_the_sync_created_can_be_written_back(linked: tuple[Api, str],
                                                           control: EmulatorControl) -> None:
    """Issue 9 (5): GET → change the time → PUT of a pulled appointment answers 200."""
    api, cal = linked
    _sync(api)
    phone = {
        "untitled": {},
        "long_title": {"summary": "T" * 600},
        "long_notes": {"summary": "Befund", "description": "d" * 12_000},
        "over_limits": {"summary": "S" * 1500, "location": "L" * 1100, "description": "D" * 20_000},
    }
    events = {}
    for day, (name, texts) in enumerate(phone.items(), start=2):
        created = control.phone_create(cal, texts | {"start": {"dateTime": _at(day, 9)},
                                                     "end": {"dateTime": _at(day, 10)}})
        events[name] = created["id"]
    assert _sync(api) == {"links": 1, "pushed": 0, "pulled": 4, "conflicts": 0, "failed": 0, "skipped": 0}

    control.reset_counters()
    assert _sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
    assert control.counters()["calendars"][cal]["write"] == 0  # pulled content hashes like its event

    path = {name: f"{PATH}/{appointment_id_for_event(BRANCH, 'anna', eid)}" for name, eid in events.items()}
    pulled = {name: api.call("GET", p).get_json()["appointment"] for name, p in path.items()}
    before = {e["id"]: e for e in control.events(cal)}
    for day, name in enumerate(phone, start=2):
        moved = _body(pulled[name]) | {"start": _at(day, 11), "end": _at(day, 12)}
        r = api.call("PUT", path[name], moved)
        assert r.status_code == 200, (name, r.get_data(as_text=True))
        assert _body(r.get_json()["appointment"]) == moved  # stored as sent
    assert pulled["untitled"]["title"] == ""
    assert pulled["long_title"]["title"] == "T" * 600 and pulled["long_notes"]["notes"] == "d" * 12_000
    clamped = pulled["over_limits"]
    assert (clamped["title"], clamped["location"], clamped["notes"]) == (
        "S" * limits.TITLE_MAX, "L" * limits.LOCATION_MAX, "D" * limits.NOTES_MAX)

    control.reset_counters()
    assert _sync(api) == {"links": 1, "pushed": 4, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
    after = {e["id"]: e for e in control.events(cal)}
    for day, name in enumerate(phone, start=2):
        old, new = before[events[name]], after[events[name]]
        for key in ("summary", "location", "description"):  # the phone's texts stay whole
            assert new.get(key) == old.get(key), (name, key)
        assert datetime.fromisoformat(new["start"]["dateTime"]) == datetime.fromisoformat(_at(day, 11))
        assert datetime.fromisoformat(new["end"]["dateTime"]) == datetime.fromisoformat(_at(day, 12))

    control.reset_counters()
    assert _sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
    assert control.counters()["calendars"][cal]["write"] == 0  # and no echo of the push


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_bad_appointment_id_is_a_400_that_names_the_field(branch: Api, method: str) -> None:
    r = branch.call(method, f"{PATH}/t%201", GOOD if method == "PUT" else None,
                    headers={"Accept-Language": "en"})
    assert r.status_code == 400
    assert r.get_json()["error"]["message"].startswith("appointment_id must be ")
    assert feed(branch)["changes"] == []


def test_resource_must_exist_in_the_branch(branch: Api) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | {"resource_id": "unbekannt"})
    assert r.status_code == 404
    assert feed(branch)["changes"] == []


def test_only_the_planner_uses_the_appointment_api(branch: Api) -> None:
    admin = branch.token("admin")  # of this branch: refused as such, not as one of another branch
    for method, body in (("PUT", GOOD), ("GET", None), ("DELETE", None)):
        r = branch.call(method, f"{PATH}/t1", body, token=admin, headers={"Accept-Language": "en"})
        assert r.status_code == 403
        assert r.get_json()["error"]["message"] == "You may not act on this branch or resource."
    assert branch.call("GET", f"/planner/branches/{BRANCH}/changes", token=admin).status_code == 403


def test_changes_feed_pages_with_its_cursor_oldest_first(branch: Api) -> None:
    for i in range(5):
        branch.call("PUT", f"{PATH}/t{i}", GOOD | {"title": f"T{i}"})
    branch.call("DELETE", f"{PATH}/t1")
    first = feed(branch, limit=3)
    assert [c["appointment_id"] for c in first["changes"]] == ["t0", "t2", "t3"]
    rest = feed(branch, cursor=first["cursor"])
    assert [(c["appointment_id"], c["deleted"]) for c in rest["changes"]] == [("t4", False), ("t1", True)]
    assert all(c["origin"] == "planner" for c in first["changes"] + rest["changes"])
    caught_up = feed(branch, cursor=rest["cursor"])
    assert caught_up["changes"] == [] and caught_up["cursor"] == rest["cursor"]


@pytest.mark.parametrize("query", [{"cursor": "abc"}, {"limit": "0"}, {"limit": "1001"}, {"cursor": "-1"}])
def test_bad_feed_queries_are_400(branch: Api, query: dict) -> None:
    r = branch.call("GET", f"/planner/branches/{BRANCH}/changes", query_string=query)
    assert r.status_code == 400


def test_a_page_size_out_of_range_says_the_range(branch: Api) -> None:
    r = branch.call("GET", f"/planner/branches/{BRANCH}/changes", query_string={"limit": "1001"},
                    headers={"Accept-Language": "en"})
    assert r.get_json()["error"] == {"code": "invalid_cursor",
                                     "message": "'limit' must be between 1 and 1000."}


def test_the_feed_is_the_planners_alone_an_admin_of_the_branch_is_refused_as_such(branch: Api) -> None:
    r = branch.call("GET", f"/planner/branches/{BRANCH}/changes", role="admin",
                    headers={"Accept-Language": "en"})
    assert r.status_code == 403
    assert r.get_json()["error"]["message"] == "You may not act on this branch or resource."  # not "another"


def test_a_page_of_the_feed_holds_100_changes_unless_asked_otherwise(branch: Api) -> None:
    for i in range(101):
        assert branch.call("PUT", f"{PATH}/t{i}", GOOD).status_code == 200
    body = branch.call("GET", f"/planner/branches/{BRANCH}/changes").get_json()
    assert len(body["changes"]) == 100
    rest = branch.call("GET", f"/planner/branches/{BRANCH}/changes", query_string={"cursor": body["cursor"]})
    assert [c["appointment_id"] for c in rest.get_json()["changes"]] == ["t100"]
