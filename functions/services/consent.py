"""Consent: start (state + PKCE), begin (bind to the browser, on to Google) and the callback.

The state is random, single-use, bound to branch, resource and the user who started it, and
expires after 10 minutes (checked here; `expires_at` is also the Firestore TTL field). The PKCE
verifier is stored encrypted next to it. The refresh token is stored encrypted (crypto.py).

The consent is bound to the browser that begins it (OAuth 2.0 Security BCP, RFC 9700 §4.7.1):
`start` answers our own begin URL, not Google's; `begin` gives the browser a random secret in an
HttpOnly cookie, stores its hash with the state and only then sends the browser on to Google;
`callback` refuses, before any code exchange, a consent finished without that cookie. So
Google's consent page, passed on to someone else, cannot put their Google account on this
resource. A begin URL passed on before it was opened is the one way left (the planner opens it
at once): hence the success page names the branch, the resource and the account.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from functions.adapters import google_oauth
from functions.adapters.firestore_store import StateError
from functions.adapters.google_calendar import CalendarApi, GoogleUnavailable, GrantDead, credentials
from functions.auth import Action, Caller, authorize
from functions.context import Context
from functions.domain import Link, LinkStatus
from functions.errors import Conflict
from functions.services import push
from functions.services.setup import require_branch, require_resource

log = logging.getLogger(__name__)
STATE_TTL = timedelta(minutes=10)
REPLAY_TTL = timedelta(hours=1)      # how long a reload of the success page shows it again
REPLAY_WAIT = timedelta(seconds=10)  # a reload waits this long for the first request's outcome
IN_FLIGHT = timedelta(minutes=1)     # a first request without an outcome after this has died
REPLAY_POLL_SECONDS = 0.25
STATE_PAGES = {"used": "used_state", "expired": "expired_state"}
BROWSER_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) gives


def start(ctx: Context, caller: Caller, branch_id: str, resource_id: str) -> str:
    """Our begin URL for the consent (the browser must open it; it goes on to Google)."""
    authorize(caller, Action.MANAGE_LINK, branch_id, resource_id)
    branch = require_branch(ctx, branch_id)
    require_resource(ctx, branch_id, resource_id)
    if not branch.google_sync_enabled:
        raise Conflict("sync_disabled", "sync_disabled")
    state = secrets.token_urlsafe(32)
    ctx.store.create_state(state, {
        "branch_id": branch_id, "resource_id": resource_id, "sub": caller.sub, "role": caller.role,
        "verifier": ctx.cipher.encrypt(google_oauth.new_code_verifier(), _state_aad(state)),
    }, expires_at=ctx.now() + STATE_TTL)
    return f"{ctx.settings.redirect_uri}/begin?{urlencode({'state': state})}"


@dataclass(frozen=True)
class CallbackOutcome:
    page: str      # a key of pages.TEXTS
    status: int
    details: dict[str, str] | None = None  # success: the branch, resource and account linked


@dataclass(frozen=True)
class Begun:
    consent_url: str      # Google's consent page
    browser_secret: str   # the cookie's value: this browser, and only it, may finish the consent


def begin(ctx: Context, state: str | None, browser_secret: str | None) -> Begun | CallbackOutcome:
    """Bind the consent to this browser (its cookie, made here unless it has a valid one)."""
    if not state:
        return CallbackOutcome("invalid_state", 400)
    if browser_secret is None or not BROWSER_SECRET.fullmatch(browser_secret):
        browser_secret = secrets.token_urlsafe(32)
    try:
        bound = ctx.store.begin_state(state, _browser_hash(browser_secret))
    except StateError as exc:
        return CallbackOutcome(STATE_PAGES.get(exc.reason, "invalid_state"), 400)
    verifier = ctx.cipher.decrypt(bound["verifier"], _state_aad(state))
    return Begun(google_oauth.authorization_url(ctx.settings, ctx.oauth_client, state, verifier),
                 browser_secret)


def callback(ctx: Context, state: str | None, code: str | None, error: str | None,
             browser_secret: str | None = None) -> CallbackOutcome:
    if not state:
        return CallbackOutcome("invalid_state", 400)
    browser = _browser_hash(browser_secret) if browser_secret else None
    try:
        bound = ctx.store.consume_state(state, browser)
    except StateError as exc:
        return _refused(ctx, state, browser, exc)
    outcome = _finish(ctx, state, bound, code, error)
    # What this page said, for a reload of it in this browser (`_replay`); a success is kept
    # longer than the state's 10 minutes (the window may stay open a while).
    ctx.store.record_state_outcome(
        state, {"page": outcome.page, "status": outcome.status, "details": outcome.details},
        keep_until=ctx.now() + REPLAY_TTL if outcome.page == "success" else None)
    return outcome


def _finish(ctx: Context, state: str, bound: dict, code: str | None, error: str | None) -> CallbackOutcome:
    """The consent after its state was used up here: the code exchange and the grant."""
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
    resource = ctx.store.get_resource(b, r)
    details = {"branch": branch.name or b, "resource": (resource.name if resource else "") or r,
               "account": email}
    return CallbackOutcome("success", 200, details)


def _refused(ctx: Context, state: str, browser: str | None, exc: StateError) -> CallbackOutcome:
    """The page for a state that cannot be used (again) here."""
    if exc.reason == "used":
        replay = _replay(ctx, state, browser)
        if replay is not None:
            return replay
    if exc.reason == "other_browser" and exc.bound is not None:
        bound = exc.bound
        ctx.store.audit(bound["branch_id"], bound["resource_id"], bound["sub"], bound["role"],
                        "consent_refused", {"reason": "other_browser"})
        log.warning("consent finished in another browser than it began in; refused",
                    extra={"link": f"{bound['branch_id']}:{bound['resource_id']}"})
        return CallbackOutcome("other_browser", 403)
    return CallbackOutcome(STATE_PAGES.get(exc.reason, "invalid_state"), 400)


def _replay(ctx: Context, state: str, browser: str | None) -> CallbackOutcome | None:
    """A reload, in the browser that finished the consent, of its page: the same page again
    (None for any other browser: "used"). A reload that comes while the first request is still
    at work (a slow code exchange) waits for its outcome, and after REPLAY_WAIT answers a page
    that reloads itself, never a false "already used"; a first request that died long ago
    (no outcome after IN_FLIGHT) left nothing to show: "used"."""
    deadline = time.monotonic() + REPLAY_WAIT.total_seconds()
    while True:
        replay = ctx.store.replayed_outcome(state, browser)
        if replay is None:
            return None
        if replay.get("page") != "pending":  # the page recorded by the first request (callback)
            page, status = replay["page"], int(replay["status"])
            return CallbackOutcome(page, status, replay.get("details"))
        used_at = replay.get("used_at")
        if used_at is not None and ctx.now() - used_at > IN_FLIGHT:
            return None
        if time.monotonic() >= deadline:
            return CallbackOutcome("in_progress", 202)
        time.sleep(REPLAY_POLL_SECONDS)


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
                items_of=_items_kept(previous, email), consented_at=ctx.now(),
                # a consumer account's confirmation holds for that account only (sync/privacy.py)
                consumer_confirmation=previous.consumer_confirmation
                if previous.account_email == email else None)
    push.stop_for(ctx, previous, ctx.now())  # the old grant's channels, while it still works
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


def _browser_hash(secret: str) -> str:
    return hashlib.sha256(("browser:" + secret).encode()).hexdigest()
