"""Pure translations between planner appointments and Google events.

Both sides are reduced to the same `Content` (what the resource's privacy level lets Google
show, in canonical form) and hashed; equal hashes mean "in sync", so our own writes coming back
are no changes, and edits of hidden fields (the phone's "Belegt", a missing description under
`title_only`) never overwrite the planner.

Ids:
- planner-born appointment → event id `event_id_for(branch, appointment)`: base32hex (lowercase,
  no padding) of the first 20 bytes of SHA-256 over `"event" NUL branch NUL appointment`: 32
  characters of `[0-9a-v]`, so a repeated insert is a 409, never a duplicate.
- Google-born event → appointment id `appointment_id_for_event(branch, resource, event)`:
  `"gcal-"` + the same encoding over `"appointment" NUL branch NUL resource NUL event id`. The
  event keeps its own id; the rule is stable, so state loss cannot duplicate it.
Our events carry `extendedProperties.private` = {appointment id, source marker}: ids only.

Limits (`limits`): times outside the range every zone can show are a ValueError on both sides
(`items` turns it into an invalid item, never a failed run); Google's texts are clamped to the
lengths the API accepts, in the hashed content and in what is written into the planner alike,
so a pulled appointment hashes like its event and can be written back through the API. An
update keeps a Google text longer than the limit when the planner still holds its clamp.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from functions.sync import limits
from functions.sync.model import (
    Appointment,
    AppointmentFields,
    Content,
    EventBody,
    EventTime,
    GoogleEvent,
    ItemState,
    Link,
    Policy,
    Privacy,
)

MARKER_APPOINTMENT_ID = "plannerAppointmentId"
MARKER_SOURCE = "plannerSync"
SOURCE_VALUE = "1"
GOOGLE_BORN_PREFIX = "gcal-"
BUSY_LABELS = {"de": "Belegt", "en": "Busy"}


# --- ids -------------------------------------------------------------------------------------


def _digest_id(*parts: str) -> str:
    raw = hashlib.sha256("\x00".join(parts).encode()).digest()[:20]
    return base64.b32hexencode(raw).decode("ascii").lower()


def event_id_for(branch_id: str, appointment_id: str) -> str:
    """Deterministic Google event id of a planner appointment (creates stay idempotent)."""
    return _digest_id("event", branch_id, appointment_id)


def appointment_id_for_event(branch_id: str, resource_id: str, event_id: str) -> str:
    """Appointment id of an event born on Google; scoped by link, since event ids are per calendar."""
    return GOOGLE_BORN_PREFIX + _digest_id("appointment", branch_id, resource_id, event_id)


def owned_appointment_id(event: GoogleEvent, branch_id: str) -> str | None:
    """The appointment an event was written for, if it is one of our deterministic events."""
    marker = event.private_properties.get(MARKER_APPOINTMENT_ID)
    if marker and event.id == event_id_for(branch_id, marker):
        return marker
    return None


def busy_label(language: str) -> str:
    return BUSY_LABELS.get(language.split("-")[0].lower(), BUSY_LABELS["en"])


# --- times -----------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    if not isinstance(name, str):
        raise ValueError(f"time zone is not a name: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def parse_instant(value: str, default_zone: str | None = None) -> datetime:
    """RFC 3339 with offset; without one, only when a zone is given (Google's `timeZone`).

    Only instants within `limits.TIME_RANGE`: every zone can show them.
    """
    if not isinstance(value, str):
        raise ValueError(f"time is not a string: {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        if default_zone is None:
            raise ValueError(f"time without offset: {value!r}")
        parsed = parsed.replace(tzinfo=zone(default_zone))
    if not limits.instant_in_range(parsed):
        raise ValueError(f"time {value!r} lies outside the range {limits.TIME_RANGE}")
    return parsed


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value: str) -> date:
    """`YYYY-MM-DD` exactly (Google's `date`), within `limits.DAY_RANGE`."""
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError(f"date is not YYYY-MM-DD: {value!r}")
    day = date.fromisoformat(value)
    if not limits.day_in_range(day):
        raise ValueError(f"date {value!r} lies outside the range {limits.DAY_RANGE}")
    return day


def utc_text(instant: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`; isoformat, since strftime's `%Y` does not pad years before 1000."""
    try:
        return instant.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    except OverflowError as exc:
        raise ValueError("time outside the years 0001..9999 in UTC") from exc


def local_text(instant: datetime, timezone: str) -> str:
    """RFC 3339 in the branch's zone, e.g. `2024-03-31T03:00:00+02:00` (exact across DST)."""
    tz = zone(timezone)
    try:
        return instant.astimezone(tz).isoformat(timespec="seconds")
    except OverflowError as exc:
        raise ValueError(f"time outside the years 0001..9999 in {timezone}") from exc


def _checked_bounds(start: str, end: str, all_day: bool) -> tuple[str, str]:
    if all_day:
        first, after = parse_day(start), parse_day(end)
        if after <= first:
            raise ValueError("all-day end must be after start (end is exclusive)")
        return first.isoformat(), after.isoformat()
    begin, finish = parse_instant(start), parse_instant(end)
    if finish <= begin:
        raise ValueError("end must be after start")
    return utc_text(begin), utc_text(finish)


def _event_bounds(event: GoogleEvent, timezone: str) -> tuple[str, str, bool]:
    if event.start is None or event.end is None:
        raise ValueError(f"event {event.id} has no start/end")
    if event.start.date is not None and event.end.date is not None:
        return *_checked_bounds(event.start.date, event.end.date, True), True
    bounds = [_event_instant(t, timezone) for t in (event.start, event.end)]
    return *_checked_bounds(bounds[0], bounds[1], False), False


def _event_instant(moment: EventTime, timezone: str) -> str:
    if moment.date_time is None:
        raise ValueError("event time without date or dateTime")
    return parse_instant(moment.date_time, moment.time_zone or timezone).isoformat()


def content_span(content: Content, timezone: str) -> tuple[datetime, datetime]:
    """Instants a content covers; all-day dates start at midnight in the branch's zone."""
    if content.all_day:
        tz = zone(timezone)
        return tuple(  # type: ignore[return-value]
            datetime.combine(parse_day(d), time(), tzinfo=tz) for d in (content.start, content.end)
        )
    return parse_instant(content.start), parse_instant(content.end)


def in_window(starts_at: datetime, ends_at: datetime, now: datetime, horizon_days: int) -> bool:
    """Synced at all: ends in the future and starts before the horizon."""
    return ends_at > now and starts_at < now + timedelta(days=horizon_days)


LISTING_MARGIN = timedelta(days=1)


def listing_bounds(now: datetime, horizon_days: int) -> tuple[datetime, datetime]:
    """`timeMin`/`timeMax` (and planner query bounds) of a complete listing.

    The window widened by a day on each side: then an item of the window that is missing from
    the listing is really gone, also for all-day events that Google filters in another zone.
    """
    return now - LISTING_MARGIN, now + timedelta(days=horizon_days) + LISTING_MARGIN


# --- content and hashes ----------------------------------------------------------------------


def _project(
    start: str,
    end: str,
    all_day: bool,
    title: str | None,
    location: str | None,
    notes: str | None,
    privacy: Privacy,
) -> Content:
    shows_title = privacy in (Privacy.FULL, Privacy.TITLE_ONLY)
    shows_details = privacy is Privacy.FULL
    return Content(
        start=start,
        end=end,
        all_day=all_day,
        title=(limits.clamp(title, limits.TITLE_MAX) or "") if shows_title else None,
        location=(limits.clamp(location, limits.LOCATION_MAX) or None) if shows_details else None,
        notes=(limits.clamp(notes, limits.NOTES_MAX) or None) if shows_details else None,
    )


def appointment_content(appointment: Appointment, privacy: Privacy) -> Content:
    start, end = _checked_bounds(appointment.start, appointment.end, appointment.all_day)
    return _project(
        start, end, appointment.all_day, appointment.title, appointment.location, appointment.notes, privacy
    )


def event_content(event: GoogleEvent, privacy: Privacy, timezone: str) -> Content:
    start, end, all_day = _event_bounds(event, timezone)
    return _project(start, end, all_day, event.summary, event.location, event.description, privacy)


def content_hash(content: Content) -> str:
    """SHA-256 of canonical JSON: independent of key order, offsets and wire formatting."""
    canonical = json.dumps(asdict(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- appointment → event ---------------------------------------------------------------------


def _event_time(text: str, all_day: bool, timezone: str) -> dict[str, str | None]:
    if all_day:
        return {"date": text, "dateTime": None, "timeZone": None}
    return {"date": None, "dateTime": local_text(parse_instant(text), timezone), "timeZone": timezone}


def event_body(appointment: Appointment, policy: Policy, keep: Collection[str] = ()) -> EventBody:
    """Patch body (None clears) showing only what the privacy level allows.

    Hidden fields are cleared explicitly, so lowering a resource's privacy scrubs old events.
    An untitled appointment is an untitled event (no summary), like one typed on the phone.
    `keep` names texts an update leaves as Google has them (`kept_texts`).
    """
    content = appointment_content(appointment, policy.privacy)
    body: EventBody = {
        "summary": busy_label(policy.language) if content.title is None else (content.title or None),
        "location": content.location,
        "description": content.notes,
        "start": _event_time(appointment.start, appointment.all_day, policy.timezone),
        "end": _event_time(appointment.end, appointment.all_day, policy.timezone),
        "status": "confirmed",
        # health data: only the calendar's owner sees the details, whoever else it is shared
        # with (attendees are never set: Google would mail them the appointment)
        "visibility": "private",
        "extendedProperties": {"private": _markers(appointment.id)},
    }
    return {key: value for key, value in body.items() if key not in keep}


_TEXTS = (("summary", "title", limits.TITLE_MAX), ("location", "location", limits.LOCATION_MAX),
          ("description", "notes", limits.NOTES_MAX))


def kept_texts(content: Content, event: GoogleEvent | None, state: ItemState | None,
               timezone: str) -> frozenset[str]:
    """Event texts an update leaves alone because the planner holds only their clamp.

    A Google text longer than its limit reaches the planner cut; an edit of the time in the
    planner must not cut it on the phone too. With the event at hand: each text longer than its
    limit whose clamp `content` (the planner's) still shows. Without it (Google unchanged since
    `state`): each text `content` shows at exactly its limit, if nothing but the time changed;
    the state keeps hashes only, so after an edit of any text all of them are written.
    """
    if event is not None:
        return frozenset(key for key, name, limit in _TEXTS
                         if _holds_clamp(getattr(content, name), getattr(event, key), limit))
    at_limit = frozenset(key for key, name, limit in _TEXTS if len(getattr(content, name) or "") == limit)
    if at_limit and state is not None and _only_time_changed(content, state, timezone):
        return at_limit
    return frozenset()


def _holds_clamp(held: str | None, text: Any, limit: int) -> bool:
    return held is not None and isinstance(text, str) and len(text) > limit and text[:limit] == held


def _only_time_changed(content: Content, state: ItemState, timezone: str) -> bool:
    """`content` moved back to the synced span (timed or all-day) hashes like the synced one."""
    synced = [replace(content, start=utc_text(state.starts_at), end=utc_text(state.ends_at), all_day=False)]
    local = [t.astimezone(zone(timezone)) for t in (state.starts_at, state.ends_at)]
    if all(t.time() == time() for t in local):
        days = [t.date().isoformat() for t in local]
        synced.append(replace(content, start=days[0], end=days[1], all_day=True))
    return any(content_hash(c) == state.planner_hash for c in synced)


def _markers(appointment_id: str) -> dict[str, str]:
    """Ids and a source marker only: extendedProperties must never carry patient data."""
    return {MARKER_APPOINTMENT_ID: appointment_id, MARKER_SOURCE: SOURCE_VALUE}


# --- event → appointment ---------------------------------------------------------------------


def _appointment_time(text: str, all_day: bool, timezone: str) -> str:
    return text if all_day else local_text(parse_instant(text), timezone)


def appointment_fields(event: GoogleEvent, policy: Policy) -> AppointmentFields:
    """The fields an event may change on its appointment; hidden ones are left out (kept)."""
    content = event_content(event, policy.privacy, policy.timezone)
    fields: AppointmentFields = {
        "start": _appointment_time(content.start, content.all_day, policy.timezone),
        "end": _appointment_time(content.end, content.all_day, policy.timezone),
        "all_day": content.all_day,
    }
    if content.title is not None:
        fields["title"] = content.title
    if policy.privacy is Privacy.FULL:
        fields["location"] = content.location
        fields["notes"] = content.notes
    return fields


def appointment_from_event(
    event: GoogleEvent, appointment_id: str, link: Link, policy: Policy
) -> Appointment:
    """A new appointment for an event born on Google: everything the event has, inbound."""
    content = event_content(event, Privacy.FULL, policy.timezone)
    return Appointment(
        id=appointment_id,
        resource_id=link.resource_id,
        start=_appointment_time(content.start, content.all_day, policy.timezone),
        end=_appointment_time(content.end, content.all_day, policy.timezone),
        title=content.title or "",
        all_day=content.all_day,
        location=content.location,
        notes=content.notes,
        updated=event.updated,
    )


# --- Google wire form ------------------------------------------------------------------------


def _event_time_from_google(value: Mapping[str, Any] | None) -> EventTime | None:
    if not value:
        return None
    return EventTime(date=value.get("date"), date_time=value.get("dateTime"), time_zone=value.get("timeZone"))


def _updated(value: Any) -> datetime | None:
    """Google's last-modified time; one it cannot have meant (unreadable, out of range) is None."""
    try:
        return parse_instant(value) if value else None
    except ValueError:
        return None


def event_from_google(item: Mapping[str, Any]) -> GoogleEvent:
    """Parse one events.list / events.get item (any key order; bare cancelled items too)."""
    private = (item.get("extendedProperties") or {}).get("private") or {}
    return GoogleEvent(
        id=item["id"],
        status=item.get("status", "confirmed"),
        etag=item.get("etag"),
        updated=_updated(item.get("updated")),
        summary=item.get("summary"),
        description=item.get("description"),
        location=item.get("location"),
        start=_event_time_from_google(item.get("start")),
        end=_event_time_from_google(item.get("end")),
        recurring_event_id=item.get("recurringEventId"),
        original_start=_event_time_from_google(item.get("originalStartTime")),
        private_properties=dict(private),
    )
