"""Calendars, events and sync tokens (state only; HTTP handlers are in calendar_api.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.google_emulator.state import EmulatorState


class CalendarStore:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.reset()

    def reset(self) -> None:
        self.calendars: dict[str, dict[str, Any]] = {}

    def create_primary(self, email: str) -> None:
        self.calendars[email] = {"id": email, "summary": email, "owner": email, "primary": True}
