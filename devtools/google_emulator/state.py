"""All emulator state: in memory only, guarded by one re-entrant lock.

The state is split by concern: `oauth` (clients, grants, tokens) lives in oauth_store.py,
`calendar` (calendars, events, sync tokens) in calendar_store.py, `faults` (injected faults,
rate limiting, request counters) in faults.py, `push` (notification channels and their
delivery) in push_store.py. This module ties them together and owns the
clock, which tests can move forward to let tokens expire.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

DEFAULT_ACCOUNTS = (
    ("praxis.berlin@example.com", "Praxis Berlin"),
    ("anna.schmidt@example.com", "Anna Schmidt"),
    ("leer@example.com", "Nur Hauptkalender"),
)
DEFAULT_CLIENT_ID = "local-client.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "local-client-secret"


@dataclass
class Account:
    email: str
    display_name: str


@dataclass(frozen=True)
class Principal:
    """Who a Calendar API call acts as, derived from its bearer access token."""

    email: str
    client_id: str
    scopes: frozenset[str]
    grant_id: str


@dataclass
class EmulatorState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock_offset: float = 0.0
    accounts: dict[str, Account] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Imported here: the stores import this module for Principal/Account.
        from devtools.google_emulator.calendar_store import CalendarStore
        from devtools.google_emulator.faults import FaultStore
        from devtools.google_emulator.oauth_store import OAuthStore
        from devtools.google_emulator.push_store import PushStore

        self.oauth = OAuthStore(self)
        self.calendar = CalendarStore(self)
        self.faults = FaultStore(self)
        self.push = PushStore(self)

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees it (moved by the control API)."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock forward (tokens, codes and rate windows follow it)."""
        with self.lock:
            self.clock_offset += seconds
            return self.now()

    def add_account(self, email: str, display_name: str = "") -> Account:
        with self.lock:
            if email not in self.accounts:
                self.accounts[email] = Account(email, display_name or email.split("@")[0])
                self.calendar.create_primary(email)
            return self.accounts[email]

    def reset(self) -> None:
        """Back to a fresh start: default accounts and client, nothing else."""
        with self.lock:
            self.clock_offset = 0.0
            self.accounts.clear()
            self.oauth.reset()
            self.calendar.reset()
            self.faults.reset()
            self.push.reset()
            for email, name in DEFAULT_ACCOUNTS:
                self.add_account(email, name)
