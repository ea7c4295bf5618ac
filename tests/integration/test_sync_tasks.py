"""Change-driven sync on the local Cloud Tasks API: the functions served on a real loopback port
(Cloud Tasks calls them over HTTP), the official google-cloud-tasks client, the emulators."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from devtools.run import LOCAL_QUEUE, LOCAL_TASKS_INVOKER
from functions.context import get_context, reset_caches
from functions.domain import link_id
from functions.errors import ApiError
from functions.services import dispatch
from functions.sync import schedule
from functions.sync.engine import Engine
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, OTHER_BRANCH, Api
from tests.integration.push_support import push_stack, wait_for
from tests.integration.test_sync import at, live

pytestmark = pytest.mark.firestore


@pytest.fixture
def stack(google: EmulatorServer, firestore_project: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, Any]]:
    """The functions on a free loopback port, the local Cloud Tasks API with the product's queue
    (push_support.push_stack, with push off)."""
    with push_stack(google, monkeypatch, push=False) as served:
        yield served.api, served.tasks


def put(api: Api, appointment_id: str, **fields: Any) -> None:
    body = {"resource_id": "anna", "start": at(2), "end": at(2, 10), "title": "Hörtest"} | fields
    r = api.call("PUT", f"/planner/branches/{BRANCH}/appointments/{appointment_id}", body)
    assert r.status_code == 200, r.get_data(as_text=True)


def linked_anna(api: Api) -> str:
    api.setup_branch()
    return api.link_new_calendar()


def test_a_planner_write_reaches_google_by_itself_within_seconds(stack: tuple[Api, Any]) -> None:
    api, _ = stack
    cal = linked_anna(api)
    control = EmulatorControl(api.google.root)
    put(api, "t1")
    wait_for(lambda: event_id_for(BRANCH, "t1") in live(control, cal))  # nobody called /sync
    put(api, "t1", resource_id="raum-1")  # the link it left is queued (raum-1 is not linked)
    wait_for(lambda: live(control, cal) == {})
    r = api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t1")  # on raum-1: no sync
    assert r.status_code == 204
    put(api, "t2")
    wait_for(lambda: event_id_for(BRANCH, "t2") in live(control, cal))
    r = api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t2")  # queues anna's link
    assert r.status_code == 204
    wait_for(lambda: live(control, cal) == {})


def test_a_burst_of_writes_is_one_sync(stack: tuple[Api, Any]) -> None:
    api, tasks = stack
    cal = linked_anna(api)
    control = EmulatorControl(api.google.root)
    tasks.wait_until_empty(LOCAL_QUEUE)
    before = len(tasks.dispatches())
    started = time.monotonic()
    for i in range(20):
        put(api, f"t{i}", start=at(2 + i % 5), end=at(2 + i % 5, 10))
    burst = time.monotonic() - started
    wait_for(lambda: len(live(control, cal)) == 20)
    tasks.wait_until_empty(LOCAL_QUEUE)
    runs = len(tasks.dispatches()) - before
    assert 1 <= runs <= int(burst) + 2  # one task per debounce window (1 s here), not one per write


def test_the_dispatcher_queues_only_the_links_due_now(stack: tuple[Api, Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    api, _ = stack
    api.setup_branch()
    api.link_new_calendar()
    api.link_new_calendar("raum-1", "Raum 1")
    due_now = schedule.poll_bucket(link_id(BRANCH, "anna"))
    now = datetime.now(UTC).replace(minute=due_now, second=0, microsecond=0)
    ctx = get_context()
    monkeypatch.setattr(type(ctx), "now", staticmethod(lambda: now))
    r = api.call("POST", "/sync", None)
    assert r.status_code == 200, r.get_data(as_text=True)
    expected = {"anna"} | ({"raum-1"} if schedule.poll_bucket(link_id(BRANCH, "raum-1")) % 5 == due_now % 5
                           else set())
    assert r.get_json() == {"dispatched": len(expected), "already_queued": 0}
    again = api.call("POST", "/sync", None).get_json()  # the same minute: named tasks dedupe
    assert again == {"dispatched": 0, "already_queued": len(expected)}


def test_the_worker_takes_only_the_queues_oidc_token(stack: tuple[Api, Any]) -> None:
    api, _ = stack
    api.setup_branch()
    body = {"branch_id": BRANCH, "resource_id": "anna"}
    assert api.call("POST", "/sync_link", body).status_code == 401  # a planner token: no
    control = EmulatorControl(api.google.root)
    wrong = control.id_token("sync-scheduler@demo-planner.iam.gserviceaccount.com", api.public + "/sync_link")
    r = api.client.post("/sync_link", json=body, headers={"Authorization": f"Bearer {wrong}"})
    assert r.status_code == 401
    right = control.id_token(LOCAL_TASKS_INVOKER, api.public + "/sync_link")
    r = api.client.post("/sync_link", json=body, headers={"Authorization": f"Bearer {right}"})
    assert r.status_code == 200 and r.get_json()["status"] == "not_syncing"
    r = api.client.post("/sync_link", json={"branch_id": "../x"},
                        headers={"Authorization": f"Bearer {right}"})
    assert r.status_code == 400


def test_an_outage_answers_retry_and_the_queue_brings_the_change(stack: tuple[Api, Any]) -> None:
    """The first attempt meets Google failing after the write went through (a ghost write: the
    run dies half-way as far as it knows); the queue retries; exactly one event results."""
    api, tasks = stack
    cal = linked_anna(api)
    control = EmulatorControl(api.google.root)
    control.add_fault(503, count=8, kind="write", ghost=True)
    put(api, "t1")
    wait_for(lambda: len(tasks.dispatches()) >= 1)
    wait_for(lambda: any(d.get("status") == 503 for d in tasks.dispatches()), timeout=30)
    wait_for(lambda: any(d.get("status") == 200 for d in tasks.dispatches()), timeout=60)
    assert list(live(control, cal)) == [event_id_for(BRANCH, "t1")]
    assert len([e for e in control.events(cal)]) == 1


def test_a_run_that_crashes_answers_retry_and_logs_its_link(
        linked: tuple[Api, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """An unexpected error inside a link's run: the task answers 503 (the queue retries it), and
    the log line names the link (never its data)."""

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Engine, "sync_link", crash)
    with caplog.at_level(logging.ERROR, logger="functions.sync.engine"), \
            pytest.raises(ApiError) as answer:
        dispatch.run_task(get_context(), BRANCH, "anna")
    assert answer.value.status == 503
    [line] = [r for r in caplog.records if r.getMessage() == "sync of a link failed"]
    assert line.link == f"{BRANCH}:anna"


def dispatch_at(minute: int) -> dict:
    now = datetime.now(UTC).replace(minute=minute, second=0, microsecond=0)
    return dispatch.dispatch(get_context(), now)


def test_a_link_with_a_healthy_channel_is_polled_at_the_push_interval_only_while_push_is_on(
        stack: tuple[Api, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    api, _ = stack
    api.setup_branch()
    api.link_new_calendar()
    bucket = schedule.poll_bucket(link_id(BRANCH, "anna"))
    get_context().store.db.collection("links").document(link_id(BRANCH, "anna")).update(
        {"poll_bucket": None, "push_bucket": bucket})  # what a healthy channel leaves
    off_minute = (bucket + 5) % 60  # due every 5 minutes, not every 60
    assert dispatch_at(off_minute)["dispatched"] == 1  # push off: the normal interval
    monkeypatch.setenv("GOOGLE_PUSH_URL", "https://calendar-bridge.example/google_push")
    reset_caches()
    assert dispatch_at((off_minute + 1) % 60)["dispatched"] == 0  # not its minute at all
    assert dispatch_at(off_minute)["dispatched"] == 0  # push on: only once an hour
    assert dispatch_at(bucket)["dispatched"] == 1


def test_the_dispatcher_leaves_out_links_that_do_not_sync(stack: tuple[Api, Any]) -> None:
    api, _ = stack
    api.setup_branch()
    api.consent(resource="raum-1")  # consented, no calendar yet: nothing to sync
    nothing = {"dispatched": 0, "already_queued": 0}
    assert dispatch_at(schedule.poll_bucket(link_id(BRANCH, "raum-1"))) == nothing
    api.link_new_calendar()
    api.setup_branch(enabled=False)  # the branch's switch off: none of its links
    assert dispatch_at(schedule.poll_bucket(link_id(BRANCH, "anna"))) == nothing


def test_a_push_task_moves_its_channel_to_the_next_round_and_runs_its_own_link_only(api: Api) -> None:
    """Without the queue (the test calls the worker's service itself), so nothing else runs."""
    api.setup_branch()
    api.link_new_calendar()
    api.setup_branch(OTHER_BRANCH)
    other = api.link_new_calendar(branch=OTHER_BRANCH)  # another branch's anna
    r = api.call("PUT", f"/planner/branches/{OTHER_BRANCH}/appointments/h1",
                 {"resource_id": "anna", "start": at(2), "end": at(2, 10), "title": "Hörtest"})
    assert r.status_code == 200
    channel = get_context().store.db.collection("channels").document("c" * 32)
    channel.set({"link_id": link_id(BRANCH, "anna"), "round": 0, "status": "active"})
    dispatch.run_task(get_context(), BRANCH, "anna", schedule.PUSH, "c" * 32)
    assert channel.get().get("round") == 1
    dispatch.run_task(get_context(), BRANCH, "anna", schedule.CHANGE, "c" * 32)  # not a push task
    assert channel.get().get("round") == 1
    assert live(EmulatorControl(api.google.root), other) == {}  # hamburg's anna was not run
