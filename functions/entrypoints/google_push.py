"""`google_push`: the webhook Google posts push notifications to (public: each channel's own
token is the gate; services/notifications.py). The body is empty; everything is in headers."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from functions.context import get_context
from functions.errors import BadRequest
from functions.http import Router
from functions.services import notifications

routes = Router("google_push")
REQUIRED = ("X-Goog-Channel-ID", "X-Goog-Resource-ID", "X-Goog-Resource-State", "X-Goog-Message-Number")
MAX_HEADER = 1024


@functions_framework.http
def google_push(request: flask.Request) -> flask.Response:
    return routes(request)


def _header(request: flask.Request, name: str) -> str:
    value = request.headers.get(name, "").strip()
    if not value:
        raise BadRequest("missing_header", "header_missing", header=name)
    if len(value) > MAX_HEADER:
        raise BadRequest("invalid_header", "header_too_long", header=name, max_len=MAX_HEADER)
    return value


@routes.route("POST", "/")
def notify(request: flask.Request) -> dict[str, Any]:
    channel_id, resource_id, state, number = (_header(request, name) for name in REQUIRED)
    if not number.isascii() or not number.isdigit():
        raise BadRequest("invalid_header", "message_number_invalid")
    token = request.headers.get("X-Goog-Channel-Token")
    note = notifications.Notification(channel_id, token, resource_id, state.lower(), int(number))
    return notifications.receive(get_context(), note)
