"""Issue 12 (6): redaction by field name also inside texts and whatever the key's case, and
declared values also when they appear escaped (JSON, repr, bytes, twice over)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from functions import logs

NOTES = 'Frau "Müller" sagt:\nTinnitus links, it\'s Diabetes'
TITLE = "Hörgeräteanpassung Frau Müller"



def message(stream: io.StringIO) -> str:
    (line,) = stream.getvalue().splitlines()
    return json.loads(line)["message"]


# Readable pieces of patient data that must not survive in any form.
PIECES = ("Müller", "M\\u00fcller", "M\\xc3\\xbcller", "Tinnitus", "Diabetes", "geräte", "ger\\u00e4te")


@pytest.mark.parametrize("form", [
    lambda v: json.dumps({"notes": v}, ensure_ascii=False),        # quotes escaped, umlauts kept
    lambda v: json.dumps({"notes": v}),                            # and umlauts escaped
    lambda v: repr({"notes": v}),
    lambda v: repr(json.dumps({"notes": v}).encode()),             # a raw JSON body, logged with %r
    lambda v: repr(json.dumps({"notes": v}, ensure_ascii=False).encode()),
    lambda v: repr(json.dumps({"notes": v})),                      # JSON in a repr: escaped twice
    lambda v: json.dumps(json.dumps({"notes": v}, ensure_ascii=False), ensure_ascii=False),
    lambda v: repr(f'Termin "{v}"'),                                # ' escaped by the repr around it
    lambda v: repr(v.encode()),
])
def test_declared_values_are_redacted_in_every_escaped_form(capture: io.StringIO, form) -> None:
    logs.sensitive(NOTES, TITLE)
    text = form(NOTES) + " / " + form(TITLE)
    logging.getLogger("x").warning("google said %s", text)
    out = message(capture)
    assert logs.REDACTED in out
    for piece in PIECES:
        assert piece not in out, (piece, out)


@pytest.mark.parametrize("text", [
    json.dumps({"Title": TITLE, "Notes": NOTES}),
    json.dumps({"TITLE": TITLE, "notes": NOTES}, ensure_ascii=False),
    repr({"Title": TITLE, "Location": "Praxis Müller", "Notes": NOTES}),
    "Appointment(id='t1', resource_id='anna', title='Hörgeräteanpassung Frau Müller', "
    "location=None, notes=\"it's Diabetes\")",   # a dataclass repr in an exception message
    repr({"Description": NOTES, "Summary": TITLE}),
])
def test_sensitive_fields_inside_texts_are_redacted_whatever_the_case(capture: io.StringIO,
                                                                     text: str) -> None:
    # Nothing was declared: the field names alone tell.
    logging.getLogger("x").error("request failed: %s", text)
    out = message(capture)
    for piece in PIECES:
        assert piece not in out, (piece, out)
    assert out.count(logs.REDACTED) >= 2


@pytest.mark.parametrize(("text", "secret"), [
    (repr({"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}), "dXNlcjpwYXNzd29yZA=="),
    (json.dumps({"AUTHORIZATION": "Basic dXNlcjpwYXNzd29yZA=="}), "dXNlcjpwYXNzd29yZA=="),
    ("authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("Cookie: session=opaque-session-id", "opaque-session-id"),
    (repr({"Refresh_Token": "opaque-rt"}), "opaque-rt"),
    (json.dumps({"Client_Secret": 'se"cr\\et'}), 'cr\\\\et'),
])
def test_credentials_in_texts_are_redacted_whatever_the_case(capture: io.StringIO, text: str,
                                                              secret: str) -> None:
    logging.getLogger("x").error("call failed: %s", text)
    assert secret not in message(capture)


def test_field_names_in_extra_fields_are_matched_whatever_the_case(capture: io.StringIO) -> None:
    logging.getLogger("x").info("stored", extra={"Title": TITLE, "appointment": {"NOTES": NOTES},
                                                 "Authorization": "Basic abc"})
    out = capture.getvalue()
    assert "Müller" not in out and "Diabetes" not in out and "Basic abc" not in out


def test_what_is_not_sensitive_stays_readable(capture: io.StringIO) -> None:
    logging.getLogger("x").info("run: %s", json.dumps({"status": "linked", "resource_id": "anna",
                                                      "pushed": 3, "reason": "duplicate"}))
    assert message(capture) == 'run: {"status": "linked", "resource_id": "anna", "pushed": 3, ' \
                               '"reason": "duplicate"}'


# --- found by `make mutation`: each escaped form of a declared value is redacted whole -----------
# A value with an apostrophe (no double quote), an umlaut and a vertical tab (Word's manual line
# break, pasted into notes): JSON (ASCII or not), a str repr and a bytes repr escape it each in their
# own way, and a repr of a text that also holds a `"` escapes the apostrophe too, so no two of these
# forms are the same text and each must be known on its own.
PASTED = "it's Frau Müller\x0bnoch Diabetes"


R = logs.REDACTED


@pytest.mark.parametrize(("form", "redacted"), [
    (json.dumps, f'"{R}"'),                                         # it's Frau M\u00fcller\u000b...
    (lambda v: json.dumps(v, ensure_ascii=False), f'"{R}"'),        # it's Frau Müller\u000b...
    (repr, f'"{R}"'),                                               # "it's Frau Müller\x0b..."
    (lambda v: repr(f'Termin "{v}"'), f"""'Termin "{R}"'"""),       # 'Termin "it\'s Frau Müller\x0b...
    (lambda v: repr(v.encode()), f'b"{R}"'),                        # b"it's Frau M\xc3\xbcller\x0b..."
    (lambda v: repr(f'Termin "{v}"'.encode()), f"""b'Termin "{R}"'"""),  # b'Termin "it\'s Frau M\xc3...
], ids=["json", "json-utf8", "repr", "repr-both-quotes", "bytes-repr", "bytes-repr-both-quotes"])
def test_each_escaped_form_of_a_declared_value_is_redacted_whole(capture: io.StringIO, form,
                                                                 redacted: str) -> None:
    logs.sensitive(PASTED)
    logging.getLogger("x").warning("no answer on %s", form(PASTED))
    # Not a character of the value is left, and nothing around it is taken.
    assert message(capture) == "no answer on " + redacted
