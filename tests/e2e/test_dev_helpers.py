"""The dev-only helpers behind the demo pages: `POST /dev/token` and the demo seeding of `make run`."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from werkzeug.test import Client

from devtools.devserver import create_devserver_app
from devtools.run import seed_demo

KEY = "test-planner-jwt-key-of-32-bytes-or-more"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Client:
    source = tmp_path / "main.py"
    source.write_text("__all__ = []\n")
    monkeypatch.setenv("SECRET_PLANNER_JWT_KEY", KEY)
    return Client(create_devserver_app(source=source))


def test_token_is_signed_with_the_planner_key(client: Client) -> None:
    answer = client.post("/dev/token", json={"role": "employee", "branch_id": "berlin",
                                             "resource_ids": ["anna"], "sub": "u1"})
    assert answer.status_code == 200
    claims = jwt.decode(answer.get_json()["token"], KEY.encode(), algorithms=["HS256"])
    assert {k: claims[k] for k in ("sub", "role", "branch_id", "resource_ids")} == {
        "sub": "u1", "role": "employee", "branch_id": "berlin", "resource_ids": ["anna"]}
    assert 11 * 3600 < claims["exp"] - claims["iat"] <= 12 * 3600


def test_planner_token_needs_no_branch(client: Client) -> None:
    token = client.post("/dev/token", json={"role": "planner"}).get_json()["token"]
    claims = jwt.decode(token, KEY.encode(), algorithms=["HS256"])
    assert claims["role"] == "planner" and "branch_id" not in claims


@pytest.mark.parametrize("body", [{"role": "root"}, {"role": "admin"}, {"role": "employee", "branch_id": 3},
                                  {"role": "admin", "branch_id": "b", "resource_ids": "anna"}, ["admin"]])
def test_bad_token_requests_are_400(client: Client, body: object) -> None:
    answer = client.post("/dev/token", json=body)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "invalid_body"


def test_token_without_a_key_says_so(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_PLANNER_JWT_KEY")
    answer = client.post("/dev/token", json={"role": "planner"})
    assert answer.status_code == 500
    assert "SECRET_PLANNER_JWT_KEY" in answer.get_json()["error"]["message"]


def test_demo_pages_are_served(client: Client) -> None:
    for page, kind in (("/admin.html", "text/html"), ("/employee.html", "text/html"),
                       ("/app.js", "text/javascript"), ("/style.css", "text/css")):
        answer = client.get(page)
        assert answer.status_code == 200 and answer.mimetype == kind, page


def test_seeding_waits_for_the_planner_function() -> None:
    assert "not seeded" in seed_demo("http://127.0.0.1:9", ["links"])
