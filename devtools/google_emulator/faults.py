"""Injected faults, per-user rate limiting and request counters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from devtools.google_emulator.errors import GoogleApiError

if TYPE_CHECKING:
    from devtools.google_emulator.routing import ApiCall, Kind
    from devtools.google_emulator.state import EmulatorState, Principal


@dataclass
class Fault:
    code: int
    reason: str
    ghost: bool = False

    def error(self) -> GoogleApiError:
        return GoogleApiError(self.code, self.reason)


class FaultStore:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.reset()

    def reset(self) -> None:
        self.counters: dict[str, dict[str, int]] = {}

    def count(self, call: ApiCall, kind: Kind) -> None:
        cal = call.args.get("calendar_id", "")
        c = self.counters.setdefault(cal, {"read": 0, "write": 0})
        c[kind] += 1

    def check_rate_limit(self, principal: Principal) -> None:
        return None

    def take_fault(self, call: ApiCall, kind: Kind) -> Fault | None:
        return None
