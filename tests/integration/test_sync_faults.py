"""The sync under faults: rate limits, outages, ghost writes, quota, overlapping runs, crashes."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import firestore

from devtools.google_emulator.client import EmulatorControl
from functions.adapters.sync_store import SyncStore
from functions.context import get_context
from functions.domain import LinkStatus
from functions.sync.engine import Engine
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, Api, logged
from tests.integration.test_sync import at, live, put, sync

pytestmark = pytest.mark.firestore


def fill(api: Api, n: int) -> None:
    for i in range(n):
        put(api, f"t{i}", start=at(2 + i % 300, 8 + i % 9), end=at(2 + i % 300, 9 + i % 9))


def exactly_one_each(control: EmulatorControl, cal: str, n: int) -> None:
    events = live(control, cal)
    assert sorted(events) == sorted(event_id_for(BRANCH, f"t{i}") for i in range(n))


def test_rate_limits_are_retried_within_the_run(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    fill(api, 5)
    control.add_fault(429, count=2, kind="write")
    control.add_fault(403, count=1, kind="write")  # rateLimitExceeded
    result = sync(api)
    assert result["failed"] == 0 and result["pushed"] == 5
    exactly_one_each(control, cal, 5)


def test_outage_leaves_the_rest_for_the_next_run(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    fill(api, 8)
    control.add_fault(503, count=1000, kind="write")
    assert sync(api)["failed"] == 1
    assert "retrying next run" in api.status(lang="en")["last_error"]
    control.clear_faults()
    assert sync(api)["failed"] == 0
    exactly_one_each(control, cal, 8)
    assert sync(api)["pushed"] == 0


def test_ghost_writes_still_give_exactly_one_event(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    fill(api, 6)
    control.add_fault(503, count=4, kind="write", method="POST", ghost=True)
    sync(api)
    sync(api)
    exactly_one_each(control, cal, 6)
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}


def test_quota_exceeded_throttles_the_link(linked: tuple[Api, str], control: EmulatorControl,
                                           firestore_client: firestore.Client) -> None:
    api, cal = linked
    fill(api, 3)
    control.add_fault(403, reason="quotaExceeded", count=1, kind="write")
    assert sync(api)["failed"] == 1
    assert api.status()["status"] == "throttled"
    control.reset_counters()
    sync(api)
    assert control.counters()["requests"]["http"] == 0  # no calls while throttled
    firestore_client.collection("links").document(f"{BRANCH}:anna").update({"throttled_until": None})
    assert sync(api)["failed"] == 0
    assert api.status()["status"] == "linked"
    exactly_one_each(control, cal, 3)


def test_one_bad_link_does_not_stop_the_others(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    room_cal = api.link_new_calendar("raum-1", "Raum")
    put(api, "r1", resource_id="raum-1")
    control.delete_calendar(cal)
    result = sync(api)
    assert result["links"] == 2 and result["failed"] == 1 and result["pushed"] == 1
    assert set(live(control, room_cal)) == {event_id_for(BRANCH, "r1")}


def test_overlapping_runs_never_duplicate(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    fill(api, 60)
    control.set_latency(20)  # make the runs overlap for real
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Engine(get_context()).run()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    control.set_latency(0)
    assert errors == []
    sync(api)
    exactly_one_each(control, cal, 60)


def test_a_lease_blocks_a_second_run_until_it_expires(linked: tuple[Api, str]) -> None:
    ctx = get_context()
    store = SyncStore(ctx.store.db)
    link = ctx.store.get_link(BRANCH, "anna")
    now = datetime.now(UTC)
    assert store.acquire(link, "run-a", now) is not None
    assert store.acquire(link, "run-b", now) is None
    assert store.acquire(link, "run-b", now + timedelta(minutes=11)) is not None  # a crashed run's lease
    assert not store.finish(link, "run-a", {})  # run-a lost it


def test_crash_after_google_writes_before_state_commit(linked: tuple[Api, str], control: EmulatorControl,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    api, cal = linked
    fill(api, 5)
    real_commit = SyncStore.commit

    def crash(self: SyncStore, *args: object, **kwargs: object) -> int:
        raise RuntimeError("instance killed")

    monkeypatch.setattr(SyncStore, "commit", crash)
    assert sync(api)["failed"] == 1
    assert len(live(control, cal)) == 5  # Google got the writes, the states did not
    monkeypatch.setattr(SyncStore, "commit", real_commit)
    assert api.status()["status"] == LinkStatus.LINKED
    sync(api)
    exactly_one_each(control, cal, 5)
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}


def test_fill_uses_batches_and_reuses_the_access_token(linked: tuple[Api, str],
                                                       control: EmulatorControl) -> None:
    api, cal = linked
    fill(api, 120)
    control.reset_counters()
    tokens_before = len(api.google.state.oauth.access_tokens)
    assert sync(api)["pushed"] == 120
    counters = control.counters()
    assert counters["requests"]["http"] <= 1 + 3  # one listing, three batches of ≤ 50
    assert counters["calendars"][cal]["write"] == 120
    sync(api)
    sync(api)
    assert len(api.google.state.oauth.access_tokens) - tokens_before <= 1


def test_a_run_reuses_its_connections_across_links(linked: tuple[Api, str],
                                                  control: EmulatorControl) -> None:
    """Each worker keeps one connection to Google for the whole run: handshakes are paid per
    worker, not per link (against Google that is a TCP and a TLS round trip each)."""
    api, _ = linked
    api.setup_branch(resources=("raum-2",))
    for resource in ("raum-1", "raum-2"):
        api.link_new_calendar(resource, resource)
    Engine(get_context(), concurrency=1).run()
    control.reset_counters()
    assert Engine(get_context(), concurrency=1).run().links == 3
    assert control.counters()["requests"]["http"] == 3
    assert control.counters()["connections"] == 1


def test_a_failing_link_logs_no_patient_data(linked: tuple[Api, str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging

    from functions import logs
    from functions.sync.apply import Applier

    api, _ = linked
    title, notes = "Hörtest Frau Müller", "Tinnitus links"
    put(api, "t1", title=title, notes=notes)

    def explode(self: Applier, plan: object) -> None:
        raise RuntimeError(f"cannot write {title!r} ({notes})")

    monkeypatch.setattr(Applier, "apply", explode)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # restored after the test
    stream = io.StringIO()
    logs.configure_logging(stream=stream)
    assert sync(api)["failed"] == 1
    out = stream.getvalue()
    assert "sync of a link failed" in out and "RuntimeError" in out  # the failure is logged ...
    assert title not in out and notes not in out and "Müller" not in out  # ... without patient data


@pytest.mark.parametrize("meanwhile", ["revoke", "new_consent"])
def test_a_run_that_read_the_link_before_a_revoke_does_not_overwrite_it(
        linked: tuple[Api, str], control: EmulatorControl, meanwhile: str, log_lines: io.StringIO) -> None:
    """A run that read the link before a revoke (or a new consent) meets the old grant dead at
    Google; its `needs_reconsent` must not replace what the person just did (seen once on the
    admin page: a withdrawal read `needs_reconsent`)."""
    api, _ = linked
    ctx = get_context()
    stale = ctx.store.get_link(BRANCH, "anna")
    branch, resource = ctx.store.get_branch(BRANCH), ctx.store.get_resource(BRANCH, "anna")
    assert branch is not None and resource is not None
    if meanwhile == "revoke":
        assert api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}).status_code == 200
        expected = "revoked"
    else:
        control.kill_grants()
        api.consent()
        expected = "consented"
    control.kill_grants()  # whatever the stale run holds is dead at Google now
    outcome = Engine(ctx).sync_link(stale, branch, resource)
    assert outcome.failed and outcome.status == "linked"  # the status as the run read it
    assert api.status()["status"] == expected
    [line] = logged(log_lines, "the link changed meanwhile")
    assert line["link"] == f"{BRANCH}:anna"
    actions = [e["action"] for e in api.audit()]
    assert "grant_dead" not in actions


def test_a_dead_grant_of_an_unchanged_link_is_still_marked(linked: tuple[Api, str],
                                                            control: EmulatorControl) -> None:
    api, _ = linked
    ctx = get_context()
    link = ctx.store.get_link(BRANCH, "anna")
    control.kill_grants()
    branch, resource = ctx.store.get_branch(BRANCH), ctx.store.get_resource(BRANCH, "anna")
    outcome = Engine(ctx).sync_link(link, branch, resource)
    assert (outcome.failed, outcome.status) == (True, "needs_reconsent")
    assert api.status()["status"] == "needs_reconsent"
