"""Change-driven sync: which links get a task, and what a task's run answers Cloud Tasks.

  Cloud Scheduler (every minute) → `sync` → `dispatch`: the links whose backstop minute has come
                                   (two indexed queries: `poll_bucket` at SYNC_POLL_MINUTES, and
                                   `push_bucket`, links with a healthy push channel, at
                                   SYNC_PUSH_POLL_MINUTES) get a poll task each
  planner PUT/DELETE, a new link → `link_changed`: that link's task, debounced
  Google's push notification     → `google_push` (services/notifications.py): the link's task
  Cloud Tasks                    → `sync_link` → `run_task`: one link's sync, then its push
                                   channel's upkeep (services/push.py); 2xx ends the task,
                                   429/503 make the queue retry it with backoff
The queue's rate limits are the quota governor (Terraform sets them from the Calendar quota).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from functions.adapters.channel_store import ChannelStore
from functions.adapters.cloud_tasks import LinkQueue
from functions.context import Context
from functions.domain import LinkStatus
from functions.errors import ApiError
from functions.services import push
from functions.sync import channels, schedule
from functions.sync.engine import Engine, LinkOutcome

log = logging.getLogger(__name__)
SYNCING = (LinkStatus.LINKED, LinkStatus.THROTTLED)


def dispatch(ctx: Context, now: datetime) -> dict[str, Any]:
    """Queue a poll task for every link of an enabled branch whose backstop minute is now."""
    tasks, push_settings = ctx.settings.tasks, ctx.settings.push
    # With push off, a link still marked healthy (push switched off since) polls normally.
    push_minutes = push_settings.poll_minutes if push_settings.enabled else tasks.poll_minutes
    found = ctx.store.links_in_buckets(schedule.due_buckets(now, tasks.poll_minutes))
    found += ctx.store.links_in_buckets(schedule.due_buckets(now, push_minutes), "push_bucket")
    due = list({link.link_id: link for link in found}.values())
    enabled = {b.branch_id for b in ctx.store.syncing_branches()} if due else set()
    jobs = [(link.branch_id, link.resource_id, schedule.poll_task(link.link_id, now))
            for link in due if link.status in SYNCING and link.branch_id in enabled]
    queued, known = LinkQueue(ctx.settings).enqueue_many(jobs)
    return {"dispatched": queued, "already_queued": known}


def link_changed(ctx: Context, branch_id: str, resource_ids: set[str], now: datetime) -> None:
    """A planner write: queue the sync of every syncing link among these resources, debounced.
    Best effort: if Cloud Tasks cannot be reached, the backstop poll brings the change."""
    if ctx.settings.tasks.queue is None:
        return
    queue = LinkQueue(ctx.settings)
    for resource_id in sorted(resource_ids):
        link = ctx.store.get_link(branch_id, resource_id)
        if link.status not in SYNCING:
            continue
        slot = schedule.change_task(link.link_id, now, ctx.settings.tasks.debounce_seconds)
        try:
            queue.enqueue(branch_id, resource_id, slot)
        except Exception:  # never fail the planner's write over its notification
            log.warning("could not queue the link's sync; the backstop poll will bring it",
                        extra={"link": link.link_id})


def run_task(ctx: Context, branch_id: str, resource_id: str, reason: str = schedule.CHANGE,
             channel_id: str | None = None) -> dict[str, Any]:
    """One link's sync for its task. The answer tells Cloud Tasks what to do next: 2xx ends the
    task (done, idle, or a state no retry can change: needs_reconsent, calendar_missing, a
    branch switched off); 429 (usage limit) and 503 (Google or a part of the run failed, or
    another run holds the link) ask for a retry with the queue's backoff. `reason`: why the
    task runs (poll, change, push); a push task first moves its channel to the next round, so
    notifications from now on queue a new task (theirs may come after this run's listing)."""
    if reason == schedule.PUSH and channel_id is not None:
        ChannelStore(ctx.store.db).next_round(channel_id)
    summary = Engine(ctx).run(branch_id, resource_id)
    _channel_upkeep(ctx, branch_id, resource_id, reason, summary.outcomes[0] if summary.outcomes else None)
    if not summary.outcomes:  # not syncing (any more): nothing to retry
        return {"status": "not_syncing"}
    outcome: LinkOutcome = summary.outcomes[0]
    if outcome.status == LinkStatus.THROTTLED and outcome.failed:
        raise ApiError("throttled", "throttled_retry", 429)
    if outcome.blocked:  # a mass change held back: an admin decides, a retry would not
        return {"status": "blocked", **summary.to_api()}
    if outcome.skipped:
        raise ApiError("busy", "link_busy", 503)
    if outcome.failed and outcome.status == LinkStatus.LINKED:
        raise ApiError("retry", "sync_incomplete", 503)
    return {"status": outcome.status, **summary.to_api()}


def _channel_upkeep(ctx: Context, branch_id: str, resource_id: str, reason: str,
                    outcome: LinkOutcome | None) -> None:
    """The link's push channel after its run (services/push.py); never fails the task. Not
    after a run that did not get through (another run holds the link, Google failed): the
    retry, or that other run, sees to it."""
    if outcome is not None and (outcome.skipped or (outcome.failed and outcome.status == LinkStatus.LINKED)):
        return
    try:
        # the link as the run read it (no second read on the hot path), its status as the run
        # left it; read only when the run did not look at the link (not syncing any more)
        if outcome is not None and outcome.link is not None:
            link = replace(outcome.link, status=LinkStatus(outcome.status))
        else:
            link = ctx.store.get_link(branch_id, resource_id)
        if not link.channel_id and not ctx.settings.push.enabled:
            return
        missed = outcome is not None and channels.notifications_missed(
            reason, link.push, outcome.pulled, outcome.conflicts)
        push.upkeep(ctx, link, synced=outcome is not None, missed=missed,
                    now=ctx.now())
    except Exception:
        log.exception("push channel upkeep failed; the link is polled at its interval",
                      extra={"link": f"{branch_id}:{resource_id}"})


def backfill_buckets(ctx: Context) -> int:
    """Give links saved before the dispatcher existed their `poll_bucket` (once, after the
    upgrade: `python -m functions.services.dispatch --backfill`); idempotent."""
    done = 0
    for snap in ctx.store.db.collection("links").stream():
        data = snap.to_dict()
        if data.get("poll_bucket") is None and data.get("push_bucket") is None:
            snap.reference.update({"poll_bucket": schedule.poll_bucket(snap.id)})
            done += 1
    return done


if __name__ == "__main__":
    import sys

    from functions.context import get_context

    if sys.argv[1:] != ["--backfill"]:
        sys.exit("usage: python -m functions.services.dispatch --backfill")
    print(f"links given their backstop minute: {backfill_buckets(get_context())}")
