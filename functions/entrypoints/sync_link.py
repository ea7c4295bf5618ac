"""`sync_link`: Cloud Tasks' worker, one link's sync per task (private: the queue's OIDC token)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from functions import validation as v
from functions.auth import authenticate_task
from functions.config import get_settings
from functions.context import get_context
from functions.errors import BadRequest
from functions.http import Router, json_body
from functions.services import dispatch
from functions.sync import channels, schedule

routes = Router("sync_link")


@functions_framework.http
def sync_link(request: flask.Request) -> flask.Response:
    return routes(request)


@routes.route("POST", "/")
def run(request: flask.Request) -> dict[str, Any]:
    authenticate_task(request.headers.get("Authorization"), get_settings())
    body = json_body(request)
    v.only_keys(body, {"branch_id", "resource_id", "reason", "channel_id"})
    branch_id = v.ident(body.get("branch_id"), "branch_id")
    resource_id = v.ident(body.get("resource_id"), "resource_id")
    # a task queued by an older version carries no reason: a change (never a missed notification)
    reason = v.choice(body, "reason", schedule.REASONS, default=schedule.CHANGE)
    channel_id = body.get("channel_id")
    if channel_id is not None and (not isinstance(channel_id, str)
                                   or not channels.CHANNEL_ID.fullmatch(channel_id)):
        raise BadRequest("invalid_field", "channel_id_invalid")
    return dispatch.run_task(get_context(), branch_id, resource_id, reason, channel_id)
