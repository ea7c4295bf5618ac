"""Cloud Tasks conformance: the REAL google-cloud-tasks client against the local emulator.

One emulator per session (per xdist worker), reset before each test; its OIDC tokens come
from the session's Google emulator, as in `make run`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from devtools.cloud_tasks_emulator import CloudTasksEmulator
from devtools.google_emulator import EmulatorServer
from tests.conformance.cloud_tasks.worker import RecordingWorker

LOCATION = "projects/conformance/locations/europe-west3"
SERVICE_ACCOUNT = "tasks-invoker@conformance.iam.gserviceaccount.com"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def tasks_server(google_server: EmulatorServer) -> Iterator[CloudTasksEmulator]:
    with CloudTasksEmulator(google_root=google_server.root) as server:
        yield server


@pytest.fixture
def emulator(tasks_server: CloudTasksEmulator, google: EmulatorServer) -> CloudTasksEmulator:
    """The Cloud Tasks emulator, emptied (and its clock back to the wall clock) for this test."""
    tasks_server.reset()
    return tasks_server


@pytest.fixture
def tasks(emulator: CloudTasksEmulator) -> tasks_v2.CloudTasksClient:
    """The official client (REST transport) pointed at the emulator."""
    return emulator.client()


@pytest.fixture
def worker() -> Iterator[RecordingWorker]:
    w = RecordingWorker().start()
    try:
        yield w
    finally:
        w.stop()


def make_queue(client: tasks_v2.CloudTasksClient, **settings: Any) -> tasks_v2.Queue:
    """A new queue (a fresh name) with these Queue fields, e.g. retry_config={...}."""
    name = f"{LOCATION}/queues/q-{next(_names)}"
    return client.create_queue(parent=LOCATION, queue={"name": name, **settings})


def fast_retries(max_attempts: int = 5, min_backoff: float = 0.1, max_backoff: float = 1.0) -> dict[str, Any]:
    return {"max_attempts": max_attempts, "min_backoff": {"nanos": int(min_backoff * 1e9) % 10**9,
                                                          "seconds": int(min_backoff)},
            "max_backoff": {"seconds": int(max_backoff), "nanos": int(max_backoff * 1e9) % 10**9}}


def status_of(exc: exceptions.GoogleAPICallError) -> str:
    """The google.rpc.Code name in a REST error's envelope (REST maps 400s to BadRequest)."""
    return exc.response.json()["error"]["status"]
