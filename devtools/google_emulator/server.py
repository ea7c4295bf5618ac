"""The emulator's WSGI app, the API pipeline and a threaded loopback server."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from devtools.google_emulator import (  # noqa: F401  (register routes)
    batch,
    calendar_api,
    control,
    id_tokens,
    oauth_web,
    push_api,
)
from devtools.google_emulator.errors import GoogleApiError
from devtools.google_emulator.http_server import LOG as HTTP_LOG
from devtools.google_emulator.http_server import NEW_CONNECTION, KeepAliveServer
from devtools.google_emulator.routing import API_ROUTES, WEB_ROUTES, ApiCall, ApiResult
from devtools.google_emulator.state import EmulatorState

API_PREFIXES = ("/calendar/", "/batch/")
CONTROL_PREFIX = "/_emulator/"
_request = threading.local()  # .in_batch: this thread is serving the batch endpoint


def _build_maps() -> tuple[Map, Map]:
    api = Map([Rule(r.rule, methods=[r.method], endpoint=i) for i, r in enumerate(API_ROUTES)],
              merge_slashes=False, strict_slashes=False)
    web = Map([Rule(r.rule, methods=list(r.methods), endpoint=i) for i, r in enumerate(WEB_ROUTES)],
              merge_slashes=False, strict_slashes=False)
    return api, web


def handle_api_call(state: EmulatorState, method: str, path: str, query: MultiDict,
                    headers: Headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Run one Calendar API call through auth, rate limit, faults, counters and its handler.

    Used for plain HTTP requests and for each part of a batch request alike, so that every
    call in a batch is checked and counted on its own, as Google does.
    """
    if getattr(_request, "in_batch", False):
        with state.lock:
            state.faults.count_batch_part()
    try:
        result = _run_call(state, method, path, query, headers, body)
    except GoogleApiError as err:
        return _error(err)
    except Exception:  # a bug in a handler: still Google's envelope, and a loud log line
        HTTP_LOG.exception("emulator handler failed: %s %s", method, path)
        return _error(GoogleApiError(500, "backendError", "Backend Error"))
    hdrs = dict(result.headers)
    if result.body is None:
        return result.status, hdrs, b""
    hdrs.setdefault("Content-Type", "application/json; charset=UTF-8")
    return result.status, hdrs, json.dumps(result.body).encode()


def _run_call(state: EmulatorState, method: str, path: str, query: MultiDict, headers: Headers,
              body: bytes) -> ApiResult:
    api_map, _ = state_maps(state)
    try:
        endpoint, args = api_map.bind("localhost").match(path, method=method)
    except MethodNotAllowed:
        raise GoogleApiError(405, "httpMethodNotAllowed", "Method not allowed") from None
    except (NotFound, HTTPException):
        raise GoogleApiError(404, "notFound", "Not Found") from None
    route = API_ROUTES[endpoint]
    principal = state.oauth.authenticate(headers)
    call = ApiCall(state, principal, method, path, args, query, headers, body)
    with state.lock:
        state.faults.count(call, route.kind)
        state.faults.check_rate_limit(principal)
        fault = state.faults.take_fault(call, route.kind)
        if fault is not None and not fault.ghost:
            raise fault.error()
        result = route.handler(call)
        if fault is not None and fault.ghost:  # the write happened; its answer is lost
            raise fault.error()
    return result if isinstance(result, ApiResult) else ApiResult(200, result)


def _error(err: GoogleApiError) -> tuple[int, dict[str, str], bytes]:
    hdrs = {"Content-Type": "application/json; charset=UTF-8", **err.headers}
    if err.code == 401:
        hdrs["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
    return err.code, hdrs, json.dumps(err.body()).encode()


_MAPS: dict[int, tuple[Map, Map]] = {}


def state_maps(_state: EmulatorState) -> tuple[Map, Map]:
    if not _MAPS:
        _MAPS[0] = _build_maps()
    return _MAPS[0]


def create_app(state: EmulatorState | None = None) -> Any:
    """A WSGI app over `state` (a fresh one with the default accounts when None)."""
    if state is None:
        state = EmulatorState()
        state.reset()

    @Request.application
    def app(request: Request) -> Response:
        if request.environ.get(NEW_CONNECTION) and not request.path.startswith(CONTROL_PREFIX):
            state.faults.count_connection()
        if request.path.startswith(API_PREFIXES):
            return _api_request(state, request)
        return _dispatch(state, request)

    app.state = state  # type: ignore[attr-defined]
    return app


def _api_request(state: EmulatorState, request: Request) -> Response:
    """A Calendar or batch HTTP request: counted once, delayed by the emulated round trip.

    The delay is slept outside the state lock, half on the way in and half on the way out, so
    concurrent requests overlap as on a real network and the emulator's own (serialized) work
    does not line every request of a burst up behind it. The first request on a connection
    also pays one round trip for the TCP handshake (TLS would add another against Google).
    """
    new_connection = bool(request.environ.get(NEW_CONNECTION))
    state.faults.count_http()
    delay = state.faults.latency_ms / 2000.0
    if delay > 0:
        time.sleep(delay * (3 if new_connection else 1))
    _request.in_batch = request.path.startswith("/batch/")
    try:
        return _dispatch(state, request)
    finally:
        _request.in_batch = False
        if delay > 0:
            time.sleep(delay)


def _dispatch(state: EmulatorState, request: Request) -> Response:
    """A web route (OAuth, control, batch) if one matches, else the Calendar API pipeline."""
    _, web_map = state_maps(state)
    adapter = web_map.bind_to_environ(request.environ)
    try:
        endpoint, args = adapter.match()
    except HTTPException:
        endpoint = None
    if endpoint is not None:
        return WEB_ROUTES[endpoint].handler(state, request, **args)
    status, headers, body = handle_api_call(
        state, request.method, request.path, request.args, request.headers, request.get_data())
    return Response(body, status=status, headers=headers)


class EmulatorServer:
    """The emulator on a loopback port in a background thread (for tests and `make run`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: EmulatorState | None = None) -> None:
        self.app = create_app(state)
        self.state: EmulatorState = self.app.state
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the emulator only listens on loopback")
        self._server = KeepAliveServer(host, port, self.app)
        self.host, self.port = host, self._server.server_port
        self.state.push.root = self.root  # resourceUri of new channels names this emulator
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="google-emulator")

    @property
    def root(self) -> str:
        """GOOGLE_API_ROOT for this emulator, with the trailing slash."""
        return f"http://{self.host}:{self.port}/"

    def start(self) -> EmulatorServer:
        self._thread.start()
        return self

    def drop_connections(self) -> None:
        """Close every kept-alive connection (Google closes idle ones after a few minutes)."""
        self._server.drop_connections()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.state.push.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
