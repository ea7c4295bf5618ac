"""A link's health for the admin's overview, and the rows of a held-back mass change: pure.

`health` reads one link (and its branch's switch) and names its state and the one action that
state needs; the pages put them into words. States: the link's status, except `blocked` (a mass
change waits for the admin's decision) and `sync_off` (linked, but the branch's switch is off).

  state                        action
  none                         link              (start a consent)
  consented, calendar_missing  choose_calendar   (pick the calendar again)
  needs_reconsent, revoked     reconsent         (consent again)
  blocked                      review_mass_change
  throttled                    wait              (Google's usage limit; it resumes by itself)
  sync_off                     enable_sync       (the branch's switch)
  linked                       none
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.domain import Link, LinkStatus
from functions.sync.model import Appointment, ItemState

ACTIONS = {
    LinkStatus.NONE: "link",
    LinkStatus.CONSENTED: "choose_calendar",
    LinkStatus.CALENDAR_MISSING: "choose_calendar",
    LinkStatus.NEEDS_RECONSENT: "reconsent",
    LinkStatus.REVOKED: "reconsent",
    LinkStatus.THROTTLED: "wait",
    LinkStatus.LINKED: "none",
}
SYNCING = (LinkStatus.LINKED, LinkStatus.THROTTLED)


def state_of(link: Link, branch_sync_enabled: bool) -> tuple[str, str]:
    """(state, action) of the link."""
    if link.blocked and link.status in SYNCING:
        return "blocked", "review_mass_change"
    if link.status in SYNCING and not branch_sync_enabled:
        return "sync_off", "enable_sync"
    return str(link.status), ACTIONS[link.status]


def health(resource_id: str, name: str, kind: str, link: Link, branch_sync_enabled: bool) -> dict[str, Any]:
    """One row of the overview: the resource, its link's state and action, and what the
    admin reads (last checked, last changed, last error, push)."""
    state, action = state_of(link, branch_sync_enabled)
    api = link.to_api()
    return {
        "resource_id": resource_id, "name": name, "kind": kind,
        "status": str(link.status), "state": state, "action": action,
        "last_checked_at": api.get("last_checked_at"),
        "last_sync_at": api.get("last_sync_at"),
        "last_error": api.get("last_error"),
        "last_error_code": api.get("last_error_code"),
        "push_active": bool(link.push) and link.status in SYNCING,
        "blocked": api.get("blocked"),
        **{k: api[k] for k in ("account_email", "google_calendar_name") if k in api},
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def deletion_row(entry: dict[str, Any], appointment: Appointment | None,
                 state: ItemState | None) -> dict[str, Any]:
    """One deletion of a held-back run as the admin sees it: the side it would happen on, the
    ids, start and end (the planner's appointment where it has one, else the synced span), and
    the planner's title where the planner still has the appointment. Staff see the title; it
    is patient data and never logged."""
    row: dict[str, Any] = {"side": entry["side"], "appointment_id": entry["appointment_id"],
                           "event_id": entry.get("event_id") or (state.event_id if state else None)}
    if appointment is not None:
        return {**row, "start": appointment.start, "end": appointment.end, "all_day": appointment.all_day,
                "title": appointment.title}
    return {**row, "start": _iso(state.starts_at if state else None),
            "end": _iso(state.ends_at if state else None), "all_day": False, "title": None}


def review(finding: dict[str, Any], appointments: dict[str, Appointment | None],
           states: dict[str, ItemState]) -> dict[str, Any]:
    """The held-back change: its counts and every listed deletion, in start order."""
    listed = finding.get("deletions") or []
    rows = [deletion_row(e, appointments.get(e["appointment_id"]), states.get(e["appointment_id"]))
            for e in listed]
    rows.sort(key=lambda r: (r["start"] or "", r["appointment_id"]))
    return {
        "google_deletions": int(finding.get("google_deletions", 0)),
        "planner_deletions": int(finding.get("planner_deletions", 0)),
        "synced_items": int(finding.get("synced_items", 0)),
        "deletions": rows,
    }
