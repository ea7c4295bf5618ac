"""In-memory planner, Google calendars and item state, plus a reference shell that applies plans.

Test code: it pins down how the later engine is meant to run a plan (take cursors before the
writes so our own writes come back as echoes, fill etag/version from each write's answer, skip
an item after a rejected precondition, never advance cursors of a blocked run).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from functions.sync import mapping
from functions.sync.model import (
    Action,
    Appointment,
    AppointmentFields,
    CreateAppointment,
    CreateEvent,
    DeleteAppointment,
    DeleteEvent,
    ForgetState,
    GoogleChanges,
    ItemState,
    Link,
    Plan,
    PlannerChanges,
    Policy,
    RecordConflict,
    SaveState,
    UpdateAppointment,
    UpdateEvent,
)
from functions.sync.plan import plan_link


class Rejected(Exception):
    """A precondition failed (412 / stale version / 404): the shell skips the item this run."""


class Duplicate(Exception):
    """Google's 409 on insert."""


class Clock:
    """`now` of the simulated world; every read ticks a millisecond so `updated` is ordered."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._ticks = itertools.count(1)

    def stamp(self) -> datetime:
        return self.now + timedelta(milliseconds=next(self._ticks))


@dataclass
class FakePlanner:
    """Appointments of one branch with versions and the changes feed of API.md."""

    clock: Clock
    appointments: dict[str, Appointment] = field(default_factory=dict)
    feed: list[tuple[str, Appointment | None]] = field(default_factory=list)

    def save(self, appointment: Appointment) -> Appointment:
        old = self.appointments.get(appointment.id)
        version = (old.version or 0) + 1 if old else 1
        stored = replace(appointment, version=version, updated=self.clock.stamp())
        self.appointments[stored.id] = stored
        self.feed.append((stored.id, stored))
        return stored

    def delete(self, appointment_id: str) -> None:
        if self.appointments.pop(appointment_id, None) is not None:
            self.feed.append((appointment_id, None))

    def changes(self, cursor: int) -> tuple[dict[str, Appointment | None], int]:
        return dict(self.feed[cursor:]), len(self.feed)

    def listing(self, resource_id: str, now: datetime, policy: Policy) -> dict[str, Appointment | None]:
        time_min, time_max = mapping.listing_bounds(now, policy.horizon_days)
        window = {}
        for appointment in self.appointments.values():
            content = mapping.appointment_content(appointment, policy.privacy)
            start, end = mapping.content_span(content, policy.timezone)
            if appointment.resource_id == resource_id and end > time_min and start < time_max:
                window[appointment.id] = appointment
        return window

    # the shell's writes
    def create_if_absent(self, appointment: Appointment) -> int:
        existing = self.appointments.get(appointment.id)
        return existing.version or 0 if existing else self.save(appointment).version or 0

    def update_if(self, appointment_id: str, fields: AppointmentFields, if_version: int | None) -> int:
        current = self.appointments.get(appointment_id)
        if current is None or (if_version is not None and current.version != if_version):
            raise Rejected(appointment_id)
        return self.save(replace(current, **fields)).version or 0  # type: ignore[arg-type]

    def delete_if(self, appointment_id: str, if_version: int | None) -> None:
        current = self.appointments.get(appointment_id)
        if current is not None and if_version is not None and current.version != if_version:
            raise Rejected(appointment_id)
        self.delete(appointment_id)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_etags = itertools.count(1)


@dataclass
class FakeCalendar:
    """One Google calendar: events by id (cancelled ones stay), a change log for sync tokens."""

    clock: Clock
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def _touch(self, event: dict[str, Any]) -> dict[str, Any]:
        event = {**event, "etag": f'"{next(_etags)}"', "updated": self.clock.stamp().isoformat()}
        self.events[event["id"]] = event
        self.log.append(event["id"])
        return event

    def insert(self, body: dict[str, Any]) -> dict[str, Any]:
        if body["id"] in self.events:
            raise Duplicate(body["id"])
        return self._touch({"status": "confirmed", **body})

    def patch(self, event_id: str, body: dict[str, Any], if_match: str | None = None) -> dict[str, Any]:
        current = self.events.get(event_id)
        if current is None or (if_match is not None and current["etag"] != if_match):
            raise Rejected(event_id)
        return self._touch(_merge(current, body))

    def delete(self, event_id: str, if_match: str | None = None) -> None:
        current = self.events.get(event_id)
        if current is None or current["status"] == "cancelled":
            return  # 404 / 410: already gone
        if if_match is not None and current["etag"] != if_match:
            raise Rejected(event_id)
        self._touch({**current, "status": "cancelled"})

    def live(self) -> Iterator[dict[str, Any]]:
        return (e for e in self.events.values() if e["status"] != "cancelled")

    def changes(self, token: int) -> tuple[list[dict[str, Any]], int]:
        ids = dict.fromkeys(self.log[token:])
        items = []
        for event_id in ids:
            event = self.events[event_id]
            bare = {"id": event_id, "status": "cancelled"}
            items.append(bare if event["status"] == "cancelled" else event)
        return items, len(self.log)

    def listing(self, now: datetime, policy: Policy) -> tuple[list[dict[str, Any]], int]:
        time_min, time_max = mapping.listing_bounds(now, policy.horizon_days)
        window = []
        for item in self.live():
            event = mapping.event_from_google(item)
            content = mapping.event_content(event, policy.privacy, policy.timezone)
            start, end = mapping.content_span(content, policy.timezone)
            if end > time_min and start < time_max:  # like Google's timeMin / timeMax
                window.append(item)
        return window, len(self.log)


@dataclass
class LinkSide:
    """What the shell keeps per link: item states and both cursors."""

    link: Link
    policy: Policy
    calendar: FakeCalendar
    states: dict[str, ItemState] = field(default_factory=dict)
    planner_cursor: int = 0
    google_token: int | None = None  # None: next Google listing is a full one
    full_next: bool = True
    conflicts: list[RecordConflict] = field(default_factory=list)

    def lose_state(self) -> None:
        self.states.clear()
        self.google_token, self.full_next = None, True


@dataclass
class World:
    """One branch: the planner, one calendar per linked resource, the shell's per-link records."""

    clock: Clock
    planner: FakePlanner
    links: dict[str, LinkSide]

    @classmethod
    def create(cls, now: datetime, policies: dict[str, Policy], branch_id: str = "b1") -> World:
        clock = Clock(now)
        links = {r: LinkSide(Link(branch_id, r), p, FakeCalendar(clock)) for r, p in policies.items()}
        return cls(clock, FakePlanner(clock), links)

    def sync(
        self,
        resource_id: str,
        *,
        force: bool = False,
        full: bool = False,
        before_apply: Callable[[], None] | None = None,
    ) -> Plan:
        """One run of the shell for one link; `before_apply` lets a test race the writes."""
        side = self.links[resource_id]
        now = self.clock.now
        full = full or side.full_next or side.google_token is None
        appointments, cursor = self.planner.changes(side.planner_cursor)
        if full:
            appointments |= self.planner.listing(resource_id, now, side.policy)
            events, token = side.calendar.listing(now, side.policy)
        else:
            assert side.google_token is not None
            events, token = side.calendar.changes(side.google_token)
        plan = plan_link(
            side.link,
            side.policy,
            PlannerChanges(appointments, complete=full),
            GoogleChanges(tuple(mapping.event_from_google(e) for e in events), complete=full),
            tuple(side.states.values()),
            now,
            force=force,
        )
        if plan.blocked is None:
            if before_apply is not None:
                before_apply()
            if apply_plan(plan, side, self.planner, now):
                side.planner_cursor, side.google_token, side.full_next = cursor, token, plan.full_sync_needed
        return plan

    def sync_all(self, *, force: bool = False) -> list[Plan]:
        return [self.sync(r, force=force) for r in self.links]


def _key(action: Action) -> str:
    if isinstance(action, CreateAppointment):
        return action.appointment.id
    if isinstance(action, SaveState):
        return action.state.appointment_id
    return action.appointment_id


def apply_plan(plan: Plan, side: LinkSide, planner: FakePlanner, now: datetime) -> bool:
    """The reference shell: run each item's actions; a rejected item is re-read and re-planned.

    False when an item failed even then: the caller keeps its cursors, so nothing is lost.
    """
    done = True
    for key, actions in itertools.groupby(plan.actions, key=_key):
        todo = list(actions)
        try:
            for action in todo:
                _apply(action, side, planner)
        except Rejected:
            done = _replan_item(key, todo, side, planner, now) and done
    return done


def _replan_item(key: str, tried: list[Action], side: LinkSide, planner: FakePlanner, now: datetime) -> bool:
    """Both sides of one item read afresh (events.get shows cancelled events too), planned alone."""
    state = side.states.get(key)
    event_ids = [a.event_id for a in tried if isinstance(a, CreateEvent | UpdateEvent | DeleteEvent)]
    event_id = state.event_id if state else (event_ids or [mapping.event_id_for(side.link.branch_id, key)])[0]
    raw = side.calendar.events.get(event_id) or {"id": event_id, "status": "cancelled"}
    plan = plan_link(
        side.link,
        side.policy,
        PlannerChanges({key: planner.appointments.get(key)}),
        GoogleChanges((mapping.event_from_google(raw),)),
        [state] if state else [],
        now,
        force=True,
    )
    try:
        for action in plan.actions:
            _apply(action, side, planner)
    except Rejected:
        return False
    return True


def _apply(action: Action, side: LinkSide, planner: FakePlanner) -> None:
    calendar, states = side.calendar, side.states
    match action:
        case CreateEvent():
            try:
                event = calendar.insert(action.insert_body)
            except Duplicate:
                event = calendar.patch(action.event_id, action.body)
            states[action.appointment_id] = action.state.after_write(google_etag=event["etag"])
        case UpdateEvent():
            event = calendar.patch(action.event_id, action.body, action.if_match)
            states[action.appointment_id] = action.state.after_write(google_etag=event["etag"])
        case DeleteEvent():
            calendar.delete(action.event_id, action.if_match)
            states.pop(action.appointment_id, None)
        case CreateAppointment():
            version = planner.create_if_absent(action.appointment)
            states[action.appointment.id] = action.state.after_write(planner_version=version)
        case UpdateAppointment():
            version = planner.update_if(action.appointment_id, action.fields, action.if_version)
            states[action.appointment_id] = action.state.after_write(planner_version=version)
        case DeleteAppointment():
            planner.delete_if(action.appointment_id, action.if_version)
            states.pop(action.appointment_id, None)
        case SaveState():
            states[action.state.appointment_id] = action.state
        case ForgetState():
            states.pop(action.appointment_id, None)
        case RecordConflict():
            side.conflicts.append(action)
