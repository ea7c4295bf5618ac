"""`planner`: branches and resources (and, with the sync, appointments)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from functions.context import get_context
from functions.http import Router, caller_of, json_body
from functions.services import appointments, setup

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


@routes.route("PUT", "/branches/<branch_id>/appointments/<appointment_id>")
def put_appointment(request: flask.Request, branch_id: str, appointment_id: str) -> dict[str, Any]:
    return appointments.put(get_context(), caller_of(request), branch_id, appointment_id,
                            json_body(request))


@routes.route("GET", "/branches/<branch_id>/appointments/<appointment_id>")
def get_appointment(request: flask.Request, branch_id: str, appointment_id: str) -> dict[str, Any]:
    return appointments.get(get_context(), caller_of(request), branch_id, appointment_id)


@routes.route("DELETE", "/branches/<branch_id>/appointments/<appointment_id>")
def delete_appointment(request: flask.Request, branch_id: str, appointment_id: str) -> None:
    appointments.delete(get_context(), caller_of(request), branch_id, appointment_id)


@routes.route("GET", "/branches/<branch_id>/changes")
def get_changes(request: flask.Request, branch_id: str) -> dict[str, Any]:
    return appointments.changes(get_context(), caller_of(request), branch_id,
                                request.args.get("cursor"), request.args.get("limit"))
