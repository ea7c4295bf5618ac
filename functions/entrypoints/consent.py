"""`oauth_start` (planner UI → our begin URL), `oauth_callback/begin` (cookie, → Google) and
`oauth_callback` (Google → our page)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from functions import pages
from functions import validation as v
from functions.config import Settings
from functions.context import get_context
from functions.http import Router, caller_of, json_body
from functions.services import consent

start_routes = Router("oauth_start")
callback_routes = Router("oauth_callback")
COOKIE = "consent-browser"
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


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


def cookie_name(settings: Settings) -> str:
    """`__Host-` (Secure, host-only, Path=/) where the functions are served over https; on a
    plain-http loopback run the same cookie without the prefix and Secure, which browsers
    do not all accept on http://localhost (README, "Setting up a link")."""
    return ("__Host-" if _https(settings) else "") + COOKIE


def _https(settings: Settings) -> bool:
    return settings.public_base_url.startswith("https://")


@callback_routes.route("GET", "/begin")
def begin(request: flask.Request) -> flask.Response:
    ctx = get_context()
    name = cookie_name(ctx.settings)
    outcome = consent.begin(ctx, request.args.get("state"), request.cookies.get(name))
    if isinstance(outcome, consent.CallbackOutcome):
        return _page(request, outcome)
    answer = flask.Response(status=302, headers={"Location": outcome.consent_url, **PAGE_HEADERS})
    answer.set_cookie(name, outcome.browser_secret, max_age=int(consent.STATE_TTL.total_seconds()),
                      path="/", secure=_https(ctx.settings), httponly=True, samesite="Lax")
    return answer


@callback_routes.route("GET", "/")
def callback(request: flask.Request) -> flask.Response:
    ctx = get_context()
    args = request.args
    name = cookie_name(ctx.settings)
    secret = request.cookies.get(name)
    outcome = consent.callback(ctx, args.get("state"), args.get("code"), args.get("error"), secret)
    answer = _page(request, outcome)
    if outcome.page == "success" and secret:
        # the cookie lives as long as the success is kept, so a reload later still shows it
        answer.set_cookie(name, secret, max_age=int(consent.REPLAY_TTL.total_seconds()),
                          path="/", secure=_https(ctx.settings), httponly=True, samesite="Lax")
    return answer


def _page(request: flask.Request, outcome: consent.CallbackOutcome) -> flask.Response:
    lang = pages.choose_language(request.headers.get("Accept-Language"))
    return flask.Response(pages.render(outcome.page, lang, outcome.details), status=outcome.status,
                          mimetype="text/html", headers={**PAGE_HEADERS, "Content-Language": lang})
