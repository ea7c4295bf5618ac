"""The dispatcher: a thread that takes due attempts out of the state and a pool that sends
them to their HTTP targets, as Cloud Tasks does (headers, OIDC token, deadline, outcome)."""

from __future__ import annotations

import http.client
import logging
import queue
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from devtools.cloud_tasks_emulator import model
from devtools.cloud_tasks_emulator.state import Dispatch, TasksState

LOG = logging.getLogger("devtools.cloud_tasks_emulator.dispatch")
# At most this many requests are out at once over all queues (each queue also has its own
# max_concurrent_dispatches); a queue asking for more gets this many.
POOL_SIZE = 64
USER_AGENT = "Google-Cloud-Tasks"


def request_headers(d: Dispatch, token: str | None) -> dict[str, str]:
    """The headers a worker gets: the task's own (minus those Cloud Tasks computes or reserves),
    then Cloud Tasks' own, then the OIDC token."""
    headers = {k: v for k, v in d.headers.items() if not k.lower().startswith(model.RESERVED_HEADERS)}
    headers["User-Agent"] = USER_AGENT
    headers["X-CloudTasks-QueueName"] = model.short_name(d.queue_name)
    headers["X-CloudTasks-TaskName"] = model.short_name(d.task_name)
    headers["X-CloudTasks-TaskRetryCount"] = str(d.retry_count)
    headers["X-CloudTasks-TaskExecutionCount"] = str(d.execution_count)
    headers["X-CloudTasks-TaskETA"] = f"{d.eta:.6f}"
    if d.previous_status is not None:
        headers["X-CloudTasks-TaskPreviousResponse"] = str(d.previous_status)
    if token is not None:
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def send(d: Dispatch, token: str | None) -> tuple[int, float | None]:
    """One HTTP request to the task's target: (status, Retry-After seconds). Raises OSError
    (socket.timeout for the dispatch deadline) when there is no answer."""
    parts = urlsplit(d.url)
    if not model.is_loopback(parts.hostname):  # checked at CreateTask too: never leave loopback
        raise ConnectionRefusedError(f"not a loopback host: {parts.hostname}")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=d.deadline)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = d.body if d.method in ("POST", "PUT", "PATCH") else None
        conn.request(d.method, path, body=body, headers=request_headers(d, token))
        response = conn.getresponse()
        response.read()
        return response.status, _retry_after(response.getheader("Retry-After"))
    finally:
        conn.close()


_Work = tuple[Callable[[Dispatch], None], Dispatch]


class _DaemonPool:
    """Up to `size` daemon threads, started as work comes: a request that hangs never keeps
    the interpreter from exiting (a ThreadPoolExecutor's threads are joined at exit)."""

    def __init__(self, size: int) -> None:
        self._size, self._threads, self._idle, self._pending = size, 0, 0, 0
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()

    def submit(self, fn: Callable[[Dispatch], None], dispatch: Dispatch) -> None:
        with self._lock:
            self._pending += 1
            if self._pending > self._idle and self._threads < self._size:
                self._threads += 1
                threading.Thread(target=self._work, daemon=True, name="cloud-tasks-dispatch").start()
        self._queue.put((fn, dispatch))

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            item = self._queue.get()
            with self._lock:
                self._idle -= 1
                if item is None:
                    self._threads -= 1
                    return
                self._pending -= 1
            item[0](item[1])

    def shutdown(self) -> None:
        with self._lock:
            threads = self._threads
        for _ in range(threads):
            self._queue.put(None)


class Dispatcher:
    def __init__(self, state: TasksState, pool_size: int = POOL_SIZE) -> None:
        self.state = state
        self._stop = threading.Event()
        self._pool = _DaemonPool(pool_size)
        self._thread = threading.Thread(target=self._run, daemon=True, name="cloud-tasks-dispatcher")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self.state.cond:
            self.state.cond.notify_all()
        self._thread.join(timeout=5)
        self._pool.shutdown()

    def _run(self) -> None:
        while not self._stop.is_set():
            # Taking the due attempts and waiting happen under one hold of the lock, so a
            # change made in between (a new task, RunTask, resume) cannot go unnoticed.
            with self.state.cond:
                try:
                    due, wait = self.state.take_due()
                except Exception:  # a bug must not end dispatching silently
                    LOG.exception("the Cloud Tasks emulator's dispatcher failed")
                    due, wait = [], 0.5
                if not due:
                    if not self._stop.is_set():
                        self.state.cond.wait(min(wait, 1.0))
                    continue
            for dispatch in due:
                self._pool.submit(self._deliver, dispatch)

    def _deliver(self, d: Dispatch) -> None:
        token = None
        try:
            if d.oidc_email is not None:
                source = self.state.id_token_source
                if source is None:
                    raise RuntimeError("no ID-token source configured")
                token = source(d.oidc_email, d.oidc_audience or d.url)
        except Exception as exc:
            LOG.warning("no OIDC token for %s: %s", d.task_name, exc)
            self.state.finish(d, None, "UNAVAILABLE")
            return
        try:
            status, retry_after = send(d, token)
        except TimeoutError:  # socket.timeout too
            LOG.info("task %s: no answer from %s within %.0f s", d.task_name, d.url, d.deadline)
            self.state.finish(d, None, "DEADLINE_EXCEEDED")
            return
        except (OSError, http.client.HTTPException) as exc:
            LOG.info("task %s: %s unreachable: %s", d.task_name, d.url, exc)
            self.state.finish(d, None, "UNAVAILABLE")
            return
        except Exception:
            LOG.exception("task %s: dispatch failed", d.task_name)
            self.state.finish(d, None, "INTERNAL")
            return
        LOG.debug("task %s → %s %s: %s", d.task_name, d.method, d.url, status)
        self.state.finish(d, status, None, retry_after)
