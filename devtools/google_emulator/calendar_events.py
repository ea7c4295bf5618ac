"""Event resources as pure data: validation, PATCH merging and recurring-instance derivation.

Kept apart from calendar_store.py (which owns state and write bookkeeping) so that the rules
for what a valid event looks like read in one place.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from devtools.google_emulator.errors import GoogleApiError, invalid
from devtools.google_emulator.recurrence import (
    EventTime,
    Moment,
    Recurrence,
    expand,
    instance_stamp,
    is_bounded,
    parse_event_time,
    parse_recurrence,
    zone,
)

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
STATUSES = ("confirmed", "tentative", "cancelled")
# Fields the server owns: whatever a client sends for them is ignored (as Google does).
READ_ONLY = ("kind", "etag", "htmlLink", "created", "updated", "creator", "organizer",
             "recurringEventId", "originalStartTime", "sequence", "id")
HORIZON = timedelta(days=730)  # unbounded series: this far past now or the series' start
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def new_event_id() -> str:
    """A random id in Google's alphabet (base32hex, lowercase)."""
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    return "".join(secrets.choice(alphabet) for _ in range(26))


def check_client_id(event_id: Any) -> str:
    """Client-chosen ids must be base32hex, 5-1024 chars (Google's rule), else 400 invalid."""
    if not isinstance(event_id, str) or not EVENT_ID.match(event_id):
        raise invalid("Invalid resource id value.")
    return event_id


def strip_read_only(body: dict[str, Any]) -> dict[str, Any]:
    """Drop what the server owns, so a client echoing a resource back cannot forge it."""
    return {k: v for k, v in body.items() if k not in READ_ONLY}


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: objects merge recursively, arrays and scalars replace, null deletes."""
    out = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            base = out.get(key)
            out[key] = merge_patch(base if isinstance(base, dict) else {}, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def html_link(event_id: str, calendar_id: str) -> str:
    """A link shaped like Google's (`eid` = base64 of "<event id> <calendar id>")."""
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def _check_string_map(value: Any, name: str) -> None:
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise invalid(f"Invalid value for {name}: a map of strings is expected.")


def _check_fields(res: dict[str, Any]) -> None:
    for name in ("summary", "description", "location", "colorId", "transparency", "visibility"):
        if name in res and not isinstance(res[name], str):
            raise invalid(f"Invalid value for {name}.")
    if res.get("status", "confirmed") not in STATUSES:
        raise invalid(f"Invalid value for status: {res.get('status')!r}.")
    ext = res.get("extendedProperties")
    if ext is not None:
        if not isinstance(ext, dict) or set(ext) - {"private", "shared"}:
            raise invalid("Invalid value for extendedProperties.")
        for scope, props in ext.items():
            _check_string_map(props, f"extendedProperties.{scope}")


def normalize(res: dict[str, Any], cal_tz: ZoneInfo, *, is_instance: bool) -> dict[str, Any]:
    """Validate an event about to be stored; returns it with start/end rendered as Google does.

    `dateTime` values are rendered in the calendar's time zone (Google renders them in the
    calendar's zone too), `timeZone` is kept as given.
    """
    _check_fields(res)
    start = parse_event_time(res.get("start"), "start")
    end = parse_event_time(res.get("end"), "end")
    if start.all_day != end.all_day:
        raise invalid("Invalid start/end time: both must be dates or both date-times.")
    if end.instant(cal_tz) < start.instant(cal_tz) or (start.all_day and end.value == start.value):
        raise GoogleApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    if res.get("recurrence") is not None:
        if is_instance:
            raise invalid("Invalid value for recurrence: an instance cannot recur.")
        if not start.all_day and not start.tz:
            raise GoogleApiError(400, "required", "Missing time zone definition for start time.")
        parse_recurrence(res["recurrence"], start.tz)
        if not res["recurrence"]:
            res.pop("recurrence")
    res["start"], res["end"] = start.to_json(cal_tz), end.to_json(cal_tz)
    res.setdefault("status", "confirmed")
    return res


def event_times(res: dict[str, Any]) -> tuple[EventTime, EventTime]:
    """start/end of a stored (already validated) event."""
    return parse_event_time(res["start"], "start"), parse_event_time(res["end"], "end")


def recurrence_of(res: dict[str, Any]) -> Recurrence | None:
    """The parsed rule of a series master, None for single events and instances."""
    lines = res.get("recurrence")
    if not lines or "recurringEventId" in res:
        return None
    return parse_recurrence(lines, res["start"].get("timeZone"))


def _shift(start: EventTime, end: EventTime, moment: Moment, tz: ZoneInfo) -> Moment:
    """An instance's end: the master's duration in wall-clock time added to `moment`."""
    if not isinstance(moment, datetime):
        assert isinstance(start.value, date) and isinstance(end.value, date)
        return moment + (end.value - start.value)
    assert isinstance(start.value, datetime) and isinstance(end.value, datetime)
    wall = end.value.astimezone(tz).replace(tzinfo=None) - start.value.astimezone(tz).replace(tzinfo=None)
    return (moment.replace(tzinfo=None) + wall).replace(tzinfo=tz)


def instance_of(master: dict[str, Any], moment: Moment, cal_tz: ZoneInfo) -> dict[str, Any]:
    """The computed (unmodified) instance of `master` starting at `moment`."""
    start, end = event_times(master)
    tz = zone(start.tz) if start.tz else cal_tz
    inst = {k: copy.deepcopy(v) for k, v in master.items() if k != "recurrence"}
    inst["id"] = f"{master['id']}_{instance_stamp(moment)}"
    inst["recurringEventId"] = master["id"]
    inst["start"] = EventTime(moment, start.tz).to_json(cal_tz)
    inst["end"] = EventTime(_shift(start, end, moment, tz), end.tz).to_json(cal_tz)
    inst["originalStartTime"] = copy.deepcopy(inst["start"])
    return inst


def series(master: dict[str, Any], cal_tz: ZoneInfo, horizon: datetime) -> list[dict[str, Any]]:
    """Every computed instance of a master up to `horizon` (instances carry the master's status)."""
    rec = recurrence_of(master)
    if rec is None:
        return []
    start, _ = event_times(master)
    return [instance_of(master, m, cal_tz) for m in expand(rec, start, cal_tz, horizon)]


def default_horizon(master: dict[str, Any], cal_tz: ZoneInfo, now: datetime) -> datetime:
    """How far an unbounded series is expanded when the query sets no timeMax."""
    start, _ = event_times(master)
    return max(now, start.instant(cal_tz)) + HORIZON


def find_instance(master: dict[str, Any], stamp: str, cal_tz: ZoneInfo) -> dict[str, Any] | None:
    """The computed instance whose id ends in `_<stamp>`, if the series has one there."""
    try:
        if "T" in stamp:
            when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        else:
            when = datetime.combine(datetime.strptime(stamp, "%Y%m%d").date(),
                                    datetime.min.time(), cal_tz)
    except ValueError:
        return None
    wanted = f"{master['id']}_{stamp}"
    return next((i for i in series(master, cal_tz, when + timedelta(days=2)) if i["id"] == wanted),
                None)


def span(res: dict[str, Any], cal_tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The absolute time an event (or a whole series) covers, for timeMin/timeMax filtering."""
    start, end = event_times(res)
    rec = recurrence_of(res)
    if rec is None:
        return start.instant(cal_tz), end.instant(cal_tz)
    if not is_bounded(rec):
        return start.instant(cal_tz), FAR_FUTURE
    last = series(res, cal_tz, FAR_FUTURE)
    if not last:
        return start.instant(cal_tz), start.instant(cal_tz)
    return start.instant(cal_tz), event_times(last[-1])[1].instant(cal_tz)


def minimal_cancelled(res: dict[str, Any]) -> dict[str, Any]:
    """A deletion as incremental sync reports it without showDeleted."""
    keep = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
    return {k: copy.deepcopy(res[k]) for k in keep if k in res} | {"status": "cancelled"}
