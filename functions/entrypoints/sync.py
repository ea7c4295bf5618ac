"""`sync`: called by Cloud Scheduler every minute (or by the planner for one link).

With a queue (`SYNC_QUEUE`), the scheduled call dispatches: the links due now get one Cloud
Task each (`services/dispatch.py`). Without one, and for `{branch_id, resource_id}`, it syncs
right here."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from functions import validation as v
from functions.auth import Action, authenticate_sync, authorize
from functions.config import get_secrets, get_settings
from functions.context import get_context
from functions.errors import BadRequest
from functions.http import Router, json_body
from functions.services import dispatch
from functions.sync.engine import Engine

routes = Router("sync")


@functions_framework.http
def sync(request: flask.Request) -> flask.Response:
    return routes(request)


@routes.route("POST", "/")
def run(request: flask.Request) -> dict[str, Any]:
    settings = get_settings()
    caller = authenticate_sync(request.headers.get("Authorization"), get_secrets().jwt_key(), settings)
    body = json_body(request)
    if not body and settings.tasks.queue is not None:  # the scheduled call: queue the due links
        authorize(caller, Action.SYNC, "*")
        ctx = get_context()
        return dispatch.dispatch(ctx, ctx.now())
    v.only_keys(body, {"branch_id", "resource_id", "force"})
    branch_id = v.ident(body["branch_id"], "branch_id") if "branch_id" in body else None
    resource_id = v.ident(body["resource_id"], "resource_id") if "resource_id" in body else None
    force = v.flag(body, "force", default=False)
    if (resource_id or force) and not branch_id:
        raise BadRequest("missing_field", "branch_id_needed")
    if force and not resource_id:
        raise BadRequest("missing_field", "force_needs_resource")
    authorize(caller, Action.SYNC, branch_id or "*", resource_id)
    return Engine(get_context()).run(branch_id, resource_id, force=force).to_api()
