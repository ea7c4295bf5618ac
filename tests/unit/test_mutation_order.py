"""`make mutation` runs a mutant's tests killers first: the tests that killed another mutant of the
same function, then of the same module, then unit before integration, fastest first
(devtools/mutation_pytest.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from devtools import mutation_pytest as plugin

MUTANT = "functions.services.consent.x_begin__mutmut_7"
UNIT_FAST, UNIT_SLOW = "tests/unit/test_a.py::fast", "tests/unit/test_a.py::slow"
INT_FAST, INT_SLOW, INT_OTHER = ("tests/integration/test_b.py::fast", "tests/integration/test_b.py::slow",
                                 "tests/integration/test_c.py::other")
DURATIONS = {UNIT_FAST: 0.1, UNIT_SLOW: 2.0, INT_FAST: 0.5, INT_SLOW: 3.0, INT_OTHER: 1.0}
ALL = [INT_SLOW, UNIT_SLOW, INT_OTHER, UNIT_FAST, INT_FAST]


def test_without_kills_unit_tests_run_before_integration_tests_fastest_first() -> None:
    assert plugin.order(ALL, MUTANT, DURATIONS, []) == [UNIT_FAST, UNIT_SLOW, INT_FAST, INT_OTHER, INT_SLOW]


def test_killers_of_the_same_function_run_first_then_those_of_the_same_module() -> None:
    kills = [("functions.services.consent.x__finish__mutmut_3", INT_OTHER),  # same module
             ("functions.services.consent.x_begin__mutmut_2", INT_SLOW),     # same function
             ("functions.services.linking.x_begin__mutmut_7", UNIT_SLOW),    # same name, other module
             ("functions.services.consent.x_begin_other__mutmut_1", INT_FAST)]  # a name it begins
    assert plugin.order(ALL, MUTANT, DURATIONS, kills) == [INT_SLOW, INT_FAST, INT_OTHER, UNIT_FAST,
                                                           UNIT_SLOW]


def test_a_mutants_first_failure_is_noted_and_read_back(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MUTANT_UNDER_TEST", MUTANT)
    plugin.pytest_runtest_logreport(SimpleNamespace(failed=False, nodeid=UNIT_FAST))
    plugin.pytest_runtest_logreport(SimpleNamespace(failed=True, nodeid=INT_FAST))
    (tmp_path / plugin.KILLS).open("a").write("not json\n")  # a torn line is skipped
    assert plugin._kills() == [(MUTANT, INT_FAST)]


@pytest.mark.parametrize("under_test", ["", "none", "fail"])
def test_failures_outside_a_mutants_run_are_not_noted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      under_test: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MUTANT_UNDER_TEST", under_test)
    plugin.pytest_runtest_logreport(SimpleNamespace(failed=True, nodeid=INT_FAST))
    assert plugin._kills() == []
