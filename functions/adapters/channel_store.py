"""Firestore side of Google push channels.

  channels/{channel_id}   one push channel (events.watch) of one link:
      link_id, branch_id, resource_id, google_calendar_id, google_resource_id (Google's
      `resourceId`, known once the watch answered), token_sha256 (the channel's token, hashed),
      status opening | active | stopped | abandoned, confirmed (a notification with the right
      token arrived), round (push tasks started: names the next task, schedule.push_task),
      created_at, expires_at (Google's `expiration`), ended_at, delete_at (the TTL field:
      Firestore deletes the document after it, a day after the channel ended or expired)
A channel document is written *before* events.watch is called (status `opening`): Google sends
the `sync` notification right after the watch, possibly before the watch's answer is back, and
the webhook must know the channel by then. `activate` and `confirm` both run in transactions on
the channel document, so whichever comes second sets the link's `push` flag.
"""

from __future__ import annotations

import contextlib
import random
import time
from datetime import datetime, timedelta
from typing import Any

from google.api_core.exceptions import Aborted, NotFound
from google.cloud import firestore

from functions.adapters.firestore_store import push_fields
from functions.adapters.sync_store import SYNCING
from functions.domain import Link

OPENING, ACTIVE, STOPPED, ABANDONED = "opening", "active", "stopped", "abandoned"
LIVE = (OPENING, ACTIVE)
CONFIRM_ATTEMPTS = 8
KEEP_ENDED = timedelta(days=1)  # an ended channel's document stays this long (late notifications)


class ChannelStore:
    def __init__(self, db: firestore.Client) -> None:
        self.db = db

    def _ref(self, channel_id: str) -> firestore.DocumentReference:
        return self.db.collection("channels").document(channel_id)

    def _link(self, lid: str) -> firestore.DocumentReference:
        return self.db.collection("links").document(lid)

    def get(self, channel_id: str) -> dict[str, Any] | None:
        snap = self._ref(channel_id).get()
        return snap.to_dict() if snap.exists else None

    def live_of_link(self, lid: str) -> list[tuple[str, dict[str, Any]]]:
        """(id, document) of every channel of the link that is opening or active (a link has
        a few: the current one, and during a renewal the one it replaces)."""
        query = self.db.collection("channels").where(filter=firestore.FieldFilter("link_id", "==", lid))
        return [(s.id, d) for s in query.stream() if (d := s.to_dict()).get("status") in LIVE]

    def create(self, channel_id: str, link: Link, token_sha256: str, now: datetime, ttl: timedelta) -> None:
        self._ref(channel_id).create({
            "link_id": link.link_id, "branch_id": link.branch_id, "resource_id": link.resource_id,
            "google_calendar_id": link.google_calendar_id, "google_resource_id": None,
            "token_sha256": token_sha256, "status": OPENING, "confirmed": False, "round": 0,
            "created_at": now, "expires_at": None, "ended_at": None,
            "delete_at": now + ttl + KEEP_ENDED})

    def activate(self, channel_id: str, link: Link, google_resource_id: str, expires_at: datetime) -> bool:
        """The watch answered: the channel becomes the link's current one. False (nothing
        written) when the link changed meanwhile (relinked, revoked, not syncing) or the
        channel was stopped: the caller stops it at Google."""
        ref, link_ref = self._ref(channel_id), self._link(link.link_id)

        @firestore.transactional
        def run(tx: firestore.Transaction) -> bool:
            snap, link_snap = ref.get(transaction=tx), link_ref.get(transaction=tx)
            if not snap.exists or not link_snap.exists:
                return False
            channel, current = snap.to_dict(), link_snap.to_dict()
            if (channel["status"] != OPENING or current.get("status") not in SYNCING
                    or current.get("google_calendar_id") != channel["google_calendar_id"]):
                return False
            tx.update(ref, {"status": ACTIVE, "google_resource_id": google_resource_id,
                            "expires_at": expires_at, "delete_at": expires_at + KEEP_ENDED})
            tx.update(link_ref, {
                "channel_id": channel_id, "channel_opened_at": channel["created_at"],
                "channel_expires_at": expires_at, "channel_confirmed": channel["confirmed"],
                "push_retry_at": None, **push_fields(link.link_id, channel["confirmed"])})
            return True

        return run(self.db.transaction())

    def confirm(self, channel_id: str) -> None:
        """A notification with the right token came: the channel works. Once per channel; the
        link's `push` turns on when this is its current channel."""
        ref = self._ref(channel_id)

        @firestore.transactional
        def run(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return
            channel = snap.to_dict()
            if channel["status"] not in LIVE or channel.get("confirmed"):
                return
            link_ref = self._link(channel["link_id"])
            link_snap = link_ref.get(transaction=tx)
            tx.update(ref, {"confirmed": True})
            current = link_snap.to_dict() if link_snap.exists else {}
            if (channel["status"] == ACTIVE and current.get("channel_id") == channel_id
                    and current.get("status") in SYNCING):
                tx.update(link_ref, {"channel_confirmed": True,
                                     **push_fields(channel["link_id"], True)})

        # Google's first notification comes while `activate` may still hold its transaction on
        # the same two documents; two such transactions retrying in step lock each other out on
        # the emulator (seen in fresh-clone runs: both gave up after five attempts and push never
        # came on). This one steps aside: one attempt at a time, then a random pause.
        for attempt in range(CONFIRM_ATTEMPTS):
            try:
                run(self.db.transaction(max_attempts=1))
                return
            except (ValueError, Aborted):
                if attempt == CONFIRM_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))  # jitter, no secret

    def next_round(self, channel_id: str) -> None:
        """A push task of this channel starts: notifications from now on queue the next task."""
        with contextlib.suppress(NotFound):
            self._ref(channel_id).update({"round": firestore.Increment(1)})

    def end(self, channel_id: str, status: str, now: datetime) -> None:
        """Stopped at Google (or given up: it expires by itself); notifications are ignored."""
        with contextlib.suppress(NotFound):
            self._ref(channel_id).update({"status": status, "ended_at": now,
                                          "delete_at": now + KEEP_ENDED})

    def set_link_push(self, link: Link, active: bool, fields: dict[str, Any] | None = None,
                      *, channel_id: str | None = None) -> bool:
        """Write the link's push state (and `fields`), unless the link moved on meanwhile: its
        calendar changed, or (with `channel_id`) its current channel is another one."""
        link_ref = self._link(link.link_id)

        @firestore.transactional
        def run(tx: firestore.Transaction) -> bool:
            snap = link_ref.get(transaction=tx)
            if not snap.exists:
                return False
            current = snap.to_dict()
            if current.get("google_calendar_id") != link.google_calendar_id:
                return False
            if channel_id is not None and current.get("channel_id") != channel_id:
                return False
            tx.update(link_ref, {**(fields or {}), **push_fields(link.link_id, active)})
            return True

        return run(self.db.transaction())
