"""Google push channels of the links: open, renew, stop, give up (the decisions: sync/channels.py).

- **Upkeep** runs at the end of each task's run of a link (`dispatch.run_task`): no channel and
  push configured → watch; past 80 % of its life, unconfirmed for too long, or notifications went
  missing → watch a new one, then stop the old; push off or the branch switched off → stop; the
  grant gone → give the channels up (no call to Google; they expire by themselves).
- **Stopping** with the link's credentials, best effort, on revoke, a new consent and a relink
  (`stop_all`), before the link is saved anew.
The link's `push` flag (its backstop minute in `push_bucket`, the long interval) turns on when
its current channel is confirmed by a notification (`channel_store.confirm`) and off with every
stop, give-up, refusal or missed notification.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta

from functions.adapters import google_channels
from functions.adapters.channel_store import ABANDONED, STOPPED, ChannelStore
from functions.adapters.google_calendar import (
    CalendarApi,
    CalendarMissing,
    GoogleUnavailable,
    GrantDead,
    Throttled,
)
from functions.context import Context
from functions.crypto import TokenDecryptError
from functions.domain import Link, LinkStatus
from functions.sync import channels
from functions.sync.channels import ChannelView, LinkView, Upkeep
from functions.sync.engine import ACCOUNTS

log = logging.getLogger(__name__)
REFUSED = (GoogleUnavailable, GrantDead, CalendarMissing, Throttled)
NO_CHANNEL = {"channel_id": None, "channel_opened_at": None, "channel_expires_at": None,
              "channel_confirmed": False}


def _view(link: Link, wanted: bool, missed: bool) -> LinkView:
    channel = None
    if link.channel_id and link.channel_opened_at and link.channel_expires_at:
        channel = ChannelView(link.channel_opened_at, link.channel_expires_at, link.channel_confirmed)
    return LinkView(syncing=link.status in (LinkStatus.LINKED, LinkStatus.THROTTLED),
                    throttled=link.status == LinkStatus.THROTTLED, wanted=wanted, channel=channel,
                    retry_at=link.push_retry_at, missed=missed)


def upkeep(ctx: Context, link: Link, *, synced: bool, missed: bool, now: datetime) -> Upkeep:
    """The link's channel after its run (`synced`: its branch syncs and the run looked at it).
    Returns what was decided; never raises for Google's or the token's sake."""
    push = ctx.settings.push
    wanted = push.enabled and synced and link.status == LinkStatus.LINKED
    view = _view(link, wanted, missed)
    action = channels.decide(view, now, push.renew_fraction)
    store = ChannelStore(ctx.store.db)
    if missed:
        log.warning("push notifications went missing: a backstop poll found changes; the channel "
                    "is renewed", extra={"link": link.link_id})
    if action == Upkeep.ABANDON:
        abandon_all(ctx, link.link_id, now)
        store.set_link_push(link, False, NO_CHANNEL)
        return action
    if action == Upkeep.KEEP:
        # push turns on only by a confirmation; here it turns off once the channel is no
        # longer healthy (past its renewal time while a refused watch waits for its retry)
        if link.push and not channels.healthy(
                view.channel, now, push.renew_fraction):
            store.set_link_push(link, False)
        return action
    try:
        api, lock = ACCOUNTS.get(ctx, link)
    except TokenDecryptError:  # the engine marks the link needs_reconsent; the channel goes by itself
        abandon_all(ctx, link.link_id, now)
        store.set_link_push(link, False, NO_CHANNEL)
        return Upkeep.ABANDON
    with lock:
        if action == Upkeep.STOP:
            stop_all(ctx, api, link.link_id, now)
            store.set_link_push(link, False, NO_CHANNEL)
        elif action in (Upkeep.WATCH, Upkeep.RENEW):
            if missed or action == Upkeep.RENEW:
                store.set_link_push(link, False)  # the normal interval until the new one confirms
            if open_channel(ctx, api, link, now) and link.channel_id:
                _stop_one(ctx, api, link.channel_id, now)
    return action


def open_channel(ctx: Context, api: CalendarApi, link: Link, now: datetime) -> bool:
    """events.watch on the link's calendar with a fresh id and token; the new channel becomes
    the link's current one. False when Google refused it (the link then waits an hour before
    the next try, polling at the normal interval) or the link changed meanwhile."""
    push, store = ctx.settings.push, ChannelStore(ctx.store.db)
    assert push.url is not None and link.google_calendar_id is not None
    channel_id, token = uuid.uuid4().hex, secrets.token_urlsafe(32)
    store.create(channel_id, link, channels.token_hash(token), now, timedelta(seconds=push.ttl_seconds))
    try:
        opened = google_channels.watch(api, link.google_calendar_id, channel_id, token, push.url,
                                       push.ttl_seconds)
    except REFUSED as exc:
        store.end(channel_id, ABANDONED, now)
        log.warning("Google refused the push channel; the link is polled at the normal interval",
                    extra={"link": link.link_id, "reason": str(exc) or type(exc).__name__})
        store.set_link_push(link, False, {"push_retry_at": now + channels.RETRY_AFTER_REFUSAL})
        return False
    if not store.activate(channel_id, link, opened.resource_id, opened.expires_at):
        _stop_at_google(api, channel_id, opened.resource_id)
        store.end(channel_id, STOPPED, now)
        return False
    log.info("push channel opened", extra={"link": link.link_id, "channel": channel_id,
                                           "expires_at": opened.expires_at.isoformat()})
    return True


def _stop_at_google(api: CalendarApi | None, channel_id: str, resource_id: str | None) -> None:
    if api is None or not resource_id:
        return
    try:
        google_channels.stop(api, channel_id, resource_id)
    except REFUSED as exc:  # best effort: it expires by itself
        log.info("could not stop a push channel at Google; it expires by itself",
                 extra={"channel": channel_id, "reason": str(exc) or type(exc).__name__})


def _stop_one(ctx: Context, api: CalendarApi, channel_id: str, now: datetime) -> None:
    store = ChannelStore(ctx.store.db)
    doc = store.get(channel_id)
    if doc is None or doc.get("status") in (STOPPED, ABANDONED):
        return
    _stop_at_google(api, channel_id, doc.get("google_resource_id"))
    store.end(channel_id, STOPPED, now)


def stop_all(ctx: Context, api: CalendarApi | None, lid: str, now: datetime) -> int:
    """Stop every live channel of the link (at Google when `api` is given, best effort); their
    notifications are ignored from now on. The caller clears the link's channel fields."""
    store = ChannelStore(ctx.store.db)
    live = store.live_of_link(lid)
    for channel_id, doc in live:
        _stop_at_google(api, channel_id, doc.get("google_resource_id"))
        store.end(channel_id, STOPPED if api is not None else ABANDONED, now)
    return len(live)


def abandon_all(ctx: Context, lid: str, now: datetime) -> int:
    """The grant is gone: no call to Google is possible or allowed; the channels expire by
    themselves and their notifications are ignored."""
    store = ChannelStore(ctx.store.db)
    live = store.live_of_link(lid)
    for channel_id, _ in live:
        store.end(channel_id, ABANDONED, now)
    return len(live)


def stop_for(ctx: Context, link: Link, now: datetime, api: CalendarApi | None = None) -> None:
    """Before a relink, a new consent or a revoke: stop the link's channels with its current
    grant (`api`, or the link's own; best effort) and forget them on `link` (the caller saves
    it)."""
    if not ChannelStore(ctx.store.db).live_of_link(link.link_id):
        link.clear_channel()
        return
    if api is not None:
        stop_all(ctx, api, link.link_id, now)
        link.clear_channel()
        return
    lock = None
    if link.sealed_refresh_token and link.status != LinkStatus.NEEDS_RECONSENT:
        try:
            api, lock = ACCOUNTS.get(ctx, link)
        except TokenDecryptError:
            api = None
    if api is None or lock is None:
        stop_all(ctx, None, link.link_id, now)
    else:
        with lock:
            stop_all(ctx, api, link.link_id, now)
    link.clear_channel()
