"""Notification channels as data: what a watch request may ask, and what a notification carries.

Rules from Google's push guide and the events.watch / channels.stop reference (see README.md):
- body `{id, type: "web_hook" | "webhook", address, token?, params: {ttl?}, expiration?}`;
  `id` at most 64 characters of `[A-Za-z0-9-_+/=]`, `token` at most 256 characters;
- lifetime `params.ttl` seconds, 604800 (7 days) by default; a requested `expiration` (ms)
  wins when it is sooner. Google documents no maximum for Calendar; channels asking for more
  have been seen cut to about a month, so the emulator cuts at 30 days;
- the address must be HTTPS: `http://` → 400 `push.webhookUrlNotHttps` "WebHook callback must be
  HTTPS: <address>". Locally only loopback receivers are reachable, so http is allowed there and
  any other host → 400 `push.webhookUrlUnauthorized` (Google's answer for an address it will not
  deliver to), saying why.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import quote, urlsplit

from devtools.google_emulator.errors import GoogleApiError, invalid

DEFAULT_TTL_SECONDS = 604_800  # events.watch reference: params.ttl "Default is 604800 seconds"
MAX_TTL_SECONDS = 30 * 86_400  # not documented; longer requests have been seen cut to ~a month
CHANNEL_ID = re.compile(r"^[A-Za-z0-9\-_+/=]+$")
MAX_ID, MAX_TOKEN = 64, 256
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# Google's documented success answers; 500/502/503/504 are retried with exponential backoff,
# every other answer (and an unreachable address) is a failed message.
SUCCESS = frozenset({102, 200, 201, 202, 204})
RETRIED = frozenset({500, 502, 503, 504})
USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"


def resource_id(calendar_id: str) -> str:
    """Opaque and stable: the same calendar's events collection always has the same id."""
    digest = hashlib.sha256(f"calendar/v3/events:{calendar_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:27]


def resource_uri(root: str, calendar_id: str) -> str:
    return f"{root}calendar/v3/calendars/{quote(calendar_id, safe='@')}/events?alt=json"


@dataclass(frozen=True)
class WatchRequest:
    id: str
    address: str
    token: str | None
    ttl_seconds: int
    expiration_ms: int | None


def _push_error(reason: str, message: str) -> GoogleApiError:
    return GoogleApiError(400, reason, message)


def check_address(address: Any) -> str:
    if not isinstance(address, str) or not address:
        raise GoogleApiError(400, "required", "Required: address")
    parts = urlsplit(address)
    try:
        host = parts.hostname
        parts.port  # noqa: B018  (a malformed port raises here)
    except ValueError:
        host = None
    if not host:
        raise _push_error("push.webhookUrlNoHostOrAddress",
                          f"WebHook callback must contain a valid URL: {address}")
    loopback = host.lower() in LOOPBACK_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise _push_error("push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}")
    if not loopback:
        raise _push_error("push.webhookUrlUnauthorized",
                          f"Unauthorized WebHook callback channel: {address} (the local emulator "
                          "delivers only to loopback addresses: 127.0.0.1, ::1, localhost)")
    return address


def _ttl(params: Any) -> int:
    if params is None:
        return DEFAULT_TTL_SECONDS
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise invalid("Invalid value for params: a map of strings is expected.")
    raw = params.get("ttl")
    if raw is None:
        return DEFAULT_TTL_SECONDS
    if not raw.isdigit() or int(raw) < 1:
        raise invalid(f"Invalid value for params.ttl: {raw!r} (a positive number of seconds).")
    return int(raw)


def _expiration(value: Any) -> int | None:
    if value is None:
        return None
    digits = isinstance(value, str) and value.isdigit()
    if isinstance(value, bool) or not (isinstance(value, int) or digits):
        raise invalid(f"Invalid value for expiration: {value!r} (milliseconds since the epoch).")
    return int(value)


def parse_watch(body: dict[str, Any]) -> WatchRequest:
    """A watch request body, checked in the order Google reports its errors."""
    channel_id = body.get("id")
    if not isinstance(channel_id, str) or not channel_id:
        raise GoogleApiError(400, "required", "Required: id")
    if len(channel_id) > MAX_ID or not CHANNEL_ID.match(channel_id):
        raise _push_error("push.channelIdInvalid",
                          "Channel id must match the following regular expression: [A-Za-z0-9\\-_\\+/=]+ "
                          f"and be at most {MAX_ID} characters long")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise GoogleApiError(400, "required", "Required: type")
    if kind not in ("web_hook", "webhook"):
        raise _push_error("push.channelTypeNotSupported", f"Channel type '{kind}' is not supported.")
    address = check_address(body.get("address"))
    token = body.get("token")
    if token is not None and not isinstance(token, str):
        raise invalid("Invalid value for token: a string is expected.")
    if token and len(token) > MAX_TOKEN:
        raise invalid(f"Invalid value for token: at most {MAX_TOKEN} characters.")
    return WatchRequest(channel_id, address, token or None, _ttl(body.get("params")),
                        _expiration(body.get("expiration")))


def channel_expiration(request: WatchRequest, now_ms: int) -> int:
    """The more restrictive of the requested expiration, the ttl and the emulator's maximum."""
    ttl = min(request.ttl_seconds, MAX_TTL_SECONDS)
    wanted = now_ms + ttl * 1000
    if request.expiration_ms is not None:
        if request.expiration_ms <= now_ms:
            raise invalid("Invalid value for expiration: it must be in the future.")
        wanted = min(wanted, request.expiration_ms)
    return wanted


@dataclass
class Channel:
    """One open (or ended) channel on a calendar's events collection."""

    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    address: str
    token: str | None
    expiration_ms: int
    owner: str
    client_id: str
    ended: str | None = None  # "stopped" | "calendar_deleted"
    message_number: int = 0  # the last number handed out (1 is the sync message)
    delivered: int = 0  # POSTs answered with a success status

    def status(self, now_ms: int) -> str:
        if self.ended:
            return self.ended
        return "expired" if now_ms >= self.expiration_ms else "active"

    def resource(self) -> dict[str, Any]:
        """The `api#channel` answer of events.watch."""
        out: dict[str, Any] = {"kind": "api#channel", "id": self.id, "resourceId": self.resource_id,
                               "resourceUri": self.resource_uri}
        if self.token is not None:
            out["token"] = self.token
        out["expiration"] = str(self.expiration_ms)
        return out

    def headers(self, state: str, number: int) -> dict[str, str]:
        """A notification's headers, as Google sends them (the body is empty)."""
        out = {"X-Goog-Channel-ID": self.id,
               "X-Goog-Channel-Expiration": formatdate(self.expiration_ms / 1000, usegmt=True),
               "X-Goog-Resource-ID": self.resource_id, "X-Goog-Resource-URI": self.resource_uri,
               "X-Goog-Resource-State": state, "X-Goog-Message-Number": str(number),
               "User-Agent": USER_AGENT}
        if self.token is not None:
            out["X-Goog-Channel-Token"] = self.token
        return out

    def info(self, now_ms: int) -> dict[str, Any]:
        """The control API's view of the channel."""
        status = self.status(now_ms)
        return {"id": self.id, "resource_id": self.resource_id, "resource_uri": self.resource_uri,
                "calendar_id": self.calendar_id, "address": self.address, "token": self.token,
                "owner": self.owner, "client_id": self.client_id, "expiration": self.expiration_ms,
                "status": status, "stopped": status == "stopped",
                "messages": self.message_number, "messages_sent": self.delivered}
