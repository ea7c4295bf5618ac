"""Circuit breaker: a run that would delete much of a link on one side is held back.

Mass deletions are what a broken listing, a wrong calendar or a bulk edit look like; holding the
whole link (not single items) keeps both sides consistent until someone forces the run.

Change-driven runs (a task per planner write, per push notification) see a bulk deletion in
slices of a few seconds each, every slice under the limit. So the breaker counts the deletions
of the last hour (`Recent`, kept on the link by the shell: `remember`) with the run's own, out
of the items synced before them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from functions.sync.model import (
    MASS_CHANGE_BLOCKED,
    Action,
    Blocked,
    DeleteAppointment,
    DeleteEvent,
    Deletion,
    Side,
)

MINIMUM = 10
SHARE_PERCENT = 20
WINDOW = timedelta(hours=1)
LISTED = 500  # deletions a finding lists by id (the link document stays far below 1 MiB)


@dataclass(frozen=True)
class Recent:
    """Deletions the link's runs applied within the last WINDOW, per side."""

    google: int = 0
    planner: int = 0


NONE_RECENT = Recent()


def recent(entries: Sequence[dict[str, Any]] | None, now: datetime) -> Recent:
    """The sum of the entries (`{"at", "google", "planner"}`) younger than WINDOW."""
    young = [e for e in entries or () if e["at"] > now - WINDOW]
    return Recent(sum(int(e["google"]) for e in young), sum(int(e["planner"]) for e in young))


def remember(entries: Sequence[dict[str, Any]] | None, now: datetime,
             actions: Sequence[Action]) -> list[dict[str, Any]]:
    """The entries to keep after a run that applied `actions`: the young ones, and this run's
    deletions if it had any."""
    kept = [dict(e) for e in entries or () if e["at"] > now - WINDOW]
    google, planner = deletions(actions)
    if google or planner:
        kept.append({"at": now, "google": google, "planner": planner})
    return kept


def deletions(actions: Sequence[Action]) -> tuple[int, int]:
    """(events deleted in Google, appointments deleted in the planner)."""
    return (sum(isinstance(a, DeleteEvent) for a in actions),
            sum(isinstance(a, DeleteAppointment) for a in actions))


def too_many(deletions: int, synced_items: int) -> bool:
    """More than max(10, 20 % of the synced items); integer arithmetic, no rounding edge."""
    return deletions > MINIMUM and deletions * 100 > synced_items * SHARE_PERCENT


def check(actions: Sequence[Action], *, synced_items: int, force: bool,
          earlier: Recent = NONE_RECENT) -> Blocked | None:
    """None when the run may go ahead, else why it is blocked: the deletions per side of this
    run and of the last hour's runs, out of the items synced before them."""
    google, planner = deletions(actions)
    google, planner = google + earlier.google, planner + earlier.planner
    before = synced_items + earlier.google + earlier.planner
    if force or not (too_many(google, before) or too_many(planner, before)):
        return None
    return Blocked(MASS_CHANGE_BLOCKED, google, planner, before, held_back(actions))


def held_back(actions: Sequence[Action]) -> tuple[Deletion, ...]:
    """The run's deletions by id, for the admin's decision (the first LISTED of them)."""
    found = [Deletion(Side.GOOGLE, a.appointment_id, a.event_id) if isinstance(a, DeleteEvent)
             else Deletion(Side.PLANNER, a.appointment_id)
             for a in actions if isinstance(a, DeleteEvent | DeleteAppointment)]
    return tuple(found[:LISTED])
