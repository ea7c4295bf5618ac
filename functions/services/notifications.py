"""Google's push notifications (`google_push`): check one, queue its link's sync.

Google POSTs an empty body with headers (GOOGLE_API_NOTES.md, push): X-Goog-Channel-ID, its
X-Goog-Channel-Token, X-Goog-Resource-ID, X-Goog-Resource-State (`sync` once, right after the
watch; then `exists` for every change; `not_exists` when the resource is gone) and
X-Goog-Message-Number. The hot path (`exists`) costs one Firestore read (the channel) and one
Cloud Tasks create, and no write:
  unknown channel, stopped or given up, another resource → 200, nothing else (Google keeps
                                sending for a while after a stop, and both channels notify
                                during a renewal's overlap)
  wrong token                → 403, nothing queued (logged without the token)
  first notification         → marks the channel confirmed (once per channel: the link's push
                                is healthy from then on)
  `exists` / `not_exists`    → the link's push task, debounced (schedule.push_task)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from functions.adapters.channel_store import LIVE, ChannelStore
from functions.adapters.cloud_tasks import LinkQueue
from functions.context import Context
from functions.domain import link_id
from functions.errors import ApiError
from functions.sync import channels, schedule

log = logging.getLogger(__name__)
CHANGED = ("exists", "not_exists")


@dataclass(frozen=True)
class Notification:
    channel_id: str
    token: str | None
    resource_id: str
    state: str
    number: int


def receive(ctx: Context, note: Notification) -> dict[str, str]:
    """What the webhook answers (200 unless the token is wrong: 403; or the queue is down: 503,
    so that Google retries)."""
    if not channels.CHANNEL_ID.fullmatch(note.channel_id):
        return {"status": "ignored"}  # not an id we give: no channel of ours
    store = ChannelStore(ctx.store.db)
    channel = store.get(note.channel_id)
    if channel is None:
        return {"status": "ignored"}
    if not channels.token_matches(note.token, channel.get("token_sha256", "")):
        log.warning("push notification with a wrong channel token refused",
                    extra={"channel": note.channel_id, "link": channel.get("link_id")})
        raise ApiError("forbidden", "channel_token_mismatch", 403)
    resource = channel.get("google_resource_id")
    if channel.get("status") not in LIVE or (resource is not None and resource != note.resource_id):
        return {"status": "ignored"}
    if not channel.get("confirmed"):
        store.confirm(note.channel_id)
    if note.state not in CHANGED:
        return {"status": "confirmed" if note.state == "sync" else "ignored"}
    return {"status": _queue(ctx, note.channel_id, channel)}


def _queue(ctx: Context, channel_id: str, channel: dict) -> str:
    if ctx.settings.tasks.queue is None:  # push needs the queue; the backstop brings the change
        return "ignored"
    branch_id, resource_id = channel["branch_id"], channel["resource_id"]
    slot = schedule.push_task(link_id(branch_id, resource_id), channel_id, int(channel.get("round", 0)),
                              ctx.now(), ctx.settings.tasks.debounce_seconds)
    try:
        queued = LinkQueue(ctx.settings).enqueue(branch_id, resource_id, slot)
    except Exception:
        log.warning("could not queue the link's sync for a push notification; Google retries it",
                    extra={"link": link_id(branch_id, resource_id)})
        raise ApiError("unavailable", "sync_not_queued", 503) from None
    return "queued" if queued else "already_queued"
