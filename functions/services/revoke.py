"""Withdraw consent: stop the push channels, revoke at Google, forget the tokens, stop syncing.
The calendar is left as is."""

from __future__ import annotations

import logging
from typing import Any

from functions import validation as v
from functions.adapters import google_oauth
from functions.auth import Action, Caller, authorize
from functions.context import Context
from functions.crypto import TokenDecryptError
from functions.domain import LinkStatus
from functions.errors import Conflict
from functions.services import push
from functions.services.setup import require_resource

log = logging.getLogger(__name__)


def revoke(ctx: Context, caller: Caller, b: str, r: str) -> dict[str, Any]:
    v.ident(b, "branch_id")
    v.ident(r, "resource_id")
    authorize(caller, Action.MANAGE_LINK, b, r)
    require_resource(ctx, b, r)
    link = ctx.store.get_link(b, r)
    if link.status == LinkStatus.REVOKED:
        return {"status": "revoked"}
    if link.status == LinkStatus.NONE:
        raise Conflict("not_linked", "This resource has no Google consent to withdraw.")
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
    link.google_calendar_name = None
    link.reset_sync()
    link.last_error = None if at_google else "Google could not confirm the revocation; the tokens " \
        "were forgotten here. Remove the app under myaccount.google.com → Security if needed."
    ctx.store.take_over_link(b, r)  # a run still working on this link writes nothing more
    ctx.store.forget_sync_items(b, r)
    ctx.store.save_link(link)
    ctx.store.audit(b, r, caller.sub, caller.role, "revoked",
                    {"revoked_at_google": at_google, "calendar_id": previous_calendar})
    return {"status": "revoked"}
