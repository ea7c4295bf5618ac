"""The control API under /_emulator/: how tests and demos set the scene and break things.

JSON in, JSON out, no auth (the emulator only listens on loopback). Errors use Google's
envelope: a bad control request is 400 `invalid`; store errors keep their own code.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from devtools.google_emulator.errors import GoogleApiError, invalid
from devtools.google_emulator.routing import web_route
from devtools.google_emulator.state import DEFAULT_CLIENT_ID, EmulatorState

LOG = logging.getLogger("devtools.google_emulator.control")
Handler = Callable[..., Any]


def _respond(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def control(methods: str, rule: str) -> Callable[[Handler], Handler]:
    """Register a control route: `fn(state, body, **url_args)` returns JSON-able data."""

    def register(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def route(state: EmulatorState, request: Request, **args: str) -> Response:
            try:
                return _respond(fn(state, _read_json(request), **args))
            except GoogleApiError as err:
                return err.to_response()
            except (ValueError, TypeError) as err:
                return invalid(str(err)).to_response()
            except Exception:
                LOG.exception("control route failed: %s %s", request.method, request.path)
                return GoogleApiError(500, "backendError", "Backend Error").to_response()

        web_route(methods, "/_emulator" + rule)(route)
        return fn

    return register


def _read_json(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise invalid(f"Parse Error: {exc}", reason="parseError") from exc
    if not isinstance(body, dict):
        raise invalid("the body must be a JSON object", reason="parseError")
    return body


def _need(body: dict[str, Any], key: str, kind: type = str) -> Any:
    value = body.get(key)
    if not isinstance(value, kind) or (kind is str and not value):
        raise ValueError(f"{key} is required ({kind.__name__})")
    return value


def _known_account(state: EmulatorState, email: str) -> None:
    if email not in state.accounts:
        raise ValueError(f"no such account: {email} (add it with POST /_emulator/accounts)")


# --- scene: accounts, clients, clock ----------------------------------------------------


@control("POST", "/reset")
def reset(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    state.reset()
    return {}


@control("GET", "/accounts")
def accounts(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    with state.lock:
        return {"accounts": [{"email": a.email, "display_name": a.display_name}
                             for a in state.accounts.values()]}


@control("POST", "/accounts")
def add_account(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    email = _need(body, "email").strip().lower()
    if "@" not in email:
        raise ValueError(f"not an email address: {email}")
    account = state.add_account(email, body.get("display_name") or "")
    return {"email": account.email, "display_name": account.display_name}


@control("POST", "/clients")
def register_client(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    uris = body.get("redirect_uris", [])
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        raise ValueError("redirect_uris must be a list of strings")
    client = state.oauth.register_client(_need(body, "client_id"), _need(body, "client_secret"), uris,
                                         testing=bool(body.get("testing", False)))
    return {"client_id": client.client_id, "redirect_uris": client.redirect_uris,
            "testing": client.testing}


@control("POST", "/clock")
def advance_clock(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    seconds = body.get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError("advance_seconds must be a number >= 0 (the clock never goes back)")
    return {"now": state.advance_clock(float(seconds))}


# --- calendars and "the phone" ----------------------------------------------------------


@control("POST", "/calendars")
def create_calendar(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    owner = _need(body, "owner").strip().lower()
    with state.lock:
        _known_account(state, owner)
        return state.calendar.create_calendar(owner, _need(body, "summary"),
                                              access_role=body.get("access_role") or "owner")


@control("POST", "/calendars/<calendar_id>/summary-override")
def set_summary_override(state: EmulatorState, body: dict[str, Any], calendar_id: str) -> dict[str, Any]:
    """What a person does when renaming a calendar in their own list: a summaryOverride of their
    calendarList entry only (the calendar's summary stays)."""
    account = _need(body, "account").strip().lower()
    with state.lock:
        cal = state.calendar.calendar(calendar_id)
        if account not in cal.acl:
            raise ValueError(f"{account} has no access to {calendar_id}")
        cal.summary_overrides[account] = _need(body, "summary")
    return {}


@control("DELETE", "/calendars/<calendar_id>")
def delete_calendar(state: EmulatorState, _body: dict[str, Any], calendar_id: str) -> dict[str, Any]:
    with state.lock:
        state.calendar.delete_calendar(calendar_id)
    return {}


@control("GET", "/calendars/<calendar_id>/events")
def events(state: EmulatorState, _body: dict[str, Any], calendar_id: str) -> dict[str, Any]:
    with state.lock:
        return {"events": state.calendar.all_events(calendar_id)}


@control("POST", "/calendars/<calendar_id>/events")
def phone_create(state: EmulatorState, body: dict[str, Any], calendar_id: str) -> dict[str, Any]:
    with state.lock:
        return state.calendar.insert_event(calendar_id, body)


@control("PATCH", "/calendars/<calendar_id>/events/<event_id>")
def phone_patch(state: EmulatorState, body: dict[str, Any], calendar_id: str,
                event_id: str) -> dict[str, Any]:
    with state.lock:
        return state.calendar.patch_event(calendar_id, event_id, body)


@control("DELETE", "/calendars/<calendar_id>/events/<event_id>")
def phone_delete(state: EmulatorState, _body: dict[str, Any], calendar_id: str,
                 event_id: str) -> dict[str, Any]:
    with state.lock:
        state.calendar.delete_event(calendar_id, event_id)
    return {}


@control("POST", "/sync-tokens/invalidate")
def invalidate_sync_tokens(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    with state.lock:
        state.calendar.invalidate_sync_tokens(body.get("calendar_id") or None)
    return {}


# --- OAuth grants -----------------------------------------------------------------------


@control("GET", "/grants")
def grants(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    return {"grants": state.oauth.grants_info()}


@control("POST", "/grants")
def issue_grant(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """A completed consent without a browser (for benchmarks and demos): a live grant."""
    email = _need(body, "email")
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ValueError("scopes must be a list of scope URLs")
    client_id = body.get("client_id") or DEFAULT_CLIENT_ID
    grant, access = state.oauth.issue_grant(email, frozenset(scopes), client_id)
    return {"grant_id": grant.grant_id, "refresh_token": grant.refresh_token, "access_token": access.token}


@control("POST", "/grants/kill")
def kill_grants(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    return {"killed": state.oauth.kill_grants(body.get("email") or None, body.get("client_id") or None)}


# --- faults, rate limit, latency, counters ----------------------------------------------


@control("POST", "/faults")
def add_fault(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    return state.faults.add_fault(body).to_json()


@control("GET", "/faults")
def faults(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    return {"faults": state.faults.list_faults()}


@control("DELETE", "/faults")
def clear_faults(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    return {"cleared": state.faults.clear_faults()}


@control("POST", "/rate-limit")
def set_rate_limit(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    enabled = _need(body, "enabled", bool)
    per_minute = body.get("per_minute")
    if per_minute is not None and (isinstance(per_minute, bool) or not isinstance(per_minute, int)):
        raise ValueError("per_minute must be an integer")
    return state.faults.set_rate_limit(enabled, per_minute)


@control("POST", "/latency")
def set_latency(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    ms = body.get("ms")
    if isinstance(ms, bool) or not isinstance(ms, int | float) or not 0 <= ms <= 60_000:
        raise ValueError("ms must be a number from 0 to 60000")
    state.faults.latency_ms = float(ms)
    return {"ms": ms}


@control("GET", "/counters")
def counters(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    return state.faults.snapshot()


@control("DELETE", "/counters")
def reset_counters(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    state.faults.reset_counters()
    return {}


# --- push notifications -----------------------------------------------------------------


@control("GET", "/push")
def push_status(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    """The delivery knobs and `pending`: notifications waiting or under way (0 = all done)."""
    return state.push.status()


@control("POST", "/push")
def set_push(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    return state.push.configure(body)


@control("GET", "/push/channels")
def push_channels(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    return {"channels": state.push.channels_info()}


@control("POST", "/push/expire")
def expire_channel(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    return state.push.expire(_need(body, "id"))


@control("GET", "/push/log")
def push_log(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    return {"notifications": state.push.log_entries()}


@control("DELETE", "/push/log")
def clear_push_log(state: EmulatorState, _body: dict[str, Any]) -> dict[str, Any]:
    return {"cleared": state.push.clear_log()}
