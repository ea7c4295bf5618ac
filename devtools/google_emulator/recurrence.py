"""Event times and recurrence rules: parsing, validation and expansion into instances.

Google expands a series in the event's `timeZone` (wall clock, so DST shifts keep the local
time). The emulator supports what the planner can produce: RRULE with FREQ=DAILY|WEEKLY (plus
plain MONTHLY/YEARLY), INTERVAL, COUNT, UNTIL, BYDAY (weekday codes without ordinals), WKST, and
EXDATE. Anything else is answered 400 so a gap shows up as a failing test, not a silent
misbehaviour. Unbounded rules are expanded only up to a horizon chosen by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from devtools.google_emulator.errors import GoogleApiError, invalid

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_INSTANCES = 5000  # a safety net against rules that would expand forever

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_LOCAL_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ICAL = re.compile(r"^(\d{8})(T(\d{6})(Z?))?$")

Moment = date | datetime  # an all-day date or an aware datetime


def zone(name: str, what: str = "time zone") -> ZoneInfo:
    """An IANA zone, or 400 invalid as Google answers for names like `PST`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise invalid(f"Invalid {what} definition.") from exc


def _from_iso(text: str) -> datetime:
    # Python accepts at most 6 fractional digits; RFC 3339 allows more.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    return datetime.fromisoformat(text)


def parse_rfc3339(value: str, name: str) -> datetime:
    """An RFC 3339 timestamp with a mandatory offset (timeMin, timeMax, updatedMin)."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise invalid(f"Bad value for {name}: must be an RFC3339 timestamp with a time zone offset.")
    try:
        return _from_iso(value)
    except ValueError as exc:
        raise invalid(f"Bad value for {name}.") from exc


def format_rfc3339(moment: datetime, tz: ZoneInfo) -> str:
    """`2024-05-01T10:00:00+02:00` in `tz` (`Z` when the offset is zero), as Google renders."""
    text = moment.astimezone(tz).replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def format_updated(ts: float) -> str:
    """`updated`/`created`: RFC 3339 in UTC with milliseconds."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class EventTime:
    """An event's `start`/`end`: an all-day date or an aware datetime, plus its `timeZone`."""

    value: Moment
    tz: str | None = None

    @property
    def all_day(self) -> bool:
        """A `{date}` rather than a `{dateTime}`."""
        return not isinstance(self.value, datetime)

    def instant(self, cal_tz: ZoneInfo) -> datetime:
        """The absolute time; an all-day date starts at midnight in the calendar's zone."""
        if isinstance(self.value, datetime):
            return self.value
        return datetime.combine(self.value, datetime.min.time(), cal_tz)

    def to_json(self, cal_tz: ZoneInfo) -> dict[str, str]:
        """As Google renders it: `dateTime` in the calendar's zone, `timeZone` kept."""
        if not isinstance(self.value, datetime):
            return {"date": self.value.isoformat()}
        out = {"dateTime": format_rfc3339(self.value, cal_tz)}
        if self.tz:
            out["timeZone"] = self.tz
        return out


def parse_event_time(obj: Any, name: str) -> EventTime:
    """Validate an event's start/end object as Google does (400 required / invalid)."""
    if not isinstance(obj, dict) or (obj.get("date") is None and obj.get("dateTime") is None):
        raise GoogleApiError(400, "required", f"Missing {name} time.")
    tz_name = obj.get("timeZone")
    if tz_name is not None:
        if not isinstance(tz_name, str):
            raise invalid(f"Invalid time zone definition for {name} time.")
        zone(tz_name, f"time zone for {name} time")
    if obj.get("date") is not None and obj.get("dateTime") is not None:
        raise invalid(f"Invalid {name} time: both date and dateTime are set.")
    if obj.get("date") is not None:
        text = obj["date"]
        if not isinstance(text, str) or not _DATE.match(text):
            raise invalid(f"Invalid {name} time.")
        try:
            return EventTime(date.fromisoformat(text), tz_name)
        except ValueError as exc:
            raise invalid(f"Invalid {name} time.") from exc
    return EventTime(_parse_event_datetime(obj["dateTime"], tz_name, name), tz_name)


def _parse_event_datetime(text: Any, tz_name: str | None, name: str) -> datetime:
    if not isinstance(text, str):
        raise invalid(f"Invalid {name} time.")
    try:
        if _RFC3339.match(text):
            return _from_iso(text)
        if _LOCAL_DT.match(text):
            if not tz_name:
                raise GoogleApiError(400, "required", f"Missing time zone definition for {name} time.")
            return _from_iso(text).replace(tzinfo=zone(tz_name))
    except ValueError as exc:
        raise invalid(f"Invalid {name} time.") from exc
    raise invalid(f"Invalid {name} time.")


def instance_stamp(moment: Moment) -> str:
    """The suffix of an instance id: `20240501T080000Z` (UTC) or `20240501` (all-day)."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return moment.strftime("%Y%m%d")


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: Moment | None = None
    byday: tuple[int, ...] = ()
    wkst: int = 0


@dataclass(frozen=True)
class Recurrence:
    rules: tuple[Rule, ...] = ()
    exdates: tuple[Moment, ...] = field(default_factory=tuple)


def _bad(line: str) -> GoogleApiError:
    return invalid(f"Invalid recurrence rule: {line!r} (the emulator supports RRULE with "
                   "FREQ, INTERVAL, COUNT, UNTIL, BYDAY, WKST, and EXDATE).")


def _ical_moment(text: str, tz: ZoneInfo | None, line: str) -> Moment:
    """`20240501` → date; `20240501T100000Z` → UTC; `20240501T100000` → in `tz` (floating)."""
    m = _ICAL.match(text.strip())
    if not m:
        raise _bad(line)
    try:
        day = datetime.strptime(m.group(1), "%Y%m%d").date()
        if not m.group(2):
            return day
        clock = datetime.strptime(m.group(3), "%H%M%S").time()
    except ValueError as exc:
        raise _bad(line) from exc
    return datetime.combine(day, clock, UTC if m.group(4) or tz is None else tz)


def _parse_rrule(value: str, line: str, tz: ZoneInfo | None) -> Rule:
    parts: dict[str, str] = {}
    for item in value.split(";"):
        key, sep, val = item.partition("=")
        if not sep or key.upper() in parts:
            raise _bad(line)
        parts[key.upper()] = val.upper()
    freq = parts.pop("FREQ", "")
    if freq not in FREQS or (parts.get("BYDAY") and freq not in ("DAILY", "WEEKLY")):
        raise _bad(line)
    try:
        interval = int(parts.pop("INTERVAL", "1"))
        count = int(parts.pop("COUNT")) if "COUNT" in parts else None
        byday = tuple(sorted({WEEKDAYS.index(d) for d in parts.pop("BYDAY", "").split(",") if d}))
        wkst = WEEKDAYS.index(parts.pop("WKST", "MO"))
    except ValueError as exc:
        raise _bad(line) from exc
    until = _ical_moment(parts.pop("UNTIL"), tz, line) if "UNTIL" in parts else None
    if parts or interval < 1 or (count is not None and count < 1) or (count and until):
        raise _bad(line)
    return Rule(freq, interval, count, until, byday, wkst)


def parse_recurrence(lines: Any, tz_name: str | None) -> Recurrence:
    """Validate `recurrence` lines (400 invalid on anything the emulator cannot expand)."""
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise invalid("Invalid recurrence: must be a list of strings.")
    tz = zone(tz_name) if tz_name else None
    rules: list[Rule] = []
    exdates: list[Moment] = []
    for line in lines:
        head, sep, value = line.strip().partition(":")
        name, *params = head.split(";")
        if not sep or not value:
            raise _bad(line)
        if name.upper() == "RRULE" and not params:
            rules.append(_parse_rrule(value, line, tz))
        elif name.upper() == "EXDATE":
            ex_tz = tz
            for p in params:
                key, _, val = p.partition("=")
                if key.upper() == "TZID":
                    ex_tz = zone(val, "EXDATE time zone")
            exdates.extend(_ical_moment(v, ex_tz, line) for v in value.split(","))
        else:
            raise _bad(line)
    if not rules:
        raise invalid("Invalid recurrence: an RRULE line is required.")
    return Recurrence(tuple(rules), tuple(exdates))


def _add_months(day: date, months: int) -> date | None:
    year, month = divmod(day.month - 1 + months, 12)
    try:
        return day.replace(year=day.year + year, month=month + 1)
    except ValueError:  # e.g. the 31st in a 30-day month: RFC 5545 skips it
        return None


def _candidate_days(rule: Rule, first: date, last: date) -> Iterator[date]:
    """Days matching the rule's FREQ/INTERVAL/BYDAY from `first` on, in order, up to `last`."""
    if rule.freq == "WEEKLY":
        days = rule.byday or (first.weekday(),)
        offsets = sorted((d - rule.wkst) % 7 for d in days)
        week = first - timedelta(days=(first.weekday() - rule.wkst) % 7)
        while week <= last:
            for off in offsets:
                day = week + timedelta(days=off)
                if first <= day <= last:
                    yield day
            week += timedelta(weeks=rule.interval)
        return
    step = 0
    while True:
        if rule.freq == "DAILY":
            day: date | None = first + timedelta(days=step)
        else:
            day = _add_months(first, step * (12 if rule.freq == "YEARLY" else 1))
        if day is not None and day > last:
            return
        if day is not None and (not rule.byday or day.weekday() in rule.byday):
            yield day
        step += rule.interval


def _within_until(moment: Moment, until: Moment | None) -> bool:
    if until is None:
        return True
    if isinstance(moment, datetime) and isinstance(until, datetime):
        return moment <= until
    m_day = moment.date() if isinstance(moment, datetime) else moment
    u_day = until.astimezone(UTC).date() if isinstance(until, datetime) else until
    return m_day <= u_day


def _rule_moments(rule: Rule, start: Moment, tz: ZoneInfo, horizon: datetime) -> list[Moment]:
    first = start.astimezone(tz).date() if isinstance(start, datetime) else start
    out: list[Moment] = []
    for day in _candidate_days(rule, first, horizon.astimezone(tz).date()):
        moment: Moment = day
        if isinstance(start, datetime):
            moment = datetime.combine(day, start.astimezone(tz).time(), tz)
            if moment > horizon:
                break
        if not _within_until(moment, rule.until) or len(out) >= MAX_INSTANCES:
            break
        out.append(moment)
        if rule.count is not None and len(out) >= rule.count:
            break
    return out


def expand(rec: Recurrence, start: EventTime, cal_tz: ZoneInfo, horizon: datetime) -> list[Moment]:
    """Start moments of a series' instances, oldest first, up to `horizon` (inclusive)."""
    tz = zone(start.tz) if start.tz else cal_tz
    moments: set[Moment] = set()
    for rule in rec.rules:
        moments.update(_rule_moments(rule, start.value, tz, horizon))
    excluded = {_key(x) for x in rec.exdates}
    return sorted((m for m in moments if _key(m) not in excluded), key=_key)


def _key(moment: Moment) -> str:
    return instance_stamp(moment)


def is_bounded(rec: Recurrence) -> bool:
    """Whether every rule ends (COUNT or UNTIL), so the series has a last instance."""
    return all(r.count is not None or r.until is not None for r in rec.rules)
