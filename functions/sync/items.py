"""Gather step of the plan: one `Item` per appointment id from the inputs of one link.

Each item says what the planner side and the Google side look like now (present, deleted,
moved away, missing from a complete listing, or not mentioned) next to the stored state. The
decision table in `plan` reads only these values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from functions.sync import mapping
from functions.sync.model import (
    Appointment,
    Content,
    GoogleChanges,
    GoogleEvent,
    ItemState,
    Link,
    PlannerChanges,
    Policy,
)


class Seen(Enum):
    """What one side says about an item in this run."""

    UNKNOWN = "unknown"  # not mentioned by a delta
    PRESENT = "present"
    DELETED = "deleted"  # deleted / cancelled
    MOVED = "moved"  # planner only: now booked on another resource
    ABSENT = "absent"  # missing from a complete listing


@dataclass
class Item:
    key: str  # appointment id
    state: ItemState | None = None
    planner: Seen = Seen.UNKNOWN
    appointment: Appointment | None = None
    planner_content: Content | None = None
    google: Seen = Seen.UNKNOWN
    event: GoogleEvent | None = None
    google_content: Content | None = None
    owned: bool = False  # the event is one of our deterministic events for `key`
    invalid: list[str] = field(default_factory=list)  # "planner" / "google"
    stray_events: list[GoogleEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Window:
    """The sync window of one run; answers window questions about contents and states."""

    now: datetime
    policy: Policy

    def span(self, content: Content) -> tuple[datetime, datetime]:
        return mapping.content_span(content, self.policy.timezone)

    def contains(self, content: Content) -> bool:
        return mapping.in_window(*self.span(content), self.now, self.policy.horizon_days)

    def listed(self, starts_at: datetime, ends_at: datetime) -> bool:
        """A complete listing (over `mapping.listing_bounds`) must show what is in the window."""
        return mapping.in_window(starts_at, ends_at, self.now, self.policy.horizon_days)

    def ended(self, content: Content | None) -> bool:
        return content is None or self.span(content)[1] <= self.now


def gather(
    link: Link,
    policy: Policy,
    planner: PlannerChanges,
    google: GoogleChanges,
    states: Iterable[ItemState],
    window: Window,
) -> dict[str, Item]:
    """Index everything by appointment id; complete listings turn silence into ABSENT."""
    items: dict[str, Item] = {}
    by_event: dict[str, ItemState] = {}
    for state in states:
        items[state.appointment_id] = Item(state.appointment_id, state=state)
        by_event[state.event_id] = state
    for key, appointment in planner.appointments.items():
        _see_appointment(items.setdefault(key, Item(key)), appointment, link, policy)
    for event in google.events:
        _see_event(items, by_event, event, link, policy)
    for item in items.values():
        _infer_absence(item, planner.complete, google.complete, window)
    return items


def _see_appointment(item: Item, appointment: Appointment | None, link: Link, policy: Policy) -> None:
    if appointment is None:
        item.planner, item.appointment = Seen.DELETED, None
    elif appointment.resource_id != link.resource_id:
        item.planner, item.appointment = Seen.MOVED, None
    else:
        item.planner, item.appointment = Seen.PRESENT, appointment
        try:
            item.planner_content = mapping.appointment_content(appointment, policy.privacy)
        except ValueError:
            item.invalid.append("planner")


def _event_key(event: GoogleEvent, by_event: dict[str, ItemState], link: Link) -> tuple[str, bool]:
    """Which appointment an event belongs to: state first, then our marker, then the id rule."""
    if event.id in by_event:
        key = by_event[event.id].appointment_id
        return key, mapping.event_id_for(link.branch_id, key) == event.id
    owner = mapping.owned_appointment_id(event, link.branch_id)
    if owner is not None:
        return owner, True
    return mapping.appointment_id_for_event(link.branch_id, link.resource_id, event.id), False


def _see_event(
    items: dict[str, Item], by_event: dict[str, ItemState], event: GoogleEvent, link: Link, policy: Policy
) -> None:
    if event.cancelled and event.id not in by_event:
        # A cancelled recurring series: every synced instance of it is gone.
        instances = [s for s in by_event.values() if s.recurring_event_id == event.id]
        for state in instances:
            _set_event(items[state.appointment_id], Seen.DELETED, None, policy)
        if instances:
            return
    key, owned = _event_key(event, by_event, link)
    item = items.setdefault(key, Item(key))
    if item.state is not None and item.state.event_id != event.id:
        if not event.cancelled:
            item.stray_events.append(event)
        return
    item.owned = owned
    _set_event(item, Seen.DELETED if event.cancelled else Seen.PRESENT, event, policy)


def _set_event(item: Item, seen: Seen, event: GoogleEvent | None, policy: Policy) -> None:
    item.google, item.event, item.google_content = seen, event if seen is Seen.PRESENT else None, None
    if item.event is not None:
        try:
            item.google_content = mapping.event_content(item.event, policy.privacy, policy.timezone)
        except ValueError:
            item.invalid.append("google")


def _infer_absence(item: Item, planner_complete: bool, google_complete: bool, window: Window) -> None:
    if item.state is not None:
        inside = window.listed(item.state.starts_at, item.state.ends_at)
    elif item.google_content is not None:
        inside = window.listed(*window.span(item.google_content))
    else:
        inside = False
    if planner_complete and item.planner is Seen.UNKNOWN and inside:
        item.planner = Seen.ABSENT
    if google_complete and item.google is Seen.UNKNOWN and inside and item.state is not None:
        item.google = Seen.ABSENT
