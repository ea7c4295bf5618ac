"""Issue 12 (3, 4): what a caller can send ends in a clear 4xx in the JSON envelope and changes
nothing; before, each of these answered 500 (or an HTML page, or read a body of any size)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from google.cloud import firestore
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Response

from functions.context import reset_caches
from functions.http import MAX_BODY
from tests.integration.conftest import BRANCH, Api, every_document

pytestmark = pytest.mark.firestore

APPOINTMENT = {"resource_id": "anna", "start": "2031-05-06T09:00:00+02:00",
               "end": "2031-05-06T10:00:00+02:00", "title": "Hörtest"}
BRANCH_BODY = {"timezone": "Europe/Berlin", "google_sync_enabled": True}
LONE = "\ud800"  # a lone surrogate: valid JSON ("\ud800"), but no text any store can hold


def everything(db: firestore.Client) -> list[tuple[str, Any]]:
    return sorted((snap.reference.path, repr(sorted(snap.to_dict().items()))) for snap in every_document(db))


def raw(api: Api, method: str, path: str, body: bytes | str, **kw: Any) -> Any:
    """A request whose body is sent as given (a JSON text the test client would not write)."""
    data = body.encode() if isinstance(body, str) else body
    return api.client.open(path, method=method, data=data, content_type="application/json",
                           headers={"Authorization": f"Bearer {api.token('planner')}"}, **kw)


def error_of(r: Any) -> dict[str, str]:
    assert r.mimetype == "application/json", (r.status_code, r.get_data(as_text=True)[:300])
    body = r.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


@pytest.fixture
def branch(api: Api) -> Api:
    api.setup_branch()
    return api


def world_for(request: pytest.FixtureRequest, path: str) -> Api:
    """A branch with its resources; linked to Google when the path needs a consent."""
    if path.startswith("/links/"):
        return request.getfixturevalue("linked")[0]
    return request.getfixturevalue("branch")


# Every string field of every body, with a lone surrogate in it.
SURROGATES = [
    ("PUT", f"/planner/branches/{BRANCH}", BRANCH_BODY | {"name": f"Filiale {LONE}"}),
    ("PUT", f"/planner/branches/{BRANCH}", BRANCH_BODY | {"timezone": LONE}),
    ("PUT", f"/planner/branches/{BRANCH}", BRANCH_BODY | {"conflict_policy": LONE}),
    ("PUT", f"/planner/branches/{BRANCH}", BRANCH_BODY | {"language": LONE}),
    ("PUT", f"/planner/branches/{BRANCH}", BRANCH_BODY | {LONE: 1}),             # a field name
    ("PUT", f"/planner/branches/{BRANCH}/resources/anna", {"name": f"Anna {LONE}", "kind": "employee"}),
    ("PUT", f"/planner/branches/{BRANCH}/resources/anna", {"name": "Anna", "kind": LONE}),
    ("PUT", f"/planner/branches/{BRANCH}/resources/anna", {"name": "Anna", "kind": "room", "privacy": LONE}),
    ("PUT", f"/planner/branches/{BRANCH}/resources/anna", {"name": "Anna", f"k{LONE}": "x"}),
    ("PUT", f"/planner/branches/{BRANCH}/appointments/t1", APPOINTMENT | {"resource_id": LONE}),
    ("PUT", f"/planner/branches/{BRANCH}/appointments/t1", APPOINTMENT | {"start": LONE}),
    ("PUT", f"/planner/branches/{BRANCH}/appointments/t1",
     APPOINTMENT | {"end": "2031-05-06T10:00:00+02:00" + LONE}),
    ("PUT", f"/planner/branches/{BRANCH}/appointments/t1", APPOINTMENT | {"notes": ["x", LONE]}),
    ("PUT", f"/planner/branches/{BRANCH}/appointments/t1", APPOINTMENT | {LONE: "x"}),
    ("POST", "/oauth_start", {"branch_id": BRANCH, "resource_id": LONE}),
    ("POST", "/oauth_start", {"branch_id": BRANCH, "resource_id": "anna", LONE: "x"}),
    ("POST", f"/links/{BRANCH}/anna", {"calendar_id": f"kalender{LONE}@group.calendar.google.com"}),
    ("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": f"Anna {LONE}"}}),
    ("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Anna", LONE: 1}}),
    ("POST", "/revoke", {"branch_id": LONE, "resource_id": "anna"}),
    ("POST", "/sync", {"branch_id": BRANCH, "resource_id": LONE}),
    ("POST", "/sync", {"branch_id": BRANCH, LONE: True}),
]


@pytest.mark.parametrize(("method", "path", "body"), SURROGATES)
def test_a_lone_surrogate_in_any_string_is_400_and_changes_nothing(
        request: pytest.FixtureRequest, firestore_client: firestore.Client, method: str, path: str,
        body: dict) -> None:
    api = world_for(request, path)
    before = everything(firestore_client)
    r = raw(api, method, path, json.dumps(body))  # ensure_ascii: the surrogate travels as "\ud800"
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    error = error_of(r)
    assert error["code"] in ("invalid_field", "invalid_text"), error
    assert everything(firestore_client) == before


def test_a_lone_surrogate_is_named_where_it_is(branch: Api) -> None:
    r = raw(branch, "POST", f"/links/{BRANCH}/anna", json.dumps({"new_calendar": {"summary": LONE}}))
    assert r.status_code == 400
    assert "new_calendar.summary" in error_of(r)["message"]


@pytest.mark.parametrize("cursor", ["9223372036854775808", "9" * 40, "١٢", "1_0", " 1", "+1", "0x10"])
def test_a_cursor_beyond_a_firestore_integer_or_not_plain_digits_is_400(branch: Api, cursor: str) -> None:
    r = branch.call("GET", f"/planner/branches/{BRANCH}/changes", query_string={"cursor": cursor})
    assert (r.status_code, error_of(r)["code"]) == (400, "invalid_cursor"), r.get_data(as_text=True)


def test_the_largest_cursor_is_still_a_cursor(branch: Api) -> None:
    top = str(2**63 - 1)
    r = branch.call("GET", f"/planner/branches/{BRANCH}/changes", query_string={"cursor": top})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json() == {"changes": [], "cursor": top}


DEEP = "[" * 1000 + "]" * 1000  # 2 KB
DEEP_BODIES = [
    ("PUT", f"/planner/branches/{BRANCH}", DEEP),
    ("PUT", f"/planner/branches/{BRANCH}", json.dumps(BRANCH_BODY)[:-1] + ', "name": ' + DEEP + "}"),
    ("PUT", f"/planner/branches/{BRANCH}/resources/anna", '{"name": ' + DEEP + "}"),
    ("PUT", f"/planner/branches/{BRANCH}/appointments/t1", '{"notes": ' + '{"a": ' * 1000 + "1" + "}" * 1001),
    ("POST", "/sync", DEEP),
    ("POST", "/oauth_start", DEEP),
    ("POST", "/revoke", DEEP),
    ("POST", f"/links/{BRANCH}/anna", '{"new_calendar": ' + DEEP + "}"),
    ("POST", "/sync", '{"branch_id": ' + "[" * 40 + "]" * 40 + "}"),  # deep enough to refuse, not to crash
]


@pytest.mark.parametrize(("method", "path", "body"), DEEP_BODIES)
def test_json_nested_too_deep_is_400_and_changes_nothing(request: pytest.FixtureRequest,
                                                         firestore_client: firestore.Client,
                                                         method: str, path: str, body: str) -> None:
    api = world_for(request, path)
    before = everything(firestore_client)
    r = raw(api, method, path, body)
    assert (r.status_code, error_of(r)["code"]) == (400, "invalid_json"), r.get_data(as_text=True)[:300]
    assert "verschachtelt" in error_of(r)["message"]  # German without Accept-Language
    assert everything(firestore_client) == before


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes that counts what the function reads of it."""

    def __init__(self, size: int, fill: bytes = b" ") -> None:
        self.size, self.fill, self.read_bytes = size, fill, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = self.fill * n
        self.read_bytes += n
        return n


def streamed(api: Api, method: str, path: str, stream: Any, content_length: int | None = None,
             token: str | None = None) -> Response:
    """A request whose body is read from `stream` as a WSGI server hands it on: without a
    Content-Length, the body is chunked (`wsgi.input_terminated`: the server ends the stream)."""
    environ = EnvironBuilder(path=path, method=method, content_type="application/json", headers={
        "Authorization": f"Bearer {token or api.token('planner')}"}).get_environ()
    environ["wsgi.input"] = stream
    if content_length is None:
        environ.pop("CONTENT_LENGTH", None)
        environ |= {"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    body, status, headers = run_wsgi_app(api.client.application, environ, buffered=True)
    return Response(b"".join(body), status=status, headers=headers)


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", f"/planner/branches/{BRANCH}"),
    ("PUT", f"/planner/branches/{BRANCH}/appointments/t1"),
    ("POST", "/sync"),
])
def test_a_chunked_body_is_held_to_the_limit_on_the_bytes_read(
        branch: Api, firestore_client: firestore.Client, method: str, path: str) -> None:
    """No Content-Length (Transfer-Encoding: chunked): the limit holds on what is read."""
    before = everything(firestore_client)
    body = CountingStream(10 * 1024 * 1024)
    r = streamed(branch, method, path, io.BufferedReader(body, 8192))
    assert (r.status_code, error_of(r)["code"]) == (413, "body_too_large")
    assert body.read_bytes <= MAX_BODY + 64 * 1024, body.read_bytes  # not the 10 MB
    assert everything(firestore_client) == before


def test_a_chunked_body_within_the_limit_is_read(branch: Api) -> None:
    body = json.dumps(BRANCH_BODY | {"name": "Mitte"}).encode()
    r = streamed(branch, "PUT", f"/planner/branches/{BRANCH}", io.BytesIO(body))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["name"] == "Mitte"


def test_a_declared_content_length_over_the_limit_is_413_without_reading(branch: Api) -> None:
    body = CountingStream(MAX_BODY + 1)
    r = streamed(branch, "PUT", f"/planner/branches/{BRANCH}", io.BufferedReader(body, 8192),
                 content_length=MAX_BODY + 1)
    assert (r.status_code, error_of(r)["code"]) == (413, "body_too_large")
    assert body.read_bytes == 0


@pytest.mark.parametrize(("method", "path", "token"), [
    ("PUT", f"/planner/branches/{BRANCH}", None),                     # 401: the body is never read
    ("GET", f"/planner/branches/{BRANCH}", "planner"),                # a GET does not read it
    ("POST", "/planner/nothing-here", "planner"),                     # 404
    ("DELETE", "/sync", "planner"),                                   # 405
    ("POST", "/planner/branches/a%0Ab", "planner"),                    # the framework's own 404
])
def test_a_body_the_function_does_not_read_is_not_read_past_the_limit_either(
        branch: Api, method: str, path: str, token: str | None) -> None:
    """functions_framework reads what is left of a body after the answer: not past the limit."""
    for length in (None, 10 * 1024 * 1024):  # chunked, and a declared Content-Length
        body = CountingStream(10 * 1024 * 1024)
        environ_token = branch.token(token) if token else "not-a-token"
        r = streamed(branch, method, path, io.BufferedReader(body, 8192), content_length=length,
                     token=environ_token)
        assert r.status_code in (200, 401, 404, 405), r.get_data(as_text=True)
        assert body.read_bytes <= MAX_BODY + 64 * 1024, (length, body.read_bytes)


NOT_RFC_3339 = [
    "2031-05-06T09:00+02:00",           # no seconds
    "2031-05-06T09+02:00",              # no minutes
    "20310506T090000+0200",             # ISO 8601 basic format
    "2031-05-06T09:00:00,5+02:00",      # decimal comma
    "2031-W19-2T09:00:00+02:00",        # ISO week date
    "2031-05-06T09:00:00+02",           # offset without minutes
    "2031-05-06T09:00:00+0200",         # offset without colon
    "2031-05-06T09:00:00+02:00:30",     # offset with seconds
    "2031-05-06T09:00:00.+02:00",       # empty fraction
    "2031-05-06 09:00:00+02:00",        # space instead of T
    "2031-05-06T09:00:00.1234567+02:00",  # more digits than a microsecond: silently cut before
    "٢٠٣١-٠٥-٠٦T09:00:00+02:00",
    "2031-05-06T09:00:00Z\n",
]


@pytest.mark.parametrize("start", NOT_RFC_3339)
def test_times_that_are_not_rfc_3339_are_400(branch: Api, start: str) -> None:
    r = branch.call("PUT", f"/planner/branches/{BRANCH}/appointments/t1", APPOINTMENT | {"start": start})
    assert (r.status_code, error_of(r)["code"]) == (400, "invalid_time"), r.get_data(as_text=True)
    assert branch.call("GET", f"/planner/branches/{BRANCH}/appointments/t1").status_code == 404


@pytest.mark.parametrize(("sent", "stored"), [
    ("2031-05-06T09:00:00+02:00", "2031-05-06T09:00:00+02:00"),
    ("2031-05-06T07:00:00Z", "2031-05-06T07:00:00Z"),
    ("2031-05-06T07:00:00.5Z", "2031-05-06T07:00:00.5Z"),
    ("2031-05-06T09:00:00.123456+02:00", "2031-05-06T09:00:00.123456+02:00"),
    ("2031-05-06T07:00:00-00:00", "2031-05-06T07:00:00-00:00"),
    ("2031-05-06t07:00:00z", "2031-05-06T07:00:00Z"),  # RFC 3339 allows lower case t and z
])
def test_rfc_3339_times_are_accepted(branch: Api, sent: str, stored: str) -> None:
    r = branch.call("PUT", f"/planner/branches/{BRANCH}/appointments/t1", APPOINTMENT | {"start": sent})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["appointment"]["start"] == stored


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "posix/Europe/Berlin",
                                  "right/Europe/Berlin", "Europe/../Europe/Berlin", "europe/berlin", ""])
def test_only_real_iana_zones_are_accepted(api: Api, zone: str) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}", BRANCH_BODY | {"timezone": zone})
    assert (r.status_code, error_of(r)["code"]) == (400, "invalid_timezone"), r.get_data(as_text=True)
    assert api.call("GET", f"/planner/branches/{BRANCH}").status_code == 404


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC", "Etc/GMT-14", "America/Argentina/Buenos_Aires",
                                  "Europe/Kiev", "US/Eastern"])
def test_iana_zones_and_their_links_are_accepted(api: Api, zone: str) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}", BRANCH_BODY | {"timezone": zone})
    assert r.status_code == 200, r.get_data(as_text=True)


# Issue 12 (4) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("DELETE", f"/planner/branches/{BRANCH}", "GET, HEAD, PUT"),
    ("POST", f"/planner/branches/{BRANCH}/appointments/t1", "DELETE, GET, HEAD, PUT"),
    ("GET", "/oauth_start", "POST"),
    ("PUT", "/sync", "POST"),
    ("GET", "/revoke", "POST"),
    ("DELETE", f"/links/{BRANCH}/anna", "GET, HEAD, POST"),
    ("POST", "/oauth_callback", "GET, HEAD"),
])
def test_405_names_the_allowed_methods(branch: Api, method: str, path: str, allow: str) -> None:
    r = branch.call(method, path)
    assert (r.status_code, error_of(r)["code"]) == (405, "method_not_allowed")
    assert r.headers.get("Allow") == allow


@pytest.mark.parametrize("path", [
    f"/planner/branches/{BRANCH}%0A",
    f"/planner/branches/{BRANCH}/appointments/t%0A1",
    "/links/berlin%0A/anna",
    "/oauth_start/%0A",
    "/planner/robots.txt",
    "/revoke/favicon.ico",
])
def test_paths_the_framework_cannot_route_answer_the_json_envelope(branch: Api, path: str) -> None:
    r = branch.call("GET", path)
    assert (r.status_code, error_of(r)["code"]) == (404, "not_found"), r.get_data(as_text=True)[:300]


def test_a_deployment_may_cap_the_lifetime_of_planner_tokens(api: Api,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_JWT_MAX_LIFETIME", "900")
    reset_caches()
    long_lived = api.token("planner", ttl=7 * 86400)
    for method, path in [("PUT", f"/planner/branches/{BRANCH}"), ("POST", "/sync")]:
        r = api.call(method, path, BRANCH_BODY if method == "PUT" else None, token=long_lived)
        assert (r.status_code, error_of(r)["code"]) == (401, "unauthenticated"), r.get_data(as_text=True)
        assert "höchstens 900 Sekunden" in error_of(r)["message"]
    r = api.call("PUT", f"/planner/branches/{BRANCH}", BRANCH_BODY, token=api.token("planner", ttl=600))
    assert r.status_code == 200, r.get_data(as_text=True)
