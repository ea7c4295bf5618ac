"""A recording HTTP worker on loopback: the target of the emulator's dispatches in the suite.

It records every request (arrival time, method, path, lower-cased headers, body), answers each
path from a script (`respond("/w", 503, 503, 200)`; 200 once the script is used up), and can
hold requests at a gate until the test opens it, to observe concurrency without timing.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class RecordingWorker:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.cond = threading.Condition()
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: dict[str, deque[tuple[int, dict[str, str]]]] = defaultdict(deque)
        self.gate = threading.Event()
        self.gate.set()
        worker = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.partition("?")[0]
                status, extra = worker._arrive(Received(
                    time.monotonic(), time.time(), self.command, path,
                    {k.lower(): v for k, v in self.headers.items()}, body))
                try:
                    worker.gate.wait(30)
                finally:
                    with worker.cond:
                        worker.in_flight -= 1
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def _arrive(self, received: Received) -> tuple[int, dict[str, str]]:
        with self.cond:
            self.requests.append(received)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            script = self._script[received.path]
            answer = script.popleft() if script else (200, {})
            self.cond.notify_all()
            return answer

    def url(self, path: str = "/work") -> str:
        return self.base + path

    def respond(self, path: str, *statuses: int, headers: dict[str, str] | None = None) -> None:
        """The next requests to `path` get these statuses, in order (then 200)."""
        with self.cond:
            self._script[path].extend((s, dict(headers or {})) for s in statuses)

    def received(self, path: str | None = None) -> list[Received]:
        with self.cond:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 20.0) -> list[Received]:
        """Wait until `count` requests (to `path`) have arrived; all of them, oldest first."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len([r for r in self.requests if path is None or r.path == path]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = len([r for r in self.requests if path is None or r.path == path])
                    raise TimeoutError(f"{got} requests to {path or 'the worker'} after {timeout} s, "
                                       f"expected {count}")
                self.cond.wait(left)
        return self.received(path)

    def wait_in_flight(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.in_flight < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.in_flight} requests held after {timeout} s, expected {count}")
                self.cond.wait(left)

    def start(self) -> RecordingWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()
