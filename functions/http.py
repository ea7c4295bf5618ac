"""HTTP plumbing shared by the entry points: routing, JSON in/out, auth, error mapping.

Every answer that is not 2xx is `{"error": {"code", "message"}}`. Anything a caller can send
ends in a 4xx; a 500 means a bug or a misconfiguration, is logged, and says nothing inside.
A JSON body is held to limits before any service sees it: at most `MAX_BODY` bytes read (also
without a Content-Length, i.e. chunked), at most `MAX_DEPTH` levels of nesting, and text only
(no lone surrogate such as "\\ud800", which no store can hold and no answer can carry).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import flask
from werkzeug.exceptions import ClientDisconnected, HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from functions import logs
from functions.auth import Caller, authenticate
from functions.config import ConfigError, get_secrets, get_settings
from functions.errors import ApiError, BadRequest
from functions.validation import is_text

log = logging.getLogger("functions.http")
MAX_BODY = 256 * 1024
MAX_DEPTH = 16  # the API's deepest body has 2 levels ({"new_calendar": {"summary"}})
_READ_SIZE = 64 * 1024
_WITHIN_LIMIT = "functions.body_within_limit"  # in the environ once the body was read: did it fit?


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    return flask.Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json",
                          headers={"Cache-Control": "no-store", **(headers or {})})


def error_response(code: str, message: str, status: int,
                   headers: dict[str, str] | None = None) -> flask.Response:
    return json_response({"error": {"code": code, "message": message}}, status, headers)


class BodyTooLarge(ApiError):
    status = 413

    def __init__(self) -> None:
        super().__init__("body_too_large", f"The request body is larger than {MAX_BODY // 1024} KiB.")


def read_body(request: flask.Request) -> bytes:
    """The body, reading never more than `MAX_BODY` + 1 bytes of it: a Content-Length over the
    limit is refused unread; a body without one (chunked) is refused once it passes the limit."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        request.environ[_WITHIN_LIMIT] = False
        raise BodyTooLarge()
    raw = _read_at_most_limit(request)
    request.environ[_WITHIN_LIMIT] = len(raw) <= MAX_BODY
    if len(raw) > MAX_BODY:
        raise BodyTooLarge()
    return raw


def _read_at_most_limit(request: flask.Request) -> bytes:
    chunks, size = [], 0
    try:
        while size <= MAX_BODY:
            chunk = request.stream.read(min(_READ_SIZE, MAX_BODY + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except ClientDisconnected:
        raise BadRequest("invalid_body", "The request body ended before its Content-Length.") from None
    return b"".join(chunks)


def _bounded(request: flask.Request, response: flask.Response) -> flask.Response:
    """functions_framework reads what is left of the body after every answer that is not
    streamed. Whatever the function answered, no more than the limit is read: the rest of a
    body that is larger (declared, or chunked and found so) stays unread, and the answer goes
    out streamed, which the framework leaves alone."""
    within = request.environ.get(_WITHIN_LIMIT)
    if within is None:  # the function did not read the body (a 401, a 404, a GET)
        if request.content_length is not None:
            within = request.content_length <= MAX_BODY
        else:
            try:
                within = len(_read_at_most_limit(request)) <= MAX_BODY
            except (BadRequest, OSError):  # cut short: nothing more to read anyway
                within = False
    if not within and not response.is_streamed:
        response.response = iter([response.get_data()])
    return response


def json_body(request: flask.Request) -> dict[str, Any]:
    raw = read_body(request)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("invalid_body", "The request body must be a JSON object.")
    _check_values(body)
    return body


def _too_deep() -> BadRequest:
    return BadRequest("invalid_json", f"The request body is nested too deeply (at most {MAX_DEPTH} levels).")


def _check_values(body: dict[str, Any]) -> None:
    """Refuse nesting beyond `MAX_DEPTH` and strings that are not text (lone surrogates); declare
    the values of sensitive fields (an appointment's title, notes, ...) for the log redaction,
    so that even a request that fails never logs them."""
    pending: list[tuple[str, Any, int]] = [("", body, 1)]
    while pending:
        where, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                if not is_text(key):
                    raise BadRequest("invalid_field", "A field name is not valid Unicode text (it holds "
                                                      "a lone surrogate such as \\ud800).")
                place = f"{where}.{key}" if where else key
            else:
                place = f"{where}[{key}]"
            if isinstance(item, str):
                if not is_text(item):
                    raise BadRequest("invalid_field", f"'{place}' must be valid Unicode text (it holds a "
                                                      "lone surrogate such as \\ud800).")
                if isinstance(key, str) and key.lower() in logs.SENSITIVE_KEYS:
                    logs.sensitive(item)
            elif isinstance(item, dict | list):
                pending.append((place, item, depth + 1))


def framework_not_found(_error: HTTPException) -> flask.Response:
    """functions_framework's own 404, given before any function runs: a path its router cannot
    match (one with a line break, `%0A`), `/robots.txt`, `/favicon.ico`. The envelope too."""
    return _bounded(flask.request, error_response("not_found", "No such path.", 404))


def install_framework_errors() -> None:
    """Called by main.py: functions_framework loads it inside the app it is building, whose own
    answers then use the envelope. Imported anywhere else (a test, a tool), it does nothing."""
    if flask.has_app_context():
        flask.current_app.register_error_handler(NotFound, framework_not_found)


def caller_of(request: flask.Request) -> Caller:
    return authenticate(request.headers.get("Authorization"), get_secrets().jwt_key(),
                        get_settings().planner_token)


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
        return _bounded(request, self._answer(request))

    def _answer(self, request: flask.Request) -> flask.Response:
        logs.configure_logging()
        try:
            settings = get_settings()
            logs.begin_request(request.headers.get("X-Cloud-Trace-Context"), settings.project)
            adapter = self._map.bind("function", path_info=request.path or "/")
            try:
                endpoint, args = adapter.match(method=request.method)
            except MethodNotAllowed as exc:
                allowed = ", ".join(sorted(exc.valid_methods or ()))
                raise ApiError("method_not_allowed", f"{request.method} is not allowed here; use {allowed}.",
                               405, headers={"Allow": allowed}) from None
            except HTTPException:
                raise ApiError("not_found", f"No such path in function {self.name}.", 404) from None
            result = self._handlers[endpoint](request, **args)
            if isinstance(result, flask.Response):
                return result
            if result is None:
                return flask.Response(status=204)
            return json_response(result)
        except ApiError as err:
            return error_response(err.code, err.message, err.status, err.headers)
        except ConfigError as err:
            log.critical("configuration error: %s", err)
            return error_response("misconfigured", "The service is not configured correctly.", 500)
        except Exception:
            log.exception("unhandled error in %s", self.name)
            return error_response("internal", "Internal error.", 500)
