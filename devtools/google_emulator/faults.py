"""Injected faults, per-user rate limiting, request counters and emulated latency.

Everything here is applied per Calendar API call (so per batch part) by the pipeline in
server.py, under the state lock; only the HTTP counter and the latency are per HTTP request.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from devtools.google_emulator.errors import GoogleApiError

if TYPE_CHECKING:
    from devtools.google_emulator.routing import ApiCall, Kind
    from devtools.google_emulator.state import EmulatorState, Principal

DEFAULT_PER_MINUTE = 600
WINDOW_SECONDS = 60.0
USAGE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
DEFAULT_REASONS = {403: "rateLimitExceeded", 429: "rateLimitExceeded"}
MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
    "backendError": "Backend Error",
}


@dataclass
class Fault:
    """The next `count` Calendar calls matching all given filters answer `code`/`reason`."""

    code: int
    reason: str
    count: int = 1
    method: str | None = None
    path_regex: str | None = None
    calendar_id: str | None = None
    kind: str | None = None
    ghost: bool = False
    message: str | None = None

    def error(self) -> GoogleApiError:
        domain = "usageLimits" if self.reason in USAGE_LIMIT_REASONS else "global"
        return GoogleApiError(self.code, self.reason, self.message or MESSAGES.get(self.reason),
                              domain=domain)

    def matches(self, method: str, path: str, calendar_id: str, kind: str) -> bool:
        return ((self.method is None or self.method.upper() == method.upper())
                and (self.path_regex is None or re.search(self.path_regex, path) is not None)
                and (self.calendar_id is None or self.calendar_id == calendar_id)
                and (self.kind is None or self.kind == kind))

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def make_fault(spec: dict[str, Any]) -> Fault:
    """A Fault from the control API's JSON, or ValueError saying what is wrong with it."""
    unknown = set(spec) - {"code", "reason", "count", "method", "path_regex", "calendar_id", "kind",
                           "ghost", "message"}
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    ghost = bool(spec.get("ghost", False))
    code = spec.get("code", 503 if ghost else None)
    if not isinstance(code, int) or not 400 <= code <= 599:
        raise ValueError("code must be an HTTP error status (400-599)")
    if ghost and code < 500:
        raise ValueError("a ghost fault answers a server error (5xx): the write happened anyway")
    reason = spec.get("reason") or DEFAULT_REASONS.get(code) or ("backendError" if code >= 500 else None)
    if not reason:
        raise ValueError(f"code {code} needs a reason")
    count = spec.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer")
    if spec.get("kind") not in (None, "read", "write"):
        raise ValueError("kind must be read or write")
    if spec.get("path_regex") is not None:
        try:
            re.compile(spec["path_regex"])
        except (re.error, TypeError) as exc:
            raise ValueError(f"path_regex: {exc}") from None
    return Fault(code, reason, count, spec.get("method"), spec.get("path_regex"),
                 spec.get("calendar_id"), spec.get("kind"), ghost, spec.get("message"))


def call_calendar_id(call: ApiCall) -> str:
    """The calendar a call is about, `primary` resolved to the caller's email ("" if none)."""
    cal = call.args.get("calendar_id", "")
    return call.principal.email if cal == "primary" else cal


class FaultStore:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.reset()

    def reset(self) -> None:
        self.counters: dict[str, dict[str, int]] = {}
        self.requests = {"http": 0, "batch_parts": 0, "token": 0}
        self.connections = 0  # connections opened to Google's endpoints (not the control API)
        self.faults: list[Fault] = []
        self.rate_limit_enabled = False
        self.per_minute = DEFAULT_PER_MINUTE
        self.windows: dict[str, deque[float]] = {}
        self.latency_ms = 0.0

    # --- called by the pipeline, under the state lock ------------------------------------

    def count(self, call: ApiCall, kind: Kind) -> None:
        """Per calendar; calls naming no calendar (calendarList.list, calendars.insert) are not."""
        cal = call_calendar_id(call)
        if cal:
            self.counters.setdefault(cal, {"read": 0, "write": 0})[kind] += 1

    def check_rate_limit(self, principal: Principal) -> None:
        """Per-user sliding 60 s window on the emulator clock; a refused call is not counted."""
        if not self.rate_limit_enabled:
            return
        now = self.state.now()
        window = self.windows.setdefault(principal.email, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= self.per_minute:
            raise GoogleApiError(403, "userRateLimitExceeded", MESSAGES["userRateLimitExceeded"],
                                 domain="usageLimits")
        window.append(now)

    def take_fault(self, call: ApiCall, kind: Kind) -> Fault | None:
        """The first pending fault matching this call, with one use consumed."""
        cal = call_calendar_id(call)
        for fault in self.faults:
            if fault.matches(call.method, call.path, cal, kind):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def count_http(self) -> None:
        with self.state.lock:
            self.requests["http"] += 1

    def count_connection(self) -> None:
        with self.state.lock:
            self.connections += 1

    def count_batch_part(self) -> None:
        self.requests["batch_parts"] += 1

    def count_token(self) -> None:
        with self.state.lock:
            self.requests["token"] += 1

    # --- the control API -----------------------------------------------------------------

    def add_fault(self, spec: dict[str, Any]) -> Fault:
        fault = make_fault(spec)
        with self.state.lock:
            self.faults.append(fault)
        return fault

    def list_faults(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [f.to_json() for f in self.faults]

    def clear_faults(self) -> int:
        with self.state.lock:
            n = len(self.faults)
            self.faults.clear()
            return n

    def set_rate_limit(self, enabled: bool, per_minute: int | None = None) -> dict[str, Any]:
        with self.state.lock:
            self.rate_limit_enabled = enabled
            if per_minute is not None:
                if per_minute < 1:
                    raise ValueError("per_minute must be positive")
                self.per_minute = per_minute
            self.windows.clear()
            return {"enabled": self.rate_limit_enabled, "per_minute": self.per_minute}

    def snapshot(self) -> dict[str, Any]:
        with self.state.lock:
            return {"calendars": {k: dict(v) for k, v in self.counters.items()},
                    "requests": dict(self.requests), "connections": self.connections}

    def reset_counters(self) -> None:
        with self.state.lock:
            self.counters = {}
            self.requests = {"http": 0, "batch_parts": 0, "token": 0}
            self.connections = 0
