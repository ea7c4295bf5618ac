"""Plain values of the sync core: what goes into `plan_link` and what comes out of it.

Everything is a frozen dataclass or a string enum, so a plan can be compared in tests, logged
without patient data (actions carry ids, bodies and hashes only where they must) and applied by a
thin shell. Times inside appointments and events keep the wire forms of API.md and the Google
Calendar API; `mapping` parses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeAlias


class Privacy(StrEnum):
    """How much of an appointment a resource's Google calendar may show."""

    FULL = "full"  # title → summary, location, notes → description
    TITLE_ONLY = "title_only"  # summary only
    BUSY = "busy"  # the busy label ("Belegt" / "Busy"), nothing else


class ConflictResolution(StrEnum):
    """Per-branch rule for items changed on both sides since the last sync."""

    PLANNER_WINS = "planner_wins"
    GOOGLE_WINS = "google_wins"
    NEWEST_WINS = "newest_wins"


class Side(StrEnum):
    PLANNER = "planner"
    GOOGLE = "google"


class ConflictReason(StrEnum):
    """Why a RecordConflict was emitted; ids and this code only, never content."""

    BOTH_CHANGED_PLANNER_WINS = "both_changed_planner_wins"
    BOTH_CHANGED_GOOGLE_WINS = "both_changed_google_wins"
    BOTH_CHANGED_PLANNER_NEWER = "both_changed_planner_newer"
    BOTH_CHANGED_GOOGLE_NEWER = "both_changed_google_newer"
    DELETED_ON_GOOGLE_CHANGED_IN_PLANNER = "deleted_on_google_changed_in_planner"
    DELETED_IN_PLANNER_CHANGED_ON_GOOGLE = "deleted_in_planner_changed_on_google"
    MOVED_IN_PLANNER_CHANGED_ON_GOOGLE = "moved_in_planner_changed_on_google"
    FOUND_ON_BOTH_SIDES_WITHOUT_STATE = "found_on_both_sides_without_state"
    DUPLICATE_EVENT = "duplicate_event"
    INVALID_APPOINTMENT = "invalid_appointment"
    INVALID_EVENT = "invalid_event"


MASS_CHANGE_BLOCKED = "mass_change_blocked"


@dataclass(frozen=True)
class Link:
    """One resource ⇄ one Google calendar; the ids scope event and appointment ids."""

    branch_id: str
    resource_id: str


@dataclass(frozen=True)
class Policy:
    """Branch and resource settings that change what the plan decides."""

    timezone: str  # IANA name of the branch, e.g. "Europe/Berlin"
    privacy: Privacy = Privacy.FULL
    conflict_resolution: ConflictResolution = ConflictResolution.PLANNER_WINS
    language: str = "de"  # picks the busy label
    horizon_days: int = 365  # SYNC_HORIZON_DAYS


@dataclass(frozen=True)
class Appointment:
    """A planner booking as in API.md; `version`/`updated` are the planner's bookkeeping.

    Timed `start`/`end` are RFC 3339 with offset; all-day ones are `YYYY-MM-DD`, end exclusive.
    """

    id: str
    resource_id: str
    start: str
    end: str
    title: str
    all_day: bool = False
    location: str | None = None
    notes: str | None = None
    version: int | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class EventTime:
    """Google's `start`/`end`: `{date}` (all-day) or `{dateTime, timeZone?}`."""

    date: str | None = None
    date_time: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True)
class GoogleEvent:
    """One item of an events.list answer (`singleEvents=true`); cancelled ones may be bare."""

    id: str
    status: str = "confirmed"
    etag: str | None = None
    updated: datetime | None = None
    summary: str | None = None
    description: str | None = None
    location: str | None = None
    start: EventTime | None = None
    end: EventTime | None = None
    recurring_event_id: str | None = None
    original_start: EventTime | None = None
    private_properties: Mapping[str, str] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True)
class Content:
    """What an item shows under a privacy level, in canonical form; hashed on both sides.

    Timed `start`/`end` are UTC instants `YYYY-MM-DDTHH:MM:SSZ`, all-day ones `YYYY-MM-DD`.
    Fields the privacy level hides are None, so hidden edits are no changes.
    """

    start: str
    end: str
    all_day: bool
    title: str | None = None
    location: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ItemState:
    """What both sides looked like after the last sync of one item (one row per item).

    `planner_version`/`google_etag` are None in a state attached to a write action: the shell
    fills them from that write's answer (`ItemState.after_write`).
    """

    appointment_id: str
    event_id: str
    planner_hash: str
    google_hash: str
    planner_version: int | None
    google_etag: str | None
    starts_at: datetime  # span of the synced content, aware; decides window membership
    ends_at: datetime
    recurring_event_id: str | None = None

    def after_write(self, *, google_etag: str | None = None, planner_version: int | None = None) -> ItemState:
        """Fill in what only the write's answer knows; keeps values the plan already set."""
        return replace(
            self,
            google_etag=self.google_etag if self.google_etag is not None else google_etag,
            planner_version=self.planner_version if self.planner_version is not None else planner_version,
        )


@dataclass(frozen=True)
class PlannerChanges:
    """Planner side for one link: latest appointment per id (None = deleted).

    A delta may hold appointments of other resources (they count as moved away) and unchanged
    ones (no-ops). `complete=True`: the delta since the cursor merged with every appointment of
    the resource within `mapping.listing_bounds`, so a synced in-window item missing from it was
    deleted.
    """

    appointments: Mapping[str, Appointment | None] = field(default_factory=dict)
    complete: bool = False


@dataclass(frozen=True)
class GoogleChanges:
    """Google side for one link: an incremental events.list, or (`complete`) a full one.

    A full one lists `timeMin`/`timeMax` from `mapping.listing_bounds`; a synced in-window event
    missing from it was deleted on Google.
    """

    events: tuple[GoogleEvent, ...] = ()
    complete: bool = False


EventBody: TypeAlias = dict[str, Any]
AppointmentFields: TypeAlias = dict[str, str | bool | None]


@dataclass(frozen=True)
class CreateEvent:
    """Insert `insert_body` with id `event_id`; on 409 duplicate patch with `body`, then save `state`."""

    appointment_id: str
    event_id: str
    body: EventBody  # patch form: None clears a field
    state: ItemState

    @property
    def insert_body(self) -> EventBody:
        return strip_nulls(self.body) | {"id": self.event_id}


@dataclass(frozen=True)
class UpdateEvent:
    """Patch the event (If-Match `if_match`), then save `state`; 412 → re-read and re-plan the item."""

    appointment_id: str
    event_id: str
    body: EventBody
    if_match: str | None
    state: ItemState


@dataclass(frozen=True)
class DeleteEvent:
    """Delete the event (404/410 count as done), then forget the item's state."""

    appointment_id: str
    event_id: str
    if_match: str | None


@dataclass(frozen=True)
class CreateAppointment:
    """Create a Google-born appointment (origin google) unless the id exists, then save `state`.

    Create-if-absent, never overwrite: a repeat after a crash is harmless and an existing
    appointment's hidden fields are never replaced by what the event shows.
    """

    appointment: Appointment
    state: ItemState


@dataclass(frozen=True)
class UpdateAppointment:
    """Merge `fields` (None clears) if the version is still `if_version`, then save `state`.

    `fields` holds only what the privacy level shows; everything else stays as it is.
    """

    appointment_id: str
    fields: AppointmentFields
    if_version: int | None
    state: ItemState


@dataclass(frozen=True)
class DeleteAppointment:
    """Delete the appointment if its version is still `if_version`, then forget the state."""

    appointment_id: str
    if_version: int | None


@dataclass(frozen=True)
class SaveState:
    """Store `state` as is (no write on either side: new etag/version, adopted item)."""

    state: ItemState


@dataclass(frozen=True)
class ForgetState:
    appointment_id: str


@dataclass(frozen=True)
class RecordConflict:
    """Audit trail of a resolved conflict or a skipped item; ids and codes only."""

    appointment_id: str
    event_id: str | None
    reason: ConflictReason
    winner: Side | None


Action: TypeAlias = (
    CreateEvent
    | UpdateEvent
    | DeleteEvent
    | CreateAppointment
    | UpdateAppointment
    | DeleteAppointment
    | SaveState
    | ForgetState
    | RecordConflict
)


@dataclass(frozen=True)
class Deletion:
    """One deletion a held-back run would have made: `side` is where the item would go, google
    (its event: the planner deleted the appointment) or planner (the appointment: the phone
    deleted its event). Ids only, like every action."""

    side: Side
    appointment_id: str
    event_id: str | None = None


@dataclass(frozen=True)
class Blocked:
    """The circuit breaker tripped: the run would delete too much on one side. `deletions`
    lists this run's own (the counts also hold the last hour's, already applied), at most
    breaker.LISTED of them."""

    reason: str
    google_deletions: int
    planner_deletions: int
    synced_items: int
    deletions: tuple[Deletion, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Result of `plan_link`.

    When `blocked` is set, `actions` is empty and the shell must not advance its cursors.
    `full_sync_needed` asks for a complete listing of both sides next run. `items`: the key of
    every item the plan looked at (the shell releases quarantined items seen in good shape).
    """

    actions: tuple[Action, ...] = ()
    blocked: Blocked | None = None
    full_sync_needed: bool = False
    items: frozenset[str] = frozenset()


INVALID = (ConflictReason.INVALID_APPOINTMENT, ConflictReason.INVALID_EVENT)
"""Reasons of an item that cannot be mapped: the shell quarantines it instead of auditing a
conflict, and syncs the rest of the link."""


def strip_nulls(value: Any) -> Any:
    """A patch body as an insert body: Google's patch clears with null, insert just omits."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    return value
