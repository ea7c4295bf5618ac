"""A small threaded WSGI server with HTTP/1.1 keep-alive, for the emulator.

werkzeug's development server closes every connection after one response, so a client there
pays a new connection per call, while against Google a client that keeps its connections
pays the TCP and TLS handshakes once. This server keeps connections open (a thread per open
connection; an idle one is closed after `IDLE_TIMEOUT`) and tells the app, through the WSGI
environ key `emulator.new_connection`, whether a request is the first on its connection, so
the emulator can charge the handshake's round trip and count connections.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

LOG = logging.getLogger("devtools.google_emulator.http")
IDLE_TIMEOUT = 30.0
NEW_CONNECTION = "emulator.new_connection"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding"}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: KeepAliveServer

    def setup(self) -> None:
        super().setup()
        # Without this, a body sent after its headers waits for the client's delayed ACK (40 ms)
        # on every reused connection (Nagle's algorithm), as real servers know to avoid.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.first = True
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug(format, *args)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command, "SCRIPT_NAME": "", "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)), "SERVER_NAME": str(host), "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, NEW_CONNECTION: self.first,
        }
        for name, value in self.headers.items():  # the body is de-chunked: no Transfer-Encoding
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _run(self) -> None:
        environ = self._environ(self._body())
        self.first = False
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return lambda data: None  # the legacy write() callable; the emulator never uses it

        try:
            result = self.server.app(environ, start_response)
            try:
                data = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
        except Exception:
            LOG.exception("the emulator failed on %s %s", self.command, self.path.partition("?")[0])
            started[:] = ["500 Internal Server Error", [("Content-Type", "text/plain")]]
            data, self.close_connection = b"internal error in the Google emulator\n", True
        status, headers = started
        code, _, reason = status.partition(" ")
        self.send_response_only(int(code), reason)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # Logged before the answer leaves: a client that has its answer can rely on the line
        # being there (logging after the write raced the client; the log test was flaky).
        self.log_request(code)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _run


class KeepAliveServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, app: WsgiApp) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # not HTTPServer's: no reverse DNS lookup
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def track(self, conn: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            (self._open.add if is_open else self._open.discard)(conn)

    def server_close(self) -> None:
        """Stop listening and end every open keep-alive connection (their threads then exit)."""
        super().server_close()
        self.drop_connections()

    def drop_connections(self) -> None:
        """End every open connection, as a server does with idle ones after a while."""
        with self._open_lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
