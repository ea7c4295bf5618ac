"""Route registry shared by the emulator's modules.

Calendar API handlers register with `api_route` and go through the API pipeline (token check,
rate limit, fault injection, request counters); browser/OAuth/control handlers register with
`web_route` and get the raw request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from werkzeug.datastructures import Headers, MultiDict

if TYPE_CHECKING:
    from devtools.google_emulator.state import EmulatorState, Principal

Kind = Literal["read", "write"]


@dataclass
class ApiCall:
    """One Calendar API call, from a plain HTTP request or from a part of a batch."""

    state: EmulatorState
    principal: Principal
    method: str
    path: str
    args: dict[str, str]
    query: MultiDict
    headers: Headers
    raw_body: bytes = b""

    def json_body(self) -> dict[str, Any]:
        from devtools.google_emulator.errors import invalid

        if not self.raw_body.strip():
            return {}
        try:
            body = json.loads(self.raw_body)
        except ValueError as exc:
            raise invalid(f"Parse Error: {exc}", reason="parseError") from exc
        if not isinstance(body, dict):
            raise invalid("Parse Error: the body must be a JSON object", reason="parseError")
        return body


@dataclass
class ApiResult:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


ApiHandler = Callable[[ApiCall], "ApiResult | dict[str, Any]"]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    rule: str  # werkzeug rule, relative to the server root, e.g. /calendar/v3/calendars/<calendar_id>
    kind: Kind
    handler: ApiHandler


@dataclass(frozen=True)
class WebRoute:
    methods: tuple[str, ...]
    rule: str
    handler: Callable[..., Any]  # (state, request, **url_args) -> werkzeug Response


API_ROUTES: list[ApiRoute] = []
WEB_ROUTES: list[WebRoute] = []


def api_route(method: str, rule: str, kind: Kind) -> Callable[[ApiHandler], ApiHandler]:
    def register(fn: ApiHandler) -> ApiHandler:
        API_ROUTES.append(ApiRoute(method, rule, kind, fn))
        return fn

    return register


def web_route(methods: str | tuple[str, ...], rule: str) -> Callable:
    def register(fn: Callable) -> Callable:
        ms = (methods,) if isinstance(methods, str) else methods
        WEB_ROUTES.append(WebRoute(ms, rule, fn))
        return fn

    return register
