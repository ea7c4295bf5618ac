"""Consent: start (state + PKCE + consent URL) and the callback (exchange, store, page).

The state is random, single-use, bound to branch, resource and the user who started it, and
expires after 10 minutes (checked here; `expires_at` is also the Firestore TTL field). The PKCE
verifier is stored encrypted next to it. The refresh token is stored encrypted (crypto.py).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from functions.adapters import google_oauth
from functions.adapters.firestore_store import StateError
from functions.adapters.google_calendar import CalendarApi, GoogleUnavailable, GrantDead, credentials
from functions.auth import Action, Caller, authorize
from functions.context import Context
from functions.domain import Link, LinkStatus
from functions.errors import Conflict
from functions.services.setup import require_branch, require_resource

log = logging.getLogger(__name__)
STATE_TTL = timedelta(minutes=10)


def start(ctx: Context, caller: Caller, branch_id: str, resource_id: str) -> str:
    authorize(caller, Action.MANAGE_LINK, branch_id, resource_id)
    branch = require_branch(ctx, branch_id)
    require_resource(ctx, branch_id, resource_id)
    if not branch.google_sync_enabled:
        raise Conflict("sync_disabled", "Sync with Google Calendar is switched off for this branch.")
    state = secrets.token_urlsafe(32)
    url, verifier = google_oauth.authorization_url(ctx.settings, ctx.oauth_client, state)
    ctx.store.create_state(state, {
        "branch_id": branch_id, "resource_id": resource_id, "sub": caller.sub, "role": caller.role,
        "verifier": ctx.cipher.encrypt(verifier, _state_aad(state)),
    }, expires_at=ctx.now() + STATE_TTL)
    return url


@dataclass(frozen=True)
class CallbackOutcome:
    page: str      # a key of pages.TEXTS
    status: int


def callback(ctx: Context, state: str | None, code: str | None, error: str | None) -> CallbackOutcome:
    if not state:
        return CallbackOutcome("invalid_state", 400)
    try:
        bound = ctx.store.consume_state(state)
    except StateError as exc:
        return CallbackOutcome({"used": "used_state", "expired": "expired_state"}.get(
            exc.reason, "invalid_state"), 400)
    b, r = bound["branch_id"], bound["resource_id"]
    if error or not code:
        ctx.store.audit(b, r, bound["sub"], bound["role"], "consent_denied", {"error": error or "no_code"})
        return CallbackOutcome("denied", 403)
    verifier = ctx.cipher.decrypt(bound["verifier"], _state_aad(state))
    try:
        grant = google_oauth.exchange(ctx.settings, ctx.oauth_client, code, verifier)
    except google_oauth.ExchangeFailed as exc:
        log.warning("code exchange failed", extra={"link": f"{b}:{r}", "reason": str(exc)})
        return CallbackOutcome("exchange_failed", 400)
    if not grant.complete:
        google_oauth.revoke(ctx.settings, grant.refresh_token)
        ctx.store.audit(b, r, bound["sub"], bound["role"], "consent_incomplete",
                        {"granted_scopes": list(grant.granted_scopes)})
        return CallbackOutcome("partial", 400)
    branch = ctx.store.get_branch(b)
    if branch is None or not branch.google_sync_enabled:
        google_oauth.revoke(ctx.settings, grant.refresh_token)
        return CallbackOutcome("sync_disabled", 409)
    try:
        email = _account_email(ctx, grant)
    except (GrantDead, GoogleUnavailable):
        google_oauth.revoke(ctx.settings, grant.refresh_token)
        return CallbackOutcome("unavailable", 400)  # the user can simply start again
    _store_grant(ctx, b, r, bound, grant, email)
    return CallbackOutcome("success", 200)


def _account_email(ctx: Context, grant: google_oauth.Grant) -> str:
    """The account's primary calendar id, which is its email address."""
    api = CalendarApi(ctx.settings, credentials(ctx.settings, ctx.oauth_client, grant.refresh_token,
                                                grant.access_token))
    primary = next((c for c in api.calendar_list() if c.get("primary")), None)
    if primary is None:
        raise GoogleUnavailable("no primary calendar in the calendar list")
    return primary["id"]


def _store_grant(ctx: Context, b: str, r: str, bound: dict, grant: google_oauth.Grant, email: str) -> None:
    previous = ctx.store.get_link(b, r)
    link = Link(b, r, LinkStatus.CONSENTED, account_email=email,
                granted_scopes=list(grant.granted_scopes),
                sealed_refresh_token=ctx.cipher.encrypt(grant.refresh_token, f"{b}:{r}"),
                items_of=_items_kept(previous, email))
    ctx.store.take_over_link(b, r)  # a run still working with the old grant writes nothing more
    if link.items_of is None:
        ctx.store.forget_sync_items(b, r)
    ctx.store.save_link(link)
    ctx.store.audit(b, r, bound["sub"], bound["role"], "consent_granted", {"account": email})
    if previous.sealed_refresh_token:  # a re-consent: don't leave the old grant alive at Google
        try:
            google_oauth.revoke(ctx.settings, ctx.cipher.decrypt(previous.sealed_refresh_token, f"{b}:{r}"))
        except Exception:  # best effort; the old token is forgotten either way
            log.warning("could not revoke the previous grant", extra={"link": f"{b}:{r}"})


def _items_kept(previous: Link, email: str) -> dict[str, str] | None:
    """Which account and calendar the kept item states describe, when the same account consents
    again (after `needs_reconsent`, say); None when there is nothing to keep or the account
    changed. Linking that calendar again then keeps them (linking.link)."""
    if previous.account_email != email:
        return None
    if previous.google_calendar_id:
        return {"account_email": email, "google_calendar_id": previous.google_calendar_id}
    return previous.items_of


def _state_aad(state: str) -> str:
    return "state:" + hashlib.sha256(state.encode()).hexdigest()
