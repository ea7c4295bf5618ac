"""Withdrawing consent with `remove_events`: delete every event the bridge wrote into the linked
calendar, found by its marker, before the grant is revoked (issue 13, item 8).

Ours are the events whose `extendedProperties.private` carry `plannerSync` (mapping._markers)
and an appointment id of the planner: they are found with events.list
`privateExtendedProperty=plannerSync=1`, so also when the item states are gone. Events born on
the phone (their appointment id is `gcal-…`, even after the planner edited them) and events
without the marker are never touched.

Safety while deleting: the link's lease is taken (a run still at work writes nothing more) and
its item states are forgotten first. A run after a failed removal then finds the appointments
without states and writes their events again; it never reads the missing events as the phone's
deletions (which would delete the appointments in the planner).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from functions.adapters.google_calendar import CalendarApi, CalendarMissing, GoogleUnavailable, Throttled
from functions.adapters.google_events import BatchWriter, EventWrite
from functions.sync.mapping import GOOGLE_BORN_PREFIX, MARKER_APPOINTMENT_ID, MARKER_SOURCE, SOURCE_VALUE

PAGE = 2500     # events per listing page (Google's maximum)
CHUNK = 200     # deletions per BatchWriter run (its batches are ≤ 50 calls)
ROUNDS = 3      # listings: an event a run still inserted while we deleted is found by the next


class RemovalIncomplete(Exception):
    """Google did not delete every event (after the batch writer's retries)."""

    def __init__(self, removed: int, remaining: int | None) -> None:
        super().__init__(f"{removed} removed, {remaining} remaining")
        self.removed, self.remaining = removed, remaining


def ours(event: dict[str, Any]) -> bool:
    """An event the bridge created: our marker and a planner appointment's id."""
    private = (event.get("extendedProperties") or {}).get("private") or {}
    appointment_id = private.get(MARKER_APPOINTMENT_ID)
    return (private.get(MARKER_SOURCE) == SOURCE_VALUE and isinstance(appointment_id, str)
            and bool(appointment_id) and not appointment_id.startswith(GOOGLE_BORN_PREFIX)
            and event.get("status") != "cancelled")


def marked_event_ids(api: CalendarApi, calendar_id: str) -> Iterator[str]:
    """Ids of the calendar's live events with our marker, past and future."""
    token = None
    while True:
        page = api.call(api.events.list(
            calendarId=calendar_id, privateExtendedProperty=[f"{MARKER_SOURCE}={SOURCE_VALUE}"],
            maxResults=PAGE, pageToken=token, showDeleted=False, singleEvents=False,
            fields="items(id,status,extendedProperties),nextPageToken"))
        yield from (e["id"] for e in page.get("items", []) if ours(e))
        token = page.get("nextPageToken")
        if not token:
            return


def remove_our_events(api: CalendarApi, calendar_id: str) -> int:
    """Delete them in batches; the number deleted. A calendar that is gone has none left.
    RemovalIncomplete when some deletions kept failing (the caller keeps the consent)."""
    removed = 0
    try:
        for _ in range(ROUNDS):
            ids = list(marked_event_ids(api, calendar_id))
            if not ids:
                break
            failed = 0
            for start in range(0, len(ids), CHUNK):
                results = BatchWriter(api, calendar_id).run(
                    [EventWrite(event_id, "delete", event_id) for event_id in ids[start:start + CHUNK]])
                removed += sum(r.outcome == "done" for r in results.values())  # "gone": deleted meanwhile
                failed += sum(r.outcome not in ("done", "gone") for r in results.values())
            if failed:
                raise RemovalIncomplete(removed, failed)
    except CalendarMissing:
        return removed
    except (GoogleUnavailable, Throttled) as exc:
        raise RemovalIncomplete(removed, None) from exc
    return removed
