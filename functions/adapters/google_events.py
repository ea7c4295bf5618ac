"""Event listing (incremental / full) and batched event writes for the sync engine."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from functions.adapters.google_calendar import (
    BATCH_SIZE,
    CalendarApi,
    Gone,
    GrantDead,
    Throttled,
    classify,
    reason_of,
    retryable,
)

PAGE_SIZE = 2500
ROUNDS = 4  # attempts of a batch part before it is left for the next run


class SyncTokenExpired(Exception):
    """410 fullSyncRequired: drop the token and list the window again."""


@dataclass
class Listing:
    events: list[dict[str, Any]]
    next_sync_token: str | None
    complete: bool


def list_events(api: CalendarApi, calendar_id: str, sync_token: str | None,
                time_min: datetime) -> Listing:
    """Changes since `sync_token`, or (no token) every event that ends after `time_min`."""
    params: dict[str, Any] = {"calendarId": calendar_id, "singleEvents": True, "maxResults": PAGE_SIZE}
    if sync_token:
        params["syncToken"] = sync_token
    else:
        params["timeMin"] = time_min.isoformat()
    events: list[dict[str, Any]] = []
    page_token = None
    while True:
        try:
            page = api.call(api.events.list(**params, pageToken=page_token))
        except Gone as exc:
            raise SyncTokenExpired() from exc
        events.extend(page.get("items", []))
        page_token = page.get("nextPageToken")
        if not page_token:
            return Listing(events, page.get("nextSyncToken"), complete=not sync_token)


Kind = Literal["insert", "patch", "delete", "get"]  # get: re-read an event (a cancelled one too)
# invalid: Google refused this one call (400, or a 403 about this event): quarantined, not retried
Outcome = Literal["done", "duplicate", "precondition", "gone", "retry", "invalid"]
LINK_LEVEL_403 = {"insufficientPermissions", "requiredAccessLevel"}  # about the grant or calendar


@dataclass
class EventWrite:
    key: str            # the appointment id: one write per item and round
    kind: Kind
    event_id: str
    body: dict[str, Any] | None = None
    if_match: str | None = None


@dataclass
class WriteResult:
    outcome: Outcome
    event: dict[str, Any] | None = None


@dataclass
class BatchWriter:
    """Runs event writes (and re-reads) in batches of ≤ 50 calls, retrying rate limits and 5xx
    with backoff."""

    api: CalendarApi
    calendar_id: str
    results: dict[str, WriteResult] = field(default_factory=dict)

    def run(self, writes: list[EventWrite]) -> dict[str, WriteResult]:
        pending = list(writes)
        for attempt in range(ROUNDS):
            retry: list[EventWrite] = []
            for start in range(0, len(pending), BATCH_SIZE):
                retry.extend(self._batch(pending[start:start + BATCH_SIZE]))
            if not retry:
                break
            pending = retry
            if attempt < ROUNDS - 1:
                self.api.sleep(min(8.0, 0.5 * 2 ** attempt) * (0.5 + random.random()))
        for w in pending:
            self.results.setdefault(w.key, WriteResult("retry"))
        return self.results

    def _request(self, w: EventWrite) -> Any:
        events = self.api.events
        if w.kind == "insert":
            request = events.insert(calendarId=self.calendar_id, body=w.body)
        elif w.kind == "patch":
            request = events.patch(calendarId=self.calendar_id, eventId=w.event_id, body=w.body)
        elif w.kind == "get":
            request = events.get(calendarId=self.calendar_id, eventId=w.event_id)
        elif w.kind == "delete":
            request = events.delete(calendarId=self.calendar_id, eventId=w.event_id)
        else:
            raise ValueError(f"unknown kind of event write: {w.kind!r}")
        if w.if_match:
            request.headers["If-Match"] = w.if_match
        return request

    def _batch(self, writes: list[EventWrite]) -> list[EventWrite]:
        answers: dict[str, tuple[Any, Exception | None]] = {}
        batch = BatchHttpRequest(callback=lambda rid, resp, exc: answers.__setitem__(rid, (resp, exc)),
                                 batch_uri=self.api.settings.batch_uri)
        for w in writes:
            batch.add(self._request(w), request_id=w.key)
        try:
            batch.execute(http=self.api.http)
        except RefreshError as exc:
            raise GrantDead("invalid_grant") from exc
        except HttpError as err:
            if retryable(err):
                return writes
            raise classify(err) from err
        retry = []
        for w in writes:
            response, exc = answers.get(w.key, (None, None))
            outcome = self._outcome(w, exc)
            if outcome == "retry":
                retry.append(w)
            else:
                self.results[w.key] = WriteResult(outcome, response if outcome == "done" else None)
        return retry

    @staticmethod
    def _outcome(w: EventWrite, exc: Exception | None) -> Outcome:
        if exc is None:
            return "done"
        if not isinstance(exc, HttpError):
            return "retry"
        status = exc.resp.status
        if status == 409 and w.kind == "insert":
            return "duplicate"
        if status == 412:
            return "precondition"
        if status in (404, 410):
            return "gone"
        if status == 403 and reason_of(exc) == "quotaExceeded":
            raise Throttled()
        if retryable(exc):
            return "retry"
        if status == 400 or (status == 403 and reason_of(exc) not in LINK_LEVEL_403):
            return "invalid"
        raise classify(exc)
