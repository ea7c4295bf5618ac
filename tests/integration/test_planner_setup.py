"""`planner` branches/resources through HTTP: validation (4xx, nothing changed) and auth (401/403)."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.integration.conftest import BRANCH, OTHER_BRANCH, Api

pytestmark = pytest.mark.firestore


def test_branch_and_resource_round_trip(api: Api) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}",
                 {"timezone": "Europe/Berlin", "google_sync_enabled": False, "name": "Filiale Berlin"})
    assert r.get_json() == {"branch_id": BRANCH, "name": "Filiale Berlin", "timezone": "Europe/Berlin",
                            "google_sync_enabled": False, "conflict_policy": "planner_wins",
                            "language": "de"}
    r = api.call("PUT", f"/planner/branches/{BRANCH}/resources/raum-1",
                 {"name": "Anpassraum 1", "kind": "room"})
    assert r.get_json() == {"branch_id": BRANCH, "resource_id": "raum-1", "name": "Anpassraum 1",
                            "kind": "room", "privacy": "busy", "google_calendar_id": None,
                            "link_status": "none"}  # a new resource: only "Belegt" reaches Google
    r = api.call("PUT", f"/planner/branches/{BRANCH}/resources/raum-1",
                 {"name": "Anpassraum 1", "kind": "room", "privacy": "title_only"})
    assert r.get_json()["privacy"] == "title_only"
    r = api.call("PUT", f"/planner/branches/{BRANCH}/resources/raum-1", {"name": "Raum 1", "kind": "room"})
    assert r.get_json()["privacy"] == "title_only"  # left out: the resource keeps its choice
    got = api.call("GET", f"/planner/branches/{BRANCH}/resources/raum-1").get_json()
    assert got["privacy"] == "title_only" and got["link_status"] == "none"
    listed = api.call("GET", f"/planner/branches/{BRANCH}/resources").get_json()["resources"]
    assert [x["resource_id"] for x in listed] == ["raum-1"]


def test_admin_switches_its_branch_on(api: Api) -> None:
    api.setup_branch(enabled=False)
    admin = api.token("admin")
    r = api.call("PUT", f"/planner/branches/{BRANCH}", {"timezone": "Europe/Berlin",
                                                        "google_sync_enabled": True}, token=admin)
    assert r.status_code == 200 and r.get_json()["google_sync_enabled"] is True
    assert r.get_json()["name"] == BRANCH  # unchanged name kept


@pytest.mark.parametrize(("body", "code"), [
    ({"timezone": "Mars/Olympus", "google_sync_enabled": True}, "invalid_timezone"),
    ({"timezone": "../../etc/passwd", "google_sync_enabled": True}, "invalid_timezone"),
    ({"timezone": "Europe/Berlin", "google_sync_enabled": "yes"}, "invalid_field"),
    ({"timezone": "Europe/Berlin"}, "invalid_field"),
    ({"timezone": "Europe/Berlin", "google_sync_enabled": True, "name": "x" * 201}, "invalid_field"),
    ({"timezone": "Europe/Berlin", "google_sync_enabled": True, "name": None}, "invalid_field"),  # was ""
    ({"timezone": "Europe/Berlin", "google_sync_enabled": True, "colour": "red"}, "unknown_field"),
    ({"timezone": "Europe/Berlin", "google_sync_enabled": True, "conflict_policy": "coin"}, "invalid_field"),
    ({"timezone": "Europe/Berlin", "google_sync_enabled": True, "language": "fr"}, "invalid_field"),
])
def test_bad_branch_input_is_400_and_changes_nothing(api: Api, body: dict, code: str) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}", body)
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, code)
    assert api.call("GET", f"/planner/branches/{BRANCH}").status_code == 404


@pytest.mark.parametrize(("body", "code"), [
    ({"name": "Anna", "kind": "robot"}, "invalid_field"),
    ({"name": "", "kind": "employee"}, "invalid_field"),
    ({"kind": "employee"}, "missing_field"),
    ({"name": "A" * 201, "kind": "employee"}, "invalid_field"),
    ({"name": "Anna", "kind": "employee", "privacy": "secret"}, "invalid_field"),
])
def test_bad_resource_input_is_400_and_changes_nothing(api: Api, body: dict, code: str) -> None:
    api.setup_branch(resources=())
    r = api.call("PUT", f"/planner/branches/{BRANCH}/resources/anna", body)
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, code)
    assert api.call("GET", f"/planner/branches/{BRANCH}/resources/anna").status_code == 404


@pytest.mark.parametrize("path", ["/planner/branches/b%2F1", "/planner/branches/b:1",
                                  "/planner/branches/" + "b" * 65, "/planner/branches/.."])
def test_bad_ids_are_4xx(api: Api, path: str) -> None:
    r = api.call("PUT", path, {"timezone": "Europe/Berlin", "google_sync_enabled": True})
    assert 400 <= r.status_code < 500
    assert "error" in r.get_json()


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_bodies_are_400(api: Api, raw: bytes) -> None:
    r = api.client.put(f"/planner/branches/{BRANCH}", data=raw, content_type="application/json",
                       headers={"Authorization": f"Bearer {api.token('planner')}"})
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] in ("invalid_json", "invalid_body")


def test_resource_in_unknown_branch_is_404(api: Api) -> None:
    r = api.call("PUT", "/planner/branches/nowhere/resources/anna", {"name": "Anna", "kind": "employee"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "not_found")


def test_missing_invalid_expired_tokens_are_401(api: Api) -> None:
    path = f"/planner/branches/{BRANCH}"
    assert api.client.get(path).status_code == 401
    forged = jwt.encode({"sub": "x", "role": "planner", "exp": int(time.time()) + 60}, "other-key-" * 4,
                        algorithm="HS256")
    assert api.client.get(path, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    expired = api.token("planner", ttl=-10)
    r = api.client.get(path, headers={"Authorization": f"Bearer {expired}"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (401, "unauthenticated")


def test_employee_cannot_manage_the_branch(api: Api) -> None:
    api.setup_branch()
    own = api.token("employee", resources=["anna"])
    r = api.call("PUT", f"/planner/branches/{BRANCH}", {"timezone": "UTC", "google_sync_enabled": False},
                 token=own)
    assert r.status_code == 403
    r = api.call("PUT", f"/planner/branches/{BRANCH}/resources/anna", {"name": "x", "kind": "room"},
                 token=own)
    assert r.status_code == 403
    assert api.call("GET", f"/planner/branches/{BRANCH}/resources/anna", token=own).status_code == 200
    assert api.call("GET", f"/planner/branches/{BRANCH}/resources/raum-1", token=own).status_code == 403


def test_unknown_paths_and_methods_are_json_4xx(api: Api) -> None:
    r = api.call("GET", "/planner/nothing-here")
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "not_found")
    r = api.call("DELETE", f"/planner/branches/{BRANCH}")
    assert (r.status_code, r.get_json()["error"]["code"]) == (405, "method_not_allowed")
    r = api.call("GET", "/oauth_start")
    assert r.status_code == 405


def test_a_missing_setting_is_a_clear_error_that_names_it(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging

    from functions import logs
    from functions.context import reset_caches

    monkeypatch.delenv("PUBLIC_BASE_URL")
    reset_caches()
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    stream = io.StringIO()
    logs.configure_logging(stream=stream)
    r = api.call("GET", f"/planner/branches/{BRANCH}")
    assert (r.status_code, r.get_json()["error"]["code"]) == (500, "misconfigured")
    assert "PUBLIC_BASE_URL" not in r.get_data(as_text=True)  # callers learn nothing of the setup
    (entry,) = [line for line in stream.getvalue().splitlines() if "configuration error" in line]
    assert '"severity": "CRITICAL"' in entry and "PUBLIC_BASE_URL is not set" in entry


@pytest.mark.parametrize(("path", "field"), [
    ("/planner/branches/b:1", "branch_id"),
    ("/planner/branches/b:1/resources", "branch_id"),
    ("/planner/branches/b:1/resources/anna", "branch_id"),
    (f"/planner/branches/{BRANCH}/resources/r:1", "resource_id"),
])
def test_reading_with_a_bad_id_is_400_and_names_the_id(api: Api, path: str, field: str) -> None:
    api.setup_branch()
    r = api.call("GET", path, headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_id")
    assert r.get_json()["error"]["message"].startswith(f"{field} must be")


def test_an_admin_reads_its_own_branch_and_no_other(api: Api) -> None:
    api.setup_branch()
    api.setup_branch(OTHER_BRANCH)
    admin = api.token("admin")
    r = api.call("GET", f"/planner/branches/{BRANCH}", token=admin)
    assert (r.status_code, r.get_json()["branch_id"]) == (200, BRANCH)
    r = api.call("GET", f"/planner/branches/{BRANCH}/resources", token=admin)
    assert r.status_code == 200
    assert [x["resource_id"] for x in r.get_json()["resources"]] == ["anna", "raum-1"]
    for path in (f"/planner/branches/{OTHER_BRANCH}", f"/planner/branches/{OTHER_BRANCH}/resources"):
        r = api.call("GET", path, token=admin)
        assert (r.status_code, r.get_json()["error"]["code"]) == (403, "forbidden"), path


def test_the_resource_list_shows_each_resources_link_status(linked: tuple[Api, str]) -> None:
    api, _ = linked
    listed = api.call("GET", f"/planner/branches/{BRANCH}/resources").get_json()["resources"]
    assert {x["resource_id"]: x["link_status"] for x in listed} == {"anna": "linked", "raum-1": "none"}
