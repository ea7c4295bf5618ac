"""pytest plugin loaded by `make mutation` (mutmut's `pytest_add_cli_args`), never by `make test`.

mutmut runs, for each mutant, the tests that called the mutated function during its stats run.
This plugin narrows and orders them:

* a mutant of a pure module (`UNIT_ONLY`) is tested by `tests/unit` alone: the integration
  suite reaches those modules too, but slowly, and a mutant only it could kill is a gap of the
  unit suite (it shows up as "no tests");
* the remaining tests run fastest first (durations of mutmut's stats run), unit before
  integration, so the usual kill costs one quick test (mutmut passes `-x`);
* Hypothesis is derandomized, so a run's verdicts do not depend on the examples drawn.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

UNIT = "tests/unit/"
INTEGRATION = "tests/integration/"

# Modules whose mutants only the unit suite may kill (the pure core and the small libraries).
UNIT_ONLY = frozenset({
    "functions.sync.plan",
    "functions.sync.items",
    "functions.sync.mapping",
    "functions.sync.breaker",
    "functions.sync.privacy",
    "functions.sync.health",
    "functions.sync.schedule",
    "functions.sync.model",
    "functions.sync.limits",
    "functions.sync.channels",
    "functions.auth",
    "functions.crypto",
    "functions.logs",
})


def module_of(mutant: str) -> str:
    """`functions.sync.plan.x_plan_link__mutmut_3` → `functions.sync.plan`."""
    parts = mutant.split(".")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].startswith(("x_", "xǁ")):
            return ".".join(parts[:i])
    return mutant.rpartition(".")[0]


def allowed_prefixes(mutant: str) -> tuple[str, ...]:
    return (UNIT,) if module_of(mutant) in UNIT_ONLY else (UNIT, INTEGRATION)


def _durations() -> dict[str, float]:
    try:
        data = json.loads(Path("mutmut-stats.json").read_text())
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.get("duration_by_test", {}).items()}


def pytest_configure(config: pytest.Config) -> None:
    try:
        from hypothesis import settings
    except ImportError:
        return
    settings.register_profile("mutation", parent=settings.default, derandomize=True, database=None)
    settings.load_profile("mutation")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[Any]) -> None:
    # Test modules (tests/unit/sync/conftest.py) load their own profile while being collected.
    pytest_configure(config)
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in mutant:  # stats, clean or forced-fail run: every selected test
        return
    prefixes = allowed_prefixes(mutant)
    keep = [item for item in items if item.nodeid.startswith(prefixes)]
    dropped = [item for item in items if not item.nodeid.startswith(prefixes)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    durations = _durations()
    keep.sort(key=lambda item: (not item.nodeid.startswith(UNIT), durations.get(item.nodeid, 0.0)))
    items[:] = keep
