"""The log redaction rule: no token, secret or appointment content ever reaches a log line."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from functions import logs

TITLE = "Hörgeräteanpassung Frau Müller"
NOTES = "Tinnitus links, Diabetes"



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


# --- found by `make mutation`: each test pins a way the redaction or the line format could break ---

def test_a_value_is_redacted_whole_even_when_a_shorter_one_is_part_of_it(capture: io.StringIO) -> None:
    # Replacing the title first would cut the notes apart and leave "hat Diabetes" readable.
    logs.sensitive("Müller", "Frau Müller hat Diabetes")
    logging.getLogger("x").info("notes: %s", "Frau Müller hat Diabetes")
    assert lines(capture)[0]["message"] == "notes: " + logs.REDACTED


def test_json_escaped_values_in_a_message_are_redacted_whole(capture: io.StringIO) -> None:
    # A Google error body echoed into a message carries the summary JSON-escaped (ü → \u00fc).
    logs.sensitive(TITLE)
    logging.getLogger("x").warning("google said %s", json.dumps({"summary": TITLE}))
    assert lines(capture)[0]["message"] == 'google said {"summary": "' + logs.REDACTED + '"}'


def test_repr_forms_in_a_message_are_redacted_whole(capture: io.StringIO) -> None:
    # %r of a dict escapes the line break of multi-line notes (and leaves the umlaut as it is).
    notes = "Hörtest Müller\nDiabetes"
    logs.sensitive(notes)
    logging.getLogger("x").info("payload %r", {"notes": notes})
    assert lines(capture)[0]["message"] == "payload {'notes': '" + logs.REDACTED + "'}"


def test_redaction_keeps_parameter_names_and_prefixes_readable(capture: io.StringIO) -> None:
    log = logging.getLogger("x")
    log.info("GET /oauth_callback?code=4/0AbCdEf&state=s3cr3tstate")
    log.info("Authorization: Bearer opaque-token-123")
    log.info("refreshed ya29.a0AfB_byC-some.token_value")
    assert [entry["message"] for entry in lines(capture)] == [
        f"GET /oauth_callback?code={logs.REDACTED}&state={logs.REDACTED}",
        f"Authorization: Bearer {logs.REDACTED}",
        f"refreshed {logs.REDACTED}",
    ]


def test_two_character_values_are_redacted_one_character_values_are_not(capture: io.StringIO) -> None:
    logs.sensitive("Xy", "Q")
    logging.getLogger("x").info("Xy Q")
    assert lines(capture)[0]["message"] == f"{logs.REDACTED} Q"


def test_lists_and_numbers_in_extra_fields_are_kept(capture: io.StringIO) -> None:
    logging.getLogger("x").info("batch", extra={"links": ["berlin/anna", "berlin/raum-1"], "pushed": 2,
                                                "ratio": 0.5, "forced": False, "cursor": None})
    entry = lines(capture)[0]
    assert entry["links"] == ["berlin/anna", "berlin/raum-1"]
    assert (entry["pushed"], entry["ratio"], entry["forced"], entry["cursor"]) == (2, 0.5, False, None)


@pytest.mark.parametrize(("level", "severity"), [
    (logging.DEBUG, "DEBUG"), (logging.INFO, "INFO"), (logging.WARNING, "WARNING"),
    (logging.ERROR, "ERROR"), (logging.CRITICAL, "CRITICAL"),
])
def test_severity_is_the_records_level(level: int, severity: str) -> None:
    record = logging.LogRecord("x", level, __file__, 1, "m", None, None)
    assert json.loads(logs.CloudLoggingFormatter().format(record))["severity"] == severity


def test_a_level_named_warn_is_cloud_loggings_warning() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "m", None, None)
    record.levelname = "WARN"  # what a library that renamed the level produces
    assert json.loads(logs.CloudLoggingFormatter().format(record))["severity"] == "WARNING"


def test_line_carries_time_in_utc_and_the_logger_name(capture: io.StringIO) -> None:
    before = datetime.now(UTC)
    logging.getLogger("functions.sync").info("run")
    entry = lines(capture)[0]
    stamp = datetime.fromisoformat(entry["time"])
    assert stamp.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC) + timedelta(seconds=1)
    assert entry["logger"] == "functions.sync"


def test_exception_lines_carry_the_python_traceback(capture: io.StringIO) -> None:
    try:
        raise KeyError("calendar")
    except KeyError:
        logging.getLogger("x").exception("run failed")
    text = lines(capture)[0]["exception"].splitlines()
    assert text[0] == "Traceback (most recent call last):"
    assert text[1].startswith('  File "') and text[-1] == "KeyError: 'calendar'"


@pytest.mark.parametrize(("header", "project", "trace"), [
    ("4BF92F3577B34DA6A3CE929D0E0E4736/1;o=1", "p", "projects/p/traces/4BF92F3577B34DA6A3CE929D0E0E4736"),
    ("105445aa7843bc8b/1;o=1", None, None),     # no project: no trace link
    ("not-hex/1", "p", None),
    ("", "p", None),
])
def test_trace_header_is_linked_only_with_a_project_and_a_hex_id(
        capture: io.StringIO, header: str, project: str | None, trace: str | None) -> None:
    logs.begin_request(header, project)
    logging.getLogger("x").info("m")
    assert lines(capture)[0].get("logging.googleapis.com/trace") == trace


def test_client_library_debug_lines_stay_out_even_at_debug_level() -> None:
    # googleapiclient, google.auth and urllib3 log request URLs and bodies at DEBUG.
    stream = io.StringIO()
    logs.configure_logging(level=logging.DEBUG, stream=stream)
    try:
        for name in ("googleapiclient.discovery", "google.auth.transport.requests",
                     "urllib3.connectionpool", "werkzeug"):
            logging.getLogger(name).debug("GET https://example.invalid/?x=1")
        logging.getLogger("functions.sync").debug("ours")
        assert [entry["logger"] for entry in lines(stream)] == ["functions.sync"]
    finally:
        logs.configure_logging(stream=io.StringIO())


def test_configuring_again_without_a_stream_keeps_the_handler(capture: io.StringIO) -> None:
    logs.configure_logging()  # what every entry point calls on each request
    logging.getLogger("x").info("still here")
    assert lines(capture)[0]["message"] == "still here"


def test_values_declared_in_two_calls_are_both_redacted(capture: io.StringIO) -> None:
    logs.sensitive("Frau Müller")
    logs.sensitive("Diabetes", "Frau Müller")
    logging.getLogger("x").info("Frau Müller: Diabetes")
    assert lines(capture)[0]["message"] == f"{logs.REDACTED}: {logs.REDACTED}"


def test_a_two_character_value_at_the_very_end_is_redacted(capture: io.StringIO) -> None:
    logs.sensitive("Xy")
    logging.getLogger("x").info("Termin Xy")
    assert lines(capture)[0]["message"] == f"Termin {logs.REDACTED}"


def test_extra_values_are_redacted_like_declared_ones() -> None:
    logs.begin_request(None, None)
    assert logs.redact("Frau Müller kommt um 9", ["Müller", "", "Q"]) == f"Frau {logs.REDACTED} kommt um 9"
    assert logs.redact("Xy und Q", ["Xy", "Q"]) == f"{logs.REDACTED} und Q"
    assert logs.redact("Frau Müller kommt um 9") == "Frau Müller kommt um 9"


def test_values_of_two_calls_that_begin_alike_are_both_redacted(capture: io.StringIO) -> None:
    # Two appointments of the same patient, declared as their items are read: the second must not
    # push the first out of the index (both begin with "Fr").
    logs.sensitive("Frau Müller, Hörtest")
    logs.sensitive("Frau Müller, Anpassung")
    logging.getLogger("x").info("%s / %s", "Frau Müller, Hörtest", "Frau Müller, Anpassung")
    assert lines(capture)[0]["message"] == f"{logs.REDACTED} / {logs.REDACTED}"


def test_extra_values_may_be_missing_or_blank_like_declared_ones() -> None:
    logs.begin_request(None, None)
    # None (notes not set), blanks and one character are not values: nothing of the text goes.
    assert logs.redact("Termin  um 9: ü", [None, "  ", "ü"]) == "Termin  um 9: ü"  # type: ignore[list-item]


def test_an_empty_sensitive_field_stays_empty(capture: io.StringIO) -> None:
    # Nothing to hide: "[redacted]" would claim there was a title.
    logging.getLogger("x").info('google said {"summary": "", "status": "confirmed"}')
    assert lines(capture)[0]["message"] == 'google said {"summary": "", "status": "confirmed"}'


def test_adjacent_findings_give_one_redaction(capture: io.StringIO) -> None:
    # Where one value ends and the next begins is patient data too.
    logs.sensitive("Frau Müller", "Diabetes")
    logging.getLogger("x").info("Frau MüllerDiabetes, Termin um 9")
    assert lines(capture)[0]["message"] == f"{logs.REDACTED}, Termin um 9"
