"""Google push notifications end to end: the functions on a loopback port, the local Cloud Tasks
API, the Firestore emulator and the Google emulator delivering notifications to `google_push`."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from devtools.google_emulator import EmulatorServer
from functions import i18n
from functions.context import reset_caches
from functions.domain import Link
from functions.services import dispatch, push
from functions.sync import channels, schedule
from functions.sync.engine import ACCOUNTS
from tests.integration.conftest import BRANCH, logged
from tests.integration.push_support import PushStack, frozen_now, push_stack, wait_for
from tests.integration.test_sync import at
from tests.integration.test_sync_tasks import put

pytestmark = pytest.mark.firestore


@pytest.fixture
def stack(google: EmulatorServer, firestore_project: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[PushStack]:
    with push_stack(google, monkeypatch) as s:
        yield s


def linked(stack: PushStack) -> str:
    """anna linked to a new calendar; its first task has run and its channel is confirmed."""
    stack.api.setup_branch()
    cal = stack.api.link_new_calendar()
    wait_for(lambda: stack.link().push)
    stack.settle()
    return cal


def test_linking_opens_a_channel_with_a_hashed_token(stack: PushStack) -> None:
    cal = linked(stack)
    link = stack.link()
    [opened] = stack.google_channels("active")
    assert opened["id"] == link.channel_id and opened["calendar_id"] == cal
    assert opened["address"] == stack.api.public + "/google_push"
    doc = stack.channel(link.channel_id)
    assert doc["status"] == "active" and doc["confirmed"]
    assert doc["google_resource_id"] == opened["resource_id"]
    token = opened["token"]
    assert len(token) >= 40 and token not in str(doc)  # only its hash is stored
    assert doc["token_sha256"] == channels.token_hash(token) != hashlib.sha256(token.encode()).hexdigest()
    assert link.push
    assert link.channel_expires_at.timestamp() * 1000 == pytest.approx(opened["expiration"], abs=1)
    status = stack.api.status()
    assert status["push"] == {"active": True, "expires_at": link.channel_expires_at.isoformat()}
    snap = stack.ctx.store.db.collection("links").document(f"{BRANCH}:anna").get().to_dict()
    assert snap["poll_bucket"] is None and snap["push_bucket"] is not None  # the long interval


def notify(stack: PushStack, channel: dict, state: str = "exists", number: int = 2,
           **headers: str) -> tuple[int, dict]:
    """A notification as Google sends it (empty body), for `channel` (the emulator's view)."""
    sent = {"X-Goog-Channel-ID": channel["id"], "X-Goog-Channel-Token": channel["token"] or "",
            "X-Goog-Resource-ID": channel["resource_id"], "X-Goog-Resource-URI": channel["resource_uri"],
            "X-Goog-Resource-State": state, "X-Goog-Message-Number": str(number)} | headers
    r = stack.api.client.post("/google_push", headers={k: v for k, v in sent.items() if v is not None})
    return r.status_code, r.get_json()


def queued(stack: PushStack) -> int:
    record = stack.tasks.state.queues.get("projects/demo-planner/locations/europe-west3/queues/sync-links")
    return len(record.tasks) if record else 0


def test_a_wrong_token_is_refused_and_queues_nothing(stack: PushStack) -> None:
    linked(stack)
    [channel] = stack.google_channels("active")
    runs = len(stack.tasks.dispatches())
    assert notify(stack, channel, **{"X-Goog-Channel-Token": "nicht-das-token"})[0] == 403
    assert notify(stack, channel, **{"X-Goog-Channel-Token": None})[0] == 403  # none at all
    assert queued(stack) == 0
    stack.settle()
    assert len(stack.tasks.dispatches()) == runs


def test_unknown_stopped_and_foreign_channels_answer_200_and_queue_nothing(stack: PushStack) -> None:
    linked(stack)
    [channel] = stack.google_channels("active")
    unknown = channel | {"id": "0" * 32}
    assert notify(stack, unknown) == (200, {"status": "ignored"})
    assert notify(stack, channel | {"id": "../links/x"}) == (200, {"status": "ignored"})
    other = notify(stack, channel, **{"X-Goog-Resource-ID": "another-resource"})
    assert other == (200, {"status": "ignored"})
    stack.ctx.store.db.collection("channels").document(channel["id"]).update({"status": "stopped"})
    assert notify(stack, channel) == (200, {"status": "ignored"})
    assert queued(stack) == 0


def test_without_a_task_queue_a_notification_is_ignored_and_queues_nothing(
        stack: PushStack, monkeypatch: pytest.MonkeyPatch) -> None:
    linked(stack)
    [channel] = stack.google_channels("active")
    monkeypatch.delenv("SYNC_QUEUE")
    reset_caches()
    assert notify(stack, channel) == (200, {"status": "ignored"})
    assert queued(stack) == 0


def test_a_notification_the_queue_cannot_take_is_503_so_that_google_sends_it_again(
        stack: PushStack, monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO) -> None:
    linked(stack)
    [channel] = stack.google_channels("active")
    monkeypatch.setenv("SYNC_QUEUE", "projects/demo-planner/locations/europe-west3/queues/gone")
    reset_caches()
    status, body = notify(stack, channel, **{"Accept-Language": "en"})
    assert (status, body["error"]["code"]) == (503, "unavailable")
    assert body["error"]["message"] == i18n.MESSAGES["sync_not_queued"]["en"]
    [line] = logged(log_lines, "could not queue")
    assert line["link"] == f"{BRANCH}:anna" and line["severity"] == "WARNING"
    assert queued(stack) == 0


def test_each_round_of_a_channel_is_one_task_named_after_its_link_channel_and_round(
        stack: PushStack) -> None:
    linked(stack)
    [channel] = stack.google_channels("active")
    assert notify(stack, channel, number=10)[1]["status"] == "queued"
    stack.settle()
    assert notify(stack, channel, number=11)[1]["status"] == "queued"  # the run moved it on a round
    stack.settle()
    names = [run["task"].rpartition("/")[2] for run in stack.push_runs()]
    assert [n.rpartition("-push-")[2].rsplit("-", 1)[0] for n in names] == [  # less the hour
        f"{channel['id']}-0", f"{channel['id']}-1"]
    assert all(n.startswith(f"{BRANCH}-anna-") for n in names)


def test_missing_or_malformed_headers_are_400(stack: PushStack) -> None:
    linked(stack)
    [channel] = stack.google_channels("active")
    for name in ("X-Goog-Channel-ID", "X-Goog-Resource-ID", "X-Goog-Resource-State", "X-Goog-Message-Number"):
        status, body = notify(stack, channel, **{name: None})
        assert status == 400 and body["error"]["code"] == "missing_header", name
    assert notify(stack, channel, **{"X-Goog-Message-Number": "zwei"})[0] == 400
    assert stack.api.client.get("/google_push").status_code == 405
    assert queued(stack) == 0


def test_a_burst_of_twenty_notifications_is_one_task_and_one_sync(stack: PushStack) -> None:
    cal = linked(stack)
    [channel] = stack.google_channels("active")
    stack.control.reset_counters()
    answers = [notify(stack, channel, number=10 + i)[1]["status"] for i in range(20)]
    assert answers == ["queued"] + ["already_queued"] * 19
    stack.settle()
    assert len(stack.push_runs()) == 1
    assert stack.control.counters()["calendars"][cal]["read"] == 1  # one events.list


def feed(stack: PushStack) -> list[dict]:
    r = stack.api.call("GET", f"/planner/branches/{BRANCH}/changes")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["changes"]


def phone_event(summary: str = "Zahnarzt") -> dict:
    return {"summary": summary, "start": {"dateTime": at(3, 10)}, "end": {"dateTime": at(3, 11)}}


def test_a_phone_edit_reaches_the_planner_by_push_without_any_poll(stack: PushStack) -> None:
    cal = linked(stack)
    stack.control.phone_create(cal, phone_event())
    change = wait_for(lambda: [c for c in feed(stack) if c["origin"] == "google"], timeout=10)
    assert change[0]["appointment"]["title"] == "Zahnarzt"
    stack.settle()
    assert stack.push_runs() and not [d for d in stack.tasks.dispatches() if "-poll-" in d["task"]]


def past_minute(bucket: int) -> datetime:
    """The latest minute ≤ now whose minute of the hour is `bucket` (a poll due at once)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    at_bucket = now.replace(minute=bucket)
    return at_bucket if at_bucket <= now else at_bucket - timedelta(hours=1)


def test_dropped_notifications_are_caught_by_the_backstop(stack: PushStack) -> None:
    cal = linked(stack)
    old = stack.link().channel_id
    stack.control.set_push(drop_rate=1.0)
    stack.control.phone_create(cal, phone_event("Verpasst"))
    stack.settle()
    assert not [c for c in feed(stack) if c["origin"] == "google"]  # no notification: nothing yet
    bucket = schedule.poll_bucket(f"{BRANCH}:anna")
    ctx = stack.ctx
    missed = past_minute((bucket + 1) % 60)  # not its push minute: not due
    assert dispatch.dispatch(ctx, missed) == {"dispatched": 0, "already_queued": 0}
    five_later = past_minute((bucket + 5) % 60)  # the normal interval's minute: not while push is healthy
    assert dispatch.dispatch(ctx, five_later) == {"dispatched": 0, "already_queued": 0}
    assert dispatch.dispatch(ctx, past_minute(bucket))["dispatched"] == 1  # the push backstop
    stack.settle()
    [change] = [c for c in feed(stack) if c["origin"] == "google"]
    assert change["appointment"]["title"] == "Verpasst"
    link = stack.link()
    assert not link.push and link.channel_id != old  # missing notifications: renewed, normal interval
    states = {c["id"]: c["status"] for c in stack.google_channels()}
    assert states == {old: "stopped", link.channel_id: "active"}
    assert dispatch.dispatch(ctx, past_minute((bucket + 5) % 60))["dispatched"] == 1  # every 5 min again


def test_a_renewal_overlap_writes_nothing_twice(stack: PushStack) -> None:
    cal = linked(stack)
    ctx = stack.ctx
    link = stack.link()
    api, _ = ACCOUNTS.get(ctx, link)
    assert push.open_channel(ctx, api, link, ctx.now())  # the new one; the old is not stopped yet
    wait_for(lambda: stack.link().push)
    assert len(stack.google_channels("active")) == 2
    stack.control.reset_counters()
    stack.control.phone_create(cal, phone_event("Beide Kanäle"))
    put(stack.api, "t1")
    stack.settle()
    log = [e for e in stack.control.push_log() if e["state"] == "exists" and e["outcome"] == "delivered"]
    assert {e["channel_id"] for e in log} == {c["id"] for c in stack.google_channels("active")}
    assert stack.control.counters()["calendars"][cal]["write"] == 1  # t1's event, once
    events = [e for e in stack.control.events(cal) if e["status"] != "cancelled"]
    assert sorted(e["summary"] for e in events) == ["Beide Kanäle", "Hörtest"]
    google_changes = [c for c in feed(stack) if c["origin"] == "google"]
    assert [c["appointment"]["title"] for c in google_changes] == ["Beide Kanäle"]


def renewed_at_81_percent(stack: PushStack, monkeypatch: pytest.MonkeyPatch, old: Link) -> Link:
    """The link's task at 81 % of its channel's life (both clocks): the link with its new channel."""
    life = old.channel_expires_at - old.channel_opened_at
    stack.control.advance_clock((life * 0.81).total_seconds())
    frozen_now(monkeypatch, old.channel_opened_at + life * 0.81)
    dispatch.run_task(stack.ctx, BRANCH, "anna", schedule.POLL)
    new = wait_for(lambda: (link := stack.link()).push and link)
    assert new.channel_id != old.channel_id
    return new


def test_a_channel_is_renewed_at_80_percent_of_its_life(stack: PushStack,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    linked(stack)
    old = stack.link()
    life = old.channel_expires_at - old.channel_opened_at
    early = old.channel_opened_at + life * 0.79
    frozen_now(monkeypatch, early)
    dispatch.run_task(stack.ctx, BRANCH, "anna", schedule.POLL)
    assert stack.link().channel_id == old.channel_id  # not yet
    new = renewed_at_81_percent(stack, monkeypatch, old)
    states = {c["id"]: c["status"] for c in stack.google_channels()}
    assert states == {old.channel_id: "stopped", new.channel_id: "active"}
    assert stack.channel(old.channel_id)["status"] == "stopped"


@pytest.mark.parametrize("ended", ["stopped", "abandoned", "deleted"])
def test_a_renewal_leaves_an_old_channel_that_was_ended_meanwhile_alone(
        stack: PushStack, monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO, ended: str) -> None:
    linked(stack)
    old = stack.link()
    ref = stack.ctx.store.db.collection("channels").document(old.channel_id)
    ended_at = datetime(2026, 1, 1, tzinfo=UTC)
    if ended == "deleted":  # ended long ago: its document has expired
        ref.delete()
    else:  # another run ended it (in our records only: Google is never asked twice)
        ref.update({"status": ended, "ended_at": ended_at})
    new = renewed_at_81_percent(stack, monkeypatch, old)
    states = {c["id"]: c["status"] for c in stack.google_channels()}
    assert states == {old.channel_id: "active", new.channel_id: "active"}
    if ended != "deleted":
        doc = stack.channel(old.channel_id)
        assert (doc["status"], doc["ended_at"]) == (ended, ended_at)
    assert "upkeep failed" not in log_lines.getvalue()


def test_a_watch_google_refuses_is_tried_again_an_hour_later_and_the_link_polls_meanwhile(
        stack: PushStack, monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO) -> None:
    stack.api.setup_branch()
    stack.control.add_fault(403, reason="quotaExceeded", count=1, path_regex="events/watch")
    stack.api.link_new_calendar()
    stack.settle()
    link = stack.link()
    assert not link.push and not link.channel_id and not stack.google_channels()
    [refused] = [d.to_dict() for d in stack.ctx.store.db.collection("channels").stream()]
    assert refused["status"] == "abandoned"
    [line] = logged(log_lines, "refused the push channel")
    assert (line["link"], line["reason"], line["severity"]) == (f"{BRANCH}:anna", "Throttled", "WARNING")
    retry_at = link.push_retry_at
    assert retry_at - refused["created_at"] == channels.RETRY_AFTER_REFUSAL
    frozen_now(monkeypatch, retry_at - timedelta(minutes=1))
    dispatch.run_task(stack.ctx, BRANCH, "anna", schedule.POLL)  # the normal poll; no new watch yet
    assert not stack.google_channels() and not stack.link().channel_id
    frozen_now(monkeypatch, retry_at + timedelta(minutes=1))
    dispatch.run_task(stack.ctx, BRANCH, "anna", schedule.POLL)
    link = wait_for(lambda: (lk := stack.link()).push and lk)
    [active] = stack.google_channels("active")
    assert active["id"] == link.channel_id and link.push_retry_at is None


def test_a_channel_google_opened_after_the_link_moved_on_is_stopped_at_google_again(
        stack: PushStack, monkeypatch: pytest.MonkeyPatch) -> None:
    stack.api.setup_branch()
    watch = push.google_channels.watch
    links = stack.ctx.store.db.collection("links")

    def watch_while_the_calendar_goes_missing(*args: object, **kwargs: object) -> object:
        opened = watch(*args, **kwargs)
        links.document(f"{BRANCH}:anna").update({"status": "calendar_missing"})  # meanwhile
        return opened

    monkeypatch.setattr(push.google_channels, "watch", watch_while_the_calendar_goes_missing)
    stack.api.link_new_calendar()
    [opened] = wait_for(lambda: stack.google_channels())
    wait_for(lambda: stack.channel(opened["id"])["status"] == "stopped")
    assert {c["id"]: c["status"] for c in stack.google_channels()} == {opened["id"]: "stopped"}
    snap = links.document(f"{BRANCH}:anna").get().to_dict()
    assert not snap.get("channel_id") and not snap.get("push")


def test_revoke_stops_the_channel(stack: PushStack) -> None:
    linked(stack)
    channel_id = stack.link().channel_id
    r = stack.api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}, role="admin")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert {c["id"]: c["status"] for c in stack.google_channels()} == {channel_id: "stopped"}
    assert stack.channel(channel_id)["status"] == "stopped"
    assert "push" not in stack.api.status() and not stack.link().channel_id


@pytest.mark.parametrize(("fault", "reason"), [((503, None, 4), "503 backendError"),
                                               ((403, "quotaExceeded", 1), "Throttled")])
def test_a_stop_google_refuses_is_logged_with_the_channel_and_the_withdrawal_goes_on(
        stack: PushStack, log_lines: io.StringIO, fault: tuple, reason: str) -> None:
    linked(stack)
    channel_id = stack.link().channel_id
    code, google_reason, count = fault
    stack.control.add_fault(code, reason=google_reason, count=count, path_regex="channels/stop")
    r = stack.api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}, role="admin")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert {c["id"]: c["status"] for c in stack.google_channels()} == {channel_id: "active"}  # expires
    assert stack.channel(channel_id)["status"] == "stopped"  # its notifications are ignored
    [line] = logged(log_lines, "could not stop")
    assert (line["channel"], line["reason"]) == (channel_id, reason)


def test_a_revoke_after_the_grant_died_gives_the_channel_up_without_asking_google(stack: PushStack) -> None:
    """The link already needs consent again (its run found the grant dead before any upkeep
    ended the channel): the withdrawal asks Google nothing, the channel expires by itself."""
    linked(stack)
    channel_id = stack.link().channel_id
    ref = stack.ctx.store.db.collection("links").document(f"{BRANCH}:anna")
    ref.update({"status": "needs_reconsent"})
    r = stack.api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}, role="admin")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert {c["id"]: c["status"] for c in stack.google_channels()} == {channel_id: "active"}
    assert stack.channel(channel_id)["status"] == "abandoned"
    assert not stack.link().channel_id


def test_a_relink_stops_the_old_channel_and_opens_one_on_the_new_calendar(stack: PushStack) -> None:
    linked(stack)
    old = stack.link().channel_id
    r = stack.api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Anna neu"}},
                       role="admin")
    assert r.status_code == 200, r.get_data(as_text=True)
    new_calendar = r.get_json()["google_calendar_id"]
    assert {c["id"]: c["status"] for c in stack.google_channels()} == {old: "stopped"}
    link = wait_for(lambda: (lk := stack.link()).push and lk)  # the task after linking opens it
    [active] = stack.google_channels("active")
    assert active["id"] == link.channel_id != old and active["calendar_id"] == new_calendar


def test_switching_the_branch_off_stops_its_channels(stack: PushStack) -> None:
    linked(stack)
    channel_id = stack.link().channel_id
    r = stack.api.call("PUT", f"/planner/branches/{BRANCH}", {"timezone": "Europe/Berlin",
                                                             "google_sync_enabled": False})
    assert r.status_code == 200, r.get_data(as_text=True)
    wait_for(lambda: stack.google_channels("stopped"))
    assert {c["id"]: c["status"] for c in stack.google_channels()} == {channel_id: "stopped"}
    # the link is written right after the stop at Google (the test read it in between, once)
    wait_for(lambda: not stack.link().push, timeout=10)
    link = stack.link()
    assert not link.push and not link.channel_id


def test_push_switched_off_for_the_deployment_stops_the_channel_at_the_next_run(
        stack: PushStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """GOOGLE_PUSH_URL removed (push off): the link's next task stops its channel at Google and
    the link polls at the normal interval again."""
    linked(stack)
    channel_id = stack.link().channel_id
    monkeypatch.delenv("GOOGLE_PUSH_URL")
    reset_caches()
    assert not stack.ctx.settings.push.enabled
    dispatch.run_task(stack.ctx, BRANCH, "anna", schedule.POLL)
    assert {c["id"]: c["status"] for c in stack.google_channels()} == {channel_id: "stopped"}
    link = stack.link()
    assert not link.push and not link.channel_id


def test_a_dead_grant_gives_the_channel_up_and_polls_at_the_normal_interval(stack: PushStack) -> None:
    cal = linked(stack)
    channel_id = stack.link().channel_id
    stack.control.kill_grants("praxis.berlin@example.com")
    ACCOUNTS._apis.clear()  # a fresh instance: the cached access token would still be refused
    stack.control.phone_create(cal, phone_event())  # its notification queues the run that finds out
    link = wait_for(lambda: (lk := stack.link()).status == "needs_reconsent" and not lk.channel_id and lk)
    assert not link.push and stack.channel(channel_id)["status"] == "abandoned"
    snap = stack.ctx.store.db.collection("links").document(f"{BRANCH}:anna").get().to_dict()
    assert snap["poll_bucket"] == schedule.poll_bucket(f"{BRANCH}:anna") and snap["push_bucket"] is None
    stack.settle()
    assert notify(stack, stack.google_channels()[0]) == (200, {"status": "ignored"})


def test_the_echoes_of_our_own_writes_cost_one_idle_check(stack: PushStack) -> None:
    cal = linked(stack)
    stack.control.reset_counters()
    stack.control.clear_push_log()
    before = len(stack.tasks.dispatches())
    time.sleep(1.05 - time.time() % 1)  # the three writes in one debounce window: one change task
    for i in range(3):
        put(stack.api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    wait_for(lambda: len([e for e in stack.control.events(cal) if e["status"] != "cancelled"]) == 3)
    stack.settle()
    echoes = [e for e in stack.control.push_log() if e["state"] == "exists" and e["outcome"] == "delivered"]
    assert len(echoes) >= 3  # each write came back as a notification
    runs = stack.tasks.dispatches()[before:]
    assert len([d for d in runs if "-push-" in d["task"]]) == 1
    reads = stack.control.counters()["calendars"][cal]["read"]
    changes = len([d for d in runs if "-change-" in d["task"]])
    assert reads == changes + 1  # each change task's listing, and one idle check for all echoes
