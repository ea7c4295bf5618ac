"""Fixtures shared by every suite: the local Google emulator and Google client helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devtools.google_emulator import EmulatorServer

# The real client libraries refuse plain http for OAuth unless told otherwise (local only).
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(scope="session")
def google_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def google(google_server: EmulatorServer) -> EmulatorServer:
    """The emulator, reset to its default accounts before the test."""
    google_server.state.reset()
    return google_server
