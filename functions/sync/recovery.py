"""What a sync run does about items that did not go through in its plan.

- A write refused by its precondition (412 on Google, a newer version in the planner) means
  the item changed while the run worked: `replan_rejected` re-reads it on both sides and plans
  it alone again, as plan.py's shell contract says.
- An item that cannot be mapped, or whose write Google refuses, is quarantined on the link
  (`quarantine_after`), so one bad item never blocks the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from functions import logs
from functions.adapters.appointments_store import AppointmentStore
from functions.adapters.google_calendar import CalendarApi
from functions.adapters.google_events import BatchWriter, EventWrite
from functions.adapters.sync_store import SyncStore
from functions.context import Context
from functions.domain import Link
from functions.sync import mapping, model
from functions.sync.apply import Applier
from functions.sync.model import Policy
from functions.sync.plan import plan_link


def declare_sensitive(appointments: Iterable[model.Appointment | None],
                      events: Iterable[dict[str, Any]]) -> None:
    """Patient data seen by this link's run never reaches a log line, not even in a traceback."""
    values: list[str | None] = []
    for a in appointments:
        if a is not None:
            values += [a.title, a.location, a.notes]
    for e in events:
        values += [e.get("summary"), e.get("description"), e.get("location")]
    logs.sensitive(*values)


def replan_rejected(ctx: Context, sync_store: SyncStore, api: CalendarApi, link: Link, policy: Policy,
                    applier: Applier, now: datetime) -> None:
    """The shell contract of `plan`: a write refused by its precondition (412 on Google, a
    newer version in the planner) means the item changed while this run worked. Re-read it
    on both sides and plan it alone again; if that is refused too, `applier.ok` stays False
    and the cursors stay, so the next run sees the item again."""
    rejected = applier.take_rejected()
    if not rejected:
        return
    keys = sorted(rejected)
    states = sync_store.states_of(link.link_id, keys)
    event_ids = {s.appointment_id: s.event_id for s in states} | {
        k: e for k, e in rejected.items() if e is not None}
    planner = AppointmentStore(ctx.store.db, link.branch_id).latest(keys)
    reads = BatchWriter(api, link.google_calendar_id or "").run(
        [EventWrite(k, "get", event_ids[k]) for k in keys if k in event_ids])
    events = []
    for key, read in reads.items():
        if read.outcome == "done" and read.event is not None:
            events.append(read.event)
        elif read.outcome == "gone":  # never there or purged: as good as deleted
            events.append({"id": event_ids[key], "status": "cancelled"})
        else:  # could not re-read it: left for the next run
            applier.rejected[key] = event_ids[key]
            planner.pop(key)
    states = [s for s in states if s.appointment_id in planner]
    changes = model.PlannerChanges(planner)
    declare_sensitive(planner.values(), events)
    plan = plan_link(model.Link(link.branch_id, link.resource_id), policy, changes,
                     model.GoogleChanges(tuple(mapping.event_from_google(e) for e in events)),
                     states, now)
    if plan.blocked is not None:  # a mass change raced this run: the next run decides it
        applier.rejected |= rejected
        return
    applier.apply(plan)


def quarantine_after(ctx: Context, link: Link, seen: frozenset[str], complete: bool,
                     found: dict[str, str], now: datetime) -> dict[str, Any]:
    """The link's quarantine after this run: items found bad now are in (audited when they
    enter), items this run saw in good shape are out; a complete run saw everything."""
    before = link.quarantine or {}
    after = {} if complete else {k: v for k, v in before.items() if k not in seen}
    for key, reason in found.items():
        after[key] = {"reason": reason, "since": before.get(key, {}).get("since", now)}
        if before.get(key, {}).get("reason") != reason:
            ctx.store.audit(link.branch_id, link.resource_id, "sync", "system", "quarantined",
                                 {"appointment_id": key, "reason": reason})
    for key in before.keys() - after.keys():
        ctx.store.audit(link.branch_id, link.resource_id, "sync", "system",
                             "quarantine_released", {"appointment_id": key})
    return after
