"""The Cloud Tasks v2 REST surface (what google-cloud-tasks' REST transport calls).

Requests and answers are the JSON mapping of the v2 protos (google.protobuf.json_format, as
Google's front end); errors are google.rpc.Status envelopes with Google's HTTP codes, so the
client raises what it raises against Google (409 → `Conflict`, 404 → `NotFound`, ...).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.cloud import tasks_v2
from google.protobuf import json_format
from google.protobuf.message import Message
from werkzeug.wrappers import Request, Response

from devtools.cloud_tasks_emulator.errors import ApiError, invalid
from devtools.cloud_tasks_emulator.model import PAUSED, RUNNING
from devtools.cloud_tasks_emulator.state import TasksState

_LOC = r"projects/[^/]+/locations/[^/:]+"
_QUEUE = _LOC + r"/queues/[^/:]+"
_TASK = _QUEUE + r"/tasks/[^/:]+"
# System parameters any Google REST call may carry; they are not fields of the request.
_SYSTEM_PARAMS = {"alt", "fields", "key", "prettyPrint", "quotaUser", "access_token", "callback",
                  "upload_protocol", "uploadType", "$alt", "$fields", "$prettyPrint"}
MAX_TASK_PAGE, MAX_QUEUE_PAGE = 1000, 9800

LOG = logging.getLogger("devtools.cloud_tasks_emulator")
Handler = Callable[[TasksState, Any], Message | None]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    request: type[Message]
    body: str | None
    handler: Handler


def _pb(cls: Any) -> type[Message]:
    return cls.pb()


def _page(items: list[Any], size: int, token: str, limit: int) -> tuple[list[Any], str]:
    if size < 0:
        raise invalid("page_size must not be negative.")
    size = min(size or limit, limit)
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except (ValueError, binascii.Error):
        raise invalid("Invalid page_token.") from None
    end = start + size
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else ""
    return items[start:end], next_token


def list_queues(state: TasksState, req: Any) -> Message:
    if req.filter:
        raise ApiError("UNIMPLEMENTED", "ListQueues filters are not emulated.")
    queues, token = _page(state.list_queues(req.parent), req.page_size, req.page_token, MAX_QUEUE_PAGE)
    out = _pb(tasks_v2.ListQueuesResponse)(next_page_token=token)
    out.queues.extend(queues)
    return out


def list_tasks(state: TasksState, req: Any) -> Message:
    tasks, token = _page(state.list_tasks(req.parent, req.response_view), req.page_size, req.page_token,
                         MAX_TASK_PAGE)
    out = _pb(tasks_v2.ListTasksResponse)(next_page_token=token)
    out.tasks.extend(tasks)
    return out


def _route(method: str, path: str, request: Any, body: str | None, handler: Handler) -> Route:
    return Route(method, re.compile(f"/v2/{path}"), _pb(request), body, handler)


ROUTES = [
    _route("GET", f"(?P<parent>{_LOC})/queues", tasks_v2.ListQueuesRequest, None, list_queues),
    _route("POST", f"(?P<parent>{_LOC})/queues", tasks_v2.CreateQueueRequest, "queue",
           lambda s, r: s.create_queue(r.parent, r.queue)),
    _route("GET", f"(?P<name>{_QUEUE})", tasks_v2.GetQueueRequest, None, lambda s, r: s.get_queue(r.name)),
    _route("PATCH", f"(?P<queue__name>{_QUEUE})", tasks_v2.UpdateQueueRequest, "queue",
           lambda s, r: s.update_queue(r.queue, list(r.update_mask.paths))),
    _route("DELETE", f"(?P<name>{_QUEUE})", tasks_v2.DeleteQueueRequest, None,
           lambda s, r: s.delete_queue(r.name)),
    _route("POST", f"(?P<name>{_QUEUE}):pause", tasks_v2.PauseQueueRequest, "*",
           lambda s, r: s.set_queue_state(r.name, PAUSED)),
    _route("POST", f"(?P<name>{_QUEUE}):resume", tasks_v2.ResumeQueueRequest, "*",
           lambda s, r: s.set_queue_state(r.name, RUNNING)),
    _route("POST", f"(?P<name>{_QUEUE}):purge", tasks_v2.PurgeQueueRequest, "*",
           lambda s, r: s.purge_queue(r.name)),
    _route("GET", f"(?P<parent>{_QUEUE})/tasks", tasks_v2.ListTasksRequest, None, list_tasks),
    _route("POST", f"(?P<parent>{_QUEUE})/tasks", tasks_v2.CreateTaskRequest, "*",
           lambda s, r: s.create_task(r.parent, r.task, r.response_view)),
    _route("GET", f"(?P<name>{_TASK})", tasks_v2.GetTaskRequest, None,
           lambda s, r: s.get_task(r.name, r.response_view)),
    _route("DELETE", f"(?P<name>{_TASK})", tasks_v2.DeleteTaskRequest, None,
           lambda s, r: s.delete_task(r.name)),
    _route("POST", f"(?P<name>{_TASK}):run", tasks_v2.RunTaskRequest, "*",
           lambda s, r: s.run_task(r.name, r.response_view)),
]


def _set_path(message: Any, path: list[str], value: str) -> None:
    for name in path[:-1]:
        message = getattr(message, name)
    setattr(message, path[-1], value)


def parse_request(route: Route, path_params: dict[str, str], request: Request) -> Any:
    """The request message: body (all of it, or one field), then query parameters, then the
    resource names of the path."""
    message = route.request()
    try:
        raw = request.get_data()
        if route.body is not None and raw.strip():
            try:
                data = json.loads(raw)
            except ValueError:
                raise invalid("Invalid JSON payload received.") from None
            if not isinstance(data, dict):
                raise invalid("Invalid JSON payload received: not an object.")
            json_format.ParseDict(data, message if route.body == "*" else getattr(message, route.body))
        query = {key: values[-1] for key, values in request.args.lists() if key not in _SYSTEM_PARAMS}
        if query:
            from_query = route.request()
            json_format.ParseDict(query, from_query)
            message.MergeFrom(from_query)
    except json_format.ParseError as exc:
        raise invalid(f"Invalid JSON payload received. {exc}") from None
    for key, value in path_params.items():
        _set_path(message, key.split("__"), value)
    return message


def handle(state: TasksState, request: Request) -> Response:
    try:
        for route in ROUTES:
            match = route.pattern.fullmatch(request.path)
            if match and route.method == request.method:
                result = route.handler(state, parse_request(route, match.groupdict(), request))
                body = json_format.MessageToDict(result) if result is not None else {}
                return _json(200, body)
        raise ApiError("UNIMPLEMENTED", f"{request.method} {request.path} is not emulated.")
    except ApiError as err:
        return _json(err.http_status, err.body())
    except Exception:  # a bug in the emulator: still Google's envelope, and a loud log line
        LOG.exception("Cloud Tasks emulator failed on %s %s", request.method, request.path)
        return _json(500, ApiError("INTERNAL", "Internal error in the Cloud Tasks emulator.").body())


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=UTF-8")
