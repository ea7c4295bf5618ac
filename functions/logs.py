"""Structured JSON log lines for Cloud Logging, with redaction of health data and secrets.

Cloud Functions (gen2) turns each JSON line on stdout/stderr into a structured log entry:
`severity` and `message` are understood, `logging.googleapis.com/trace` links the request's
trace. Redaction applies to every string of the entry (message, extra fields, traceback)
before it is encoded, so nothing can slip past it:
- fields whose name marks them as sensitive (title, notes, token, secret, ...) are replaced;
- token-shaped strings (Google access/refresh tokens, JWTs, bearer headers, OAuth codes and
  secrets in query strings or forms) are replaced wherever they occur;
- values declared sensitive for the current request with `sensitive(...)` (an appointment's
  title, location and notes, an event's summary and description) are replaced wherever they
  occur.
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

_TOKEN_PATTERNS = [
    re.compile(r"ya29\.[\w\-.~+/]+=*"),                             # Google access tokens
    re.compile(r"1//[\w\-.~+/]+=*"),                                # Google refresh tokens
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"),                       # JWTs
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),                       # Authorization headers
    # query strings and forms: ?code=...&state=..., refresh_token=...
    re.compile(r"(?i)((?<![\w])(?:code|state|token|refresh_token|access_token|client_secret|"
               r"code_verifier|id_token)=)[^\s&\"',]+"),
    # JSON bodies echoed into messages: "refresh_token": "..."
    re.compile(r"(?i)(\"(?:token|refresh_token|access_token|client_secret|code_verifier|id_token)"
               r"\"\s*:\s*\")[^\"]+"),
]

_sensitive_values: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "sensitive_values", default=frozenset())
_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace", default=None)


def sensitive(*values: str | None) -> None:
    """Declare values (patient data) that must never appear in a log line of this request."""
    new = {v for v in values if isinstance(v, str) and len(v.strip()) >= 2}
    if new:
        _sensitive_values.set(_sensitive_values.get() | new)


def begin_request(trace_header: str | None, project: str | None) -> None:
    """Reset per-request log context; link the request's Cloud Trace id when present."""
    _sensitive_values.set(frozenset())
    trace = None
    if trace_header and project:
        trace_id = trace_header.split("/", 1)[0].strip()
        if re.fullmatch(r"[0-9a-fA-F]{1,64}", trace_id):
            trace = f"projects/{project}/traces/{trace_id}"
    _trace.set(trace)


def redact(text: str, extra_values: Iterable[str] = ()) -> str:
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    values = sorted(set(_sensitive_values.get()) | set(extra_values), key=len, reverse=True)
    for value in values:
        text = text.replace(value, REDACTED)
        for escaped in (json.dumps(value)[1:-1], repr(value)[1:-1]):
            if escaped != value:
                text = text.replace(escaped, REDACTED)
    return text


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
