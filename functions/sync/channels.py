"""Push channels: when a link opens, renews, stops or gives up its channel. Pure, no I/O.

Google has no renew call: a channel lives until its `expiration` (events.watch asks for a ttl,
Google may give less) or until it is stopped. So the bridge opens a new channel once the old one
is past `renew_fraction` of its life, then stops the old one. A channel counts as *healthy*
(the link's `push`, which moves its backstop to the long interval) once its `sync` notification
proved that Google reaches the webhook, and until it is renewed. Decisions:

  link state                        | channel                      | upkeep
  not syncing, grant gone (needs_reconsent, revoked, calendar_missing, consented, none)
                                    | any                          | ABANDON (no call to Google:
                                    |                              | the channel expires by itself)
  throttled                         | any                          | KEEP (no calls while paused)
  linked, push off or branch off    | one                          | STOP
  linked, push on                   | none                         | WATCH
                                    | past renew_at                | RENEW
                                    | notifications went missing   | RENEW
                                    | unconfirmed after a grace    | RENEW (its `sync` got lost)
                                    | otherwise                    | KEEP
WATCH and RENEW wait until `retry_at` after a refused watch, so a webhook Google refuses costs
one request an hour, not one per poll.

*Notifications went missing*: a backstop poll (not a change or push task) of a link whose
channel was healthy found Google-side changes that were not our own writes (they pulled
something into the planner, or met a planner change as a conflict). Had every notification
arrived, a push task would have synced them before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from functions.sync.schedule import POLL

CHANNEL_ID = re.compile(r"[0-9a-f]{32}")     # the ids the bridge gives its channels (uuid4 hex)
UNCONFIRMED_GRACE = timedelta(minutes=30)  # a channel whose `sync` never came is opened anew
RETRY_AFTER_REFUSAL = timedelta(hours=1)   # after Google refused a watch


class Upkeep(StrEnum):
    KEEP = "keep"
    WATCH = "watch"
    RENEW = "renew"
    STOP = "stop"
    ABANDON = "abandon"


@dataclass(frozen=True)
class ChannelView:
    """What the link records of its current channel."""

    opened_at: datetime
    expires_at: datetime
    confirmed: bool  # its `sync` (or any) notification arrived with the right token


@dataclass(frozen=True)
class LinkView:
    """What the upkeep decision needs to know of the link after its run."""

    syncing: bool        # linked or throttled
    throttled: bool
    wanted: bool         # push is configured, the link is linked and its branch syncs
    channel: ChannelView | None
    retry_at: datetime | None = None
    missed: bool = False  # notifications went missing (see `notifications_missed`)


def renew_at(opened_at: datetime, expires_at: datetime, fraction: float) -> datetime:
    """When a channel is replaced: at `fraction` of its life (never after it expires)."""
    if not 0 < fraction <= 1:
        raise ValueError("the renewal fraction is in (0, 1]")
    life = max(expires_at - opened_at, timedelta(0))
    return opened_at + life * fraction


def healthy(channel: ChannelView | None, now: datetime, fraction: float) -> bool:
    """A confirmed channel before its renewal time: the link may poll at the long interval."""
    return (channel is not None and channel.confirmed
            and now < renew_at(channel.opened_at, channel.expires_at, fraction))


def decide(link: LinkView, now: datetime, fraction: float) -> Upkeep:
    """What to do with the link's channel at the end of its run (table in the module doc)."""
    if not link.syncing:
        return Upkeep.ABANDON if link.channel is not None else Upkeep.KEEP
    if link.throttled:
        return Upkeep.KEEP
    if not link.wanted:
        return Upkeep.STOP if link.channel is not None else Upkeep.KEEP
    if link.retry_at is not None and now < link.retry_at:
        return Upkeep.KEEP
    channel = link.channel
    if channel is None:
        return Upkeep.WATCH
    if link.missed or now >= renew_at(channel.opened_at, channel.expires_at, fraction):
        return Upkeep.RENEW
    if not channel.confirmed and now - channel.opened_at >= UNCONFIRMED_GRACE:
        return Upkeep.RENEW
    return Upkeep.KEEP


def notifications_missed(reason: str, push_was_active: bool, pulled: int, conflicts: int) -> bool:
    """A backstop poll of a link with a healthy channel found Google-side changes of someone
    else (our own writes' echoes pull nothing and meet no conflict)."""
    return reason == POLL and push_was_active and (pulled > 0 or conflicts > 0)


def token_hash(token: str) -> str:
    """Channel tokens are stored by hash: a database reader cannot forge notifications."""
    return hashlib.sha256(("channel:" + token).encode()).hexdigest()


def token_matches(token: str | None, stored_hash: str) -> bool:
    """Constant-time comparison of a notification's token with the stored hash."""
    return hmac.compare_digest(token_hash(token or ""), stored_hash)
