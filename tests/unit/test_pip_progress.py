"""The first `make run` shows pip's progress: a line per package, and pip's whole output on failure."""

from __future__ import annotations

import sys

import pytest

from devtools import pip_progress

PIP_OUTPUT = """\
Looking in indexes: https://pypi.org/simple, file:///opt/pypi/simple
WARNING: Location 'file:///opt/pypi-more/simple/six/' is ignored: it is neither a file nor a directory.
Collecting functions-framework==3.8.2 (from -r requirements.txt (line 1))
Processing /opt/pypi/files/google_auth-2.40.3-py2.py3-none-any.whl
Collecting Functions_Framework>=3 (from something)
Processing /opt/wheels/six-1.17.0-py2.py3-none-any.whl
Installing collected packages: six, google-auth, functions-framework
Successfully installed functions-framework-3.8.2 google-auth-2.40.3 six-1.17.0
"""


def test_one_line_per_package_then_the_count() -> None:
    shown = list(pip_progress.progress(PIP_OUTPUT.splitlines()))
    assert shown == [
        "  [1] functions-framework",
        "  [2] google-auth 2.40.3",
        "  [3] six 1.17.0",
        "  installing …",
        "  installed 3 packages",
    ]


def _fake_pip(lines: str, code: int) -> list[str]:
    return [sys.executable, "-c", f"import sys; print({lines!r}, end=''); sys.exit({code})"]


def test_success_shows_progress_not_pip_noise(capsys: pytest.CaptureFixture[str]) -> None:
    assert pip_progress.main(_fake_pip(PIP_OUTPUT, 0)) == 0
    out = capsys.readouterr().out
    assert "[3] six 1.17.0" in out and "done in" in out
    assert "WARNING" not in out and "Looking in indexes" not in out


def test_failure_prints_pips_whole_output_and_its_code(capsys: pytest.CaptureFixture[str]) -> None:
    failing = "Collecting nosuchpackage\nERROR: No matching distribution found for nosuchpackage\n"
    assert pip_progress.main(_fake_pip(failing, 1)) == 1
    captured = capsys.readouterr()
    assert "ERROR: No matching distribution found for nosuchpackage" in captured.out
    assert "pip failed (exit 1)" in captured.err
