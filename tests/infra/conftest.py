"""Fixtures of the static infra checks: the parsed Terraform, the facts read from the code."""

from __future__ import annotations

import copy

import pytest

from tests.infra import codefacts, tfconfig
from tests.infra.checks import World


@pytest.fixture(scope="session")
def facts() -> codefacts.CodeFacts:
    return codefacts.collect()


@pytest.fixture(scope="session")
def texts() -> dict[str, str]:
    return tfconfig.read_texts()


@pytest.fixture
def world(texts: dict[str, str], facts: codefacts.CodeFacts) -> World:
    return World(tfconfig.parse(texts), copy.deepcopy(facts), tfconfig.firestore_spec())
