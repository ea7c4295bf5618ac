"""The planner's appointment API: validation (4xx, nothing changed), versions, the changes feed."""

from __future__ import annotations

import pytest

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
    assert branch.call("DELETE", f"{PATH}/t1").status_code == 404


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
    ({"all_day": "ja"}, "invalid_field"),
    ({"title": ""}, "invalid_field"),
    ({"title": "x" * 501}, "invalid_field"),
    ({"notes": "x" * 8001}, "invalid_field"),
    ({"resource_id": "a/b"}, "invalid_id"),
    ({"patient": "Müller"}, "unknown_field"),
])
def test_bad_appointments_are_400_and_change_nothing(branch: Api, change: dict, code: str) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | change)
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, code), r.get_data(as_text=True)
    assert branch.call("GET", f"{PATH}/t1").status_code == 404
    assert feed(branch)["changes"] == []


def test_resource_must_exist_in_the_branch(branch: Api) -> None:
    r = branch.call("PUT", f"{PATH}/t1", GOOD | {"resource_id": "unbekannt"})
    assert r.status_code == 404
    assert feed(branch)["changes"] == []


def test_only_the_planner_uses_the_appointment_api(branch: Api) -> None:
    admin = branch.token("admin")
    assert branch.call("PUT", f"{PATH}/t1", GOOD, token=admin).status_code == 403
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
