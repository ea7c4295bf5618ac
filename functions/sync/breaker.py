"""Circuit breaker: a run that would delete much of a link on one side is held back.

Mass deletions are what a broken listing, a wrong calendar or a bulk edit look like; holding the
whole link (not single items) keeps both sides consistent until someone forces the run.
"""

from __future__ import annotations

from collections.abc import Sequence

from functions.sync.model import MASS_CHANGE_BLOCKED, Action, Blocked, DeleteAppointment, DeleteEvent

MINIMUM = 10
SHARE_PERCENT = 20


def too_many(deletions: int, synced_items: int) -> bool:
    """More than max(10, 20 % of the synced items); integer arithmetic, no rounding edge."""
    return deletions > MINIMUM and deletions * 100 > synced_items * SHARE_PERCENT


def check(actions: Sequence[Action], *, synced_items: int, force: bool) -> Blocked | None:
    """None when the run may go ahead, else why it is blocked (counts per side)."""
    google = sum(isinstance(a, DeleteEvent) for a in actions)
    planner = sum(isinstance(a, DeleteAppointment) for a in actions)
    if force or not (too_many(google, synced_items) or too_many(planner, synced_items)):
        return None
    return Blocked(MASS_CHANGE_BLOCKED, google, planner, synced_items)
