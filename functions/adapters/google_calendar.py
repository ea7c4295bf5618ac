"""Google Calendar v3 through the real google-api-python-client.

Errors are translated into the few outcomes the product acts on (GOOGLE_API_NOTES.md, Errors):
a dead grant (→ needs re-consent), a missing calendar, throttling, or Google being unavailable.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from functions.adapters.google_oauth import SCOPES
from functions.config import OAuthClientConfig, Settings

BATCH_SIZE = 50  # Calendar allows 1000 calls per batch; Google advises staying small
RETRYABLE = {429, 500, 502, 503, 504}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


class GrantDead(Exception):
    """The grant no longer works (revoked, expired, scope removed): needs re-consent."""


class CalendarMissing(Exception):
    """The calendar is gone (or no longer visible to the account)."""


class Gone(Exception):
    """410: the sync token is no longer valid (fullSyncRequired) or the event was deleted."""


class Throttled(Exception):
    """Google's calendar usage limit (quotaExceeded): stop writing for a while."""


class GoogleUnavailable(Exception):
    """Google did not answer usefully after retries; try again later."""


def reason_of(err: HttpError) -> str:
    try:
        return err.error_details[0].get("reason", "") if err.error_details else ""
    except (AttributeError, IndexError, TypeError):
        return ""


def classify(err: HttpError) -> Exception:
    status, reason = err.resp.status, reason_of(err)
    if status == 401 or (status == 403 and reason == "insufficientPermissions"):
        return GrantDead(reason or "authError")
    if status == 404:
        return CalendarMissing()
    if status == 410:
        return Gone(reason)
    if status == 403 and reason == "quotaExceeded":
        return Throttled()
    return GoogleUnavailable(f"{status} {reason}".strip())


def retryable(err: HttpError) -> bool:
    return err.resp.status in RETRYABLE or (err.resp.status == 403 and reason_of(err) in RATE_REASONS)


@cache
def _discovery_document() -> str:
    """The bundled Calendar v3 discovery document, read once per instance (cold start cost)."""
    from googleapiclient.discovery_cache import get_static_doc

    doc = get_static_doc("calendar", "v3")
    assert doc is not None
    return doc


@cache
def _shared_service(endpoint: str) -> Any:
    # An unauthenticated Http: requests carry each account's AuthorizedHttp at execute time.
    return build_from_document(_discovery_document(), http=httplib2.Http(timeout=60),
                               client_options={"api_endpoint": endpoint})


@cache
def _events_resource(endpoint: str) -> Any:
    """`service.events()` builds every method with its docs each call (~20 ms of CPU): once."""
    return _shared_service(endpoint).events()


class ThreadConnections:
    """httplib2 for whichever thread calls: each thread has one `httplib2.Http` (not thread-safe,
    so not shared), which keeps its connection to Google open from one call to the next, across
    accounts. A sync worker thus pays the TCP and TLS handshakes once per run, not once per
    link; the connections go when the run's worker threads end."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _http(self) -> httplib2.Http:
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = httplib2.Http(timeout=60)
        return http

    def request(self, *args: Any, **kwargs: Any) -> Any:
        http = self._http()
        try:
            return http.request(*args, **kwargs)
        except BrokenPipeError:
            # Google closed the kept connection while it was idle and httplib2 does not retry a
            # failed send. Nothing was processed (the request did not get out): send it anew.
            self.drop()
            return self._http().request(*args, **kwargs)
        except OSError:
            self.drop()  # whatever the connection's state, the next call starts a fresh one
            raise

    def drop(self) -> None:
        http = getattr(self._local, "http", None)
        if http is not None:
            http.close()
            self._local.http = None

    def __getattr__(self, name: str) -> Any:  # timeout, connections, … as AuthorizedHttp asks
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._http(), name)


CONNECTIONS = ThreadConnections()


def credentials(settings: Settings, client: OAuthClientConfig, refresh_token: str,
                access_token: str | None = None) -> Credentials:
    # Built by hand: from_authorized_user_info would force Google's token_uri (google-auth #1062).
    return Credentials(token=access_token, refresh_token=refresh_token,
                       token_uri=settings.google_token_uri, client_id=client.client_id,
                       client_secret=client.client_secret, scopes=list(SCOPES))


class CalendarApi:
    """Calendar calls for one account. Requests are built by one shared service object (built
    once per instance: building one costs milliseconds of CPU) and sent with this account's
    credentials, whose access token is refreshed only when it expires, over the calling
    thread's connection (`ThreadConnections`)."""

    def __init__(self, settings: Settings, creds: Credentials,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.creds = creds
        self.sleep = sleep
        self.service = _shared_service(settings.calendar_endpoint)
        self.events = _events_resource(settings.calendar_endpoint)
        self.http = AuthorizedHttp(creds, http=CONNECTIONS)

    def call(self, request: Any, attempts: int = 4) -> Any:
        """Execute with exponential backoff and jitter on rate limits and 5xx."""
        for attempt in range(attempts):
            try:
                return request.execute(http=self.http)
            except RefreshError as exc:
                raise GrantDead("invalid_grant") from exc
            except HttpError as err:
                if not retryable(err) or attempt == attempts - 1:
                    raise classify(err) from err
            except (TransportError, OSError) as exc:
                if attempt == attempts - 1:
                    raise GoogleUnavailable(type(exc).__name__) from exc
            self.sleep(min(8.0, 0.25 * 2 ** attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    # Calendars -------------------------------------------------------------------------------

    def calendar_list(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = None
        while True:
            page = self.call(self.service.calendarList().list(maxResults=250, pageToken=token))
            items.extend(page.get("items", []))
            token = page.get("nextPageToken")
            if not token:
                return items

    def create_calendar(self, summary: str, time_zone: str) -> dict[str, Any]:
        return self.call(self.service.calendars().insert(body={"summary": summary, "timeZone": time_zone}))

    # Events ----------------------------------------------------------------------------------

    def event_ids(self, calendar_id: str) -> Iterator[str]:
        """Ids of every live event (recurring series once, by their master), past and future."""
        token = None
        while True:
            page = self.call(self.events.list(
                calendarId=calendar_id, maxResults=2500, pageToken=token, showDeleted=False,
                singleEvents=False, fields="items(id,status),nextPageToken"))
            yield from (e["id"] for e in page.get("items", []) if e.get("status") != "cancelled")
            token = page.get("nextPageToken")
            if not token:
                return
