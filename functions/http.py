"""HTTP plumbing shared by the entry points: routing, JSON in/out, auth, error mapping.

Every answer that is not 2xx is `{"error": {"code", "message"}}`. Anything a caller can send
ends in a 4xx; a 500 means a bug or a misconfiguration, is logged, and says nothing inside.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule

from functions import logs
from functions.auth import Caller, authenticate
from functions.config import ConfigError, get_secrets, get_settings
from functions.errors import ApiError, BadRequest

log = logging.getLogger("functions.http")
MAX_BODY = 256 * 1024


def json_response(body: Any, status: int = 200) -> flask.Response:
    return flask.Response(json.dumps(body, ensure_ascii=False), status=status,
                          mimetype="application/json", headers={"Cache-Control": "no-store"})


def error_response(code: str, message: str, status: int) -> flask.Response:
    return json_response({"error": {"code": code, "message": message}}, status)


def json_body(request: flask.Request) -> dict[str, Any]:
    if request.content_length and request.content_length > MAX_BODY:
        raise ApiError("body_too_large", "The request body is too large.", 413)
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("invalid_body", "The request body must be a JSON object.")
    return body


def caller_of(request: flask.Request) -> Caller:
    return authenticate(request.headers.get("Authorization"), get_secrets().jwt_key())


Handler = Callable[..., Any]


class Router:
    """Routes of one function, relative to its own root (Cloud Functions strips its name)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._map = Map(strict_slashes=False, merge_slashes=False)
        self._handlers: dict[str, Handler] = {}

    def route(self, method: str, rule: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            endpoint = f"{method} {rule}"
            self._map.add(Rule(rule, methods=[method], endpoint=endpoint))
            self._handlers[endpoint] = fn
            return fn

        return register

    def __call__(self, request: flask.Request) -> flask.Response:
        """The Cloud Function itself."""
        logs.configure_logging()
        try:
            settings = get_settings()
            logs.begin_request(request.headers.get("X-Cloud-Trace-Context"), settings.project)
            adapter = self._map.bind("function", path_info=request.path or "/")
            try:
                endpoint, args = adapter.match(method=request.method)
            except MethodNotAllowed:
                raise ApiError("method_not_allowed", f"{request.method} is not allowed here.", 405) from None
            except HTTPException:
                raise ApiError("not_found", f"No such path in function {self.name}.", 404) from None
            result = self._handlers[endpoint](request, **args)
            if isinstance(result, flask.Response):
                return result
            if result is None:
                return flask.Response(status=204)
            return json_response(result)
        except ApiError as err:
            return error_response(err.code, err.message, err.status)
        except ConfigError as err:
            log.critical("configuration error: %s", err)
            return error_response("misconfigured", "The service is not configured correctly.", 500)
        except Exception:
            log.exception("unhandled error in %s", self.name)
            return error_response("internal", "Internal error.", 500)
