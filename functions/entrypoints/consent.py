"""`oauth_start` (planner UI → consent URL) and `oauth_callback` (Google → our page)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from functions import pages
from functions import validation as v
from functions.context import get_context
from functions.http import Router, caller_of, json_body
from functions.services import consent

start_routes = Router("oauth_start")
callback_routes = Router("oauth_callback")


@functions_framework.http
def oauth_start(request: flask.Request) -> flask.Response:
    return start_routes(request)


@functions_framework.http
def oauth_callback(request: flask.Request) -> flask.Response:
    return callback_routes(request)


@start_routes.route("POST", "/")
def start(request: flask.Request) -> dict[str, Any]:
    caller = caller_of(request)
    body = json_body(request)
    v.only_keys(body, {"branch_id", "resource_id"})
    b = v.ident(body.get("branch_id"), "branch_id")
    r = v.ident(body.get("resource_id"), "resource_id")
    return {"authorization_url": consent.start(get_context(), caller, b, r)}


@callback_routes.route("GET", "/")
def callback(request: flask.Request) -> flask.Response:
    lang = pages.choose_language(request.headers.get("Accept-Language"))
    args = request.args
    outcome = consent.callback(get_context(), args.get("state"), args.get("code"), args.get("error"))
    return flask.Response(pages.render(outcome.page, lang), status=outcome.status,
                          mimetype="text/html", headers={
                              "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                              "Content-Language": lang, "X-Frame-Options": "DENY"})
