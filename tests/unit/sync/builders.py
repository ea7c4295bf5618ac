"""Small builders of plain values for the example tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from functions.sync import breaker, mapping
from functions.sync.model import (
    Action,
    Appointment,
    GoogleChanges,
    GoogleEvent,
    ItemState,
    Link,
    Plan,
    PlannerChanges,
    Policy,
    Privacy,
    strip_nulls,
)
from functions.sync.plan import plan_link

NOW = datetime(2030, 3, 20, 12, 0, tzinfo=UTC)
LINK = Link("b1", "r1")
POLICY = Policy("Europe/Berlin")


def appointment(id: str = "a1", **fields: Any) -> Appointment:
    values: dict[str, Any] = {
        "resource_id": LINK.resource_id,
        "start": "2030-04-02T09:00:00+02:00",
        "end": "2030-04-02T09:30:00+02:00",
        "title": "Kontrolle Frau Muster",
        "location": "Zimmer 2",
        "notes": "Allergie: Penicillin",
        "version": 1,
        "updated": datetime(2030, 3, 19, 8, 0, tzinfo=UTC),
    }
    return Appointment(id=id, **(values | fields))


def event_item(appt: Appointment, policy: Policy = POLICY, **overrides: Any) -> dict[str, Any]:
    """The Google representation of an appointment as we write it, with an id and etag."""
    event_id = overrides.pop("id", mapping.event_id_for(LINK.branch_id, appt.id))
    body = mapping.event_body(appt, policy)
    item = {
        **strip_nulls(body),
        "id": event_id,
        "etag": '"e1"',
        "updated": "2030-03-19T08:00:00.000Z",
    }
    return item | overrides


def event(appt: Appointment, policy: Policy = POLICY, **overrides: Any) -> GoogleEvent:
    return mapping.event_from_google(event_item(appt, policy, **overrides))


def phone_event(event_id: str = "phone0001", **overrides: Any) -> GoogleEvent:
    """An event typed on the phone: no markers, Google's own id."""
    item = {
        "id": event_id,
        "status": "confirmed",
        "etag": '"p1"',
        "updated": "2030-03-19T10:00:00.000Z",
        "summary": "Zahnarzt privat",
        "start": {"dateTime": "2030-04-03T10:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-04-03T11:00:00+02:00", "timeZone": "Europe/Berlin"},
    }
    return mapping.event_from_google(item | overrides)


def synced_state(appt: Appointment, ev: GoogleEvent, policy: Policy = POLICY) -> ItemState:
    """The state after a clean sync of `appt` ⇄ `ev`."""
    planner = mapping.appointment_content(appt, policy.privacy)
    google = mapping.event_content(ev, policy.privacy, policy.timezone)
    starts_at, ends_at = mapping.content_span(google, policy.timezone)
    return ItemState(
        appointment_id=appt.id,
        event_id=ev.id,
        planner_hash=mapping.content_hash(planner),
        google_hash=mapping.content_hash(google),
        planner_version=appt.version,
        google_etag=ev.etag,
        starts_at=starts_at,
        ends_at=ends_at,
        recurring_event_id=ev.recurring_event_id,
    )


def run(
    appointments: dict[str, Appointment | None] | None = None,
    events: Iterable[GoogleEvent] = (),
    states: Iterable[ItemState] = (),
    *,
    policy: Policy = POLICY,
    now: datetime = NOW,
    complete: bool = False,
    planner_complete: bool | None = None,
    force: bool = False,
    link: Link = LINK,
    earlier: breaker.Recent = breaker.NONE_RECENT,
    restore: bool = False,
) -> Plan:
    return plan_link(
        link,
        policy,
        PlannerChanges(appointments or {}, complete=_pick(planner_complete, complete)),
        GoogleChanges(tuple(events), complete=complete),
        tuple(states),
        now,
        force=force,
        earlier=earlier,
        restore=restore,
    )


def _pick(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def kinds(actions: Iterable[Action]) -> list[str]:
    return [type(a).__name__ for a in actions]


def with_privacy(privacy: Privacy, policy: Policy = POLICY) -> Policy:
    return replace(policy, privacy=privacy)
