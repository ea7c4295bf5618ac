"""`make bench`: what a sync cycle costs, measured on the emulators with an emulated round trip.

Prints, and writes to bench-results.json:
- idle_requests_per_link          Google requests per idle link per cycle        (target 1.00)
- idle_firestore_writes_per_link  Firestore writes per idle link per cycle       (target 0)
- fill_round_trips_2000           HTTP round trips to Google for a first sync of
                                  2,000 appointments (listing, batches, token)    (target ≤ 45)
- idle_cycle_ratio_to_lower_bound wall time of an idle cycle over all links
                                  ÷ (requests × RTT / concurrency)                (target ≤ 1.2)
- baseline_request_ratio          requests of a naive "list everything, write
                                  everything" cycle ÷ ours                        (target ≥ 20)
Everything runs on loopback: the official Firestore emulator and the local Google emulator,
which delays every Calendar API request by the RTT (a batch counts once).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import secrets
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from google.auth.transport.requests import Request
from google.cloud import firestore

from devtools.firestore_emulator import FirestoreEmulator
from devtools.google_emulator import EmulatorServer
from devtools.run import local_environment

ROOT = Path(__file__).resolve().parent.parent
RESOURCES_PER_BRANCH = 20


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--links", type=int, default=1000)
    p.add_argument("--appointments-per-link", type=int, default=5)
    p.add_argument("--rtt-ms", type=float, default=100.0, help="emulated round trip to Google")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--fill", type=int, default=2000)
    p.add_argument("--baseline-sample", type=int, default=100, help="links the naive cycle runs on")
    p.add_argument("--out", default=str(ROOT / "bench-results.json"))
    return p.parse_args()


class World:
    """A project on the emulators with many linked resources, seeded directly (fast)."""

    def __init__(self, google: EmulatorServer) -> None:
        from functions.context import get_context, reset_caches

        env = local_environment(google.root, "http://127.0.0.1:8080")
        env["GOOGLE_CLOUD_PROJECT"] = f"bench-{uuid.uuid4().hex[:8]}"
        env["SECRET_TOKEN_KEY"] = "1:" + base64.b64encode(secrets.token_bytes(32)).decode()
        os.environ.update(env)
        reset_caches()
        self.google = google
        self.ctx = get_context()
        self.db: firestore.Client = self.ctx.store.db

    def seed(self, branch_id: str, links: int, per_link: int, start_day: int = 1) -> list[str]:
        """A branch with `links` linked resources, each with its own calendar and appointments."""
        from functions.adapters.google_oauth import SCOPES
        from functions.domain import Branch, Link, LinkStatus, Resource

        store, cipher = self.ctx.store, self.ctx.cipher
        store.put_branch(Branch(branch_id, branch_id, "Europe/Berlin", True))
        batch, seq, ids, resource_seq = self.db.batch(), 0, [], {}
        for i in range(links):
            rid = f"r{i}"
            email = f"{branch_id}-{rid}@example.com"
            grant, _ = self.google.state.oauth.issue_grant(email, frozenset(SCOPES))
            calendar = self.google.state.calendar.create_calendar(email, f"{branch_id} {rid}")
            store.put_resource(Resource(branch_id, rid, rid, "employee"))
            link = Link(branch_id, rid, LinkStatus.LINKED, account_email=email,
                        google_calendar_id=calendar["id"], granted_scopes=list(SCOPES),
                        sealed_refresh_token=cipher.encrypt(grant.refresh_token, f"{branch_id}:{rid}"))
            store.save_link(link)
            for k in range(per_link):
                seq += 1
                day = (datetime.now(UTC) + timedelta(days=start_day + k % 300)).date().isoformat()
                hour = 8 + k % 9
                ref = self.db.collection("branches").document(branch_id).collection("appointments")
                batch.set(ref.document(f"{rid}-a{k}"), {
                    "resource_id": rid, "start": f"{day}T{hour:02d}:00:00+01:00",
                    "end": f"{day}T{hour:02d}:30:00+01:00", "all_day": False, "title": f"Termin {k}",
                    "location": None, "notes": None, "version": 1, "updated": datetime.now(UTC),
                    "deleted": False, "origin": "planner", "seq": seq})
                if seq % 400 == 0:
                    batch.commit()
                    batch = self.db.batch()
            ids.append(rid)
            resource_seq[rid] = seq
        batch.commit()
        self.db.collection("branches").document(branch_id).set(
            {"appointment_seq": seq, "resource_seq": resource_seq}, merge=True)
        return ids

    def writes_since(self, since: datetime) -> int:
        """Documents created or changed since `since`, found by their update time."""
        count = 0

        def walk(collection: Any) -> None:
            nonlocal count
            for snap in collection.stream():
                if snap.update_time and snap.update_time > since:
                    count += 1
                for sub in snap.reference.collections():
                    walk(sub)

        for top in self.db.collections():
            walk(top)
        return count


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


def main() -> int:
    args = parse_args()
    from devtools.google_emulator.client import EmulatorControl
    from functions.sync.engine import Engine

    with FirestoreEmulator() as _fs, EmulatorServer() as google:
        control = EmulatorControl(google.root)
        world = World(google)
        print(f"seeding {args.links} links × {args.appointments_per_link} appointments …", flush=True)
        branches = max(1, args.links // RESOURCES_PER_BRANCH)
        per_branch = [args.links // branches + (1 if b < args.links % branches else 0)
                      for b in range(branches)]
        links = [(f"b{b}", rid) for b, n in enumerate(per_branch)
                 for rid in world.seed(f"b{b}", n, args.appointments_per_link)]
        engine = Engine(world.ctx, concurrency=args.concurrency)
        for _ in range(3):  # first fill, the echo of our own writes, then quiet
            engine.run()

        # --- the idle cycle -------------------------------------------------------------------
        control.set_latency(args.rtt_ms)
        control.reset_counters()
        since = datetime.now(UTC)
        time.sleep(0.01)
        started = time.perf_counter()
        summary = engine.run()
        idle_wall = time.perf_counter() - started
        counters = control.counters()
        idle_requests = counters["requests"]["http"]
        writes = world.writes_since(since)
        lower_bound = idle_requests * args.rtt_ms / 1000 / args.concurrency

        # --- the naive baseline on a sample, scaled to all links -------------------------------
        sample = links[:args.baseline_sample]
        baseline_requests, baseline_wall = naive_cycle(world, sample, args.concurrency)
        scale = len(links) / len(sample)

        # --- first fill of 2,000 appointments ---------------------------------------------------
        control.set_latency(0)
        world.seed("fill", 1, args.fill)
        tokens_before = len(google.state.oauth.access_tokens)
        control.reset_counters()
        fill_summary = engine.run(branch_id="fill")
        fill_round_trips = (control.counters()["requests"]["http"]
                            + len(google.state.oauth.access_tokens) - tokens_before)

    results = {
        "idle_requests_per_link": round(idle_requests / len(links), 3),
        "idle_firestore_writes_per_link": round(writes / len(links), 3),
        "fill_round_trips_2000": fill_round_trips,
        "idle_cycle_ratio_to_lower_bound": round(idle_wall / lower_bound, 3) if lower_bound else None,
        "baseline_request_ratio": round(
            baseline_requests / len(sample) / max(idle_requests / len(links), 1e-9), 1),
    }
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("Google requests per idle link per cycle", results["idle_requests_per_link"], "1.00"),
        ("Firestore writes per idle link per cycle", results["idle_firestore_writes_per_link"], "0"),
        (f"HTTP round trips, first sync of {args.fill} appointments", fill_round_trips, "≤ 45"),
        (f"idle cycle over {len(links)} links: wall / lower bound",
         results["idle_cycle_ratio_to_lower_bound"], "≤ 1.2"),
        ("naive baseline requests ÷ ours", results["baseline_request_ratio"], "≥ 20"),
    ]
    print(f"\nRTT {args.rtt_ms:.0f} ms, concurrency {args.concurrency}, {len(links)} links, "
          f"{args.appointments_per_link} appointments each\n")
    print(f"{'figure':<58} {'measured':>10}  target")
    for name, value, target in rows:
        print(f"{name:<58} {value!s:>10}  {target}")
    print(f"\n  idle cycle: {idle_wall:.2f} s for {idle_requests} requests; lower bound {lower_bound:.2f} s "
          f"(failed links: {summary.failed})")
    print(f"  naive cycle: {baseline_requests} requests in {baseline_wall:.2f} s on {len(sample)} links "
          f"→ ~{baseline_requests * scale:.0f} requests, ~{baseline_wall * scale:.1f} s for all links")
    print(f"  fill: pushed {fill_summary.pushed}, failed {fill_summary.failed}")
    print(f"  peak memory (RSS): {peak_mb:.0f} MB\n")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
