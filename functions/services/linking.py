"""Calendar choice and link status (`links` function).

Only secondary calendars the account can write are offered; the primary is never linked, so
no private data can be wiped. `clear_existing` deletes every event of the chosen calendar in
batches; progress is kept on the link, so an interrupted wipe resumes on the next attempt.
"""

from __future__ import annotations

import logging
from typing import Any

from functions import i18n, status_log
from functions import validation as v
from functions.adapters.google_calendar import (
    CalendarApi,
    CalendarMissing,
    GoogleUnavailable,
    GrantDead,
    Throttled,
    credentials,
)
from functions.adapters.google_events import BatchWriter, EventWrite
from functions.auth import Action, Caller, authorize
from functions.context import Context
from functions.crypto import TokenDecryptError
from functions.domain import Link, LinkStatus, Resource
from functions.errors import ApiError, BadRequest, Conflict, NotFound
from functions.services import consumer_accounts, dispatch, push
from functions.services.setup import require_branch, require_resource

log = logging.getLogger(__name__)
WRITABLE = ("owner", "writer")
USABLE = (LinkStatus.CONSENTED, LinkStatus.LINKED, LinkStatus.CALENDAR_MISSING, LinkStatus.THROTTLED)


def _load(ctx: Context, caller: Caller, b: str, r: str) -> Link:
    return _resource_and_link(ctx, caller, b, r)[1]


def _resource_and_link(ctx: Context, caller: Caller, b: str, r: str) -> tuple[Resource, Link]:
    v.ident(b, "branch_id")
    v.ident(r, "resource_id")
    authorize(caller, Action.MANAGE_LINK, b, r)
    return require_resource(ctx, b, r), ctx.store.get_link(b, r)


def status(ctx: Context, caller: Caller, b: str, r: str) -> dict[str, Any]:
    link = _load(ctx, caller, b, r)
    # The branch's switch: with it off a link stays as it is but nothing syncs (the pages say so;
    # an employee cannot read the branch itself). Read first: its language is the answer's.
    enabled = require_branch(ctx, b).google_sync_enabled
    return {**link.to_api(), "branch_sync_enabled": enabled}


def audit(ctx: Context, caller: Caller, b: str, r: str) -> dict[str, Any]:
    _load(ctx, caller, b, r)
    entries = ctx.store.audit_entries(b, r)
    return {"entries": [{**e, "at": e["at"].isoformat()} for e in entries]}


class GoogleSession:
    """Calls to Google for one link; a dead grant flips the link to needs_reconsent."""

    def __init__(self, ctx: Context, caller: Caller, link: Link) -> None:
        if link.status not in USABLE or not link.sealed_refresh_token:
            raise Conflict("not_consented", "not_consented")
        self.ctx, self.caller, self.link = ctx, caller, link
        try:
            token = ctx.cipher.decrypt(link.sealed_refresh_token, link.link_id)
        except TokenDecryptError:  # sealed with a key version that is no longer enabled
            self._needs_reconsent("token_unreadable")
        self.api = CalendarApi(ctx.settings, credentials(ctx.settings, ctx.oauth_client, token))

    def __enter__(self) -> CalendarApi:
        return self.api

    def _needs_reconsent(self, action: str) -> None:
        self.ctx.store.update_link(self.link.branch_id, self.link.resource_id, {
            "status": LinkStatus.NEEDS_RECONSENT,
            "last_error": i18n.stored("needs_reconsent")})
        self.ctx.store.audit(self.link.branch_id, self.link.resource_id, self.caller.sub,
                             self.caller.role, action, {})
        status_log.link_status_changed(self.link, str(LinkStatus.NEEDS_RECONSENT), action, self.ctx.now())
        raise Conflict("needs_reconsent", "needs_reconsent")

    def __exit__(self, kind: type | None, exc: BaseException | None, _tb: object) -> None:
        if isinstance(exc, GrantDead):
            self._needs_reconsent("grant_dead")
        if isinstance(exc, CalendarMissing):
            raise NotFound("calendar_not_found", "calendar_not_found")
        if isinstance(exc, Throttled | GoogleUnavailable):
            raise ApiError("google_unavailable", "google_unavailable", 503)


def calendars(ctx: Context, caller: Caller, b: str, r: str) -> dict[str, Any]:
    link = _load(ctx, caller, b, r)
    with GoogleSession(ctx, caller, link) as api:
        entries = api.calendar_list()
    return {"calendars": [
        {"id": c["id"], "summary": c.get("summaryOverride") or c.get("summary", ""),
         "access_role": c.get("accessRole")}
        for c in entries if not c.get("primary") and c.get("accessRole") in WRITABLE]}


def _check_choice(api: CalendarApi, link: Link, calendar_id: str) -> dict[str, Any]:
    """The calendar entry, after refusing the primary (by id, alias or flag) and read-only ones."""
    if calendar_id == "primary" or calendar_id == link.account_email:
        raise BadRequest("primary_calendar", "primary_calendar_choose")
    entry = next((c for c in api.calendar_list() if c["id"] == calendar_id), None)
    if entry is None:
        raise NotFound("calendar_not_found", "calendar_not_found")
    if entry.get("primary"):
        raise BadRequest("primary_calendar", "primary_calendar")
    if entry.get("accessRole") not in WRITABLE:
        raise BadRequest("calendar_not_writable", "calendar_not_writable")
    return entry


def _refuse_shared(ctx: Context, link: Link, calendar_id: str) -> None:
    """One calendar per resource: two links on one calendar would pull each other's events."""
    others = [o for o in ctx.store.links_with_calendar(calendar_id) if o.link_id != link.link_id]
    if others:
        raise Conflict("calendar_in_use", "calendar_in_use")


def preview(ctx: Context, caller: Caller, b: str, r: str, calendar_id: str | None) -> dict[str, Any]:
    if not calendar_id:
        raise BadRequest("missing_field", "field_required", field="calendar_id")
    link = _load(ctx, caller, b, r)
    with GoogleSession(ctx, caller, link) as api:
        _check_choice(api, link, calendar_id)
        count = sum(1 for _ in api.event_ids(calendar_id))
    return {"calendar_id": calendar_id, "events": count}


def link(ctx: Context, caller: Caller, b: str, r: str, body: dict[str, Any]) -> dict[str, Any]:
    v.only_keys(body, {"calendar_id", "new_calendar", "clear_existing", "confirm_consumer_account"})
    clear = v.flag(body, "clear_existing", default=False)
    confirm = v.flag(body, "confirm_consumer_account", default=False)
    if ("calendar_id" in body) == ("new_calendar" in body):
        raise BadRequest("invalid_body", "calendar_or_new")
    summary = None
    if "new_calendar" in body:
        summary = v.text(v.obj(body["new_calendar"]), "summary", max_len=100)
    else:
        v.text(body, "calendar_id", max_len=1024)
    resource, current = _resource_and_link(ctx, caller, b, r)
    branch = require_branch(ctx, b)
    # a consumer account and a privacy above busy: confirmed, or 409 before any call to Google
    confirmation = consumer_accounts.confirmation_for(ctx, caller, current, None, resource.privacy, confirm)
    with GoogleSession(ctx, caller, current) as api:
        if summary is not None:
            created = api.create_calendar(summary, branch.timezone)
            calendar_id, name = created["id"], created.get("summary") or summary
            cleared = 0
        else:
            calendar_id = body["calendar_id"]
            entry = _check_choice(api, current, calendar_id)
            name = entry.get("summaryOverride") or entry.get("summary") or None
            _refuse_shared(ctx, current, calendar_id)
            cleared = _clear(ctx, caller, api, current, calendar_id) if clear else 0
        # the channels of the link so far (a relink; the same calendar again gets a fresh one)
        push.stop_for(ctx, current, ctx.now(), api)
    pair = {"account_email": current.account_email or "", "google_calendar_id": calendar_id}
    # The same account and calendar as the stored item states (a re-consent, the same calendar
    # picked again): keep them, so the first run, a complete listing, brings the phone's
    # changes in between to the planner instead of overwriting them. Anything else: forget.
    keep = current.items_of == pair and not cleared
    current.status, current.google_calendar_id = LinkStatus.LINKED, calendar_id
    current.google_calendar_name = name  # what the calendar is called, for the pages
    current.clearing, current.last_error, current.items_of = None, None, pair
    if confirmation is not None:
        current.consumer_confirmation = confirmation
    current.reset_sync()
    ctx.store.take_over_link(b, r)  # a run still working on this link writes nothing more
    if not keep:
        ctx.store.forget_sync_items(b, r)
    ctx.store.save_link(current)
    ctx.store.audit(b, r, caller.sub, caller.role, "linked",
                    {"calendar_id": calendar_id, "created": summary is not None, "cleared": cleared,
                     "kept_item_states": keep})
    if confirmation is not None:
        consumer_accounts.audit(ctx, caller, current, confirmation)
    # the first sync at once (it also opens the link's push channel), not at the next poll
    dispatch.link_changed(ctx, b, {r}, ctx.now())
    return {"status": "linked", "google_calendar_id": calendar_id,
            **({"google_calendar_name": name} if name else {}), "cleared": cleared}


def _clear(ctx: Context, caller: Caller, api: CalendarApi, link: Link, calendar_id: str) -> int:
    """Delete every event; resumable: progress is saved after each batch of deletions."""
    clearing = link.clearing or {}  # written below, always with both keys
    done: int = clearing["deleted"] if clearing.get("calendar_id") == calendar_id else 0
    ids = list(api.event_ids(calendar_id))
    for start in range(0, len(ids), 200):
        # the sync's batch writer: ≤ 50 calls a batch, backoff on rate limits and 5xx
        results = BatchWriter(api, calendar_id).run(
            [EventWrite(event_id, "delete", event_id) for event_id in ids[start:start + 200]])
        done += sum(r.outcome == "done" for r in results.values())  # "gone": deleted meanwhile
        ctx.store.update_link(link.branch_id, link.resource_id,
                              {"clearing": {"calendar_id": calendar_id, "deleted": done}})
        if any(r.outcome == "retry" for r in results.values()):
            raise GoogleUnavailable("deletions kept failing; the wipe resumes on the next attempt")
    ctx.store.audit(link.branch_id, link.resource_id, caller.sub, caller.role, "cleared",
                    {"calendar_id": calendar_id, "deleted": done})
    return done
