"""The stack of test_sync_tasks (functions on a loopback port, the local Cloud Tasks API, both
emulators) with Google push on: GOOGLE_PUSH_URL is the loopback URL of `google_push`, so the
Google emulator delivers its notifications to the functions under test."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from devtools.devserver import create_devserver_app
from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from devtools.run import LOCAL_QUEUE, local_environment, push_environment, start_local_tasks
from functions.context import Context, get_context, reset_caches
from functions.domain import Link
from tests.integration.conftest import BRANCH, TOKEN_KEY, Api


@dataclass
class PushStack:
    api: Api
    tasks: Any
    control: EmulatorControl

    @property
    def ctx(self) -> Context:
        return get_context()

    def link(self, resource: str = "anna") -> Link:
        return self.ctx.store.get_link(BRANCH, resource)

    def channel(self, channel_id: str) -> dict[str, Any]:
        doc = self.ctx.store.db.collection("channels").document(channel_id).get()
        assert doc.exists, channel_id
        return doc.to_dict()

    def google_channels(self, status: str | None = None) -> list[dict[str, Any]]:
        return [c for c in self.control.push_channels() if status is None or c["status"] == status]

    def settle(self, timeout: float = 30.0) -> None:
        """Until nothing moves: every notification delivered, every task done."""
        deadline = time.monotonic() + timeout
        calm = 0
        while calm < 2:  # twice in a row: a task's writes notify, a notification queues a task
            self.control.wait_push_idle(timeout)
            self.tasks.wait_until_empty(LOCAL_QUEUE, timeout)
            time.sleep(0.2)
            calm = calm + 1 if not self.control.push_status()["pending"] and self._queue_empty() else 0
            assert time.monotonic() < deadline, "the stack never settled"

    def _queue_empty(self) -> bool:
        record = self.tasks.state.queues.get(LOCAL_QUEUE)
        return record is None or not record.tasks

    def push_runs(self) -> list[dict[str, Any]]:
        return [d for d in self.tasks.dispatches() if "-push-" in d["task"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def push_stack(google: EmulatorServer, monkeypatch: pytest.MonkeyPatch, *, push: bool = True,
               **env: str) -> Iterator[PushStack]:
    """The functions served on a free loopback port (Cloud Tasks and Google call them over HTTP),
    the local Cloud Tasks API with the product's queue (debounce 1 s); push on unless `push` is
    False (test_sync_tasks: the change-driven sync alone)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = local_environment(google.root, base)
    settings["SECRET_TOKEN_KEY"] = "1:" + base64.b64encode(TOKEN_KEY).decode()
    tasks, tasks_env = start_local_tasks(google.root)
    settings |= tasks_env | {"SYNC_DEBOUNCE_SECONDS": "1"}
    if push:
        settings |= push_environment(base)
    for key, value in (settings | env).items():
        if key != "GOOGLE_CLOUD_PROJECT":
            monkeypatch.setenv(key, value)
    reset_caches()
    app = create_devserver_app()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = Api(Client(app), google, settings["SECRET_PLANNER_JWT_KEY"], public=base)
        yield PushStack(api, tasks, EmulatorControl(google.root))
    finally:
        server.shutdown()
        tasks.stop()
        reset_caches()


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    started = time.monotonic()
    while not (value := check()):
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.05)
    return value


def frozen_now(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """The functions' clock (Context.now: the dispatcher, the channel upkeep) at `now`."""
    monkeypatch.setattr(Context, "now", staticmethod(lambda: now))
