"""The admin's view of a branch's links, and the decision on a held-back mass change.

- `overview`: every resource of the branch with its link's health (sync/health.py): one query
  for the links, one for the resources.
- `mass_change`: what a held-back run would delete, per side, with the planner's title where
  the planner has the appointment (staff may see it; it is declared sensitive, so no log line
  can carry it).
- `decide`: the admin of the branch (or the planner) answers it: `apply` lets the deletions
  through (a forced run), `restore` restores from the planner (the events the phone deleted are
  re-created; deletions made in the planner reach Google, sync/plan.py "Restore"). Audited.
  A link that holds nothing back answers 409 `not_blocked` and nothing runs.
"""

from __future__ import annotations

import logging
from typing import Any

from functions import logs
from functions import validation as v
from functions.adapters.appointments_store import AppointmentStore
from functions.adapters.sync_store import SyncStore
from functions.auth import Action, Caller, authorize
from functions.context import Context
from functions.domain import Link
from functions.errors import ApiError, Conflict
from functions.services.setup import require_branch, require_resource
from functions.sync import health
from functions.sync.engine import Engine

log = logging.getLogger(__name__)
DECISIONS = ("apply", "restore")


def overview(ctx: Context, caller: Caller, b: str) -> dict[str, Any]:
    v.ident(b, "branch_id")
    authorize(caller, Action.READ_BRANCH, b)
    branch = require_branch(ctx, b)
    links = ctx.store.links_of(b)
    rows = [health.health(r.resource_id, r.name, r.kind, links.get(r.resource_id) or Link(b, r.resource_id),
                          branch.google_sync_enabled)
            for r in sorted(ctx.store.list_resources(b), key=lambda r: (r.name, r.resource_id))]
    return {"branch_id": b, "branch_sync_enabled": branch.google_sync_enabled, "links": rows}


def _blocked(ctx: Context, caller: Caller, b: str, r: str) -> Link:
    v.ident(b, "branch_id")
    v.ident(r, "resource_id")
    authorize(caller, Action.DECIDE_MASS_CHANGE, b, r)
    require_resource(ctx, b, r)
    link = ctx.store.get_link(b, r)
    if not link.blocked or str(link.status) not in health.SYNCING:
        raise Conflict("not_blocked", "not_blocked")
    return link


def mass_change(ctx: Context, caller: Caller, b: str, r: str) -> dict[str, Any]:
    link = _blocked(ctx, caller, b, r)
    assert link.blocked is not None
    ids = [e["appointment_id"] for e in link.blocked.get("deletions") or []]
    appointments = AppointmentStore(ctx.store.db, b).latest(ids) if ids else {}
    for a in appointments.values():  # the titles go to the page, never into a log line
        if a is not None:
            logs.sensitive(a.title)
    states = {s.appointment_id: s for s in SyncStore(ctx.store.db).states_of(link.link_id, ids)}
    return {"branch_id": b, "resource_id": r, **health.review(link.blocked, appointments, states)}


def decide(ctx: Context, caller: Caller, b: str, r: str, body: dict[str, Any]) -> dict[str, Any]:
    v.only_keys(body, {"decision"})
    decision = v.choice(body, "decision", DECISIONS)
    link = _blocked(ctx, caller, b, r)
    assert link.blocked is not None
    if not require_branch(ctx, b).google_sync_enabled:
        raise Conflict("sync_disabled", "sync_disabled_switch_on")
    summary = Engine(ctx).run(b, r, force=decision == "apply", restore=decision == "restore")
    outcome = summary.outcomes[0] if summary.outcomes else None
    if outcome is None or outcome.skipped:
        raise ApiError("busy", "link_busy", 503)
    counts = {k: link.blocked.get(k, 0) for k in ("google_deletions", "planner_deletions", "synced_items")}
    details = {"decision": decision, **counts, "pushed": outcome.pushed, "pulled": outcome.pulled,
               "failed": outcome.failed}
    ctx.store.audit(b, r, caller.sub, caller.role, "mass_change_decided", details)
    log.info("mass change decided", extra={"link": link.link_id, "decision": decision})
    return {"decision": decision, "status": outcome.status, "pushed": outcome.pushed,
            "pulled": outcome.pulled, "failed": outcome.failed}
