"""Interleavings for tests of the sync shell: something happens at the n-th I/O step of a run.

`Steps` wraps the I/O methods the engine uses (Firestore reads and writes of the sync store and
the appointment store, Google listings, batches and re-reads) so a test can run a callback just
before step n of a sync run (a phone edit, a planner write, dropped connections), or kill the
run there: from step n on every I/O step of the run raises `Killed`, as if the instance died.
Only steps inside `Steps.run(...)` count, so planner API calls made by the test do not.
The product code runs unchanged; the wrappers only call the originals.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from functions.adapters.appointments_store import AppointmentStore
from functions.adapters.google_events import BatchWriter
from functions.adapters.sync_store import SyncStore
from functions.sync import engine

_ACTIVE: contextvars.ContextVar[Steps | None] = contextvars.ContextVar("steps", default=None)

POINTS: list[tuple[Any, str]] = [
    (SyncStore, "states"), (SyncStore, "states_of"), (SyncStore, "known"), (SyncStore, "commit"),
    (SyncStore, "acquire"), (SyncStore, "finish"), (SyncStore, "mark"), (SyncStore, "syncing_links"),
    (AppointmentStore, "changes_since"), (AppointmentStore, "of_resource"),
    (AppointmentStore, "current_seq"), (AppointmentStore, "latest"), (AppointmentStore, "_write"),
    (BatchWriter, "_batch"), (engine, "list_events"),
]


class Killed(BaseException):
    """The instance running the sync died (a BaseException: nothing in the product catches it)."""


class Steps:
    def __init__(self) -> None:
        self.count = 0
        self.at: dict[int | str, Callable[[], None]] = {}
        self.kill_at: int | str | None = None
        self.dead = False
        self.names: list[str] = []
        self._lock = threading.Lock()

    def before(self, step: int | str, action: Callable[[], None]) -> None:
        """Run `action` just before step number `step`, or before the first step of that name
        (`"name#k"`: before its k-th one)."""
        self.at[step] = action

    def kill(self, step: int | str) -> None:
        """The instance dies just before step `step` (a number or a name, as in `before`)."""
        self.kill_at = step

    def step(self, name: str) -> None:
        with self._lock:
            n, self.count = self.count, self.count + 1
            self.names.append(name)
            nth = f"{name}#{self.names.count(name)}"
            here = {n, nth} | ({name} if nth.endswith("#1") else set())
            if self.kill_at in here:
                self.dead = True
        if self.dead:
            raise Killed(name)
        action = next((self.at.pop(k) for k in (n, nth, name) if k in here and k in self.at), None)
        if action is not None:
            token = _ACTIVE.set(None)  # the action's own I/O is not a step of the run
            try:
                action()
            finally:
                _ACTIVE.reset(token)

    def run(self, fn: Callable[[], Any]) -> Any:
        token = _ACTIVE.set(self)
        try:
            return fn()
        finally:
            _ACTIVE.reset(token)


def _wrap(owner: Any, name: str) -> Callable[..., Any]:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        steps = _ACTIVE.get()
        if steps is not None:
            steps.step(name)
        return original(*args, **kwargs)

    return wrapper


@contextmanager
def counting_steps() -> Iterator[None]:
    """Install the wrappers (without pytest's monkeypatch, for hypothesis machines)."""
    saved = [(owner, name, getattr(owner, name)) for owner, name in POINTS]
    for owner, name, _ in saved:
        setattr(owner, name, _wrap(owner, name))
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


@pytest.fixture
def steps() -> Iterator[Steps]:
    with counting_steps():
        yield Steps()
