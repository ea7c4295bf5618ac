"""Withdraw consent: stop the push channels, revoke at Google, forget the tokens, stop syncing.
The calendar is left as is, unless `remove_events` asks to delete every event the bridge wrote
into it first (services/event_removal.py). That removal needs the grant, so it comes first; when
Google does not delete them all, the answer is 503 `events_not_removed` and nothing is revoked:
the consent stays, the link syncs again (its events come back), and the admin can retry."""

from __future__ import annotations

import logging
from typing import Any

from functions import i18n
from functions import validation as v
from functions.adapters import google_oauth
from functions.auth import Action, Caller, authorize
from functions.context import Context
from functions.crypto import TokenDecryptError
from functions.domain import Link, LinkStatus
from functions.errors import ApiError, Conflict
from functions.services import event_removal, push
from functions.services.linking import GoogleSession
from functions.services.setup import require_resource

log = logging.getLogger(__name__)


def revoke(ctx: Context, caller: Caller, b: str, r: str, *, remove_events: bool) -> dict[str, Any]:
    v.ident(b, "branch_id")
    v.ident(r, "resource_id")
    authorize(caller, Action.MANAGE_LINK, b, r)
    require_resource(ctx, b, r)
    link = ctx.store.get_link(b, r)
    if link.status == LinkStatus.REVOKED:
        if remove_events:
            raise Conflict("already_revoked", "already_revoked")
        return {"status": "revoked"}
    if link.status == LinkStatus.NONE:
        raise Conflict("not_linked", "not_linked")
    removed = _remove_events(ctx, caller, link) if remove_events else None
    at_google = False
    push.stop_for(ctx, link, ctx.now())  # with the grant, before it is revoked
    if link.sealed_refresh_token:
        try:
            token = ctx.cipher.decrypt(link.sealed_refresh_token, link.link_id)
            at_google = google_oauth.revoke(ctx.settings, token)
        except TokenDecryptError:
            log.error("stored token does not decrypt; forgetting it", extra={"link": link.link_id})
    previous_calendar = link.google_calendar_id
    link.status, link.sealed_refresh_token, link.granted_scopes = LinkStatus.REVOKED, None, []
    link.google_calendar_id, link.clearing, link.items_of = None, None, None
    link.google_calendar_name, link.consumer_confirmation = None, None
    link.reset_sync()
    link.last_error = None if at_google else i18n.stored("revocation_unconfirmed")
    ctx.store.take_over_link(b, r)  # a run still working on this link writes nothing more
    ctx.store.forget_sync_items(b, r)
    ctx.store.save_link(link)
    counted = {} if removed is None else {"events_removed": removed}
    ctx.store.audit(b, r, caller.sub, caller.role, "revoked",
                    {"revoked_at_google": at_google, "calendar_id": previous_calendar, **counted})
    return {"status": "revoked", **counted}


def _remove_events(ctx: Context, caller: Caller, link: Link) -> int:
    """Delete the bridge's events from the linked calendar with the grant (before it is revoked);
    the number deleted. Audited with counts only."""
    b, r = link.branch_id, link.resource_id
    if link.status == LinkStatus.NEEDS_RECONSENT or not link.sealed_refresh_token:
        raise Conflict("needs_reconsent", "needs_reconsent_to_remove")
    calendar_id = link.google_calendar_id
    if not calendar_id:  # consented, no calendar chosen: the bridge wrote nothing
        return 0
    ctx.store.take_over_link(b, r)  # a run still working on this link writes nothing more
    # forgotten first: a run after a failed removal writes the missing events again, and never
    # takes them for the phone's deletions (which would delete the appointments in the planner)
    ctx.store.forget_sync_items(b, r)
    try:
        with GoogleSession(ctx, caller, link) as api:
            removed = event_removal.remove_our_events(api, calendar_id)
    except event_removal.RemovalIncomplete as exc:
        _resume(ctx, b, r)
        ctx.store.audit(b, r, caller.sub, caller.role, "events_removal_failed",
                        {"calendar_id": calendar_id, "removed": exc.removed, "remaining": exc.remaining})
        log.warning("removing the bridge's events failed part-way; the consent is kept",
                    extra={"link": link.link_id, "removed": exc.removed})
        raise ApiError("events_not_removed", "events_not_removed", 503, removed=exc.removed) from exc
    except BaseException:
        _resume(ctx, b, r)
        raise
    ctx.store.audit(b, r, caller.sub, caller.role, "events_removed",
                    {"calendar_id": calendar_id, "removed": removed})
    return removed


def _resume(ctx: Context, b: str, r: str) -> None:
    """Give the lease back after a failed removal; the next run lists both sides completely."""
    ctx.store.update_link(b, r, {"lease_owner": None, "lease_until": None, "full_sync_next": True})
