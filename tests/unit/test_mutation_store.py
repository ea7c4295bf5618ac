"""`make mutation` keeps killed mutants in the repository, by function and source hash: a new
checkout takes over only the verdicts of functions whose source is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools import mutation

SOURCE = Path("functions/sync/engine.py")
RUN, SAFE = "xǁEngineǁrun", "xǁEngineǁ_safe"


def _meta(tmp: Path, codes: dict[str, int | None], hashes: dict[str, str]) -> None:
    path = tmp / f"{SOURCE}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes, "hash_by_function_name": hashes,
                                "durations_by_key": {}}))


def _name(func: str, number: int) -> str:
    return f"functions.sync.engine.{func}__mutmut_{number}"


@pytest.fixture
def mutants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(mutation, "MUTANTS", tmp_path)
    return tmp_path


def test_split_name_gives_the_function_and_number() -> None:
    assert mutation.split_name(_name(SAFE, 12), SOURCE) == (SAFE, 12)


def test_only_killed_mutants_are_kept(mutants: Path) -> None:
    _meta(mutants, {_name(RUN, 1): 1, _name(RUN, 2): 0, _name(RUN, 3): None, _name(SAFE, 1): 3,
                    _name(SAFE, 2): -24, _name(SAFE, 3): 36}, {RUN: "h-run", SAFE: "h-safe"})
    store = mutation.collect_verdicts([SOURCE], {})
    # killed (1, 3) and timed out (-24: SIGXCPU, 36) kept as killed; survived (0), not checked not
    assert store == {str(SOURCE): {RUN: ["h-run", [1]], SAFE: ["h-safe", [1, 2, 3]]}}


def test_a_new_checkout_takes_over_verdicts_of_unchanged_functions(mutants: Path, tmp_path: Path) -> None:
    store = {str(SOURCE): {RUN: ["h-run", [1, 2]], SAFE: ["h-safe-old", [1]]}}
    path = tmp_path / "verdicts.json"
    mutation.save_store(store, path)
    assert mutation.load_store(path) == store
    # freshly generated: nothing tested; _safe has changed since its mutant was killed
    _meta(mutants, {_name(RUN, 1): None, _name(RUN, 2): None, _name(RUN, 3): None,
                    _name(SAFE, 1): None}, {RUN: "h-run", SAFE: "h-safe-new"})
    assert mutation.seed_verdicts([SOURCE], mutation.load_store(path)) == 2
    codes = mutation.verdicts(SOURCE)
    assert codes == {_name(RUN, 1): 1, _name(RUN, 2): 1, _name(RUN, 3): None, _name(SAFE, 1): None}
    # and the next save drops the changed function's stale entry
    assert mutation.collect_verdicts([SOURCE], store) == {str(SOURCE): {RUN: ["h-run", [1, 2]]}}


def test_a_verdict_already_recorded_is_not_overwritten(mutants: Path) -> None:
    _meta(mutants, {_name(RUN, 1): 0}, {RUN: "h-run"})  # survived in this checkout's own run
    assert mutation.seed_verdicts([SOURCE], {str(SOURCE): {RUN: ["h-run", [1]]}}) == 0
    assert mutation.verdicts(SOURCE) == {_name(RUN, 1): 0}


# --- excused survivors (a listed equivalent, a reworded message) are settled, not run again -------

@pytest.fixture
def excused_are(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The mutant names `mutation.excused` says yes to (it reads diffs of real mutants otherwise)."""
    names: set[str] = set()
    monkeypatch.setattr(mutation, "excused", lambda name, source, equivalents: name in names)
    monkeypatch.setattr(mutation, "mutated_sources", lambda: [SOURCE])
    return names


def test_an_excused_survivor_is_kept_and_taken_over(mutants: Path, excused_are: set[str]) -> None:
    excused_are.add(_name(RUN, 2))
    _meta(mutants, {_name(RUN, 1): 1, _name(RUN, 2): 0, _name(RUN, 3): 0}, {RUN: "h-run"})
    store = mutation.collect_verdicts([SOURCE], {})
    assert store == {str(SOURCE): {RUN: ["h-run", [1], [2]]}}  # 3 survived, not excused: not kept
    _meta(mutants, {_name(RUN, 1): None, _name(RUN, 2): None, _name(RUN, 3): None}, {RUN: "h-run"})
    excused_are.clear()  # taken over by the store's word alone
    assert mutation.seed_verdicts([SOURCE], store) == 2
    assert mutation.verdicts(SOURCE) == {_name(RUN, 1): 1, _name(RUN, 2): 0, _name(RUN, 3): None}


def test_an_excused_survivor_of_a_changed_function_is_run_again(mutants: Path, excused_are: set[str]) -> None:
    _meta(mutants, {_name(RUN, 2): None}, {RUN: "h-run-new"})
    assert mutation.seed_verdicts([SOURCE], {str(SOURCE): {RUN: ["h-run", [], [2]]}}) == 0
    assert mutation.verdicts(SOURCE) == {_name(RUN, 2): None}


def test_a_listed_equivalent_of_an_unchanged_function_is_taken_over(mutants: Path, excused_are: set[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    listed = mutation.Equivalent(_name(RUN, 2), "+ x", "why")
    monkeypatch.setattr(mutation, "read_equivalents", lambda: {listed.name: listed})
    excused_are.add(_name(RUN, 2))
    _meta(mutants, {_name(RUN, 2): None, _name(RUN, 3): None}, {RUN: "h-run"})
    assert mutation.seed_verdicts([SOURCE], {str(SOURCE): {RUN: ["h-run", [1]]}}) == 1
    assert mutation.verdicts(SOURCE) == {_name(RUN, 2): 0, _name(RUN, 3): None}


def test_a_rerun_retests_survivors_but_not_excused_ones_nor_timeouts(mutants: Path,
                                                                     excused_are: set[str]) -> None:
    excused_are.add(_name(RUN, 2))
    _meta(mutants, {_name(RUN, 1): 1, _name(RUN, 2): 0, _name(RUN, 3): 0, _name(RUN, 4): -24,
                    _name(RUN, 5): 5}, {RUN: "h-run"})
    assert mutation.unsettled_matching([f"functions.sync.engine.{RUN}*"]) == [_name(RUN, 3), _name(RUN, 5)]
    assert mutation.reset_unsettled() == 2
    assert mutation.verdicts(SOURCE) == {_name(RUN, 1): 1, _name(RUN, 2): 0, _name(RUN, 3): None,
                                         _name(RUN, 4): -24, _name(RUN, 5): None}


def test_an_excused_survivor_later_killed_counts_as_killed(mutants: Path, excused_are: set[str]) -> None:
    _meta(mutants, {_name(RUN, 2): 1}, {RUN: "h-run"})
    assert mutation.collect_verdicts([SOURCE], {str(SOURCE): {RUN: ["h-run", [], [2]]}}) == {
        str(SOURCE): {RUN: ["h-run", [2]]}}
