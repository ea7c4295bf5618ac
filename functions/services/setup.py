"""Branches and resources: the planner's side of the setup (`planner` function)."""

from __future__ import annotations

from typing import Any

from functions import i18n
from functions import validation as v
from functions.auth import Action, Caller, authorize
from functions.context import Context
from functions.domain import (
    CONFLICT_POLICIES,
    DEFAULT_PRIVACY,
    LANGUAGES,
    PRIVACY_LEVELS,
    RESOURCE_KINDS,
    Branch,
    LinkStatus,
    Resource,
)
from functions.errors import BadRequest, NotFound
from functions.services import consumer_accounts, dispatch
from functions.sync import privacy


def require_branch(ctx: Context, branch_id: str) -> Branch:
    """The branch, or 404; its language is the request's from now on (unless a header chose)."""
    branch = ctx.store.get_branch(branch_id)
    if branch is None:
        raise NotFound("branch_missing", branch_id=branch_id)
    i18n.use_branch(branch.language)
    return branch


def require_resource(ctx: Context, branch_id: str, resource_id: str) -> Resource:
    resource = ctx.store.get_resource(branch_id, resource_id)
    if resource is None:
        raise NotFound("resource_missing", branch_id=branch_id, resource_id=resource_id)
    return resource


def put_branch(ctx: Context, caller: Caller, branch_id: str, body: dict[str, Any]) -> dict[str, Any]:
    v.ident(branch_id, "branch_id")
    authorize(caller, Action.MANAGE_BRANCH, branch_id)
    v.only_keys(body, {"timezone", "google_sync_enabled", "name", "conflict_policy", "language"})
    if "name" in body and body["name"] is None:  # else stored as "" (v.text: no value, no default)
        raise BadRequest("invalid_field", "field_not_empty_text", field="name")
    existing = ctx.store.get_branch(branch_id)
    if existing is not None:
        i18n.use_branch(existing.language)
    branch = Branch(
        branch_id=branch_id,
        name=v.text(body, "name", required=False, default=existing.name if existing else branch_id) or "",
        timezone=v.timezone(body),
        google_sync_enabled=v.flag(body, "google_sync_enabled"),
        conflict_policy=v.choice(body, "conflict_policy", CONFLICT_POLICIES,
                                 default=existing.conflict_policy if existing else "planner_wins"),
        language=v.choice(body, "language", LANGUAGES, default=existing.language if existing else "de"),
    )
    ctx.store.put_branch(branch)
    if existing and existing.google_sync_enabled and not branch.google_sync_enabled:
        # switched off: each link's task finds the branch off and stops its push channel
        syncing = {r for r, status in ctx.store.link_statuses(branch_id).items()
                   if status in (LinkStatus.LINKED, LinkStatus.THROTTLED)}
        dispatch.link_changed(ctx, branch_id, syncing, ctx.now())
    if existing and existing.language != branch.language:
        # the busy label changes on every event of the branch: list everything next run
        for resource_id, status in ctx.store.link_statuses(branch_id).items():
            if status != LinkStatus.NONE:
                ctx.store.update_link(branch_id, resource_id, {"full_sync_next": True, "reproject": True})
    return branch.to_api()


def get_branch(ctx: Context, caller: Caller, branch_id: str) -> dict[str, Any]:
    v.ident(branch_id, "branch_id")
    authorize(caller, Action.READ_BRANCH, branch_id)
    return require_branch(ctx, branch_id).to_api()


def put_resource(ctx: Context, caller: Caller, branch_id: str, resource_id: str,
                 body: dict[str, Any]) -> dict[str, Any]:
    v.ident(branch_id, "branch_id")
    v.ident(resource_id, "resource_id")
    authorize(caller, Action.MANAGE_BRANCH, branch_id, resource_id)
    v.only_keys(body, {"name", "kind", "privacy", "confirm_consumer_account"})
    confirm = v.flag(body, "confirm_consumer_account", default=False)
    existing = ctx.store.get_resource(branch_id, resource_id)
    resource = Resource(
        branch_id, resource_id,
        name=v.text(body, "name") or "",
        kind=v.choice(body, "kind", RESOURCE_KINDS),
        # new: busy unless chosen; existing: left out keeps what it has
        privacy=v.choice(body, "privacy", PRIVACY_LEVELS,
                         default=existing.privacy if existing else DEFAULT_PRIVACY),
        google_calendar_id=existing.google_calendar_id if existing else None,
    )
    require_branch(ctx, branch_id)
    link = ctx.store.get_link(branch_id, resource_id)
    # a consumer account's calendar shows more than "Belegt" only when confirmed (409 first)
    confirmation = consumer_accounts.confirmation_for(
        ctx, caller, link, existing.privacy if existing else None, resource.privacy, confirm)
    ctx.store.put_resource(resource)
    if confirmation is not None:
        ctx.store.update_link(branch_id, resource_id, {"consumer_confirmation": confirmation})
        consumer_accounts.audit(ctx, caller, link, confirmation)
    shown_before = existing and privacy.effective(existing.privacy, link.account_email,
                                                  link.consumer_confirmation)
    shown_now = privacy.effective(resource.privacy, link.account_email,
                                  confirmation or link.consumer_confirmation)
    if existing and shown_before != shown_now and link.status != LinkStatus.NONE:
        # every event of the resource must be re-projected: list both sides completely next run
        ctx.store.update_link(branch_id, resource_id, {"full_sync_next": True})
    return resource.to_api(link.status)


def get_resource(ctx: Context, caller: Caller, branch_id: str, resource_id: str) -> dict[str, Any]:
    v.ident(branch_id, "branch_id")
    v.ident(resource_id, "resource_id")
    authorize(caller, Action.READ_RESOURCE, branch_id, resource_id)
    resource = require_resource(ctx, branch_id, resource_id)
    return resource.to_api(ctx.store.get_link(branch_id, resource_id).status)


def list_resources(ctx: Context, caller: Caller, branch_id: str) -> dict[str, Any]:
    v.ident(branch_id, "branch_id")
    authorize(caller, Action.READ_BRANCH, branch_id)
    require_branch(ctx, branch_id)
    statuses = ctx.store.link_statuses(branch_id)
    resources = sorted(ctx.store.list_resources(branch_id), key=lambda r: r.resource_id)
    return {"resources": [r.to_api(statuses.get(r.resource_id, LinkStatus.NONE)) for r in resources]}
