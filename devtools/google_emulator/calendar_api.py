"""Calendar v3 routes: calendarList, calendars and events, with Google's access rules.

Access is checked in this order, which is what makes the errors useful to a client:
1. no scope that could ever allow the call → 403 insufficientPermissions;
2. the calendar does not exist or is not in the principal's calendar list → 404 notFound;
3. only `calendar.app.created` and the calendar was made by another client → 403
   insufficientPermissions;
4. the principal's role on the calendar is too low (a reader writing) → 403 requiredAccessLevel.
"""

from __future__ import annotations

from typing import Any

from devtools.google_emulator.calendar_listing import ListParams, list_events, list_instances
from devtools.google_emulator.calendar_store import DEFAULT_TZ, ROLES, Calendar, CalendarStore
from devtools.google_emulator.errors import GoogleApiError, invalid, not_found
from devtools.google_emulator.recurrence import zone
from devtools.google_emulator.routing import ApiCall, ApiResult, api_route

SCOPE = "https://www.googleapis.com/auth/"
APP_CREATED = SCOPE + "calendar.app.created"
V3 = "/calendar/v3"
EVENT = V3 + "/calendars/<calendar_id>/events/<event_id>"


def _scopes(*names: str) -> frozenset[str]:
    return frozenset(SCOPE + n for n in names)


CALENDAR_LIST = _scopes("calendar", "calendar.readonly", "calendar.calendarlist",
                        "calendar.calendarlist.readonly")
CALENDAR_INSERT = _scopes("calendar", "calendar.calendars", "calendar.app.created")
CALENDAR_GET = _scopes("calendar", "calendar.readonly", "calendar.calendars", "calendar.calendars.readonly")
CALENDAR_DELETE = _scopes("calendar", "calendar.calendars")
EVENTS_READ = _scopes("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly")
EVENTS_WRITE = _scopes("calendar", "calendar.events")


def _insufficient() -> GoogleApiError:
    return GoogleApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.")


def _store(call: ApiCall) -> CalendarStore:
    return call.state.calendar


def open_calendar(call: ApiCall, scopes: frozenset[str], min_role: str) -> Calendar:
    """The calendar of the call's `calendar_id`, after the scope, visibility and role checks."""
    principal = call.principal
    broad = bool(principal.scopes & scopes)
    if not broad and APP_CREATED not in principal.scopes:
        raise _insufficient()
    store = _store(call)
    cal = store.calendars.get(store.resolve(call.args["calendar_id"], principal.email))
    if cal is None or principal.email not in cal.acl:
        raise not_found()
    if not broad and cal.created_by_client != principal.client_id:
        raise _insufficient()
    if ROLES.index(cal.acl[principal.email]) < ROLES.index(min_role):
        raise GoogleApiError(403, "requiredAccessLevel",
                             f"You need to have {min_role} access to this calendar.")
    return cal


def _page_offset(call: ApiCall) -> int:
    token = call.query.get("pageToken")
    if not token:
        return 0
    if not token.startswith("o") or not token[1:].isdigit():
        raise invalid("Invalid pageToken.")
    return int(token[1:])


@api_route("GET", V3 + "/users/me/calendarList", "read")
def calendar_list(call: ApiCall) -> dict[str, Any]:
    """calendarList.list: maxResults (default 100, at most 250), pageToken, minAccessRole."""
    if not call.principal.scopes & CALENDAR_LIST:
        raise _insufficient()
    try:
        size = min(int(call.query.get("maxResults", 100)), 250)
    except ValueError as exc:
        raise invalid("Invalid value for maxResults.") from exc
    min_role = call.query.get("minAccessRole", "freeBusyReader")
    if size < 1 or min_role not in ROLES:
        raise invalid("Invalid value for maxResults or minAccessRole.")
    email = call.principal.email
    cals = [c for c in _store(call).visible_to(email)
            if ROLES.index(c.acl[email]) >= ROLES.index(min_role)]
    offset = _page_offset(call)
    out: dict[str, Any] = {"kind": "calendar#calendarList", "etag": f'"{len(cals)}"',
                           "items": [_store(call).list_entry(c, email) for c in cals[offset:offset + size]]}
    if offset + size < len(cals):
        out["nextPageToken"] = f"o{offset + size}"
    return out


@api_route("POST", V3 + "/calendars", "write")
def calendar_insert(call: ApiCall) -> dict[str, Any]:
    """calendars.insert: the new calendar remembers the client that made it (calendar.app.created)."""
    if not call.principal.scopes & CALENDAR_INSERT:
        raise _insufficient()
    body = call.json_body()
    time_zone = body.get("timeZone") or DEFAULT_TZ
    if not isinstance(time_zone, str):
        raise invalid("Invalid value for timeZone.")
    zone(time_zone)
    res = _store(call).create_calendar(call.principal.email, body.get("summary", ""),
                                       created_by_client=call.principal.client_id, time_zone=time_zone)
    if isinstance(body.get("description"), str):
        _store(call).calendars[res["id"]].description = body["description"]
        res["description"] = body["description"]
    return res


@api_route("GET", V3 + "/calendars/<calendar_id>", "read")
def calendar_get(call: ApiCall) -> dict[str, Any]:
    """calendars.get: any role will do."""
    return _store(call).calendar_resource(open_calendar(call, CALENDAR_GET, "freeBusyReader"))


@api_route("DELETE", V3 + "/calendars/<calendar_id>", "write")
def calendar_delete(call: ApiCall) -> ApiResult:
    """calendars.delete: owners only; the primary calendar cannot be deleted (400)."""
    cal = open_calendar(call, CALENDAR_DELETE, "owner")
    _store(call).delete_calendar(cal.id)
    return ApiResult(204, None)


@api_route("GET", V3 + "/calendars/<calendar_id>/events", "read")
def events_list(call: ApiCall) -> dict[str, Any]:
    """events.list: full or incremental (see calendar_listing.py)."""
    cal = open_calendar(call, EVENTS_READ, "reader")
    params = ListParams.parse(call.query)
    return list_events(cal, params, epoch=_store(call).epoch, now=call.state.now(),
                       role=cal.acl[call.principal.email])


@api_route("POST", V3 + "/calendars/<calendar_id>/events", "write")
def events_insert(call: ApiCall) -> dict[str, Any]:
    """events.insert: the caller becomes the creator."""
    cal = open_calendar(call, EVENTS_WRITE, "writer")
    return _store(call).insert_event(cal.id, call.json_body(), actor=call.principal.email)


@api_route("POST", V3 + "/calendars/<calendar_id>/events/import", "write")
def events_import(call: ApiCall) -> dict[str, Any]:
    """events.import: an insert-or-update keyed by iCalUID."""
    cal = open_calendar(call, EVENTS_WRITE, "writer")
    return _store(call).import_event(cal.id, call.json_body(), actor=call.principal.email)


@api_route("GET", EVENT, "read")
def events_get(call: ApiCall) -> dict[str, Any]:
    """events.get: deleted events are returned too, with status cancelled."""
    cal = open_calendar(call, EVENTS_READ, "reader")
    return _store(call).get_event(cal.id, call.args["event_id"])


@api_route("GET", EVENT + "/instances", "read")
def events_instances(call: ApiCall) -> dict[str, Any]:
    """events.instances: the instances of a recurring event (none for a single event)."""
    cal = open_calendar(call, EVENTS_READ, "reader")
    master = _store(call).get_event(cal.id, call.args["event_id"])
    return list_instances(cal, master, call.query, now=call.state.now(), role=cal.acl[call.principal.email])


@api_route("PATCH", EVENT, "write")
def events_patch(call: ApiCall) -> dict[str, Any]:
    """events.patch, honouring If-Match."""
    cal = open_calendar(call, EVENTS_WRITE, "writer")
    return _store(call).patch_event(cal.id, call.args["event_id"], call.json_body(),
                                    if_match=call.headers.get("If-Match"))


@api_route("PUT", EVENT, "write")
def events_update(call: ApiCall) -> dict[str, Any]:
    """events.update (PUT), honouring If-Match."""
    cal = open_calendar(call, EVENTS_WRITE, "writer")
    return _store(call).update_event(cal.id, call.args["event_id"], call.json_body(),
                                     if_match=call.headers.get("If-Match"))


@api_route("DELETE", EVENT, "write")
def events_delete(call: ApiCall) -> ApiResult:
    """events.delete: 204; the event stays stored as cancelled."""
    cal = open_calendar(call, EVENTS_WRITE, "writer")
    _store(call).delete_event(cal.id, call.args["event_id"], if_match=call.headers.get("If-Match"))
    return ApiResult(204, None)
