"""events.list: full listings, incremental sync, paging and the tokens behind them.

Consistency model (what "changes made while paging are not lost" rests on):
- A listing (full or incremental) takes a snapshot of the calendar's change sequence number on
  its first page; its page tokens carry that snapshot, and its last page hands out a sync token
  holding it. Anything written after the snapshot has a higher sequence number and therefore
  comes in the next incremental sync, even if this listing's later pages show it already.
- Pages advance by a cursor (the sort key of the last item handed out), not by an offset, so
  inserts and deletions during paging cannot shift unchanged items out of the listing.
- Incremental sync returns every event whose last write is newer than the token's sequence
  number, cancelled ones included. With singleEvents=true a changed master yields all its
  instances up to the expansion horizon (plus instances a rule change removed, as cancelled);
  changed exceptions come on their own. A sync token remembers singleEvents; using it with a
  different value is answered 400 (Google leaves that undefined; the emulator makes it loud).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from devtools.google_emulator import calendar_events as ev
from devtools.google_emulator.calendar_store import Calendar
from devtools.google_emulator.errors import GoogleApiError, invalid
from devtools.google_emulator.recurrence import format_updated, parse_event_time, parse_rfc3339

DEFAULT_PAGE, MAX_PAGE = 250, 2500
NOT_WITH_SYNC = ("iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty",
                 "timeMin", "timeMax", "updatedMin")


def _flag(query: MultiDict, name: str) -> bool:
    value = query.get(name, "false").lower()
    if value not in ("true", "false"):
        raise invalid(f"Invalid value for {name}: {value}")
    return value == "true"


def _props(query: MultiDict, name: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in query.getlist(name):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise invalid(f"Invalid value for {name}: {item} (expected key=value)")
        pairs.append((key, value))
    return tuple(pairs)


@dataclass(frozen=True)
class ListParams:
    single: bool
    show_deleted: bool
    max_results: int
    order_by: str | None
    time_min: datetime | None
    time_max: datetime | None
    updated_min: datetime | None
    q: str | None
    ical_uid: str | None
    private: tuple[tuple[str, str], ...]
    shared: tuple[tuple[str, str], ...]
    sync_token: str | None
    page_token: str | None
    raw: tuple[tuple[str, str], ...]  # the filters as sent, for the page-token fingerprint

    @classmethod
    def parse(cls, query: MultiDict) -> ListParams:
        """Validate events.list parameters with Google's 400s."""
        if query.get("syncToken"):
            bad = [n for n in NOT_WITH_SYNC if n in query]
            if bad:
                raise invalid(f"Parameter {bad[0]} is not allowed together with syncToken.")
        try:
            max_results = int(query.get("maxResults", DEFAULT_PAGE))
        except ValueError as exc:
            raise invalid("Invalid value for maxResults.") from exc
        if max_results < 1:
            raise invalid("Invalid value for maxResults: must be at least 1.")
        order_by = query.get("orderBy") or None
        single = _flag(query, "singleEvents")
        if order_by not in (None, "startTime", "updated"):
            raise invalid(f"Invalid value for orderBy: {order_by}")
        if order_by == "startTime" and not single:
            raise invalid("The requested ordering is not available for the particular query.")
        times = {n: parse_rfc3339(query[n], n) if query.get(n) else None
                 for n in ("timeMin", "timeMax", "updatedMin")}
        if times["timeMin"] and times["timeMax"] and times["timeMax"] <= times["timeMin"]:
            raise GoogleApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        raw = tuple(sorted((k, v) for k, vs in query.lists() for v in vs
                           if k not in ("pageToken", "syncToken", "maxResults", "alt")))
        return cls(single, _flag(query, "showDeleted"), min(max_results, MAX_PAGE), order_by,
                   times["timeMin"], times["timeMax"], times["updatedMin"], query.get("q") or None,
                   query.get("iCalUID") or None, _props(query, "privateExtendedProperty"),
                   _props(query, "sharedExtendedProperty"), query.get("syncToken") or None,
                   query.get("pageToken") or None, raw)

    def fingerprint(self) -> str:
        """Binds a page token to its query, so a token reused with other filters is caught."""
        return hashlib.sha256(repr(self.raw).encode()).hexdigest()[:16]


def _encode(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


# A sync token is short and opaque, like Google's (about 30 characters): it is sent with every
# incremental listing, so its length is paid in every idle sync's URL.
_SYNC = struct.Struct(">4s6sIQ?")


def _sync_token(epoch: str, calendar_id: str, generation: int, seq: int, single: bool) -> str:
    calendar = hashlib.sha256(calendar_id.encode()).digest()[:6]
    packed = _SYNC.pack(bytes.fromhex(epoch), calendar, generation, seq, single)
    return base64.urlsafe_b64encode(packed).decode()


def _read_sync_token(token: str) -> tuple[str, bytes, int, int, bool] | None:
    try:
        epoch, calendar, generation, seq, single = _SYNC.unpack(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error, struct.error):
        return None
    return epoch.hex(), calendar, generation, seq, single


def _gone() -> GoogleApiError:
    return GoogleApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.",
                          domain="calendar")


@dataclass
class Paging:
    snapshot: int  # the calendar's change sequence number when the listing began
    base: int | None  # incremental: the sync token's sequence number; None for a full listing
    cursor: list[str] | None  # sort key of the last item already handed out
    generation: int


def start_paging(cal: Calendar, p: ListParams, epoch: str) -> Paging:
    """Where this page starts: from the page token, the sync token, or a fresh snapshot."""
    if p.page_token:
        tok = _decode(p.page_token)
        if not tok or tok.get("t") != "p" or tok.get("e") != epoch or tok.get("c") != cal.id \
                or tok.get("f") != p.fingerprint():
            raise invalid("Invalid pageToken (it belongs to another query).")
        if tok["b"] is not None and tok["g"] != cal.generation:
            raise _gone()
        return Paging(tok["s"], tok["b"], tok["k"], tok["g"])
    if p.sync_token:
        sync = _read_sync_token(p.sync_token)
        if sync is None or sync[:3] != (epoch, hashlib.sha256(cal.id.encode()).digest()[:6], cal.generation):
            raise _gone()
        if sync[4] != p.single:
            raise invalid("singleEvents must have the value of the full sync that produced the syncToken.")
        return Paging(cal.seq, sync[3], None, cal.generation)
    return Paging(cal.seq, None, None, cal.generation)


def _matches(res: dict[str, Any], cal: Calendar, p: ListParams) -> bool:
    """The filters of a full listing (they are all rejected together with a syncToken).

    Cancelled events need showDeleted (or updatedMin), except cancelled instances of a
    recurring event, which a listing without singleEvents always includes (as Google does).
    """
    cancelled_instance = not p.single and "recurringEventId" in res
    if res.get("status") == "cancelled" and not (p.show_deleted or p.updated_min or cancelled_instance):
        return False
    if p.updated_min and res["updated"] < format_updated(p.updated_min.timestamp()):
        return False
    if p.time_min or p.time_max:
        begin, end = ev.span(res, cal.tz)
        if (p.time_min and end <= p.time_min) or (p.time_max and begin >= p.time_max):
            return False
    ext = res.get("extendedProperties", {})
    for scope, wanted in (("private", p.private), ("shared", p.shared)):
        if any(ext.get(scope, {}).get(k) != v for k, v in wanted):
            return False
    if p.ical_uid and res.get("iCalUID") != p.ical_uid:
        return False
    if p.q:
        text = " ".join(str(res.get(k, "")) for k in ("summary", "description", "location"))
        return p.q.lower() in text.lower()
    return True


def _full(cal: Calendar, p: ListParams, now: datetime) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for stored in cal.events.values():
        res = stored.resource
        if p.single and ev.recurrence_of(res) is not None:
            horizon = p.time_max or ev.default_horizon(res, cal.tz, now)
            out.extend(i for i in ev.series(res, cal.tz, horizon) if i["id"] not in cal.events)
        else:
            out.append(res)
    return [r for r in out if _matches(r, cal, p)]


def _changed(cal: Calendar, p: ListParams, base: int, now: datetime) -> list[dict[str, Any]]:
    if base >= cal.seq:  # nothing written since the token: the common case, answered in O(1)
        return []
    out: dict[str, dict[str, Any]] = {}
    for stored in cal.events.values():
        res = stored.resource
        is_master = ev.recurrence_of(res) is not None
        if p.single and is_master:
            if stored.seq > base:
                horizon = ev.default_horizon(res, cal.tz, now)
                out |= {i["id"]: i for i in ev.series(res, cal.tz, horizon) if i["id"] not in cal.events}
        elif stored.seq > base:
            out[res["id"]] = res
        for inst_id, (original, seq) in stored.vanished.items() if p.single else ():
            if seq > base and inst_id not in out and inst_id not in cal.events:
                out[inst_id] = {"kind": "calendar#event", "etag": res["etag"], "id": inst_id,
                                "status": "cancelled", "recurringEventId": res["id"],
                                "originalStartTime": original}
    return list(out.values())


def _sort_key(res: dict[str, Any], cal: Calendar, order_by: str | None) -> list[str]:
    if order_by == "startTime" and "start" in res:
        start, _ = ev.event_times(res)
        return [start.instant(cal.tz).astimezone(UTC).isoformat(), res["id"]]
    if order_by == "updated":
        return [res.get("updated", ""), res["id"]]
    return [res["id"]]


def list_events(cal: Calendar, p: ListParams, *, epoch: str, now: float, role: str) -> dict[str, Any]:
    """One page of events.list: `nextPageToken` xor `nextSyncToken`."""
    paging = start_paging(cal, p, epoch)
    moment = datetime.fromtimestamp(now, UTC)
    items = _changed(cal, p, paging.base, moment) if paging.base is not None else _full(cal, p, moment)
    keyed = sorted(((_sort_key(r, cal, p.order_by), r) for r in items), key=lambda x: x[0])
    if paging.cursor is not None:
        keyed = [x for x in keyed if x[0] > paging.cursor]
    page = keyed[:p.max_results]
    out: dict[str, Any] = {
        "kind": "calendar#events", "etag": f'"{paging.snapshot}"', "summary": cal.summary,
        "updated": format_updated(now), "timeZone": cal.time_zone, "accessRole": role,
        "defaultReminders": [],
        "items": [_render(r, p) for _, r in page],
    }
    common = {"e": epoch, "c": cal.id, "g": paging.generation, "s": paging.snapshot}
    if len(keyed) > p.max_results:
        out["nextPageToken"] = _encode(common | {"t": "p", "b": paging.base, "k": page[-1][0],
                                                 "f": p.fingerprint()})
    else:
        out["nextSyncToken"] = _sync_token(epoch, cal.id, paging.generation, paging.snapshot, p.single)
    return out


def _render(res: dict[str, Any], p: ListParams) -> dict[str, Any]:
    if res.get("status") == "cancelled" and not p.show_deleted:
        return ev.minimal_cancelled(res)
    return copy.deepcopy(res)


def list_instances(cal: Calendar, master: dict[str, Any], query: MultiDict, *, now: float,
                   role: str) -> dict[str, Any]:
    """events.instances: one series' instances (exceptions included), by start, offset-paged."""
    kept = MultiDict([(k, v) for k, v in query.items(multi=True)
                      if k in ("maxResults", "timeMin", "timeMax", "showDeleted")])
    kept["singleEvents"] = "true"
    p = ListParams.parse(kept)
    horizon = p.time_max or ev.default_horizon(master, cal.tz, datetime.fromtimestamp(now, UTC))
    found = {i["id"]: i for i in ev.series(master, cal.tz, horizon)}
    found |= {s.resource["id"]: s.resource for s in cal.events.values()
              if s.resource.get("recurringEventId") == master["id"]}
    items = [r for r in found.values() if _matches(r, cal, p)]
    if query.get("originalStart"):
        wanted = parse_rfc3339(query["originalStart"], "originalStart")
        items = [r for r in items
                 if parse_event_time(r["originalStartTime"], "original").instant(cal.tz) == wanted]
    items.sort(key=lambda r: _sort_key(r, cal, "startTime"))
    token = query.get("pageToken") or "i0"
    if not token.startswith("i") or not token[1:].isdigit():
        raise invalid("Invalid pageToken.")
    offset = int(token[1:])
    out: dict[str, Any] = {
        "kind": "calendar#events", "etag": master["etag"], "summary": cal.summary,
        "updated": format_updated(now), "timeZone": cal.time_zone, "accessRole": role,
        "defaultReminders": [],
        "items": [_render(r, p) for r in items[offset:offset + p.max_results]],
    }
    if offset + p.max_results < len(items):
        out["nextPageToken"] = f"i{offset + p.max_results}"
    return out
