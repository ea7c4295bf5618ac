"""The log redaction rule: no token, secret or appointment content ever reaches a log line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from functions import logs

TITLE = "Hörgeräteanpassung Frau Müller"
NOTES = "Tinnitus links, Diabetes"


@pytest.fixture
def capture() -> io.StringIO:
    stream = io.StringIO()
    logs.configure_logging(stream=stream)
    logs.begin_request(None, None)
    return stream


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_line_is_cloud_logging_json_with_severity_and_trace(capture: io.StringIO) -> None:
    logs.begin_request("105445aa7843bc8bf206b12000100000/1;o=1", "demo-project")
    logging.getLogger("x").warning("sync finished for %s", "link-1", extra={"pushed": 3})
    (entry,) = lines(capture)
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "sync finished for link-1"
    assert entry["pushed"] == 3
    trace = entry["logging.googleapis.com/trace"]
    assert trace == "projects/demo-project/traces/105445aa7843bc8bf206b12000100000"


def test_sensitive_field_names_are_replaced(capture: io.StringIO) -> None:
    logging.getLogger("x").info("appointment stored", extra={
        "title": TITLE, "notes": NOTES, "refresh_token": "abc", "appointment": {"summary": TITLE}})
    out = capture.getvalue()
    assert TITLE not in out and NOTES not in out and "abc" not in out
    assert lines(capture)[0]["appointment"]["summary"] == logs.REDACTED


@pytest.mark.parametrize("secret", [
    "ya29.a0AfB_byC-some.token_value",
    "1//0gLzV9-refresh_token-value",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl",
])
def test_token_shapes_in_messages_are_replaced(capture: io.StringIO, secret: str) -> None:
    logging.getLogger("x").error("request failed with %s", secret)
    assert secret not in capture.getvalue()
    assert logs.REDACTED in capture.getvalue()


def test_query_strings_bearer_headers_and_json_bodies_are_replaced(capture: io.StringIO) -> None:
    log = logging.getLogger("x")
    log.info("GET /oauth_callback?code=4/0AbCdEf&state=s3cr3tstate")
    log.info("headers {'Authorization': 'Bearer opaque-token-123'}")
    log.info('token answer {"access_token": "opaque-at", "refresh_token": "opaque-rt"}')
    out = capture.getvalue()
    for secret in ("4/0AbCdEf", "s3cr3tstate", "opaque-token-123", "opaque-at", "opaque-rt"):
        assert secret not in out


def test_values_declared_sensitive_never_appear_even_in_tracebacks(capture: io.StringIO) -> None:
    logs.sensitive(TITLE, NOTES, None, "")
    try:
        raise ValueError(f"cannot map {TITLE!r} / {NOTES}")
    except ValueError:
        logging.getLogger("x").exception("mapping failed")
    out = capture.getvalue()
    assert TITLE not in out and NOTES not in out
    assert "Hörgeräteanpassung" not in out  # also not as a JSON-escaped fragment
    assert "mapping failed" in out and "ValueError" in out


def test_sensitive_values_do_not_leak_into_the_next_request(capture: io.StringIO) -> None:
    logs.sensitive("Erstanpassung")
    logs.begin_request(None, None)
    logging.getLogger("x").info("Erstanpassung is a word the next request may log")
    assert "Erstanpassung" in capture.getvalue()


def test_error_codes_are_not_mistaken_for_secrets(capture: io.StringIO) -> None:
    logging.getLogger("x").info("google answered", extra={"status": 409, "reason": "duplicate"})
    entry = lines(capture)[0]
    assert entry["status"] == 409 and entry["reason"] == "duplicate"
