"""Clients of the emulator: the official google-cloud-tasks client pointed at it, and a small
client of its control API (for tests and demos that run it as its own process)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy


def tasks_client(endpoint: str) -> tasks_v2.CloudTasksClient:
    """`tasks_v2.CloudTasksClient` on the REST transport against `endpoint` (`http://127.0.0.1:P`),
    without credentials. Against Google the same client is `CloudTasksClient(transport="rest")`."""
    return tasks_v2.CloudTasksClient(transport="rest", credentials=AnonymousCredentials(),
                                     client_options=ClientOptions(api_endpoint=endpoint))


class TasksEmulatorControlError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"control API answered {status}: {body}")
        self.status, self.body = status, body


class TasksEmulatorControl:
    """The control API (`/_emulator/...`) of an emulator at `endpoint`."""

    def __init__(self, endpoint: str) -> None:
        self.base = endpoint.rstrip("/") + "/_emulator"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,  # noqa: S310
                                         headers={"Content-Type": "application/json"})
        try:
            with _OPENER.open(request, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise TasksEmulatorControlError(err.code, err.read().decode(errors="replace")) from None

    def reset(self) -> None:
        self._call("POST", "/reset", {})

    def now(self) -> float:
        return self._call("GET", "/clock")["now"]

    def advance_clock(self, seconds: float) -> float:
        return self._call("POST", "/clock", {"advance_seconds": seconds})["now"]

    def dispatches(self, task: str | None = None) -> list[dict[str, Any]]:
        query = "?" + urllib.parse.urlencode({"task": task}) if task else ""
        return self._call("GET", "/dispatches" + query)["dispatches"]

    def counters(self) -> dict[str, Any]:
        return self._call("GET", "/counters")

    def reset_counters(self) -> int:
        return self._call("DELETE", "/counters")["cleared"]
