"""events.watch / channels.stop and the notifications they bring, through the real client library."""

from __future__ import annotations

import json
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from tests.conformance.conftest import SCOPE, new_batch
from tests.conformance.push_support import PRAXIS, Receiver, states, stop, watch

ANNA = "anna.schmidt@example.com"
WEEK_MS = 604_800_000


def timed(**extra: Any) -> dict[str, Any]:
    return {"summary": "Termin", "start": {"dateTime": "2030-05-06T10:00:00+02:00"},
            "end": {"dateTime": "2030-05-06T11:00:00+02:00"}, **extra}


def error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str, str]:
    body = json.loads(exc.value.content)["error"]
    return body["code"], body["errors"][0]["reason"], body["message"]


def now_ms(ctl: EmulatorControl) -> int:
    return int(ctl.advance_clock(0) * 1000)


def calendar_named(service: Any, summary: str) -> str:
    items = service.calendarList().list().execute()["items"]
    return next(e["id"] for e in items if e["summary"] == summary)


# --- events.watch: the answer ---------------------------------------------------------------


def test_watch_answers_an_api_channel(praxis: Any, receiver: Receiver, ctl: EmulatorControl,
                                      google: EmulatorServer) -> None:
    before = now_ms(ctl)
    channel = watch(praxis, receiver.url, token="geheim-42")
    assert set(channel) == {"kind", "id", "resourceId", "resourceUri", "token", "expiration"}
    assert channel["kind"] == "api#channel" and channel["id"] == "kanal-1" and channel["token"] == "geheim-42"
    assert isinstance(channel["expiration"], str) and channel["expiration"].isdigit()
    assert before + WEEK_MS <= int(channel["expiration"]) <= now_ms(ctl) + WEEK_MS  # ttl default: 7 days
    assert channel["resourceUri"] == (google.root + "calendar/v3/calendars/praxis.berlin@example.com"
                                      "/events?alt=json")
    assert "token" not in watch(praxis, receiver.url, "kanal-2")


def test_the_same_calendar_has_the_same_resource_id(praxis: Any, receiver: Receiver) -> None:
    first = watch(praxis, receiver.url, "kanal-1")
    again = watch(praxis, receiver.url, "kanal-2", calendar_id=PRAXIS)
    branch = watch(praxis, receiver.url, "kanal-3", calendar_id=calendar_named(praxis, "Termine Filiale"))
    assert first["resourceId"] == again["resourceId"] != branch["resourceId"]
    assert first["resourceId"] and first["resourceId"] not in (PRAXIS, "primary")  # opaque


def test_ttl_and_expiration_set_the_lifetime(praxis: Any, receiver: Receiver, ctl: EmulatorControl) -> None:
    start = now_ms(ctl)
    short = int(watch(praxis, receiver.url, "ttl-60", params={"ttl": "60"})["expiration"])
    assert start + 60_000 <= short <= now_ms(ctl) + 60_000
    wanted = start + 30_000
    asked = watch(praxis, receiver.url, "exp", params={"ttl": "3600"}, expiration=str(wanted))
    assert int(asked["expiration"]) == wanted  # the more restrictive one wins
    huge = int(watch(praxis, receiver.url, "huge", params={"ttl": str(10**9)})["expiration"])
    assert huge <= now_ms(ctl) + 30 * 86_400_000  # cut to 30 days
    for bad in ({"params": {"ttl": "soon"}}, {"params": {"ttl": "0"}}, {"expiration": str(start - 1)}):
        with pytest.raises(HttpError) as exc:
            watch(praxis, receiver.url, "bad", **bad)
        assert error(exc)[:2] == (400, "invalid")


@pytest.mark.parametrize(("address", "reason", "message"), [
    ("http://example.com/hook", "push.webhookUrlNotHttps", "WebHook callback must be HTTPS: http://example.com/hook"),
    ("http://10.0.0.7:8080/hook", "push.webhookUrlNotHttps", "WebHook callback must be HTTPS: "),
    ("ftp://127.0.0.1/hook", "push.webhookUrlNotHttps", "WebHook callback must be HTTPS: "),
    ("https://example.com/hook", "push.webhookUrlUnauthorized", "Unauthorized WebHook callback channel: "),
    ("https://127.0.0.2/hook", "push.webhookUrlUnauthorized", "Unauthorized WebHook callback channel: "),
    ("kein-url", "push.webhookUrlNoHostOrAddress", "WebHook callback must contain a valid URL"),
])
def test_addresses_google_or_the_emulator_cannot_deliver_to_are_refused(
        praxis: Any, ctl: EmulatorControl, address: str, reason: str, message: str) -> None:
    with pytest.raises(HttpError) as exc:
        watch(praxis, address)
    code, got_reason, got_message = error(exc)
    assert (code, got_reason) == (400, reason) and got_message.startswith(message)
    if reason == "push.webhookUrlUnauthorized":
        assert "loopback" in got_message  # says why
    assert ctl.push_channels() == []


@pytest.mark.parametrize("address", ["http://localhost:9/hook", "https://127.0.0.1:9/hook",
                                     "http://[::1]:9/hook"])
def test_loopback_addresses_are_accepted(praxis: Any, address: str) -> None:
    assert watch(praxis, address)["kind"] == "api#channel"


@pytest.mark.parametrize(("body", "reason"), [
    ({"type": "web_hook"}, "required"),
    ({"id": "mit leerzeichen", "type": "web_hook"}, "push.channelIdInvalid"),
    ({"id": "x" * 65, "type": "web_hook"}, "push.channelIdInvalid"),
    ({"id": "k1", "type": "email"}, "push.channelTypeNotSupported"),
    ({"id": "k1"}, "required"),
    ({"id": "k1", "type": "web_hook", "token": "t" * 257}, "invalid"),
])
def test_malformed_watch_bodies_are_400(praxis: Any, receiver: Receiver, body: dict[str, Any],
                                        reason: str) -> None:
    with pytest.raises(HttpError) as exc:
        praxis.events().watch(calendarId="primary", body={"address": receiver.url, **body}).execute()
    assert error(exc)[:2] == (400, reason)


def test_webhook_is_a_valid_type_too(praxis: Any, receiver: Receiver) -> None:
    assert watch(praxis, receiver.url, type="webhook")["id"] == "kanal-1"


def test_a_channel_id_in_use_is_refused_until_that_channel_ends(
        praxis: Any, receiver: Receiver, ctl: EmulatorControl) -> None:
    first = watch(praxis, receiver.url, "einmalig")
    for calendar in ("primary", calendar_named(praxis, "Termine Filiale")):
        with pytest.raises(HttpError) as exc:
            watch(praxis, receiver.url, "einmalig", calendar_id=calendar)
        assert error(exc)[:2] == (400, "channelIdNotUnique")
    stop(praxis, first)
    second = watch(praxis, receiver.url, "einmalig")
    ctl.expire_channel("einmalig")
    assert watch(praxis, receiver.url, "einmalig")["resourceId"] == second["resourceId"]


# --- access rules (as events.list) -----------------------------------------------------------


def test_watch_follows_the_access_rules_of_events_list(
        calendar_for: Callable[..., Any], ctl: EmulatorControl, receiver: Receiver,
        google: EmulatorServer) -> None:
    praxis = calendar_for(PRAXIS)
    assert watch(praxis, receiver.url, "leser", calendar_id=calendar_named(praxis, "Feiertage"))  # reader
    busy = ctl.create_calendar(PRAXIS, "Nur frei/belegt", access_role="freeBusyReader")["id"]
    readonly = calendar_for(PRAXIS, {SCOPE + "calendar.events.readonly"})
    assert watch(readonly, receiver.url, "nurlesen")
    cases = [
        (praxis, busy, 403, "requiredAccessLevel"),
        (calendar_for(ANNA), PRAXIS, 404, "notFound"),
        (praxis, "nobody@group.calendar.google.com", 404, "notFound"),
        (calendar_for(PRAXIS, {SCOPE + "calendar.calendarlist.readonly"}), "primary", 403,
         "insufficientPermissions"),
    ]
    for service, calendar, code, reason in cases:
        with pytest.raises(HttpError) as exc:
            watch(service, receiver.url, "verboten", calendar_id=calendar)
        assert error(exc)[:2] == (code, reason)
    resp = requests.post(google.root + "calendar/v3/calendars/primary/events/watch",
                         json={"id": "x", "type": "web_hook", "address": receiver.url},
                         headers={"Authorization": "Bearer ya29.forged"}, timeout=10)
    assert resp.status_code == 401 and resp.json()["error"]["errors"][0]["reason"] == "authError"
    assert [c["id"] for c in ctl.push_channels()] == ["leser", "nurlesen"]


# --- delivery ----------------------------------------------------------------------------------


def test_sync_comes_first_with_googles_headers_and_an_empty_body(praxis: Any, receiver: Receiver) -> None:
    channel = watch(praxis, receiver.url, token="geheim-42")
    (sync,) = receiver.wait_for(1)
    assert sync.method == "POST" and sync.path == "/hook?from=google" and sync.body == b""
    h = sync.headers
    assert h["x-goog-channel-id"] == "kanal-1" and h["x-goog-channel-token"] == "geheim-42"
    assert h["x-goog-resource-id"] == channel["resourceId"]
    assert h["x-goog-resource-uri"] == channel["resourceUri"]
    assert h["x-goog-resource-state"] == "sync" and h["x-goog-message-number"] == "1"
    assert h["x-goog-channel-expiration"] == formatdate(int(channel["expiration"]) / 1000, usegmt=True)
    assert h["x-goog-channel-expiration"].endswith(" GMT")  # RFC 1123
    assert h["user-agent"].startswith("APIs-Google")


def test_without_a_token_no_token_header(praxis: Any, receiver: Receiver) -> None:
    watch(praxis, receiver.url)
    assert "x-goog-channel-token" not in receiver.wait_for(1)[0].headers


def test_every_api_write_sends_exists_and_reads_send_nothing(
        praxis: Any, receiver: Receiver, ctl: EmulatorControl) -> None:
    watch(praxis, receiver.url, token="t")
    receiver.wait_for(1)
    praxis.events().list(calendarId="primary").execute()
    made = praxis.events().insert(calendarId="primary", body=timed(id="push00001")).execute()
    praxis.events().get(calendarId="primary", eventId=made["id"]).execute()
    praxis.events().patch(calendarId="primary", eventId=made["id"], body={"summary": "neu"}).execute()
    praxis.events().update(calendarId="primary", eventId=made["id"], body=timed(summary="ganz neu")).execute()
    praxis.events().import_(calendarId="primary", body=timed(iCalUID="termin-7@planer")).execute()
    praxis.events().delete(calendarId="primary", eventId=made["id"]).execute()
    with pytest.raises(HttpError):  # a refused write changes nothing, so tells nothing
        praxis.events().insert(calendarId="primary", body=timed(id="push00001")).execute()
    got = receiver.wait_for(6)
    ctl.wait_push_idle()
    assert states(receiver.received) == [("sync", 1)] + [("exists", n) for n in range(2, 7)]
    assert {r.headers["x-goog-channel-token"] for r in got} == {"t"}


def test_direct_store_writes_send_exists(praxis: Any, receiver: Receiver, google: EmulatorServer) -> None:
    watch(praxis, receiver.url)
    google.state.calendar.insert_event(PRAXIS, timed())  # as tests and the demo seed calendars
    assert states(receiver.wait_for(2)) == [("sync", 1), ("exists", 2)]


def test_phone_edits_send_exists(praxis: Any, receiver: Receiver, ctl: EmulatorControl) -> None:
    watch(praxis, receiver.url)
    made = ctl.phone_create(PRAXIS, timed())
    ctl.phone_patch(PRAXIS, made["id"], {"summary": "vom Telefon"})
    ctl.phone_delete(PRAXIS, made["id"])
    assert states(receiver.wait_for(4)) == [("sync", 1), ("exists", 2), ("exists", 3), ("exists", 4)]


def test_each_write_in_a_batch_sends_exists(praxis: Any, receiver: Receiver, ctl: EmulatorControl,
                                            google: EmulatorServer) -> None:
    watch(praxis, receiver.url)
    receiver.wait_for(1)
    batch = new_batch(google, lambda *_: None)
    batch.add(praxis.events().insert(calendarId="primary", body=timed(id="stapel001")))
    batch.add(praxis.events().list(calendarId="primary"))
    batch.add(praxis.events().insert(calendarId="primary", body=timed(id="stapel002")))
    batch.execute()
    receiver.wait_for(3)
    ctl.wait_push_idle()
    assert states(receiver.received) == [("sync", 1), ("exists", 2), ("exists", 3)]


def test_every_channel_of_the_changed_calendar_is_told_and_no_other(
        calendar_for: Callable[..., Any], ctl: EmulatorControl) -> None:
    praxis, anna = calendar_for(PRAXIS), calendar_for(ANNA)
    receivers = [Receiver() for _ in range(3)]
    try:
        watch(praxis, receivers[0].url, "a")
        watch(praxis, receivers[1].url, "b", calendar_id=PRAXIS)
        watch(anna, receivers[2].url, "c")
        for r in receivers:
            r.wait_for(1)
        ctl.phone_create(PRAXIS, timed())
        ctl.phone_create(PRAXIS, timed())
        for r in receivers[:2]:
            assert states(r.wait_for(3)) == [("sync", 1), ("exists", 2), ("exists", 3)]
        ctl.wait_push_idle()
        assert states(receivers[2].received) == [("sync", 1)]
        sent = {c["id"]: c["messages_sent"] for c in ctl.push_channels()}
        assert sent == {"a": 3, "b": 3, "c": 1}
    finally:
        for r in receivers:
            r.close()


def test_deleting_a_series_with_an_exception_is_one_change(
        praxis: Any, receiver: Receiver, ctl: EmulatorControl) -> None:
    watch(praxis, receiver.url)
    series = praxis.events().insert(calendarId="primary", body={
        **timed(), "start": {"dateTime": "2030-05-06T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-05-06T11:00:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]}).execute()
    instance = praxis.events().instances(calendarId="primary", eventId=series["id"]).execute()["items"][1]
    praxis.events().patch(calendarId="primary", eventId=instance["id"], body={"summary": "anders"}).execute()
    praxis.events().delete(calendarId="primary", eventId=series["id"]).execute()  # cancels the exception too
    receiver.wait_for(4)
    ctl.wait_push_idle()
    assert states(receiver.received) == [("sync", 1), ("exists", 2), ("exists", 3), ("exists", 4)]
    assert {e["status"] for e in ctl.events(PRAXIS)} == {"cancelled"}


# --- channels.stop ---------------------------------------------------------------------------


def test_stop_is_204_and_ends_delivery(praxis: Any, receiver: Receiver, ctl: EmulatorControl) -> None:
    channel = watch(praxis, receiver.url)
    receiver.wait_for(1)
    assert stop(praxis, channel) == ""  # 204, empty
    ctl.phone_create(PRAXIS, timed())
    praxis.events().insert(calendarId="primary", body=timed()).execute()
    ctl.wait_push_idle()
    assert states(receiver.received) == [("sync", 1)]
    (info,) = ctl.push_channels()
    assert info["stopped"] is True and info["status"] == "stopped"
    with pytest.raises(HttpError) as exc:
        stop(praxis, channel)  # already stopped
    assert error(exc)[:2] == (404, "notFound")


def test_stop_of_a_channel_the_caller_did_not_open_is_404(
        calendar_for: Callable[..., Any], receiver: Receiver, ctl: EmulatorControl) -> None:
    praxis = calendar_for(PRAXIS)
    channel = watch(praxis, receiver.url)
    for service, body in [
        (praxis, {"id": "unbekannt", "resourceId": channel["resourceId"]}),
        (praxis, {"id": channel["id"], "resourceId": "someOtherResource"}),
        (calendar_for(ANNA), {"id": channel["id"], "resourceId": channel["resourceId"]}),
    ]:
        with pytest.raises(HttpError) as exc:
            service.channels().stop(body=body).execute()
        code, reason, message = error(exc)
        assert (code, reason) == (404, "notFound")
        assert message == f"Channel '{body['id']}' not found for project 'local-client'"
    with pytest.raises(HttpError) as exc:
        praxis.channels().stop(body={"id": channel["id"]}).execute()
    assert error(exc)[:2] == (400, "required")
    assert ctl.push_channels()[0]["status"] == "active"


def test_stop_needs_a_calendar_scope(calendar_for: Callable[..., Any], google: EmulatorServer,
                                     receiver: Receiver) -> None:
    channel = watch(calendar_for(PRAXIS), receiver.url)
    email_only = calendar_for(PRAXIS, {SCOPE + "userinfo.email"})
    with pytest.raises(HttpError) as exc:
        stop(email_only, channel)
    assert error(exc)[:2] == (403, "insufficientPermissions")
    assert stop(calendar_for(PRAXIS, {SCOPE + "calendar.events.readonly"}), channel) == ""


# --- lifetime -----------------------------------------------------------------------------------


def test_an_expired_channel_tells_nothing(praxis: Any, receiver: Receiver, ctl: EmulatorControl) -> None:
    channel = watch(praxis, receiver.url, params={"ttl": "60"})
    ctl.phone_create(PRAXIS, timed())
    assert states(receiver.wait_for(2)) == [("sync", 1), ("exists", 2)]
    ctl.advance_clock(61)
    ctl.phone_create(PRAXIS, timed())
    ctl.wait_push_idle()
    assert len(receiver.received) == 2
    assert ctl.push_channels()[0]["status"] == "expired"
    with pytest.raises(HttpError) as exc:
        stop(praxis, channel)
    assert error(exc)[:2] == (404, "notFound")


def test_deleting_the_calendar_ends_its_channels_silently(
        praxis: Any, receiver: Receiver, ctl: EmulatorControl) -> None:
    made = ctl.create_calendar(PRAXIS, "Bald weg")["id"]
    watch(praxis, receiver.url, calendar_id=made)
    receiver.wait_for(1)
    ctl.delete_calendar(made)
    ctl.wait_push_idle()
    assert states(receiver.received) == [("sync", 1)]  # Google documents no message for this
    assert ctl.push_channels()[0]["status"] == "calendar_deleted"
