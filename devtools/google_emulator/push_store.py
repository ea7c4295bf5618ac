"""Push notification state: channels, delivery knobs, the notification log, and what to send when.

Every change of a calendar's events goes through `CalendarStore`, which calls
`resource_changed` once per write operation (an API call, a batch part, a phone edit); that
numbers an `exists` message for every active channel of the calendar and hands it to the
delivery worker (push_delivery.py). A new channel gets its `sync` message (number 1) the same
way. Channel lifetimes follow the emulator's clock (`POST /_emulator/clock` expires them);
the delivery delay and retry backoff are real time.

Knobs (control API `POST /_emulator/push`): `delay_ms`, `drop_rate` and `duplicate_rate`
(drawn from a `seed`ed generator when the message is numbered, so a run is repeatable),
`timeout_ms`, `retries` and `retry_base_ms` (the backoff of answers 500/502/503/504).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from devtools.google_emulator.errors import GoogleApiError, not_found
from devtools.google_emulator.push_channels import (
    RETRIED,
    SUCCESS,
    Channel,
    channel_expiration,
    parse_watch,
    resource_id,
    resource_uri,
)
from devtools.google_emulator.push_delivery import DeliveryWorker, post_notification

if TYPE_CHECKING:
    from devtools.google_emulator.state import EmulatorState, Principal

GOOGLE_ROOT = "https://www.googleapis.com/"


@dataclass
class PushSettings:
    delay_ms: float = 0.0
    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    seed: int | None = None
    timeout_ms: float = 3000.0
    retries: int = 3
    retry_base_ms: float = 1000.0


_RANGES: dict[str, tuple[float, float]] = {
    "delay_ms": (0, 60_000), "drop_rate": (0, 1), "duplicate_rate": (0, 1),
    "timeout_ms": (1, 60_000), "retries": (0, 10), "retry_base_ms": (0, 60_000),
}


def _number(key: str, value: Any) -> float:
    low, high = _RANGES[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{key} must be a number from {low:g} to {high:g}")
    if key == "retries" and not isinstance(value, int):
        raise ValueError("retries must be an integer")
    return value


@dataclass(frozen=True)
class Message:
    """One numbered notification on its way (a duplicate carries the same number)."""

    channel: Channel
    state: str
    number: int
    duplicate: bool
    generation: int
    attempt: int = 1


class PushStore:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.root = GOOGLE_ROOT  # EmulatorServer sets its own root, so resourceUri points here
        self.worker = DeliveryWorker()
        self._generation = 0
        self.reset()

    def reset(self) -> None:
        """No channels, an empty log, default knobs; notifications not yet sent are forgotten."""
        with self.state.lock:
            self._generation += 1
            self.worker.clear()
            self.channels: list[Channel] = []
            self.log: list[dict[str, Any]] = []
            self._logged = 0
            self.settings = PushSettings()
            self._rng = random.Random(0)

    def close(self) -> None:
        self.worker.close()

    def _now_ms(self) -> int:
        return int(self.state.now() * 1000)

    # --- the API: events.watch and channels.stop -------------------------------------------

    def open_channel(self, principal: Principal, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """events.watch on `calendar_id` (already resolved and access-checked)."""
        with self.state.lock:
            request = parse_watch(body)
            now = self._now_ms()
            if any(c.id == request.id and c.status(now) == "active" for c in self.channels):
                raise GoogleApiError(400, "channelIdNotUnique", "Channel id not unique")
            channel = Channel(request.id, resource_id(calendar_id), resource_uri(self.root, calendar_id),
                              calendar_id, request.address, request.token,
                              channel_expiration(request, now), principal.email, principal.client_id)
            self.channels.append(channel)
            self._send(channel, "sync")
            return channel.resource()

    def stop_channel(self, principal: Principal, body: dict[str, Any]) -> None:
        """channels.stop: only the account and OAuth client (project) that opened the channel."""
        channel_id, res_id = body.get("id"), body.get("resourceId")
        if not isinstance(channel_id, str) or not channel_id:
            raise GoogleApiError(400, "required", "Required: id")
        if not isinstance(res_id, str) or not res_id:
            raise GoogleApiError(400, "required", "Required: resourceId")
        with self.state.lock:
            now = self._now_ms()
            for channel in self.channels:
                if (channel.id == channel_id and channel.resource_id == res_id
                        and channel.status(now) == "active" and channel.owner == principal.email
                        and channel.client_id == principal.client_id):
                    channel.ended = "stopped"
                    return
        project = principal.client_id.removesuffix(".apps.googleusercontent.com")
        raise not_found(f"Channel '{channel_id}' not found for project '{project}'")

    # --- changes (called by CalendarStore, under the state lock) ---------------------------

    def resource_changed(self, calendar_id: str) -> None:
        """The calendar's events changed: an `exists` message to each of its active channels."""
        now = self._now_ms()
        for channel in self.channels:
            if channel.calendar_id == calendar_id and channel.status(now) == "active":
                self._send(channel, "exists")

    def calendar_deleted(self, calendar_id: str) -> None:
        """The calendar is gone: its channels end silently (Google documents no message for it)."""
        for channel in self.channels:
            if channel.calendar_id == calendar_id and channel.ended is None:
                channel.ended = "calendar_deleted"

    def _send(self, channel: Channel, state: str) -> None:
        channel.message_number += 1
        dropped = self._rng.random() < self.settings.drop_rate
        doubled = self._rng.random() < self.settings.duplicate_rate
        message = Message(channel, state, channel.message_number, False, self._generation)
        if dropped:
            self._log(message, "dropped", error="dropped by the drop_rate knob")
            return
        delay = self.settings.delay_ms / 1000
        self.worker.submit(delay, lambda: self._attempt(message))
        if doubled:
            twin = replace(message, duplicate=True)
            self.worker.submit(delay, lambda: self._attempt(twin))

    # --- delivery (on the worker thread) ---------------------------------------------------

    def _attempt(self, message: Message) -> None:
        channel = message.channel
        with self.state.lock:
            if message.generation != self._generation:
                return
            status = channel.status(self._now_ms())
            if status != "active":
                self._log(message, "skipped", error=f"channel {status} before delivery")
                return
            headers = channel.headers(message.state, message.number)
            timeout = self.settings.timeout_ms / 1000
        answer, error = post_notification(channel.address, headers, timeout)
        with self.state.lock:
            if message.generation != self._generation:
                return
            if answer in SUCCESS:
                channel.delivered += 1
            retry = answer in RETRIED and message.attempt <= self.settings.retries
            outcome = "delivered" if answer in SUCCESS else "unreachable" if answer is None else "failed"
            self._log(message, outcome, status=answer, error=error, will_retry=retry)
            if retry:
                backoff = self.settings.retry_base_ms / 1000 * 2 ** (message.attempt - 1)
                later = replace(message, attempt=message.attempt + 1)
                self.worker.submit(backoff, lambda: self._attempt(later))

    def _log(self, message: Message, outcome: str, *, status: int | None = None, error: str | None = None,
             will_retry: bool = False) -> None:
        channel = message.channel
        self._logged += 1
        self.log.append({
            "seq": self._logged, "at": self._now_ms(), "channel_id": channel.id,
            "resource_id": channel.resource_id, "calendar_id": channel.calendar_id,
            "address": channel.address, "state": message.state, "message_number": message.number,
            "duplicate": message.duplicate, "attempt": message.attempt, "outcome": outcome,
            "status": status, "error": error, "will_retry": will_retry,
        })

    # --- the control API -------------------------------------------------------------------

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        unknown = set(body) - set(asdict(PushSettings()))
        if unknown:
            raise ValueError(f"unknown push settings: {sorted(unknown)}")
        changes: dict[str, Any] = {k: _number(k, v) for k, v in body.items() if k != "seed"}
        if "seed" in body:
            seed = body["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise ValueError("seed must be an integer or null")
            changes["seed"] = seed
        with self.state.lock:
            self.settings = replace(self.settings, **changes)
            if "seed" in body:
                self._rng = random.Random(self.settings.seed if self.settings.seed is not None else 0)
        return self.status()

    def status(self) -> dict[str, Any]:
        with self.state.lock:
            return {**asdict(self.settings), "pending": self.worker.pending()}

    def expire(self, channel_id: str) -> dict[str, Any]:
        """Let the channel's lifetime end now (the live one if there is one, else the newest)."""
        with self.state.lock:
            now = self._now_ms()
            found = [c for c in self.channels if c.id == channel_id]
            if not found:
                raise not_found(f"no channel with id {channel_id}")
            channel = next((c for c in found if c.status(now) == "active"), found[-1])
            channel.expiration_ms = min(channel.expiration_ms, now)
            return channel.info(now)

    def channels_info(self) -> list[dict[str, Any]]:
        with self.state.lock:
            now = self._now_ms()
            return [c.info(now) for c in self.channels]

    def log_entries(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(e) for e in self.log]

    def clear_log(self) -> int:
        with self.state.lock:
            n = len(self.log)
            self.log.clear()
            return n
