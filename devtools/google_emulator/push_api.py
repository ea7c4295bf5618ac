"""Calendar v3 push routes: events.watch and channels.stop (state and delivery: push_store.py)."""

from __future__ import annotations

from typing import Any

from devtools.google_emulator.calendar_api import EVENTS_READ, V3, _insufficient, open_calendar
from devtools.google_emulator.routing import ApiCall, ApiResult, api_route

SCOPE = "https://www.googleapis.com/auth/"
# channels.stop accepts any Calendar scope (the discovery document lists them all).
CHANNELS_STOP = frozenset(SCOPE + n for n in (
    "calendar", "calendar.acls", "calendar.acls.readonly", "calendar.app.created", "calendar.calendarlist",
    "calendar.calendarlist.readonly", "calendar.events", "calendar.events.freebusy", "calendar.events.owned",
    "calendar.events.owned.readonly", "calendar.events.public.readonly", "calendar.events.readonly",
    "calendar.readonly", "calendar.settings", "calendar.settings.readonly"))


@api_route("POST", V3 + "/calendars/<calendar_id>/events/watch", "read")
def events_watch(call: ApiCall) -> dict[str, Any]:
    """events.watch: whoever may list the events may watch them (same 401/403/404 answers)."""
    cal = open_calendar(call, EVENTS_READ, "reader")
    return call.state.push.open_channel(call.principal, cal.id, call.json_body())


@api_route("POST", V3 + "/channels/stop", "write")
def channels_stop(call: ApiCall) -> ApiResult:
    """channels.stop: 204; a channel this caller did not open, or not open any more, is 404."""
    if not call.principal.scopes & CHANNELS_STOP:
        raise _insufficient()
    call.state.push.stop_channel(call.principal, call.json_body())
    return ApiResult(204, None)
