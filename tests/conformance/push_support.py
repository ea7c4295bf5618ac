"""A loopback webhook receiver for the push conformance tests, and small helpers around it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def state(self) -> str:
        return self.headers["x-goog-resource-state"]

    @property
    def number(self) -> int:
        return int(self.headers["x-goog-message-number"])


class Receiver:
    """Records every request and answers `status` (the first ones: `answers`, in order); with
    `hold()` it keeps requests waiting (up to 10 s) until `release()`, like a slow receiver."""

    def __init__(self, status: int = 200, answers: tuple[int, ...] = ()) -> None:
        self.status = status
        self._answers = list(answers)
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._gate = threading.Event()
        self._gate.set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver._received.append(Received(self.command, self.path, headers, body))
                    status = receiver._answers.pop(0) if receiver._answers else receiver.status
                receiver._gate.wait(10)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/hook?from=google"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first `count` requests, once they are there (fails after `timeout` s)."""
        deadline = time.monotonic() + timeout
        while len(got := self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} notifications within {timeout} s, got {got}")
            time.sleep(0.01)
        return got[:count]

    def hold(self) -> None:
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


def states(received: list[Received]) -> list[tuple[str, int]]:
    return [(r.state, r.number) for r in received]


def watch(service: Any, address: str, channel_id: str = "kanal-1", calendar_id: str = "primary",
          **extra: Any) -> dict[str, Any]:
    """events.watch through the real client library."""
    body = {"id": channel_id, "type": "web_hook", "address": address, **extra}
    return service.events().watch(calendarId=calendar_id, body=body).execute()


def stop(service: Any, channel: dict[str, Any]) -> Any:
    return service.channels().stop(body={"id": channel["id"], "resourceId": channel["resourceId"]}).execute()


PRAXIS = "praxis.berlin@example.com"  # the account the push tests watch
