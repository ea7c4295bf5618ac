"""Push delivery: a background worker that POSTs notifications, and the POST itself.

One daemon thread takes jobs from a queue ordered by due time (the delivery delay and the
retry backoff are due times, never sleeps in an API call), so the API answer is never held up
by a receiver, and the notifications of a channel leave in the order they were numbered
(a retried one may overtake nothing: it goes back in the queue, as Google's retries do).
The worker holds no emulator lock while it waits for a receiver: a receiver may call the API.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import logging
import ssl
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

LOG = logging.getLogger("devtools.google_emulator.push")
Job = Callable[[], None]


def post_notification(address: str, headers: dict[str, str], timeout: float) -> tuple[int | None, str | None]:
    """POST an empty body to `address`: (HTTP status, None), or (None, why it was not reached).

    http.client rather than urllib: no proxy from the environment, no redirect followed, and no
    Content-Type added to the empty body (Google sends none).
    """
    parts = urlsplit(address)
    host = parts.hostname or ""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        # Loopback receivers use self-signed certificates; Google would insist on a valid one.
        context = ssl._create_unverified_context()  # noqa: S323
        conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    try:
        conn.request("POST", target, body=b"", headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}".rstrip(": ")
    finally:
        conn.close()


class DeliveryWorker:
    """Runs jobs at their due time (time.monotonic()), one at a time, on a daemon thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, Job]] = []
        self._order = itertools.count()
        self._running = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, delay: float, job: Job) -> None:
        """Run `job` in `delay` seconds (0: as soon as the worker is free)."""
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._queue, (time.monotonic() + max(delay, 0.0), next(self._order), job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="google-emulator-push")
                self._thread.start()
            self._cond.notify()

    def clear(self) -> int:
        """Forget every job not started yet (a reset); returns how many there were."""
        with self._cond:
            n = len(self._queue)
            self._queue.clear()
            self._cond.notify()
            return n

    def pending(self) -> int:
        """Jobs waiting or running: 0 means every notification so far has had its outcome."""
        with self._cond:
            return len(self._queue) + self._running

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify()

    def _next(self) -> Job | None:
        with self._cond:
            while not self._closed:
                if self._queue:
                    wait = self._queue[0][0] - time.monotonic()
                    if wait <= 0:
                        self._running += 1
                        return heapq.heappop(self._queue)[2]
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                job()
            except Exception:  # a bug in a job must not end delivery for everyone
                LOG.exception("push delivery job failed")
            finally:
                with self._cond:
                    self._running -= 1

