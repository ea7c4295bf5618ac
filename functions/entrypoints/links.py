"""`links` (status, calendar choice, audit, the branch's health, mass-change decisions) and `revoke`."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from functions import validation as v
from functions.context import get_context
from functions.http import Router, caller_of, json_body
from functions.services import link_health, linking
from functions.services import revoke as revoking

link_routes = Router("links")
revoke_routes = Router("revoke")


@functions_framework.http
def links(request: flask.Request) -> flask.Response:
    return link_routes(request)


@functions_framework.http
def revoke(request: flask.Request) -> flask.Response:
    return revoke_routes(request)


@link_routes.route("GET", "/<b>")
def get_health(request: flask.Request, b: str) -> dict[str, Any]:
    return link_health.overview(get_context(), caller_of(request), b)


@link_routes.route("GET", "/<b>/<r>/mass-change")
def get_mass_change(request: flask.Request, b: str, r: str) -> dict[str, Any]:
    return link_health.mass_change(get_context(), caller_of(request), b, r)


@link_routes.route("POST", "/<b>/<r>/mass-change")
def post_mass_change(request: flask.Request, b: str, r: str) -> dict[str, Any]:
    caller = caller_of(request)
    return link_health.decide(get_context(), caller, b, r, json_body(request))


@link_routes.route("GET", "/<b>/<r>")
def get_status(request: flask.Request, b: str, r: str) -> dict[str, Any]:
    return linking.status(get_context(), caller_of(request), b, r)


@link_routes.route("GET", "/<b>/<r>/calendars")
def get_calendars(request: flask.Request, b: str, r: str) -> dict[str, Any]:
    return linking.calendars(get_context(), caller_of(request), b, r)


@link_routes.route("GET", "/<b>/<r>/preview")
def get_preview(request: flask.Request, b: str, r: str) -> dict[str, Any]:
    return linking.preview(get_context(), caller_of(request), b, r, request.args.get("calendar_id"))


@link_routes.route("GET", "/<b>/<r>/audit")
def get_audit(request: flask.Request, b: str, r: str) -> dict[str, Any]:
    return linking.audit(get_context(), caller_of(request), b, r)


@link_routes.route("POST", "/<b>/<r>")
def post_link(request: flask.Request, b: str, r: str) -> dict[str, Any]:
    caller = caller_of(request)
    return linking.link(get_context(), caller, b, r, json_body(request))


@revoke_routes.route("POST", "/")
def post_revoke(request: flask.Request) -> dict[str, Any]:
    caller = caller_of(request)
    body = json_body(request)
    v.only_keys(body, {"branch_id", "resource_id", "remove_events"})
    remove = v.flag(body, "remove_events", default=False)
    return revoking.revoke(get_context(), caller, body.get("branch_id"), body.get("resource_id"),
                           remove_events=remove)
