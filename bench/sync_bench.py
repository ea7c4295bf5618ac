"""`make bench`: what a sync cycle costs, measured on the emulators with an emulated round trip.

Prints, and writes to bench-results.json:
- idle_requests_per_link          Google requests per idle link per cycle        (target 1.00)
- idle_firestore_writes_per_link  Firestore writes per idle link per cycle       (target 0)
- fill_round_trips_2000           HTTP round trips to Google for a first sync of
                                  2,000 appointments (listing, batches, token)    (target ≤ 45)
- idle_cycle_ratio_to_lower_bound wall time of an idle cycle over all links (median of 3)
                                  ÷ (requests × RTT / concurrency)                (target ≤ 1.2)
- baseline_request_ratio          requests of a naive "list everything, write
                                  everything" cycle ÷ ours                        (target ≥ 20)
- heartbeat_writes_per_link_day  Firestore writes of one idle link over a simulated day of
                                  checks every SYNC_POLL_MINUTES: `last_checked_at`, at most
                                  hourly (issue 13)                                (target ≤ 24)
- branch_write_errors             non-2xx answers to the planner's PUTs below     (target 0)
- branch_writes_per_s_1           PUTs per second into one branch, one writer
- branch_writes_per_s_8           the same with 8 parallel writers
- branch_write_speedup            8 writers ÷ 1 writer                            (target ≥ 4)
Everything runs on loopback: the official Firestore emulator and the local Google emulator,
which delays every Calendar API request by the RTT (a batch counts once), and the first request
on a new connection by one RTT more (the handshake: as against Google, keeping connections pays).

The planner writes (issue 10: every write used to transact on the branch document) go through
the planner function (`PUT /planner/branches/{b}/appointments/{a}`, in-process WSGI as in the
integration tests) into one branch of 20 resources, 2,000 appointments with 1 writer and then
2,000 more with 8, in one run. The appointments are spread over the resources as a practice's
calendar arrives from an import or a busy front desk, in order of time: appointment i is in
time slot i ÷ 20 on resource i mod 20, so writes in flight at once are mostly on different
resources (two on one resource queue on its document). Each Firestore RPC is delayed by
--firestore-rtt-ms while these run, as the network to Firestore would (the emulator answers on
loopback): without it a writer is bound by the CPU of this process and of the emulator, and
two cores cap any speedup at 2 whatever the design.
--writes-only measures only these figures (a quick run) and updates them in --out.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from google.auth.transport.requests import Request
from google.cloud import firestore

from bench.firestore_ops import counting
from devtools.firestore_emulator import FirestoreEmulator
from devtools.run import local_environment

ROOT = Path(__file__).resolve().parent.parent
RESOURCES_PER_BRANCH = 20
WRITE_BRANCH = "writes"
PARALLEL_WRITERS = 8


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--links", type=int, default=1000)
    p.add_argument("--appointments-per-link", type=int, default=30,
                   help="future appointments per resource (a busy month)")
    p.add_argument("--rtt-ms", type=float, default=100.0, help="emulated round trip to Google")
    p.add_argument("--concurrency", type=int, default=16, help="links synced at once (the engine default)")
    p.add_argument("--idle-runs", type=int, default=3, help="idle cycles measured; the median counts")
    p.add_argument("--fill", type=int, default=2000)
    p.add_argument("--baseline-sample", type=int, default=100, help="links the naive cycle runs on")
    p.add_argument("--writes", type=int, default=2000,
                   help="planner PUTs into one branch, with 1 and again with 8 writers")
    p.add_argument("--firestore-rtt-ms", type=float, default=10.0,
                   help="emulated round trip to Firestore per RPC, while the planner writes run")
    p.add_argument("--writes-only", action="store_true",
                   help="measure only the planner writes (updates their figures in --out)")
    p.add_argument("--poll-minutes", type=int, default=5,
                   help="the backstop interval of the simulated day (SYNC_POLL_MINUTES' default)")
    p.add_argument("--out", default=str(ROOT / "bench-results.json"))
    return p.parse_args()


class FirestoreLatency:
    """Delays every Firestore RPC of this process by `seconds` (0: off), as the network to
    Firestore would: a gRPC interceptor on the channel the client opens to the emulator.
    Installed before the first Firestore call; the delay is switched on where it is measured."""

    def __init__(self) -> None:
        import grpc
        from google.cloud.firestore_v1 import base_client

        self.seconds = 0.0
        latency = self

        class Delay(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                    grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
            def _delayed(self, continuation: Any, details: Any, request: Any) -> Any:
                if latency.seconds:
                    time.sleep(latency.seconds)
                return continuation(details, request)

            intercept_unary_unary = intercept_unary_stream = _delayed
            intercept_stream_unary = intercept_stream_stream = _delayed

        original = base_client.BaseClient._emulator_channel

        def channel(client: Any, transport: Any) -> Any:
            return grpc.intercept_channel(original(client, transport), Delay())

        base_client.BaseClient._emulator_channel = channel


class GoogleProcess:
    """The Google emulator in a process of its own, so its work is not on our GIL (as Google's isn't)."""

    def __init__(self) -> None:
        from devtools.firestore_emulator import free_port

        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}/"
        command = [sys.executable, "-m", "devtools.google_emulator", "--port", str(self.port)]
        self.proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,  # noqa: S603
                                     stderr=subprocess.DEVNULL)
        from devtools.google_emulator.client import EmulatorControl

        self.control = EmulatorControl(self.root)
        for _ in range(100):
            try:
                self.control.accounts()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the Google emulator did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class World:
    """A project on the emulators with many linked resources, seeded in large batches."""

    def __init__(self, google: GoogleProcess) -> None:
        from functions.context import get_context, reset_caches

        env = local_environment(google.root, "http://127.0.0.1:8080")
        env["GOOGLE_CLOUD_PROJECT"] = f"bench-{uuid.uuid4().hex[:8]}"
        env["SECRET_TOKEN_KEY"] = "1:" + base64.b64encode(secrets.token_bytes(32)).decode()
        os.environ.update(env)
        reset_caches()
        self.google = google
        self.ctx = get_context()
        self.db: firestore.Client = self.ctx.store.db

    def seed(self, branch_id: str, links: int, per_link: int) -> list[str]:
        """A branch with `links` linked resources, each with its own calendar and appointments."""
        from functions.adapters.google_oauth import SCOPES
        from functions.domain import Link, LinkStatus

        cipher, db = self.ctx.cipher, self.db
        branch_ref = db.collection("branches").document(branch_id)
        writes: list[tuple[Any, dict[str, Any]]] = [(branch_ref, {
            "name": branch_id, "timezone": "Europe/Berlin", "google_sync_enabled": True,
            "conflict_policy": "planner_wins", "language": "de"})]
        ids = []
        for i in range(links):
            rid = f"r{i}"
            email = f"{branch_id}-{rid}@example.com"
            grant = self.google.control.issue_grant(email, list(SCOPES))
            calendar = self.google.control.create_calendar(email, f"{branch_id} {rid}")
            writes.append((branch_ref.collection("resources").document(rid),
                           {"name": rid, "kind": "employee", "privacy": "full",
                            "google_calendar_id": calendar["id"], "appointment_seq": per_link}))
            link = Link(branch_id, rid, LinkStatus.LINKED, account_email=email,
                        google_calendar_id=calendar["id"], granted_scopes=list(SCOPES),
                        sealed_refresh_token=cipher.encrypt(grant["refresh_token"], f"{branch_id}:{rid}"))
            link_doc = {**asdict(link), "status": "linked"}
            writes.append((db.collection("links").document(link.link_id), link_doc))
            for k in range(per_link):
                day = (datetime.now(UTC) + timedelta(days=1 + k % 300)).date().isoformat()
                hour = 8 + k % 9
                writes.append((branch_ref.collection("appointments").document(f"{rid}-a{k}"), {
                    "resource_id": rid, "start": f"{day}T{hour:02d}:00:00+01:00",
                    "end": f"{day}T{hour:02d}:30:00+01:00", "all_day": False, "title": f"Termin {k}",
                    "location": None, "notes": None, "version": 1, "updated": datetime.now(UTC),
                    "deleted": False, "origin": "planner", "seqs": {rid: k + 1}}))
            ids.append(rid)
        for start in range(0, len(writes), 450):
            batch = db.batch()
            for ref, data in writes[start:start + 450]:
                batch.set(ref, data, merge=True)
            batch.commit()
        return ids


def naive_cycle(world: World, sample: list[tuple[str, str]], concurrency: int) -> tuple[int, float]:
    """The baseline: list every event, then write every appointment again, one call each."""
    from functions.adapters.google_calendar import CalendarApi, credentials
    from functions.sync.mapping import event_id_for

    ctx = world.ctx
    apis = {}
    for branch_id, rid in sample:
        link = ctx.store.get_link(branch_id, rid)
        token = ctx.cipher.decrypt(link.sealed_refresh_token or {}, link.link_id)
        creds = credentials(ctx.settings, ctx.oauth_client, token)
        apis[(branch_id, rid)] = (link, CalendarApi(ctx.settings, creds))
    for _, api in apis.values():  # warm the access tokens, as our engine's cycle had them warm
        api.creds.refresh(Request())

    def one(key: tuple[str, str]) -> int:
        link, api = apis[key]
        requests, page = 0, None
        events = {}
        while True:
            answer = api.call(api.service.events().list(calendarId=link.google_calendar_id, pageToken=page,
                                                        singleEvents=True))
            requests += 1
            events.update({e["id"]: e for e in answer.get("items", [])})
            page = answer.get("nextPageToken")
            if not page:
                break
        appointments = world.db.collection("branches").document(key[0]).collection("appointments").where(
            filter=firestore.FieldFilter("resource_id", "==", key[1])).stream()
        for snap in appointments:
            event_id = event_id_for(key[0], snap.id)
            body = {"summary": snap.get("title"), "start": {"dateTime": snap.get("start")},
                    "end": {"dateTime": snap.get("end")}}
            api.call(api.service.events().update(calendarId=link.google_calendar_id, eventId=event_id,
                                                 body=body))
            requests += 1
        return requests

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        total = sum(pool.map(one, list(apis)))
    return total, time.perf_counter() - started


def branch_writes(world: World, writes: int, rtt_ms: float, latency: FirestoreLatency) -> dict[str, Any]:
    """The planner's PUTs into one branch of 20 resources, with 1 writer, then with 8."""
    from werkzeug.test import Client

    from devtools.devserver import create_devserver_app, dev_token

    app = create_devserver_app()
    headers = {"Authorization": f"Bearer {dev_token('planner')}"}
    setup = Client(app)
    base = f"/planner/branches/{WRITE_BRANCH}"
    answers = [setup.put(base, json={"timezone": "Europe/Berlin", "google_sync_enabled": True},
                         headers=headers)]
    kinds = ["employee"] * 12 + ["room"] * 5 + ["device"] * 3
    answers += [setup.put(f"{base}/resources/r{n}", json={"name": f"r{n}", "kind": kind}, headers=headers)
                for n, kind in enumerate(kinds)]
    assert all(a.status_code == 200 for a in answers), [a.get_data(as_text=True) for a in answers]
    first_day = datetime.now(UTC).date() + timedelta(days=1)
    clients = threading.local()

    def put(name: str, i: int) -> int:
        client = getattr(clients, "client", None) or Client(app)
        clients.client = client
        slot = i // len(kinds)  # time order: 18 slots of 30 minutes a day, then the next day
        day, start = first_day + timedelta(days=slot // 18), 8 * 60 + 30 * (slot % 18)
        at = f"{day.isoformat()}T{start // 60:02d}:{start % 60:02d}:00+01:00"
        until = f"{day.isoformat()}T{(start + 30) // 60:02d}:{(start + 30) % 60:02d}:00+01:00"
        body = {"resource_id": f"r{i % len(kinds)}", "start": at, "end": until, "title": f"Termin {i}"}
        return client.put(f"{base}/appointments/{name}-{i}", json=body, headers=headers).status_code

    def run(name: str, writers: int, count: int) -> tuple[float, int]:
        started = time.perf_counter()
        with ThreadPoolExecutor(writers) as pool:
            codes = list(pool.map(lambda i: put(name, i), range(count)))
        return time.perf_counter() - started, sum(1 for c in codes if not 200 <= c < 300)

    latency.seconds = rtt_ms / 1000
    try:
        run("warm", PARALLEL_WRITERS, 2 * PARALLEL_WRITERS)  # connections and the emulator's JIT
        one_wall, one_errors = run("one", 1, writes)
        many_wall, many_errors = run("many", PARALLEL_WRITERS, writes)
    finally:
        latency.seconds = 0.0
    return {"writes": writes, "resources": len(kinds), "write_errors": one_errors + many_errors,
            "writes_per_s_1": writes / one_wall, "writes_per_s_8": writes / many_wall}


def main() -> int:
    args = parse_args()
    # Ctrl-C and SIGTERM unwind normally, so both emulators are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from functions.sync.engine import Engine

    latency = FirestoreLatency()
    google = GoogleProcess()
    try:
        with FirestoreEmulator() as _fs:
            if args.writes_only:
                world = World(google)
                print(f"planner writes: {args.writes} with 1 writer, {args.writes} with "
                      f"{PARALLEL_WRITERS} …", flush=True)
                return report_writes(args, branch_writes(world, args.writes, args.firestore_rtt_ms, latency))
            figures = measure(args, google, Engine)
            print(f"planner writes: {args.writes} with 1 writer, {args.writes} with "
                  f"{PARALLEL_WRITERS} …", flush=True)
            figures["branch"] = branch_writes(figures.pop("world"), args.writes, args.firestore_rtt_ms,
                                              latency)
    finally:
        google.stop()
    return report(args, figures)


def measure(args: argparse.Namespace, google: GoogleProcess, engine_class: Any) -> dict[str, Any]:
    control = google.control
    world = World(google)
    print(f"seeding {args.links} links × {args.appointments_per_link} appointments …", flush=True)
    branches = max(1, args.links // RESOURCES_PER_BRANCH)
    per_branch = [args.links // branches + (1 if b < args.links % branches else 0) for b in range(branches)]
    links = [(f"b{b}", rid) for b, n in enumerate(per_branch)
             for rid in world.seed(f"b{b}", n, args.appointments_per_link)]
    engine = engine_class(world.ctx, concurrency=args.concurrency)
    print("first sync of every link …", flush=True)
    for _ in range(3):  # the first fill, the echo of our own writes, then quiet
        engine.run()

    # --- the idle cycle: first without latency (our CPU and the emulator's), then with the RTT ----
    started = time.perf_counter()
    engine.run()
    cpu_wall = time.perf_counter() - started
    control.set_latency(args.rtt_ms)
    walls, counts, connections = [], [], []
    with counting() as firestore_ops:
        for _ in range(args.idle_runs):  # the median of a few cycles: one is at the mercy of the machine
            control.reset_counters()
            started = time.perf_counter()
            summary = engine.run()
            walls.append(time.perf_counter() - started)
            counters = control.counters()
            counts.append(counters["requests"]["http"] + counters["requests"]["token"])
            connections.append(counters["connections"])
    idle_wall, idle_requests = statistics.median(walls), max(counts)
    idle_writes = firestore_ops["writes"] / args.idle_runs

    # --- the naive baseline on a sample, scaled to all links -------------------------------------
    print("naive baseline …", flush=True)
    sample = links[:args.baseline_sample]
    baseline_requests, baseline_wall = naive_cycle(world, sample, args.concurrency)

    # --- first sync of 2,000 appointments ----------------------------------------------------------
    control.set_latency(0)
    world.seed("fill", 1, args.fill)
    control.reset_counters()
    fill_summary = engine.run(branch_id="fill")
    counters = control.counters()
    requests = counters["requests"]
    heartbeat = heartbeat_day(world, engine_class, links[-1], args.poll_minutes)  # not the baseline's
    return {"world": world, "heartbeat": heartbeat, "links": len(links), "sample": len(sample),
            "summary": summary,
            "idle_wall": idle_wall,
            "idle_requests": idle_requests, "idle_writes": idle_writes, "cpu_wall": cpu_wall,
            "idle_walls": walls, "idle_connections": max(connections),
            "baseline_requests": baseline_requests, "baseline_wall": baseline_wall,
            "fill_round_trips": requests["http"] + requests["token"], "fill_summary": fill_summary,
            "fill_connections": counters["connections"]}


def heartbeat_day(world: World, engine_class: Any, link: tuple[str, str],
                  poll_minutes: int) -> dict[str, Any]:
    """One idle link checked every `poll_minutes` over a simulated day (the engine's clock moved
    on, Google's and Firestore's real): the Firestore writes and Google requests it costs."""
    branch, resource_id = link
    engine_class(world.ctx).run(branch, resource_id)  # settled: the day starts with an idle link
    start = datetime.now(UTC)
    checks = 24 * 60 // poll_minutes
    world.google.control.reset_counters()
    with counting() as ops:
        for i in range(checks):
            moment = start + timedelta(minutes=poll_minutes * i)
            engine_class(world.ctx, now=lambda m=moment: m).run(branch, resource_id)
    return {"checks": checks, "writes": ops["writes"],
            "requests": world.google.control.counters()["requests"]["http"]}


def write_figures(w: dict[str, Any]) -> dict[str, Any]:
    return {
        "branch_write_errors": w["write_errors"],
        "branch_writes_per_s_1": round(w["writes_per_s_1"], 1),
        "branch_writes_per_s_8": round(w["writes_per_s_8"], 1),
        "branch_write_speedup": round(w["writes_per_s_8"] / w["writes_per_s_1"], 2),
    }


def write_rows(w: dict[str, Any]) -> list[tuple[str, Any, str]]:
    figures = write_figures(w)
    return [
        (f"planner PUTs into one branch: non-2xx of {2 * w['writes']}", figures["branch_write_errors"], "0"),
        ("  PUTs per second, 1 writer", figures["branch_writes_per_s_1"], ""),
        (f"  PUTs per second, {PARALLEL_WRITERS} writers", figures["branch_writes_per_s_8"], ""),
        (f"  speedup {PARALLEL_WRITERS} writers ÷ 1", figures["branch_write_speedup"], "≥ 4"),
    ]


def write_note(args: argparse.Namespace, w: dict[str, Any]) -> str:
    return (f"  planner writes: {w['writes']} appointments per run over {w['resources']} resources in "
            f"time order (appointment i on resource i mod {w['resources']}), Firestore round trip "
            f"{args.firestore_rtt_ms:.0f} ms per RPC (emulated)")


def report_writes(args: argparse.Namespace, w: dict[str, Any]) -> int:
    print(f"\n{'figure':<58} {'measured':>10}  target")
    for name, value, target in write_rows(w):
        print(f"{name:<58} {value!s:>10}  {target}")
    print(write_note(args, w) + "\n")
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps(results | write_figures(w), indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


def report(args: argparse.Namespace, f: dict[str, Any]) -> int:
    links, sample = f["links"], f["sample"]
    idle_requests, idle_wall = f["idle_requests"], f["idle_wall"]
    lower_bound = idle_requests * args.rtt_ms / 1000 / args.concurrency
    baseline_requests, baseline_wall = f["baseline_requests"], f["baseline_wall"]
    scale = links / sample
    fill_round_trips = f["fill_round_trips"]
    results = {
        "idle_requests_per_link": round(idle_requests / links, 3),
        "idle_firestore_writes_per_link": round(f["idle_writes"] / links, 3),
        "fill_round_trips_2000": fill_round_trips,
        "idle_cycle_ratio_to_lower_bound": round(idle_wall / lower_bound, 3) if lower_bound else None,
        "baseline_request_ratio": round(
            baseline_requests / sample / max(idle_requests / links, 1e-9), 1),
        "heartbeat_writes_per_link_day": f["heartbeat"]["writes"],
        **write_figures(f["branch"]),
    }
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("Google requests per idle link per cycle", results["idle_requests_per_link"], "1.00"),
        ("Firestore writes per idle link per cycle", results["idle_firestore_writes_per_link"], "0"),
        (f"HTTP round trips, first sync of {args.fill} appointments", fill_round_trips, "≤ 45"),
        (f"idle cycle over {links} links: wall / lower bound",
         results["idle_cycle_ratio_to_lower_bound"], "≤ 1.2"),
        ("naive baseline requests ÷ ours", results["baseline_request_ratio"], "≥ 20"),
        (f"Firestore writes of an idle link a day ({f['heartbeat']['checks']} checks)",
         results["heartbeat_writes_per_link_day"], "≤ 24"),
        *write_rows(f["branch"]),
    ]
    print(f"\nRTT {args.rtt_ms:.0f} ms, concurrency {args.concurrency}, {links} links, "
          f"{args.appointments_per_link} appointments each\n")
    print(f"{'figure':<58} {'measured':>10}  target")
    for name, value, target in rows:
        print(f"{name:<58} {value!s:>10}  {target}")
    cycles = ", ".join(f"{w:.2f}" for w in f["idle_walls"])
    print(f"\n  idle cycle: {idle_wall:.2f} s (median of {cycles}) for {idle_requests} requests; "
          f"lower bound {lower_bound:.2f} s (failed links: {f['summary'].failed}); "
          f"{f['idle_connections']} connections opened, each paying a handshake round trip")
    print(f"  the same idle cycle without emulated latency: {f['cpu_wall']:.2f} s (CPU of the client "
          "libraries here and of the one-process emulator: what sits on top of the lower bound)")
    print(f"  naive cycle: {baseline_requests} requests in {baseline_wall:.2f} s on {sample} links "
          f"→ ~{baseline_requests * scale:.0f} requests, ~{baseline_wall * scale:.1f} s for all links")
    print(f"  fill: pushed {f['fill_summary'].pushed}, failed {f['fill_summary'].failed}, over "
          f"{f['fill_connections']} connection(s) (HTTP round trips above; handshakes not counted)")
    hb = f["heartbeat"]
    print(f"  heartbeat: {hb['checks']} idle checks of one link over a simulated day (every "
          f"{args.poll_minutes} min) wrote {hb['writes']} time(s) (`last_checked_at`, at most hourly) "
          f"and made {hb['requests']} Google requests")
    print(write_note(args, f["branch"]))
    print(f"  peak memory (RSS): {peak_mb:.0f} MB\n")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
