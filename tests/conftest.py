"""Fixtures shared by every suite: the local Google emulator and Google client helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import hypothesis.core
import pytest
from google.cloud import firestore
from hypothesis.vendor import pretty

from devtools.firestore_emulator import EmulatorMissing, FirestoreEmulator
from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl

# The real client libraries refuse plain http for OAuth unless told otherwise (local only).
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

# schemathesis' pytest plugin (loaded in every session: the fuzz suite needs it) swaps Hypothesis'
# printer for one that prints nothing, to save time on large schemas; every property-based suite
# would then report a failing example as `n=,`. Hypothesis' own printer back (some 4 s per fuzz run).
hypothesis.core.RepresentationPrinter = pretty.RepresentationPrinter


@pytest.fixture(scope="session")
def google_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def google(google_server: EmulatorServer) -> EmulatorServer:
    """The emulator, reset to its default accounts before the test."""
    google_server.state.reset()
    return google_server


@pytest.fixture
def ctl(google: EmulatorServer) -> EmulatorControl:
    """The emulator's control API (faults, counters, the phone), on a freshly reset emulator."""
    return EmulatorControl(google.root)


# --- Firestore: the official emulator, one per test session (per xdist worker) ---------------

@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[FirestoreEmulator | None]:
    """The Firestore emulator; reused when FIRESTORE_EMULATOR_HOST is already exported."""
    if os.environ.get("FIRESTORE_EMULATOR_HOST"):
        yield None
        return
    try:
        emulator = FirestoreEmulator().start()
    except EmulatorMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def firestore_project(firestore_emulator: FirestoreEmulator | None,
                      monkeypatch: pytest.MonkeyPatch) -> str:
    """A project id of its own for this test: an empty database, nothing to clean up."""
    project = f"test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", project)
    return project


@pytest.fixture
def firestore_client(firestore_project: str) -> firestore.Client:
    return firestore.Client(project=firestore_project)
