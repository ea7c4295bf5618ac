"""events.watch and channels.stop through the real google-api-python-client.

GOOGLE_API_NOTES.md / Google's push guide: a watch asks for a `web_hook` channel to an HTTPS
address with our own id and token and a ttl; Google answers the channel with its `resourceId`
(needed to stop it) and `expiration` (milliseconds since the epoch, as a string). There is no
call to renew or to list channels: a new channel replaces an old one, and the bridge keeps what
it opened (channel_store.py) until it is stopped or expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from functions.adapters.google_calendar import CalendarApi, CalendarMissing


@dataclass(frozen=True)
class Watch:
    resource_id: str
    expires_at: datetime


def watch(api: CalendarApi, calendar_id: str, channel_id: str, token: str, address: str,
          ttl_seconds: int) -> Watch:
    """Open a channel on the calendar's events (GoogleUnavailable carries Google's reason when
    it refuses, e.g. `push.webhookUrlNotHttps`)."""
    body = {"id": channel_id, "type": "web_hook", "address": address, "token": token,
            "params": {"ttl": str(ttl_seconds)}}
    answer = api.call(api.events.watch(calendarId=calendar_id, body=body))
    expires = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
    return Watch(answer["resourceId"], expires)


def stop(api: CalendarApi, channel_id: str, resource_id: str) -> bool:
    """Stop a channel; False when Google no longer knows it (expired, stopped already)."""
    try:
        api.call(api.service.channels().stop(body={"id": channel_id, "resourceId": resource_id}))
    except CalendarMissing:  # 404: "Channel '…' not found for project '…'"
        return False
    return True
