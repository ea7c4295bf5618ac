"""Fixtures of the unit tests."""

from __future__ import annotations

import io

import pytest

from functions import logs


@pytest.fixture
def capture() -> io.StringIO:
    """What the product's logging writes, as JSON lines, for one test."""
    stream = io.StringIO()
    logs.configure_logging(stream=stream)
    logs.begin_request(None, None)
    return stream
