"""pytest plugin loaded by `make mutation` (mutmut's `pytest_add_cli_args`), never by `make test`.

mutmut runs, for each mutant, the tests that called the mutated function during its stats run.
This plugin narrows and orders them:

* a mutant of a pure module (`UNIT_ONLY`) is tested by `tests/unit` alone: the integration
  suite reaches those modules too, but slowly, and a mutant only it could kill is a gap of the
  unit suite (it shows up as "no tests");
* the remaining tests run fastest first (durations of mutmut's stats run), unit before
  integration, so the usual kill costs one quick test (mutmut passes `-x`); but first the tests
  that killed another mutant of the same function, then of the same module (each kill is noted
  in `mutants/mutation-kills.jsonl`): a mutant of a function only the integration tests reach
  is then usually killed by its first test, not after a hundred that pass;
* Hypothesis is derandomized, so a run's verdicts do not depend on the examples drawn.
"""

from __future__ import annotations

import contextlib
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


KILLS = Path("mutation-kills.jsonl")  # mutmut runs the tests in mutants/


def function_of(mutant: str) -> str:
    """`functions.sync.plan.x_plan_link__mutmut_3` → `functions.sync.plan.x_plan_link`."""
    return mutant.rpartition("__mutmut_")[0]


def order(nodeids: list[str], mutant: str, durations: dict[str, float],
          kills: list[tuple[str, str]]) -> list[str]:
    """The tests for `mutant` in the order they run: killers of its function's other mutants,
    then of its module's, then the rest; in each group unit before integration, fastest first.
    `kills`: (mutant, test that killed it) of earlier mutants."""
    function, module = function_of(mutant), module_of(mutant)
    of_function = {test for m, test in kills if function_of(m) == function}
    of_module = {test for m, test in kills if module_of(m) == module}

    def key(nodeid: str) -> tuple[int, bool, float]:
        group = 0 if nodeid in of_function else 1 if nodeid in of_module else 2
        return group, not nodeid.startswith(UNIT), durations.get(nodeid, 0.0)

    return sorted(nodeids, key=key)


def _kills() -> list[tuple[str, str]]:
    try:
        lines = KILLS.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            entry = json.loads(line)
            out.append((entry["mutant"], entry["test"]))
    return out


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" in mutant and report.failed:  # -x: the first failure ends this mutant's run
        line = json.dumps({"mutant": mutant, "test": report.nodeid}) + "\n"
        with open(KILLS, "a", encoding="utf-8") as out:  # one short append: whole lines from 2 workers
            out.write(line)


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
    by_id = {item.nodeid: item for item in keep}
    items[:] = [by_id[n] for n in order(list(by_id), mutant, _durations(), _kills())]
