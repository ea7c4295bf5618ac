"""HTTP plumbing shared by the entry points: routing, JSON in/out, auth, error mapping.

Every answer that is not 2xx is `{"error": {"code", "message"}}`. Anything a caller can send
ends in a 4xx; a 500 means a bug or a misconfiguration, is logged, and says nothing inside.
The message is in the request's language (functions/i18n.py: `Accept-Language`, else the
branch's language, else German), named by `Content-Language`; the `code` is the same in every
language. An error answered before its service read the branch (a field refused first) takes
the language of the branch in its path.
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

from functions import i18n, logs
from functions.auth import Caller, authenticate
from functions.config import ConfigError, get_secrets, get_settings
from functions.context import get_context
from functions.errors import ApiError, BadRequest
from functions.validation import ID_RE, is_text

log = logging.getLogger("functions.http")
MAX_BODY = 256 * 1024
MAX_DEPTH = 16  # the API's deepest body has 2 levels ({"new_calendar": {"summary"}})
_READ_SIZE = 64 * 1024
_WITHIN_LIMIT = "functions.body_within_limit"  # in the environ once the body was read: did it fit?


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    return flask.Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json",
                          headers={"Cache-Control": "no-store", **(headers or {})})


def error_response(code: str, msg: str, status: int, headers: dict[str, str] | None = None,
                   **params: Any) -> flask.Response:
    """The error answer of `code` with the catalog's message `msg` in the request's language."""
    return _error_answer(code, i18n.Message(msg, params), status, headers or {})


def _error_answer(code: str, message: i18n.Message, status: int,
                  headers: dict[str, str]) -> flask.Response:
    lang = i18n.language()
    return json_response({"error": {"code": code, "message": message.render(lang)}}, status,
                         {**headers, "Content-Language": lang})


class BodyTooLarge(ApiError):
    status = 413

    def __init__(self) -> None:
        super().__init__("body_too_large", "body_too_large", max_kib=MAX_BODY // 1024)


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
        raise BadRequest("invalid_body", "body_cut_short") from None
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
        raise BadRequest("invalid_json", "json_invalid") from None
    if not isinstance(body, dict):
        raise BadRequest("invalid_body", "json_not_object")
    _check_values(body)
    return body


def _too_deep() -> BadRequest:
    return BadRequest("invalid_json", "json_too_deep", max_depth=MAX_DEPTH)


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
                    raise BadRequest("invalid_field", "field_name_not_text")
                place = f"{where}.{key}" if where else key
            else:
                place = f"{where}[{key}]"
            if isinstance(item, str):
                if not is_text(item):
                    raise BadRequest("invalid_field", "field_surrogate", field=place)
                if isinstance(key, str) and key.lower() in logs.SENSITIVE_KEYS:
                    logs.sensitive(item)
            elif isinstance(item, dict | list):
                pending.append((place, item, depth + 1))


def framework_not_found(_error: HTTPException) -> flask.Response:
    """functions_framework's own 404, given before any function runs: a path its router cannot
    match (one with a line break, `%0A`), `/robots.txt`, `/favicon.ico`. The envelope too."""
    token = i18n.begin(flask.request.headers.get("Accept-Language"))
    try:
        return _bounded(flask.request, error_response("not_found", "no_such_path", 404))
    finally:
        i18n.end(token)


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
        token = i18n.begin(request.headers.get("Accept-Language"))
        try:
            return self._run(request)
        finally:
            i18n.end(token)

    def _run(self, request: flask.Request) -> flask.Response:
        args: dict[str, Any] = {}
        try:
            settings = get_settings()
            logs.begin_request(request.headers.get("X-Cloud-Trace-Context"), settings.project)
            adapter = self._map.bind("function", path_info=request.path or "/")
            try:
                endpoint, args = adapter.match(method=request.method)
            except MethodNotAllowed as exc:
                allowed = ", ".join(sorted(exc.valid_methods or ()))
                raise ApiError("method_not_allowed", "method_not_allowed", 405, headers={"Allow": allowed},
                               method=request.method, allowed=allowed) from None
            except HTTPException:
                raise ApiError("not_found", "no_such_path_in", 404, function=self.name) from None
            result = self._handlers[endpoint](request, **args)
            if isinstance(result, flask.Response):
                return result
            if result is None:
                return flask.Response(status=204)
            return json_response(result)
        except ApiError as err:
            if err.status not in (401, 403):
                _path_branch_language(args)
            return _error_answer(err.code, err.msg, err.status, err.headers)
        except ConfigError as err:
            log.critical("configuration error: %s", err)
            return error_response("misconfigured", "misconfigured", 500)
        except Exception:
            log.exception("unhandled error in %s", self.name)
            return error_response("internal", "internal", 500)


def _path_branch_language(args: dict[str, Any]) -> None:
    """Without a header and before its service read the branch, an error takes the language of
    the branch in the request's path (one read; none when the branch id is not valid)."""
    branch_id = args.get("branch_id", args.get("b"))
    if i18n.decided() or not isinstance(branch_id, str) or not ID_RE.fullmatch(branch_id):
        return
    try:
        branch = get_context().store.get_branch(branch_id)
    except Exception:  # the answer goes out in the default language
        log.warning("the branch's language could not be read for an error answer")
        return
    if branch is not None:
        i18n.use_branch(branch.language)
