"""The control API for tests and demos (no auth; loopback only): `/_emulator/...`, JSON."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from werkzeug.wrappers import Request, Response

from devtools.cloud_tasks_emulator.state import TasksState


def counters(state: TasksState) -> dict[str, Any]:
    """Finished attempts per task (full name): how many, their HTTP statuses, the last outcome."""
    per_task: dict[str, dict[str, Any]] = {}
    for entry in state.dispatches():
        row = per_task.setdefault(entry["task"], {"attempts": 0, "statuses": [], "outcome": None})
        row["attempts"] += 1
        row["statuses"].append(entry["status"])
        row["outcome"] = entry["outcome"]
    outcomes = Counter(e["outcome"] for e in state.dispatches())
    return {"attempts": sum(r["attempts"] for r in per_task.values()), "outcomes": dict(outcomes),
            "tasks": per_task}


def handle(state: TasksState, request: Request) -> Response:
    route = (request.method, request.path.removeprefix("/_emulator").rstrip("/"))
    try:
        body = json.loads(request.get_data() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        if route == ("POST", "/reset"):
            state.reset()
            return _json(200, {})
        if route == ("GET", "/clock"):
            return _json(200, {"now": state.now()})
        if route == ("POST", "/clock"):
            seconds = body.get("advance_seconds")
            if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                raise ValueError("advance_seconds must be a number")
            return _json(200, {"now": state.advance(float(seconds))})
        if route == ("GET", "/dispatches"):
            return _json(200, {"dispatches": state.dispatches(request.args.get("task"))})
        if route == ("GET", "/counters"):
            return _json(200, counters(state))
        if route == ("DELETE", "/counters"):
            with state.cond:
                cleared = len(state.log)
                state.log.clear()
            return _json(200, {"cleared": cleared})
    except ValueError as exc:
        return _json(400, {"error": {"code": 400, "message": str(exc), "status": "INVALID_ARGUMENT"}})
    return _json(404, {"error": {"code": 404, "message": f"no control route {route[0]} {route[1]}",
                                 "status": "NOT_FOUND"}})


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
