"""The planner's appointment API: put/get/delete and the changes feed (`planner` function)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from functions import logs
from functions import validation as v
from functions.adapters.appointments_store import AppointmentStore
from functions.auth import Action, Caller, authorize
from functions.context import Context
from functions.errors import BadRequest, NotFound
from functions.services import dispatch, feed
from functions.services.setup import require_branch, require_resource
from functions.sync import limits, mapping
from functions.sync.model import Appointment

MAX_LIMIT = 1000
_NUMBER = re.compile(r"[0-9]{1,19}")
# RFC 3339 `date-time` (section 5.6), nothing else of ISO 8601; at most microseconds, what a
# time can hold (more digits were cut silently). `T` and `Z` may be lower case (RFC 3339).
_RFC_3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
                       r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})")


def _store(ctx: Context, caller: Caller, branch_id: str) -> AppointmentStore:
    v.ident(branch_id, "branch_id")
    authorize(caller, Action.APPOINTMENTS, branch_id)
    require_branch(ctx, branch_id)
    return AppointmentStore(ctx.store.db, branch_id)


def _timed(value: Any, key: str) -> tuple[datetime, str]:
    """The instant and its text as stored (`t` and `z` in upper case, as Google writes them)."""
    if not isinstance(value, str) or not _RFC_3339.fullmatch(value):
        raise BadRequest("invalid_time", "time_not_rfc3339", field=key)
    text = value.upper()
    try:
        parsed = datetime.fromisoformat(text)  # Python 3.11 reads the "Z" of UTC itself
    except ValueError:
        raise BadRequest("invalid_time", "time_invalid", field=key) from None
    if not limits.instant_in_range(parsed):
        raise BadRequest("invalid_time", "time_out_of_range", field=key, first=limits.TIME_FIRST,
                         last=limits.TIME_LAST)
    return parsed, text


def _day(value: Any, key: str) -> date:
    try:
        return mapping.parse_day(value)
    except ValueError:
        raise BadRequest("invalid_time", "day_invalid", field=key, first=limits.DAY_FIRST,
                         last=limits.DAY_LAST) from None


def _parse(appointment_id: str, body: dict[str, Any]) -> Appointment:
    v.only_keys(body, {"resource_id", "start", "end", "all_day", "title", "location", "notes"})
    all_day = v.flag(body, "all_day", default=False)
    if all_day:
        start_day, end_day = _day(body.get("start"), "start"), _day(body.get("end"), "end")
        if end_day <= start_day:
            raise BadRequest("invalid_time", "end_before_start_all_day")
        start_text, end_text = body["start"], body["end"]
    else:
        start, start_text = _timed(body.get("start"), "start")
        end, end_text = _timed(body.get("end"), "end")
        if end <= start:
            raise BadRequest("invalid_time", "end_before_start")
    return Appointment(
        id=appointment_id,
        resource_id=v.ident(body.get("resource_id"), "resource_id"),
        start=start_text, end=end_text, all_day=all_day,
        title=v.kept_text(body, "title", max_len=limits.TITLE_MAX) or "",
        location=v.kept_text(body, "location", required=False, max_len=limits.LOCATION_MAX),
        notes=v.kept_text(body, "notes", required=False, max_len=limits.NOTES_MAX),
    )


def _sensitive(appointment: Appointment) -> None:
    """Patient data this request handles never reaches a log line, also when it fails."""
    logs.sensitive(appointment.title, appointment.location, appointment.notes)


def put(ctx: Context, caller: Caller, branch_id: str, appointment_id: str,
        body: dict[str, Any]) -> dict[str, Any]:
    v.ident(appointment_id, "appointment_id")
    store = _store(ctx, caller, branch_id)
    appointment = _parse(appointment_id, body)
    _sensitive(appointment)
    require_resource(ctx, branch_id, appointment.resource_id)
    stored = store.put(appointment, origin="planner")
    # a move changes two links: the one it left (read in the write's transaction) and its new one
    left = {stored.was_on} if stored.was_on else set()
    dispatch.link_changed(ctx, branch_id, left | {appointment.resource_id}, ctx.now())
    return stored.to_api()


def get(ctx: Context, caller: Caller, branch_id: str, appointment_id: str) -> dict[str, Any]:
    v.ident(appointment_id, "appointment_id")
    found = _store(ctx, caller, branch_id).get(appointment_id)
    if found is not None:
        _sensitive(found.appointment)
    if found is None or found.deleted:
        raise NotFound("appointment_missing", appointment_id=appointment_id)
    return found.to_api()


def delete(ctx: Context, caller: Caller, branch_id: str, appointment_id: str) -> None:
    v.ident(appointment_id, "appointment_id")
    tombstone = _store(ctx, caller, branch_id).delete(appointment_id, origin="planner")
    if tombstone is None:
        raise NotFound("appointment_missing", appointment_id=appointment_id)
    dispatch.link_changed(ctx, branch_id, {tombstone.appointment.resource_id}, ctx.now())


def changes(ctx: Context, caller: Caller, branch_id: str, cursor: str | None,
            limit: str | None) -> dict[str, Any]:
    """The branch's changes after `cursor` (functions/services/feed.py)."""
    v.ident(branch_id, "branch_id")
    authorize(caller, Action.APPOINTMENTS, branch_id)
    branch = require_branch(ctx, branch_id)
    if limit and not _NUMBER.fullmatch(limit):
        raise BadRequest("invalid_cursor", "limit_not_number")
    count = int(limit) if limit else 100
    if not 1 <= count <= MAX_LIMIT:
        raise BadRequest("invalid_cursor", "limit_out_of_range", max_limit=MAX_LIMIT)
    after = feed.decode(cursor)
    items, position = feed.page(AppointmentStore(ctx.store.db, branch_id), branch,
                                ctx.store.list_resources(branch_id), after, count)
    out = []
    for item in items:
        _sensitive(item.appointment)
        change: dict[str, Any] = {"appointment_id": item.appointment.id, "origin": item.origin,
                                  "deleted": item.deleted, "version": item.appointment.version}
        if not item.deleted:
            change["appointment"] = item.to_api()["appointment"]
        out.append(change)
    # caught up: the cursor as given, so an idle reader keeps one cursor (also an old one)
    return {"changes": out, "cursor": cursor if cursor and position == after else feed.encode(position)}
