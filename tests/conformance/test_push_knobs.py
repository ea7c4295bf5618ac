"""The push control knobs: delay, drop, duplicate, expiry, retries, the channel list and the log."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from devtools.google_emulator.client import EmulatorControl, EmulatorControlError
from tests.conformance.push_support import PRAXIS, Receiver, states, watch

EVENT = {"summary": "Knopf", "start": {"dateTime": "2030-05-06T10:00:00+02:00"},
         "end": {"dateTime": "2030-05-06T11:00:00+02:00"}}
LOG_FIELDS = {"seq", "at", "channel_id", "resource_id", "calendar_id", "address", "state", "message_number",
              "duplicate", "attempt", "outcome", "status", "error", "will_retry"}


def outcomes(ctl: EmulatorControl) -> list[tuple[str, int, str]]:
    return [(e["state"], e["message_number"], e["outcome"]) for e in ctl.push_log()]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_defaults_and_reset(ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    defaults = {"delay_ms": 0, "drop_rate": 0, "duplicate_rate": 0, "seed": None, "timeout_ms": 3000,
                "retries": 3, "retry_base_ms": 1000, "pending": 0}
    assert ctl.push_status() == defaults
    ctl.set_push(delay_ms=5, drop_rate=0.25, duplicate_rate=0.5, seed=3, timeout_ms=100, retries=1,
                 retry_base_ms=10)
    assert ctl.push_status()["drop_rate"] == 0.25 and ctl.set_push(delay_ms=7)["seed"] == 3
    watch(praxis, receiver.url)
    ctl.wait_push_idle()
    assert ctl.push_channels() and ctl.push_log()
    ctl.reset()
    assert ctl.push_status() == defaults
    assert ctl.push_channels() == [] and ctl.push_log() == []


@pytest.mark.parametrize("bad", [{"drop_rate": 1.5}, {"duplicate_rate": -0.1}, {"delay_ms": "100"},
                                 {"retries": 2.5}, {"seed": "x"}, {"timeout_ms": 0}, {"color": "red"}])
def test_bad_knob_values_are_400(ctl: EmulatorControl, bad: dict[str, Any]) -> None:
    with pytest.raises(EmulatorControlError) as err:
        ctl._call("POST", "/push", bad)
    assert err.value.status == 400


def test_the_channel_list(ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    channel = watch(praxis, receiver.url, token="tok", params={"ttl": "3600"})
    ctl.phone_create(PRAXIS, EVENT)
    receiver.wait_for(2)
    ctl.wait_push_idle()
    (info,) = ctl.push_channels()
    assert info == {
        "id": "kanal-1", "resource_id": channel["resourceId"], "resource_uri": channel["resourceUri"],
        "calendar_id": PRAXIS, "address": receiver.url, "token": "tok", "owner": PRAXIS,
        "client_id": "local-client.apps.googleusercontent.com", "expiration": int(channel["expiration"]),
        "status": "active", "stopped": False, "messages": 2, "messages_sent": 2}


def test_the_log_records_each_delivery(ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    channel = watch(praxis, receiver.url)
    ctl.phone_create(PRAXIS, EVENT)
    receiver.wait_for(2)
    ctl.wait_push_idle()
    log = ctl.push_log()
    assert all(set(e) == LOG_FIELDS for e in log)
    assert [(e["seq"], e["state"], e["message_number"], e["outcome"], e["status"]) for e in log] == [
        (1, "sync", 1, "delivered", 200), (2, "exists", 2, "delivered", 200)]
    first = log[0]
    assert (first["channel_id"], first["resource_id"], first["calendar_id"], first["address"]) == (
        "kanal-1", channel["resourceId"], PRAXIS, receiver.url)
    assert first["attempt"] == 1 and not first["duplicate"] and not first["will_retry"]
    assert first["error"] is None and first["at"] <= log[1]["at"]
    assert ctl.clear_push_log() == 2 and ctl.push_log() == []
    ctl.phone_create(PRAXIS, EVENT)
    receiver.wait_for(3)
    ctl.wait_push_idle()
    assert [e["seq"] for e in ctl.push_log()] == [3]  # numbering goes on after a clear


def test_delay_holds_notifications_back_but_not_the_api_answer(
        ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    ctl.set_push(delay_ms=1000)
    started = time.monotonic()
    watch(praxis, receiver.url)
    praxis.events().insert(calendarId="primary", body=EVENT).execute()
    assert receiver.received == []  # both answers came back before any notification left
    got = receiver.wait_for(2)
    assert time.monotonic() - started >= 1.0
    assert states(got) == [("sync", 1), ("exists", 2)]


def test_a_slow_receiver_does_not_hold_up_the_api(ctl: EmulatorControl, praxis: Any,
                                                  receiver: Receiver) -> None:
    receiver.hold()
    watch(praxis, receiver.url)
    receiver.wait_for(1)  # the sync is at the receiver, which does not answer
    praxis.events().insert(calendarId="primary", body=EVENT).execute()
    ctl.phone_create(PRAXIS, EVENT)
    assert ctl.push_status()["pending"] == 3  # the sync under way, two waiting behind it
    receiver.release()
    assert states(receiver.wait_for(3)) == [("sync", 1), ("exists", 2), ("exists", 3)]


def test_a_receiver_slower_than_the_timeout_is_a_failed_delivery(
        ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    ctl.set_push(timeout_ms=200, retry_base_ms=1)
    receiver.hold()
    watch(praxis, receiver.url)
    ctl.wait_push_idle()
    (entry,) = ctl.push_log()
    assert entry["outcome"] == "unreachable" and "timed out" in entry["error"] and not entry["will_retry"]
    assert ctl.push_channels()[0]["messages_sent"] == 0


def test_drop_rate_one_drops_everything_and_numbers_still_advance(
        ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    ctl.set_push(drop_rate=1)
    watch(praxis, receiver.url)
    ctl.phone_create(PRAXIS, EVENT)
    ctl.wait_push_idle()
    assert receiver.received == []
    assert outcomes(ctl) == [("sync", 1, "dropped"), ("exists", 2, "dropped")]
    ctl.set_push(drop_rate=0)
    ctl.phone_create(PRAXIS, EVENT)
    assert states(receiver.wait_for(1)) == [("exists", 3)]  # numbers increase, not sequential


def test_duplicate_rate_one_sends_each_message_twice(
        ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    ctl.set_push(duplicate_rate=1)
    watch(praxis, receiver.url)
    ctl.phone_create(PRAXIS, EVENT)
    got = receiver.wait_for(4)
    ctl.wait_push_idle()
    assert states(got) == [("sync", 1), ("sync", 1), ("exists", 2), ("exists", 2)]
    assert [e["duplicate"] for e in ctl.push_log()] == [False, True, False, True]


def _seeded_run(ctl: EmulatorControl, calendar_for: Callable[..., Any],
                receiver: Receiver) -> tuple[list[int], list[int], list[int]]:
    """21 messages (sync + 20 changes) with both rates: (dropped, doubled, received) numbers."""
    ctl.reset()
    ctl.set_push(drop_rate=0.4, duplicate_rate=0.3, seed=2024)
    before = len(receiver.received)
    watch(calendar_for(PRAXIS), receiver.url)
    for _ in range(20):
        ctl.phone_create(PRAXIS, EVENT)
    ctl.wait_push_idle()
    log = ctl.push_log()
    return ([e["message_number"] for e in log if e["outcome"] == "dropped"],
            [e["message_number"] for e in log if e["duplicate"]],
            [r.number for r in receiver.received[before:]])


def test_drop_and_duplicate_are_repeatable_with_a_seed(
        ctl: EmulatorControl, calendar_for: Callable[..., Any], receiver: Receiver) -> None:
    first = _seeded_run(ctl, calendar_for, receiver)
    assert _seeded_run(ctl, calendar_for, receiver) == first
    dropped, doubled, received = first
    assert 0 < len(dropped) < 21 and 0 < len(doubled) < 21
    assert sorted(received) == sorted([n for n in range(1, 22) if n not in dropped] + doubled)


def test_force_expire_ends_delivery_and_frees_the_id(
        ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    watch(praxis, receiver.url)
    receiver.wait_for(1)
    assert ctl.expire_channel("kanal-1")["status"] == "expired"
    ctl.phone_create(PRAXIS, EVENT)
    ctl.wait_push_idle()
    assert states(receiver.received) == [("sync", 1)]
    watch(praxis, receiver.url)  # the id is free again
    assert [c["status"] for c in ctl.push_channels()] == ["expired", "active"]
    with pytest.raises(EmulatorControlError) as err:
        ctl.expire_channel("nie-gesehen")
    assert err.value.status == 404


def test_a_delayed_notification_of_a_channel_stopped_meanwhile_is_not_sent(
        ctl: EmulatorControl, praxis: Any, receiver: Receiver) -> None:
    ctl.set_push(delay_ms=1500)
    channel = watch(praxis, receiver.url)
    praxis.channels().stop(body={"id": channel["id"], "resourceId": channel["resourceId"]}).execute()
    ctl.wait_push_idle()
    assert receiver.received == []
    assert [(e["outcome"], e["error"]) for e in ctl.push_log()] == [
        ("skipped", "channel stopped before delivery")]


@pytest.mark.parametrize("status", [302, 400, 404, 410, 501])
def test_a_failed_answer_is_not_retried(ctl: EmulatorControl, praxis: Any, status: int) -> None:
    ctl.set_push(retry_base_ms=1)
    failing = Receiver(status)
    try:
        watch(praxis, failing.url)
        failing.wait_for(1)
        ctl.wait_push_idle()
        assert [(e["outcome"], e["status"], e["will_retry"]) for e in ctl.push_log()] == [
            ("failed", status, False)]
        assert len(failing.received) == 1
    finally:
        failing.close()


def test_5xx_answers_google_retries_are_retried_with_backoff(ctl: EmulatorControl, praxis: Any) -> None:
    ctl.set_push(retries=2, retry_base_ms=50)
    failing = Receiver(503)
    try:
        watch(praxis, failing.url)
        got = failing.wait_for(3)
        ctl.wait_push_idle()
        assert states(got) == [("sync", 1)] * 3 and len(failing.received) == 3
        log = ctl.push_log()
        assert [(e["attempt"], e["status"], e["will_retry"]) for e in log] == [
            (1, 503, True), (2, 503, True), (3, 503, False)]
        assert log[2]["at"] >= log[0]["at"]
    finally:
        failing.close()


def test_a_retry_that_succeeds_is_delivered(ctl: EmulatorControl, praxis: Any) -> None:
    ctl.set_push(retries=3, retry_base_ms=20)
    flaky = Receiver(answers=(500,))
    try:
        watch(praxis, flaky.url)
        assert states(flaky.wait_for(2)) == [("sync", 1), ("sync", 1)]
        ctl.wait_push_idle()
        assert [(e["attempt"], e["outcome"]) for e in ctl.push_log()] == [(1, "failed"), (2, "delivered")]
        assert ctl.push_channels()[0]["messages_sent"] == 1
    finally:
        flaky.close()


def test_an_unreachable_receiver_is_not_retried(ctl: EmulatorControl, praxis: Any) -> None:
    ctl.set_push(retry_base_ms=1)
    watch(praxis, f"http://127.0.0.1:{closed_port()}/hook")
    ctl.wait_push_idle()
    (entry,) = ctl.push_log()
    assert entry["outcome"] == "unreachable" and entry["status"] is None
    assert "Connection" in entry["error"] and not entry["will_retry"]
