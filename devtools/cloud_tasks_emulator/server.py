"""The emulator's WSGI app and `CloudTasksEmulator`: server + dispatcher on a loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from devtools.cloud_tasks_emulator import control, rest_api
from devtools.cloud_tasks_emulator.dispatcher import Dispatcher
from devtools.cloud_tasks_emulator.id_tokens import IdTokenSource, google_emulator_url, url_source
from devtools.cloud_tasks_emulator.state import DEDUPE_WINDOW, TasksState
from devtools.google_emulator.http_server import KeepAliveServer

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def create_app(state: TasksState) -> Any:
    @Request.application
    def app(request: Request) -> Response:
        if request.path.startswith("/_emulator/"):
            return control.handle(state, request)
        if request.path.startswith("/v2/"):
            return rest_api.handle(state, request)
        return Response('{"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}}',
                        status=404, content_type="application/json")

    return app


class CloudTasksEmulator:
    """A local Cloud Tasks v2 API on a loopback port, with its dispatcher, in this process.

    `with CloudTasksEmulator(google_root=google.root) as tasks: tasks.client()` — the official
    client (REST transport) pointed at it. ID tokens for `oidc_token` tasks come from
    `id_token_source`, else from `id_token_url`, else from the Google emulator at `google_root`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, google_root: str | None = None,
                 id_token_url: str | None = None, id_token_source: IdTokenSource | None = None,
                 dedupe_window: float = DEDUPE_WINDOW) -> None:
        if host not in LOOPBACK:
            raise ValueError("the Cloud Tasks emulator only listens on loopback")
        if id_token_source is None and (id_token_url or google_root):
            id_token_source = url_source(id_token_url or google_emulator_url(google_root or ""))
        self.state = TasksState(dedupe_window=dedupe_window, id_token_source=id_token_source)
        self.dispatcher = Dispatcher(self.state)
        self._server = KeepAliveServer(host, port, create_app(self.state))
        self.host, self.port = host, self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="cloud-tasks-emulator")

    @property
    def endpoint(self) -> str:
        """The client's `api_endpoint` (no trailing slash): `http://127.0.0.1:PORT`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def client(self) -> Any:
        """The official `tasks_v2.CloudTasksClient` (REST transport) talking to this emulator."""
        from devtools.cloud_tasks_emulator.client import tasks_client

        return tasks_client(self.endpoint)

    def start(self) -> CloudTasksEmulator:
        self._thread.start()
        self.dispatcher.start()
        return self

    def stop(self) -> None:
        self.dispatcher.stop()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CloudTasksEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- hooks for tests ----------------------------------------------------------------------
    def reset(self) -> None:
        self.state.reset()

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock: schedule times, backoffs and dedupe windows pass."""
        return self.state.advance(seconds)

    def dispatches(self, task: str | None = None) -> list[dict[str, Any]]:
        return self.state.dispatches(task)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
        return self.state.wait_for(predicate, timeout)

    def wait_for_dispatches(self, task: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until `task` (full name or id) has `count` finished attempts; return them all."""
        if not self.wait_for(lambda: len(self.state.dispatches(task)) >= count, timeout):
            raise TimeoutError(f"{task}: {len(self.state.dispatches(task))} attempts after {timeout} s, "
                               f"expected {count}")
        return self.state.dispatches(task)

    def wait_until_empty(self, queue: str, timeout: float = 30.0) -> None:
        """Wait until `queue` holds no task (each completed, gave up or was deleted)."""
        def empty() -> bool:
            record = self.state.queues.get(queue)
            return record is None or not record.tasks

        if not self.wait_for(empty, timeout):
            raise TimeoutError(f"{queue} still has tasks after {timeout} s")

    @staticmethod
    def sleep(seconds: float) -> None:  # for symmetry in tests that must let real time pass
        time.sleep(seconds)
