"""Change-driven sync: which links get a task, and what a task's run answers Cloud Tasks.

  Cloud Scheduler (every minute) → `sync` → `dispatch`: the links whose backstop minute has come
                                   (one indexed query) get a poll task each
  planner PUT/DELETE             → `link_changed`: that link's task, debounced
  Cloud Tasks                    → `sync_link` → `run_task`: one link's sync; 2xx ends the task,
                                   429/503 make the queue retry it with backoff
The queue's rate limits are the quota governor (Terraform sets them from the Calendar quota).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from functions.adapters.cloud_tasks import LinkQueue
from functions.context import Context
from functions.domain import LinkStatus
from functions.errors import ApiError
from functions.sync import schedule
from functions.sync.engine import Engine, LinkOutcome

log = logging.getLogger(__name__)
SYNCING = (LinkStatus.LINKED, LinkStatus.THROTTLED)


def dispatch(ctx: Context, now: datetime) -> dict[str, Any]:
    """Queue a poll task for every link of an enabled branch whose backstop minute is now."""
    tasks = ctx.settings.tasks
    due = ctx.store.links_in_buckets(schedule.due_buckets(now, tasks.poll_minutes))
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


def run_task(ctx: Context, branch_id: str, resource_id: str) -> dict[str, Any]:
    """One link's sync for its task. The answer tells Cloud Tasks what to do next: 2xx ends the
    task (done, idle, or a state no retry can change: needs_reconsent, calendar_missing, a
    branch switched off); 429 (usage limit) and 503 (Google or a part of the run failed, or
    another run holds the link) ask for a retry with the queue's backoff."""
    summary = Engine(ctx).run(branch_id, resource_id)
    if not summary.outcomes:  # not syncing (any more): nothing to retry
        return {"status": "not_syncing"}
    outcome: LinkOutcome = summary.outcomes[0]
    if outcome.status == LinkStatus.THROTTLED and outcome.failed:
        raise ApiError("throttled", "Google's calendar usage limit was reached; retry later.", 429)
    if outcome.blocked:  # a mass change held back: an admin decides, a retry would not
        return {"status": "blocked", **summary.to_api()}
    if outcome.skipped:
        raise ApiError("busy", "Another run is syncing this link; retry shortly.", 503)
    if outcome.failed and outcome.status == LinkStatus.LINKED:
        raise ApiError("retry", "Part of the sync did not go through; retry later.", 503)
    return {"status": outcome.status, **summary.to_api()}


def backfill_buckets(ctx: Context) -> int:
    """Give links saved before the dispatcher existed their `poll_bucket` (once, after the
    upgrade: `python -m functions.services.dispatch --backfill`); idempotent."""
    done = 0
    for snap in ctx.store.db.collection("links").stream():
        if snap.to_dict().get("poll_bucket") is None:
            snap.reference.update({"poll_bucket": schedule.poll_bucket(snap.id)})
            done += 1
    return done


if __name__ == "__main__":
    import sys

    from functions.context import get_context

    if sys.argv[1:] != ["--backfill"]:
        sys.exit("usage: python -m functions.services.dispatch --backfill")
    print(f"links given their backstop minute: {backfill_buckets(get_context())}")
