"""`make bench` (second part): the change-driven sync on Cloud Tasks, measured on the emulators.

Prints, and adds to bench-results.json:
- planner_to_google_p95_s      appointment PUT → its event visible in Google, p95 over the
                               writes (default 200 over 50 links), emulated RTT 100 ms  (≤ 5 s)
- idle_requests_per_link_per_day_polling  Google requests an idle link costs a day at the
                               backstop poll without push (SYNC_POLL_MINUTES; one events.list
                               per check, as the first part measures), and
                               links_within_free_quota_polling beside it
                               (1,000,000 requests/day ÷ that)
- dispatch_peak_requests_per_min  a simulated hour of 100,000 links on the queue model (no
                               Google calls): the peak Google requests per minute, never above
                               the governor's limit, and the longest wait a due link had
The stack is the real one: the functions on a loopback port, the local Cloud Tasks API
(devtools/cloud_tasks_emulator) dispatching to them with OIDC tokens, the official Firestore
emulator, and the Google emulator in its own process with the emulated round trip.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.sync_bench import ROOT, GoogleProcess, World
from devtools.firestore_emulator import FirestoreEmulator, free_port

FREE_REQUESTS_PER_DAY = 1_000_000
PROJECT_REQUESTS_PER_MINUTE = 10_000  # Calendar API quota per project (GOOGLE_API_NOTES.md)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--links", type=int, default=50)
    p.add_argument("--writes", type=int, default=200)
    p.add_argument("--writes-per-s", type=float, default=10.0, help="pace of the planner's writes")
    p.add_argument("--rtt-ms", type=float, default=100.0)
    p.add_argument("--poll-minutes", type=int, default=5, help="SYNC_POLL_MINUTES (the backstop)")
    p.add_argument("--simulated-links", type=int, default=100_000)
    p.add_argument("--dispatches-per-s", type=float, default=None,
                   help="the queue's max_dispatches_per_second (default: the governor's, from the quota)")
    p.add_argument("--requests-per-task", type=float, default=4.0,
                   help="Google requests a task may cost, for the dispatch model (Terraform's "
                        "sync_requests_per_task)")
    p.add_argument("--out", default=str(ROOT / "bench-results.json"))
    return p.parse_args(argv)


def governor_dispatches_per_s(requests_per_task: float, share: float = 0.5) -> float:
    """The queue rate Terraform sets (infra/tasks.tf: `sync_quota_share` × the per-minute quota
    ÷ 60 ÷ `sync_requests_per_task`, rounded down), so the model runs the deployed governor."""
    return float(math.floor(PROJECT_REQUESTS_PER_MINUTE * share / 60 / requests_per_task))


def simulate_dispatch(links: int, poll_minutes: int, dispatches_per_s: float,
                      requests_per_task: float) -> dict[str, float]:
    """An hour of backstop polls through a rate-limited queue: arrivals per minute are the
    links whose bucket is due; the queue dispatches at most its rate; the rest waits."""
    from functions.sync import schedule

    buckets = [0] * 60
    for i in range(links):
        buckets[schedule.poll_bucket(f"sim:{i}")] += 1
    capacity = dispatches_per_s * 60
    backlog, peak_requests, longest_wait = 0.0, 0.0, 0.0
    start = datetime(2030, 1, 1, tzinfo=UTC)
    for minute in range(120):  # two hours: the second one starts with the first one's backlog
        now = start + timedelta(minutes=minute)
        arrivals = sum(buckets[b] for b in schedule.due_buckets(now, poll_minutes))
        backlog += arrivals
        sent = min(backlog, capacity)
        backlog -= sent
        peak_requests = max(peak_requests, sent * requests_per_task)
        longest_wait = max(longest_wait, backlog / capacity)  # minutes the last due link waits
    return {"peak_requests_per_min": peak_requests, "longest_wait_min": longest_wait}


class Stack:
    """The functions on a loopback port and the local Cloud Tasks API, over a seeded World."""

    def __init__(self, google: GoogleProcess, links: int) -> None:
        from werkzeug.serving import make_server

        from devtools.devserver import create_devserver_app
        from devtools.run import start_local_tasks
        from functions.context import get_context, reset_caches

        self.world = World(google)
        self.branch = "bench"
        self.resources = self.world.seed(self.branch, links, 0)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.tasks, tasks_env = start_local_tasks(google.root)
        os.environ.update(tasks_env | {"PUBLIC_BASE_URL": self.base})
        reset_caches()
        self.ctx = get_context()
        self.server = make_server("127.0.0.1", port, create_devserver_app(), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        from devtools.devserver import dev_token

        self.token = dev_token("planner", sub="bench")
        self.calendars = {r.resource_id: r.google_calendar_id
                          for r in self.ctx.store.list_resources(self.branch)}

    def put(self, appointment_id: str, resource_id: str, day: int, hour: int) -> None:
        date = (datetime.now(UTC) + timedelta(days=day)).date().isoformat()
        body = {"resource_id": resource_id, "title": "Termin", "start": f"{date}T{hour:02d}:00:00+01:00",
                "end": f"{date}T{hour:02d}:30:00+01:00"}
        req = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.base}/planner/branches/{self.branch}/appointments/{appointment_id}",
            data=json.dumps(body).encode(), method="PUT",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 (loopback)
            resp.read()

    def stop(self) -> None:
        self.server.shutdown()
        self.tasks.stop()


@dataclass
class Write:
    """One planner write of the latency run, with the times of its way to Google (epoch s)."""

    calendar: str
    link: str  # the start of its link's task names (task_prefix)
    sent: float
    answered: float = 0.0
    created: float = 0.0  # the event's `created` on the Google emulator (its own clock)


def _epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def measure_latency(stack: Stack, google: GoogleProcess, writes: int, pace: float) -> list[Write]:
    """PUT `writes` appointments round-robin over the links at `pace` per second. Each write's
    latency runs from sending its PUT to its event's `created` time on the Google emulator (the
    same clock: one machine); a watcher polls the calendars (control API, no emulated latency)
    only to learn when every event is there."""
    from functions.sync.mapping import event_id_for

    pending: dict[str, Write] = {}  # event id → its write
    lock, done, finished = threading.Lock(), threading.Event(), []

    def watch() -> None:
        while not done.is_set() or pending:
            with lock:
                calendars = {w.calendar for w in pending.values()}
            for cal in calendars:
                seen = {e["id"]: e for e in google.control.events(cal) if e["status"] != "cancelled"}
                with lock:
                    for event_id in [e for e, w in pending.items() if w.calendar == cal and e in seen]:
                        write = pending.pop(event_id)
                        write.created = _epoch(seen[event_id]["created"])
                        finished.append(write)
            time.sleep(1.0)  # the latency is read off `created`: polling more often only loads the emulator

    def put(write: Write, appointment_id: str, resource: str, day: int, hour: int) -> None:
        stack.put(appointment_id, resource, day, hour)
        write.answered = time.time()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        started = time.monotonic()
        for n in range(writes):
            resource = stack.resources[n % len(stack.resources)]
            appointment_id = f"w{n}"
            time.sleep(max(0.0, started + n / pace - time.monotonic()))
            write = Write(stack.calendars[resource], task_prefix(stack.branch, resource), time.time())
            with lock:
                pending[event_id_for(stack.branch, appointment_id)] = write
            pool.submit(put, write, appointment_id, resource, 2 + n % 20, 8 + n % 9)
    done.set()
    watcher.join(timeout=120)
    from devtools.run import LOCAL_QUEUE

    stack.tasks.wait_until_empty(LOCAL_QUEUE, timeout=60)  # the last windows' tasks, then stop
    if pending:
        answers = [(d.get("status"), d.get("code")) for d in stack.tasks.dispatches()[-5:]]
        raise RuntimeError(f"{len(pending)} events never reached Google (last task answers: {answers})")
    print_parts(finished, stack.tasks.dispatches())
    return finished


def print_parts(writes: list[Write], dispatches: list[dict[str, Any]]) -> None:
    """Where a write's latency goes: the PUT's answer, the wait for its task (the debounce window,
    then the queue), and the task's run up to the event's creation."""
    in_order = sorted(dispatches, key=lambda d: d["dispatched_at"])
    answer, wait, run = [], [], []
    for w in writes:
        task = next((d for d in in_order if d["task"].rsplit("/", 1)[-1].startswith(w.link + "-")
                     and w.answered <= d["dispatched_at"] <= w.created), None)
        if task is None:  # carried by a run that had started before the PUT was answered
            continue
        answer.append(w.answered - w.sent)
        wait.append(task["dispatched_at"] - w.answered)
        run.append(w.created - task["dispatched_at"])
    answers = Counter(str(d.get("status")) for d in dispatches)
    durations = sorted(d["finished_at"] - d["dispatched_at"] for d in dispatches)

    def p(values: list[float]) -> str:
        return f"p50 {statistics.median(values):.2f} s, p95 {_p95(values):.2f} s" if values else "-"

    print(f"  task answers: {dict(answers)}; a task's whole run: {p(durations)}")
    print(f"  a write's parts ({len(answer)} of {len(writes)} matched to their task): PUT answered "
          f"{p(answer)}; waiting for its task {p(wait)}; its task's run until the event {p(run)}")


def task_prefix(branch_id: str, resource_id: str) -> str:
    """What every task name of this link starts with (schedule.py names them)."""
    from functions.domain import link_id
    from functions.sync.schedule import poll_task

    return poll_task(link_id(branch_id, resource_id), datetime.now(UTC)).name.split("-poll-")[0]


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rate = args.dispatches_per_s or governor_dispatches_per_s(args.requests_per_task)
    google = GoogleProcess()
    try:
        with FirestoreEmulator():
            google.control.set_latency(args.rtt_ms)
            stack = Stack(google, args.links)
            try:
                writes = measure_latency(stack, google, args.writes, args.writes_per_s)
            finally:
                stack.stop()
    finally:
        google.stop()
    latencies = [w.created - w.sent for w in writes]
    p95 = _p95(latencies)
    per_day = 24 * 60 / args.poll_minutes * 1.0
    sim = simulate_dispatch(args.simulated_links, args.poll_minutes, rate, args.requests_per_task)
    results = {
        "planner_to_google_p95_s": round(p95, 2),
        "planner_to_google_p50_s": round(statistics.median(latencies), 2),
        "planner_to_google_max_s": round(max(latencies), 2),
        # without push; bench/push_bench.py writes the figures with push healthy (the default)
        "idle_requests_per_link_per_day_polling": round(per_day, 1),
        "links_within_free_quota_polling": math.floor(FREE_REQUESTS_PER_DAY / per_day),
        "dispatch_peak_requests_per_min": round(sim["peak_requests_per_min"]),
        "dispatch_governor_limit_per_min": PROJECT_REQUESTS_PER_MINUTE,
        "dispatch_longest_wait_min": round(sim["longest_wait_min"], 2),
    }
    rows = [
        (f"PUT → event in Google, p95 over {len(latencies)} writes on {args.links} links (s)",
         results["planner_to_google_p95_s"], "≤ 5"),
        (f"idle requests per link per day (poll every {args.poll_minutes} min)",
         results["idle_requests_per_link_per_day_polling"], "printed (with push: push_bench)"),
        ("links within the free 1,000,000 requests/day", results["links_within_free_quota_polling"],
         "printed"),
        (f"simulated {args.simulated_links:,} links: peak Google requests/min",
         results["dispatch_peak_requests_per_min"], f"≤ {PROJECT_REQUESTS_PER_MINUTE:,}"),
    ]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nChange-driven sync: RTT {args.rtt_ms:.0f} ms, writes at {args.writes_per_s:g}/s, "
          f"debounce {os.environ.get('SYNC_DEBOUNCE_SECONDS', '2')} s, queue rate {rate:.0f}/s "
          f"(machine load average {load})\n")
    print(f"{'figure':<66} {'measured':>10}  target")
    for name, value, target in rows:
        print(f"{name:<66} {value!s:>10}  {target}")
    print(f"\n  latency p50 {results['planner_to_google_p50_s']} s, "
          f"max {results['planner_to_google_max_s']} s; polling every 5 min today: "
          "288 requests/link/day, ~3,472 links in the free quota")
    print(f"  dispatch model: a due link waits at most {results['dispatch_longest_wait_min']} min "
          "for the governor\n")
    out = Path(args.out)
    merged = (json.loads(out.read_text()) if out.exists() else {}) | results
    out.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"added to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
