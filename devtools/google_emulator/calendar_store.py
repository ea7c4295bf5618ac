"""Calendars, events and their change log (state only; HTTP handlers are in calendar_api.py).

Every write -- from the API or from the control API's "phone" -- goes through `_commit`, which
stamps a fresh etag and `updated` and a per-calendar change sequence number. Incremental sync
(calendar_listing.py) is "everything with a sequence number above the token's". When a write
operation is done, the calendar's push channels are told (push_store.py).

A deleted event stays stored with status `cancelled`. A modified or deleted instance of a
recurring event is stored as an exception under the instance id; unmodified instances are
computed from the master on demand.
"""

from __future__ import annotations

import copy
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from devtools.google_emulator import calendar_events as ev
from devtools.google_emulator.errors import GoogleApiError, invalid, not_found
from devtools.google_emulator.recurrence import format_updated, zone

if TYPE_CHECKING:
    from devtools.google_emulator.state import EmulatorState

ROLES = ("freeBusyReader", "reader", "writer", "owner")
DEFAULT_TZ = "Europe/Berlin"
# Secondary calendars the default test accounts start with (README "Test accounts").
DEFAULT_SECONDARIES: dict[str, tuple[tuple[str, str], ...]] = {
    "praxis.berlin@example.com": (("Termine Filiale", "owner"), ("Feiertage", "reader")),
    "anna.schmidt@example.com": (("Anna – Praxis", "owner"),),
}
T = TypeVar("T")


def _notifying(write: Callable[..., T]) -> Callable[..., T]:
    """A write operation: once it is done, one push `exists` per calendar whose events it changed.

    Nested writes (import → insert) and multi-event writes (deleting a series cancels its
    exceptions) count as one change, as a single API call does.
    """

    @functools.wraps(write)
    def run(self: CalendarStore, *args: Any, **kwargs: Any) -> T:
        with self.state.lock:
            self._depth += 1
            try:
                return write(self, *args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0 and self._touched:
                    touched, self._touched = self._touched, set()
                    for calendar_id in sorted(touched):
                        self.state.push.resource_changed(calendar_id)

    return run


@dataclass
class StoredEvent:
    resource: dict[str, Any]
    seq: int  # the calendar's change sequence number of the last write
    # Instances a change of the master's rule or time removed: id → (originalStartTime, seq).
    vanished: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str
    acl: dict[str, str]  # account email → access role
    primary: bool = False
    created_by_client: str | None = None
    description: str | None = None
    etag: str = '"0"'
    events: dict[str, StoredEvent] = field(default_factory=dict)
    seq: int = 0
    generation: int = 0  # bumped to invalidate every sync token of the calendar
    # account email → the name that person gave the calendar in their own list (summaryOverride)
    summary_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        """The zone `dateTime` values are rendered in and all-day dates start in."""
        return zone(self.time_zone)

    @property
    def owner(self) -> str:
        """The owning account (the calendar id itself for a subscribed calendar like holidays)."""
        return next((e for e, r in self.acl.items() if r == "owner"), self.id)


class CalendarStore:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._etags = 0
        self._depth = 0  # nesting of write operations (see _notifying)
        self._touched: set[str] = set()  # calendars changed by the current write operation
        self.reset()

    def reset(self) -> None:
        """Forget every calendar; state.reset() then re-adds accounts, which re-seeds them."""
        with self.state.lock:
            self.calendars: dict[str, Calendar] = {}
            self.epoch = secrets.token_hex(4)  # tokens from before a reset answer 410

    # ----- calendars -------------------------------------------------------------------------

    def create_primary(self, email: str) -> None:
        """The account's primary calendar (id = email), plus the README's seeded secondaries."""
        with self.state.lock:
            if email in self.calendars:
                return
            self.calendars[email] = Calendar(email, email, DEFAULT_TZ, {email: "owner"}, primary=True,
                                             etag=self._etag())
            for summary, role in DEFAULT_SECONDARIES.get(email, ()):
                self.create_calendar(email, summary, access_role=role)

    def create_calendar(self, owner: str, summary: str, *, access_role: str = "owner",
                        created_by_client: str | None = None, time_zone: str = DEFAULT_TZ) -> dict:
        """A secondary calendar in `owner`'s calendar list with `access_role` there."""
        with self.state.lock:
            if owner not in self.state.accounts:
                raise invalid(f"Unknown account: {owner}")
            if access_role not in ROLES:
                raise invalid(f"Invalid access role: {access_role}")
            if not isinstance(summary, str) or not summary.strip():
                raise GoogleApiError(400, "required", "Missing title.")
            zone(time_zone)
            cal_id = f"c_{secrets.token_hex(12)}@group.calendar.google.com"
            cal = Calendar(cal_id, summary, time_zone, {owner: access_role},
                           created_by_client=created_by_client, etag=self._etag())
            self.calendars[cal_id] = cal
            return self.calendar_resource(cal)

    def delete_calendar(self, calendar_id: str) -> None:
        """Gone for good (its events, sync tokens and push channels too): clients see 404 afterwards."""
        with self.state.lock:
            cal = self.calendar(calendar_id)
            if cal.primary:
                raise GoogleApiError(400, "cannotDeletePrimaryCalendar",
                                     "Cannot delete primary calendar.")
            del self.calendars[cal.id]
            self.state.push.calendar_deleted(cal.id)

    def calendar(self, calendar_id: str) -> Calendar:
        """The calendar by id, or 404 notFound."""
        cal = self.calendars.get(calendar_id)
        if cal is None:
            raise not_found()
        return cal

    def resolve(self, calendar_id: str, email: str) -> str:
        """`primary` means the principal's primary calendar, whose id is the account's email."""
        return email if calendar_id == "primary" else calendar_id

    def visible_to(self, email: str) -> list[Calendar]:
        """The calendars in `email`'s calendar list: primary first, then by summary."""
        cals = [c for c in self.calendars.values() if email in c.acl]
        return sorted(cals, key=lambda c: (not (c.primary and c.id == email), c.summary, c.id))

    def calendar_resource(self, cal: Calendar) -> dict[str, Any]:
        """The `calendar#calendar` resource (calendars.insert/get)."""
        res = {"kind": "calendar#calendar", "etag": cal.etag, "id": cal.id, "summary": cal.summary,
               "timeZone": cal.time_zone,
               "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}}
        if cal.description:
            res["description"] = cal.description
        return res

    def list_entry(self, cal: Calendar, email: str) -> dict[str, Any]:
        """The calendarList entry of `cal` as `email` sees it."""
        res = self.calendar_resource(cal)
        res.pop("conferenceProperties")
        res |= {"kind": "calendar#calendarListEntry", "accessRole": cal.acl[email], "selected": True,
                "defaultReminders": []}
        if cal.primary and cal.id == email:
            res["primary"] = True
        if email in cal.summary_overrides:
            res["summaryOverride"] = cal.summary_overrides[email]
        return res

    def invalidate_sync_tokens(self, calendar_id: str | None = None) -> None:
        """From now on every sync token (of that calendar) answers 410 fullSyncRequired."""
        with self.state.lock:
            cals = [self.calendar(calendar_id)] if calendar_id else list(self.calendars.values())
            for cal in cals:
                cal.generation += 1

    # ----- events: reads ---------------------------------------------------------------------

    def all_events(self, calendar_id: str) -> list[dict]:
        """Every stored event (cancelled ones, masters and exceptions too), as stored."""
        with self.state.lock:
            cal = self.calendar(calendar_id)
            return [copy.deepcopy(s.resource) for s in cal.events.values()]

    def get_event(self, calendar_id: str, event_id: str) -> dict:
        """An event or instance; a deleted one is returned with status cancelled (as Google does)."""
        with self.state.lock:
            _, res = self._find(self.calendar(calendar_id), event_id)
            return copy.deepcopy(res)

    def _find(self, cal: Calendar, event_id: str) -> tuple[StoredEvent | None, dict[str, Any]]:
        stored = cal.events.get(event_id)
        if stored is not None:
            return stored, stored.resource
        master_id, sep, stamp = event_id.rpartition("_")
        master = cal.events.get(master_id) if sep else None
        inst = ev.find_instance(master.resource, stamp, cal.tz) if master else None
        if inst is None:
            raise not_found()
        return None, inst

    # ----- events: writes --------------------------------------------------------------------

    @_notifying
    def insert_event(self, calendar_id: str, body: dict, *, actor: str | None = None) -> dict:
        """A new event; `actor` (default: the calendar's owner) becomes its creator."""
        with self.state.lock:
            cal = self.calendar(calendar_id)
            if not isinstance(body, dict):
                raise invalid("The event must be a JSON object.")
            event_id = body.get("id")
            if event_id is None:
                event_id = ev.new_event_id()
            elif ev.check_client_id(event_id) in cal.events:
                raise GoogleApiError(409, "duplicate", "The requested identifier already exists.")
            res = ev.normalize(ev.strip_read_only(body), cal.tz, is_instance=False)
            who = actor or cal.owner
            res |= {"kind": "calendar#event", "id": event_id, "htmlLink": ev.html_link(event_id, cal.id),
                    "created": format_updated(self.state.now()), "creator": {"email": who},
                    "organizer": self._organizer(cal), "sequence": 0}
            res.setdefault("iCalUID", f"{event_id}@google.com")
            return self._commit(cal, res, None)

    @_notifying
    def import_event(self, calendar_id: str, body: dict, *, actor: str | None = None) -> dict:
        """events.import: keyed by iCalUID, so importing the same iCalUID again updates that event."""
        with self.state.lock:
            cal = self.calendar(calendar_id)
            uid = body.get("iCalUID") if isinstance(body, dict) else None
            if not isinstance(uid, str) or not uid:
                raise GoogleApiError(400, "required", "Missing iCalUID.")
            existing = next((s for s in cal.events.values() if s.resource.get("iCalUID") == uid
                             and "recurringEventId" not in s.resource), None)
            if existing is None:
                return self.insert_event(cal.id, body, actor=actor)
            return self._rewrite(cal, existing, existing.resource, ev.strip_read_only(body))

    @_notifying
    def patch_event(self, calendar_id: str, event_id: str, body: dict, *,
                    if_match: str | None = None) -> dict:
        """PATCH: merge `body` into the event (see calendar_events.merge_patch)."""
        with self.state.lock:
            cal = self.calendar(calendar_id)
            stored, current = self._find(cal, event_id)
            self._check_etag(current, if_match)
            merged = ev.merge_patch(current, ev.strip_read_only(body))
            return self._rewrite(cal, stored, current, merged)

    @_notifying
    def update_event(self, calendar_id: str, event_id: str, body: dict, *,
                     if_match: str | None = None) -> dict:
        """PUT: replace the event; a missing `status` means confirmed (this revives a deleted one)."""
        with self.state.lock:
            cal = self.calendar(calendar_id)
            stored, current = self._find(cal, event_id)
            self._check_etag(current, if_match)
            return self._rewrite(cal, stored, current, ev.strip_read_only(body))

    @_notifying
    def delete_event(self, calendar_id: str, event_id: str, *, if_match: str | None = None) -> None:
        """Mark cancelled (kept for incremental sync); deleting a master cancels its exceptions."""
        with self.state.lock:
            cal = self.calendar(calendar_id)
            stored, current = self._find(cal, event_id)
            if current.get("status") == "cancelled":
                raise GoogleApiError(410, "deleted", "Resource has been deleted")
            self._check_etag(current, if_match)
            self._commit(cal, copy.deepcopy(current) | {"status": "cancelled"}, stored)
            for other in list(cal.events.values()):
                res = other.resource
                if res.get("recurringEventId") == event_id and res.get("status") != "cancelled":
                    self._commit(cal, copy.deepcopy(res) | {"status": "cancelled"}, other)

    def _rewrite(self, cal: Calendar, stored: StoredEvent | None, current: dict[str, Any],
                 new: dict[str, Any]) -> dict:
        """Validate a replacement of `current` and store it, keeping the server-owned fields."""
        is_instance = "recurringEventId" in current
        res = ev.normalize(new, cal.tz, is_instance=is_instance)
        for key in (*ev.READ_ONLY, "iCalUID"):
            if key in current and key not in ("etag", "updated"):
                res[key] = copy.deepcopy(current[key])
        if any(res.get(k) != current.get(k) for k in ("start", "end", "recurrence")):
            res["sequence"] = current.get("sequence", 0) + 1
        return self._commit(cal, res, stored)

    def _commit(self, cal: Calendar, res: dict[str, Any], old: StoredEvent | None) -> dict:
        """Store a write: fresh etag and `updated`, next change sequence number."""
        res["etag"] = self._etag()
        res["updated"] = format_updated(self.state.now())
        cal.seq += 1
        self._touched.add(cal.id)
        new = StoredEvent(res, cal.seq, dict(old.vanished) if old else {})
        if old is not None and ev.recurrence_of(old.resource) is not None:
            self._track_vanished(cal, old.resource, new)
        cal.events[res["id"]] = new
        return copy.deepcopy(res)

    def _track_vanished(self, cal: Calendar, old: dict[str, Any], new: StoredEvent) -> None:
        """Remember instances a rule/time change removed, so incremental sync reports them."""
        if all(old.get(k) == new.resource.get(k) for k in ("start", "end", "recurrence")):
            return
        now = datetime.fromtimestamp(self.state.now(), UTC)
        horizon = max(ev.default_horizon(old, cal.tz, now), ev.default_horizon(new.resource, cal.tz, now))
        before = {i["id"]: i["originalStartTime"] for i in ev.series(old, cal.tz, horizon)}
        after = {i["id"] for i in ev.series(new.resource, cal.tz, horizon)}
        for inst_id, original in before.items():
            if inst_id not in after and inst_id not in cal.events:
                new.vanished[inst_id] = (original, new.seq)
        for inst_id in after:
            new.vanished.pop(inst_id, None)

    def _check_etag(self, current: dict[str, Any], if_match: str | None) -> None:
        if if_match and if_match.strip() != "*" and if_match.strip() != current.get("etag"):
            raise GoogleApiError(412, "conditionNotMet", "Precondition Failed")

    def _organizer(self, cal: Calendar) -> dict[str, Any]:
        if cal.primary:
            return {"email": cal.id, "self": True}
        return {"email": cal.id, "displayName": cal.summary, "self": True}

    def _etag(self) -> str:
        self._etags += 1
        return f'"{int(self.state.now() * 1000)}{self._etags:06d}"'
