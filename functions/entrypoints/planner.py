"""`planner`: branches and resources (and, with the sync, appointments)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from functions.context import get_context
from functions.http import Router, caller_of, json_body
from functions.services import setup

routes = Router("planner")


@functions_framework.http
def planner(request: flask.Request) -> flask.Response:
    return routes(request)


@routes.route("PUT", "/branches/<branch_id>")
def put_branch(request: flask.Request, branch_id: str) -> dict[str, Any]:
    return setup.put_branch(get_context(), caller_of(request), branch_id, json_body(request))


@routes.route("GET", "/branches/<branch_id>")
def get_branch(request: flask.Request, branch_id: str) -> dict[str, Any]:
    return setup.get_branch(get_context(), caller_of(request), branch_id)


@routes.route("GET", "/branches/<branch_id>/resources")
def list_resources(request: flask.Request, branch_id: str) -> dict[str, Any]:
    return setup.list_resources(get_context(), caller_of(request), branch_id)


@routes.route("PUT", "/branches/<branch_id>/resources/<resource_id>")
def put_resource(request: flask.Request, branch_id: str, resource_id: str) -> dict[str, Any]:
    return setup.put_resource(get_context(), caller_of(request), branch_id, resource_id,
                              json_body(request))


@routes.route("GET", "/branches/<branch_id>/resources/<resource_id>")
def get_resource(request: flask.Request, branch_id: str, resource_id: str) -> dict[str, Any]:
    return setup.get_resource(get_context(), caller_of(request), branch_id, resource_id)
