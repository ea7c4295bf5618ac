"""`make bench` on a tiny world: the script keeps working, and its counted figures (not its
timings, which are for the full run to print) hold: one request and no write per idle link, and
no planner write into one branch answered with an error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.firestore, pytest.mark.slow]


def run_bench(tmp_path: Path, module: str, *args: str, timeout: int = 180) -> tuple[dict, str]:
    """`python -m bench.<module> ARGS` into a results file of its own: its figures, its output."""
    out = tmp_path / "bench-results.json"
    done = subprocess.run([sys.executable, "-m", f"bench.{module}", *args, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text()), done.stdout


def test_bench_runs_and_writes_its_figures(tmp_path: Path) -> None:
    figures, stdout = run_bench(
        tmp_path, "sync_bench", "--links", "6", "--appointments-per-link", "3", "--fill", "120",
        "--rtt-ms", "5", "--baseline-sample", "2", "--idle-runs", "2", "--writes", "40",
        "--firestore-rtt-ms", "1", "--poll-minutes", "20")
    assert set(figures) == {"idle_requests_per_link", "idle_firestore_writes_per_link",
                            "fill_round_trips_2000", "idle_cycle_ratio_to_lower_bound",
                            "baseline_request_ratio", "heartbeat_writes_per_link_day",
                            "branch_write_errors", "branch_writes_per_s_1",
                            "branch_writes_per_s_8", "branch_write_speedup"}
    # 72 idle checks over the day, `last_checked_at` written at every full hour after the first
    assert figures["heartbeat_writes_per_link_day"] == 23
    assert figures["idle_requests_per_link"] == 1.0
    assert figures["idle_firestore_writes_per_link"] == 0
    assert figures["branch_write_errors"] == 0  # 40 PUTs with 1 writer, 40 with 8
    # one listing, 120 writes in batches of 50, one token
    assert figures["fill_round_trips_2000"] == 1 + 3 + 1
    assert "idle cycle over 6 links" in stdout and "median of" in stdout


def test_tasks_bench_runs_and_writes_its_figures(tmp_path: Path) -> None:
    """The change-driven part: a few writes through the real stack, and the dispatch model."""
    figures, stdout = run_bench(
        tmp_path, "tasks_bench", "--links", "3", "--writes", "6", "--writes-per-s", "3", "--rtt-ms", "5",
        "--simulated-links", "2000")
    assert {"planner_to_google_p95_s", "idle_requests_per_link_per_day_polling",
            "links_within_free_quota_polling", "dispatch_peak_requests_per_min"} <= set(figures)
    assert figures["idle_requests_per_link_per_day_polling"] == 288.0  # a listing per 5-minute check
    assert 0 < figures["dispatch_peak_requests_per_min"] <= figures["dispatch_governor_limit_per_min"]
    assert "a write's parts (" in stdout  # every write was matched to the task that carried it


def test_push_bench_runs_and_writes_its_figures(tmp_path: Path) -> None:
    """The push part on a tiny world: its counted figures hold (an idle check with push healthy
    is one Google request and writes nothing; the renewals keep a day under 30 requests)."""
    figures, _ = run_bench(
        tmp_path, "push_bench", "--links", "3", "--edits", "6", "--drop-edits", "3", "--rtt-ms", "5",
        "--delay-ms", "100", timeout=240)
    assert figures["idle_check_firestore_writes"] == 0
    assert figures["idle_check_firestore_reads"] == 3  # branch, link and resource: nothing read twice
    assert figures["idle_requests_per_link_per_day"] <= 30 and figures["push_drop_all_arrived"] is True
