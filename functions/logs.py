"""Structured JSON log lines for Cloud Logging, with redaction of health data and secrets.

Cloud Functions (gen2) turns each JSON line on stdout/stderr into a structured log entry:
`severity` and `message` are understood, `logging.googleapis.com/trace` links the request's
trace. Redaction applies to every string of the entry (message, extra fields, traceback)
before it is encoded, so nothing can slip past it:
- fields whose name marks them as sensitive (title, notes, token, secret, ...), in any case
  (`Title`, `Authorization`), are replaced: as extra fields, and inside texts as JSON
  (`"Title": "..."`), as a repr (`'Title': '...'`, `title='...'` of a dataclass) and as a header
  line (`Authorization: Basic ...`), escaped quotes and line breaks included;
- token-shaped strings (Google access/refresh tokens, JWTs, bearer headers, OAuth codes and
  secrets in query strings or forms) are replaced wherever they occur;
- values declared sensitive for the current request with `sensitive(...)` (an appointment's
  title, location and notes, an event's summary and description; the HTTP layer declares every
  sensitive field of a request body, so a planner request that fails is covered as well) are
  replaced wherever they occur, also escaped: as JSON (with or without `\\uXXXX`), as a str or
  bytes repr, and those escaped once more (a JSON body inside a repr).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"

SENSITIVE_KEYS = frozenset({
    "title", "notes", "location", "summary", "description", "patient",
    "token", "access_token", "refresh_token", "id_token", "auth_code", "code_verifier", "state",
    "client_secret", "secret", "password", "authorization", "cookie", "jwt", "ciphertext",
})

_KEYS = "|".join(sorted(map(re.escape, SENSITIVE_KEYS), key=len, reverse=True))
# A sensitive field inside a text, whatever the case of its name; group 1 is kept, the rest goes.
_FIELD_PATTERNS = [
    re.compile(rf'(?i)("(?:{_KEYS})"\s*:\s*")(?:[^"\\]|\\[\s\S])*+(?=")'),       # JSON
    re.compile(rf"(?i)('(?:{_KEYS})'\s*:\s*')(?:[^'\\]|\\[\s\S])*+(?=')"),       # repr of a dict
    re.compile(rf"(?i)('(?:{_KEYS})'\s*:\s*\")(?:[^\"\\]|\\[\s\S])*+(?=\")"),
    re.compile(rf"(?i)((?<![\w])(?:{_KEYS})=')(?:[^'\\]|\\[\s\S])*+(?=')"),      # title='...'
    re.compile(rf"(?i)((?<![\w])(?:{_KEYS})=\")(?:[^\"\\]|\\[\s\S])*+(?=\")"),
    # header lines; `Authorization: Bearer ...` keeps its scheme (the bearer pattern below)
    re.compile(r"(?i)((?<![\w-])(?:proxy-authorization|authorization|set-cookie|cookie)\s*+:\s*+)"
               r"(?!bearer\s)[^\r\n]+"),
]

_PATTERNS = [
    re.compile(r"ya29\.[\w\-.~+/]+=*"),                             # Google access tokens
    re.compile(r"1//[\w\-.~+/]+=*"),                                # Google refresh tokens
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"),                       # JWTs
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),                       # Authorization headers
    # query strings and forms: ?code=...&state=..., refresh_token=...
    re.compile(r"(?i)((?<![\w])(?:code|state|token|refresh_token|access_token|client_secret|"
               r"code_verifier|id_token)=)[^\s&\"',]+"),
    *_FIELD_PATTERNS,  # JSON bodies echoed into messages: "refresh_token": "...", and the like
]  # a pattern's group 1, if it has one, is what it keeps

_sensitive_values: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "sensitive_values", default=frozenset())
# Every form the declared values may take in a text, by its first two characters: a log line is
# scanned once, however many values a sync run declared (thousands).
_sensitive_forms: contextvars.ContextVar[dict[str, tuple[str, ...]] | None] = contextvars.ContextVar(
    "sensitive_forms", default=None)
_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace", default=None)


def sensitive(*values: str | None) -> None:
    """Declare values (patient data) that must never appear in a log line of this request."""
    known = _sensitive_values.get()
    new = {v for v in values if isinstance(v, str) and len(v.strip()) >= 2} - known
    if new:
        _sensitive_values.set(known | new)
        _sensitive_forms.set(_indexed(_sensitive_forms.get() or {}, new))


def _indexed(index: dict[str, tuple[str, ...]], values: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """`index` with every escaped form of `values` added (a new dict: contexts share the old)."""
    added: dict[str, set[str]] = {}
    for value in values:
        for form in escaped_forms(value):
            added.setdefault(form[:2], set()).add(form)
    out = dict(index)
    for prefix, forms in added.items():
        out[prefix] = tuple(set(out.get(prefix, ())) | forms)
    return out


def _escapes(text: str) -> set[str]:
    """How one text may appear inside another: JSON (ASCII or not), a str or bytes repr (in
    both of Python's quotings: a repr around it may escape its `'`)."""
    forms = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], repr(text)[1:-1],
             repr(text + "'\"")[1:-4]}
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        return forms
    return forms | {repr(raw)[2:-1], repr(raw + b"'\"")[2:-4]}


def escaped_forms(value: str) -> set[str]:
    """The value as it is, escaped once and escaped twice (a JSON body logged with %r)."""
    once = {value} | _escapes(value)
    return once.union(*(_escapes(form) for form in once))


def begin_request(trace_header: str | None, project: str | None) -> None:
    """Reset per-request log context; link the request's Cloud Trace id when present."""
    _sensitive_values.set(frozenset())
    _sensitive_forms.set(None)
    trace = None
    if trace_header and project:
        trace_id = trace_header.split("/", 1)[0].strip()
        if re.fullmatch(r"[0-9a-fA-F]{1,64}", trace_id):
            trace = f"projects/{project}/traces/{trace_id}"
    _trace.set(trace)


def redact(text: str, extra_values: Iterable[str] = ()) -> str:
    """`text` with every token, sensitive field and declared value replaced. Each finds its
    spans in the original text and overlapping spans merge, so no finding can cut another
    apart (a token pattern inside a title, a field pattern that stops at a doubled escape)."""
    spans = [(m.end(1) if m.groups() else m.start(), m.end())
             for pattern in _PATTERNS for m in pattern.finditer(text)]
    index = _sensitive_forms.get() or {}
    extra = [v for v in extra_values if isinstance(v, str) and len(v.strip()) >= 2]
    if extra:
        index = _indexed(index, extra)
    if index:
        for at in range(len(text) - 1):
            for form in index.get(text[at:at + 2], ()):
                if text.startswith(form, at):
                    spans.append((at, at + len(form)))
    out, done = [], 0
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if end <= done:
            continue
        if start > done or not out:
            out += [text[done:start], REDACTED]
        done = end
    return "".join(out) + text[done:]


def _scrub(value: Any) -> Any:
    """Replace sensitive fields by name and redact every string, recursively."""
    if isinstance(value, dict):
        return {str(k): (REDACTED if str(k).lower() in SENSITIVE_KEYS else _scrub(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line, in the shape Cloud Logging parses."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname if record.levelname != "WARN" else "WARNING",
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        entry = _scrub(entry)
        trace = _trace.get()
        if trace:
            entry["logging.googleapis.com/trace"] = trace
        return json.dumps(entry, ensure_ascii=False)


_configured = False


def configure_logging(level: int = logging.INFO, stream: Any = None) -> None:
    """Send every log record of the process through the JSON formatter (idempotent)."""
    global _configured
    if _configured and stream is None:
        return
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(CloudLoggingFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Client libraries log request URLs and bodies at DEBUG; keep them at WARNING.
    for noisy in ("googleapiclient", "google.auth", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True
