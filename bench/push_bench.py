"""`make bench` (third part): Google push notifications, measured on the emulators.

Prints, and adds to bench-results.json:
- google_to_planner_p95_s         a phone edit (the Google emulator's control API) → the
                                  appointment in the planner's store, p95 over the edits (default
                                  200 over 50 links), emulated RTT 100 ms and push delivery delay
                                  1 s (≤ 10 s). Times are the servers' own: the event's `created`
                                  on the Google emulator and the appointment's `updated` written
                                  by the sync (one machine, one clock); a watcher only learns when
                                  every edit is there.
- idle_requests_per_link_per_day  with push healthy at the default backstop: the backstop polls a
                                  day (SYNC_PUSH_POLL_MINUTES) × the requests one idle check makes,
                                  plus a channel renewal (watch + stop) every 80 % of its 7 days,
                                  each figure measured once on the stack (≤ 30; polling: 288), and
                                  links_within_free_quota beside it (1,000,000 requests/day ÷ that)
- push_drop_worst_backstop_min    20 % of the notifications dropped (the emulator's drop_rate):
                                  every change still arrives, by push or by the backstop; the
                                  backstop runs compressed (the dispatcher is called for one
                                  simulated minute per real second), so the worst delay is printed
                                  both in real seconds and in minutes on the backstop's clock
The stack is tasks_bench's: the functions on a loopback port with GOOGLE_PUSH_URL set to their
`google_push`, the local Cloud Tasks API, the Firestore emulator, the Google emulator in its own
process delivering notifications to the functions.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.sync_bench import ROOT, GoogleProcess
from bench.tasks_bench import FREE_REQUESTS_PER_DAY, Stack
from devtools.firestore_emulator import FirestoreEmulator

POLLING_PER_DAY = 24 * 60 / 5  # SYNC_POLL_MINUTES' default, one events.list per check


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--links", type=int, default=50)
    p.add_argument("--edits", type=int, default=200)
    p.add_argument("--edits-per-s", type=float, default=10.0, help="pace of the phone edits")
    p.add_argument("--rtt-ms", type=float, default=100.0)
    p.add_argument("--delay-ms", type=float, default=1000.0, help="push delivery delay of the emulator")
    p.add_argument("--drop-rate", type=float, default=0.2)
    p.add_argument("--drop-edits", type=int, default=100)
    p.add_argument("--out", default=str(ROOT / "bench-results.json"))
    return p.parse_args(argv)


@dataclass
class Edit:
    """One phone edit: its event, and the servers' times of its way (epoch seconds)."""

    resource: str
    event_id: str
    created: float          # the event's `created` on the Google emulator
    arrived: float = 0.0    # the appointment's `updated` in the planner's store
    backstop_minute: int | None = None  # arrived after this many simulated backstop minutes


@dataclass
class Bench:
    stack: Stack
    google: GoogleProcess
    edits: list[Edit] = field(default_factory=list)

    @property
    def ctx(self) -> Any:
        from functions.context import get_context

        return get_context()

    def push_links(self) -> int:
        from google.cloud import firestore

        query = self.ctx.store.db.collection("links").where(filter=firestore.FieldFilter("push", "==", True))
        return sum(1 for _ in query.stream())

    def open_channels(self, timeout: float = 120.0) -> float:
        """Each link's task (as after linking) opens its channel; seconds until all are healthy."""
        from functions.services import dispatch

        started = time.monotonic()
        dispatch.link_changed(self.ctx, self.stack.branch, set(self.stack.resources), datetime.now(UTC))
        while self.push_links() < len(self.stack.resources):
            if time.monotonic() - started > timeout:
                healthy = self.push_links()
                raise RuntimeError(f"only {healthy} of {len(self.stack.resources)} channels healthy")
            time.sleep(0.5)
        self.settle()
        return time.monotonic() - started

    def settle(self, timeout: float = 120.0) -> None:
        from devtools.run import LOCAL_QUEUE

        for _ in range(2):
            self.google.control.wait_push_idle(timeout)
            self.stack.tasks.wait_until_empty(LOCAL_QUEUE, timeout)
            time.sleep(0.5)

    def phone_edits(self, count: int, pace: float, tag: str) -> list[Edit]:
        """`count` events created "on the phone", round-robin over the links, at `pace` a second."""
        out: list[Edit] = []
        lock = threading.Lock()

        def create(n: int) -> None:
            resource = self.stack.resources[n % len(self.stack.resources)]
            day = (datetime.now(UTC) + timedelta(days=2 + n % 20)).date().isoformat()
            hour = 8 + n % 9
            event = self.google.control.phone_create(self.stack.calendars[resource], {
                "summary": f"{tag} {n}", "start": {"dateTime": f"{day}T{hour:02d}:00:00+01:00"},
                "end": {"dateTime": f"{day}T{hour:02d}:45:00+01:00"}})
            with lock:
                out.append(Edit(resource, event["id"], _epoch(event["created"])))

        with ThreadPoolExecutor(max_workers=8) as pool:
            started = time.monotonic()
            for n in range(count):
                time.sleep(max(0.0, started + n / pace - time.monotonic()))
                pool.submit(create, n)
        return out

    def arrived(self, edits: list[Edit]) -> list[Edit]:
        """Fill in `arrived` of every edit whose appointment is in the store; the ones still missing."""
        from functions.sync.mapping import appointment_id_for_event

        pending = [e for e in edits if not e.arrived]
        if not pending:
            return []
        appointments = self.ctx.store.db.collection("branches").document(self.stack.branch).collection(
            "appointments")
        refs = {appointments.document(appointment_id_for_event(self.stack.branch, e.resource, e.event_id)): e
                for e in pending}
        for snap in self.ctx.store.db.get_all(list(refs)):
            if snap.exists:
                refs[snap.reference].arrived = snap.to_dict()["updated"].timestamp()
        return [e for e in pending if not e.arrived]

    def wait_arrived(self, edits: list[Edit], timeout: float) -> list[Edit]:
        deadline = time.monotonic() + timeout
        while (missing := self.arrived(edits)) and time.monotonic() < deadline:
            time.sleep(1.0)  # the latency is read off the servers' times: this only learns when
        return missing

    # -- requests of an idle link --------------------------------------------------------------

    def google_requests(self) -> int:
        return int(self.google.control.counters()["requests"]["http"])

    def idle_check(self, sample: int = 10) -> tuple[float, float, float]:
        """One backstop check of an idle link (the poll task's whole run, push upkeep included):
        its Google requests, Firestore document reads and Firestore writes."""
        from bench.firestore_ops import counting
        from functions.services import dispatch

        self.settle()
        links = self.stack.resources[:sample]
        before = self.google_requests()
        with counting() as firestore:
            for resource in links:
                dispatch.run_task(self.ctx, self.stack.branch, resource, "poll")
        return ((self.google_requests() - before) / len(links), firestore["reads"] / len(links),
                firestore["writes"] / len(links))

    def renewal_requests(self) -> tuple[float, float]:
        """Google requests of one channel renewal (watch a new channel, stop the old one), and
        the channel's life in days as Google gave it."""
        from functions.services import push

        resource = self.stack.resources[-1]
        link = self.ctx.store.get_link(self.stack.branch, resource)
        life = (link.channel_expires_at - link.channel_opened_at).total_seconds() / 86400
        at_80 = link.channel_opened_at + (link.channel_expires_at - link.channel_opened_at) * 0.81
        before = self.google_requests()
        decided = push.upkeep(self.ctx, link, synced=True, missed=False, now=at_80)
        assert decided == "renew", decided
        spent = self.google_requests() - before
        self.settle()
        return spent, life


def _epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def backstop_run(bench: Bench, edits: list[Edit], max_minutes: int = 75) -> int:
    """The dispatcher for successive simulated minutes (one a real second) until every edit has
    arrived; each edit that arrives meanwhile gets the minute it arrived in. Returns the minutes
    simulated."""
    from functions.services import dispatch

    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    start = start.replace(minute=0)
    for minute in range(max_minutes):
        dispatch.dispatch(bench.ctx, start + timedelta(minutes=minute))
        time.sleep(1.0)
        pending = [e for e in edits if not e.arrived]
        bench.arrived(pending)
        for e in pending:
            if e.arrived:
                e.backstop_minute = minute + 1
        if all(e.arrived for e in edits):
            return minute + 1
    return max_minutes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    google = GoogleProcess()
    try:
        with FirestoreEmulator():
            google.control.set_latency(args.rtt_ms)
            google.control.set_push(delay_ms=args.delay_ms)
            results, lines = run(google, args)
    finally:
        google.stop()
    for line in lines:
        print(line)
    out = Path(args.out)
    merged = (json.loads(out.read_text()) if out.exists() else {}) | results
    out.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"added to {out}")
    return 0


def run(google: GoogleProcess, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    from functions.context import reset_caches

    os.environ.pop("GOOGLE_PUSH_URL", None)
    logging.getLogger("functions.services.push").setLevel(logging.WARNING)  # not 1 line per channel
    stack = Stack(google, args.links)
    os.environ["GOOGLE_PUSH_URL"] = stack.base + "/google_push"
    reset_caches()
    bench = Bench(stack, google)
    try:
        opened = bench.open_channels()
        edits = bench.phone_edits(args.edits, args.edits_per_s, "Handy")
        missing = bench.wait_arrived(edits, timeout=120)
        if missing:
            raise RuntimeError(f"{len(missing)} phone edits never reached the planner by push")
        latencies = [e.arrived - e.created for e in edits]
        bench.settle()
        check, check_reads, check_writes = bench.idle_check()
        renewal, life = bench.renewal_requests()
        push_minutes = bench.ctx.settings.push.poll_minutes

        google.control.clear_push_log()
        google.control.set_push(drop_rate=args.drop_rate, seed=11)
        dropped_edits = bench.phone_edits(args.drop_edits, args.edits_per_s, "Verloren?")
        bench.wait_arrived(dropped_edits, timeout=15)  # what push brings
        by_push = sum(1 for e in dropped_edits if e.arrived)
        log = [n for n in google.control.push_log() if n["state"] == "exists"]
        drops = sum(1 for n in log if n["outcome"] == "dropped")
        minutes = backstop_run(bench, dropped_edits)
        google.control.set_push(drop_rate=0.0)
        bench.settle()
    finally:
        stack.stop()

    per_day = 24 * 60 / push_minutes * check + renewal / (life * 0.8)
    all_arrived = all(e.arrived for e in dropped_edits)
    late = [e for e in dropped_edits if e.backstop_minute is not None]
    worst_real = max((e.arrived - e.created for e in dropped_edits if e.arrived), default=0.0)
    worst_backstop = max((e.backstop_minute or 0 for e in late), default=0)
    results = {
        "google_to_planner_p95_s": round(_p95(latencies), 2),
        "google_to_planner_p50_s": round(statistics.median(latencies), 2),
        "google_to_planner_max_s": round(max(latencies), 2),
        "idle_requests_per_link_per_day": round(per_day, 1),
        "links_within_free_quota": math.floor(FREE_REQUESTS_PER_DAY / per_day),
        "idle_check_firestore_reads": round(check_reads, 1),
        "idle_check_firestore_writes": round(check_writes, 1),
        "push_drop_rate": args.drop_rate,
        "push_drop_all_arrived": all_arrived,
        "push_drop_worst_delay_s": round(worst_real, 1),
        "push_drop_worst_backstop_min": worst_backstop,
    }
    rows = [
        (f"phone edit → planner, p95 over {len(latencies)} edits on {args.links} links (s)",
         results["google_to_planner_p95_s"], "≤ 10"),
        (f"idle requests per link per day (push healthy, backstop {push_minutes} min)",
         results["idle_requests_per_link_per_day"], f"≤ 30 (polling: {POLLING_PER_DAY:.0f})"),
        ("links within the free 1,000,000 requests/day", results["links_within_free_quota"], "≥ 30,000"),
        ("Firestore writes of an idle check (the poll task's whole run)",
         results["idle_check_firestore_writes"], "0"),
        (f"{args.drop_rate:.0%} of notifications dropped: every change arrived",
         "yes" if all_arrived else "NO", "yes"),
    ]
    lines = [f"\nPush notifications: RTT {args.rtt_ms:.0f} ms, delivery delay {args.delay_ms:.0f} ms, "
             f"debounce {os.environ.get('SYNC_DEBOUNCE_SECONDS', '2')} s, {args.links} links "
             f"(their channels healthy after {opened:.1f} s)\n", f"{'figure':<66} {'measured':>10}  target"]
    lines += [f"{name:<66} {value!s:>10}  {target}" for name, value, target in rows]
    lines += [
        f"\n  latency p50 {results['google_to_planner_p50_s']} s, max {results['google_to_planner_max_s']} s "
        "(the event's `created` on Google → the appointment's `updated` in the planner's store)",
        f"  an idle check costs {check:g} request(s); a renewal (watch + stop) {renewal:g}, every "
        f"{life * 0.8:.1f} days (80 % of the {life:.0f}-day channel): {24 * 60 / push_minutes * check:g} + "
        f"{renewal / (life * 0.8):.2f} requests a day; and {check_reads:g} Firestore document reads "
        "(branch, link, resource)",
        f"  {args.drop_rate:.0%} dropped: {drops} of {len(log)} notifications were not sent; "
        f"{by_push} of {len(dropped_edits)} edits arrived by push within 15 s, {len(late)} by the backstop",
        f"  worst delay of a change: {worst_real:.1f} s real; on the backstop's clock (the dispatcher "
        f"called for one simulated minute per real second, {minutes} minutes simulated) "
        f"{worst_backstop} min: a change whose notification was lost waits for its link's next "
        f"backstop poll, at most {push_minutes} min with a healthy channel",
    ]
    return results, lines


if __name__ == "__main__":
    raise SystemExit(main())
