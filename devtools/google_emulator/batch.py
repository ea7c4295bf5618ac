"""`POST /batch/calendar/v3`: Google's multipart/mixed batch endpoint.

Each part (`Content-Type: application/http`) holds one HTTP request; it runs through the same
pipeline as a plain call (`server.handle_api_call`), so auth, counters, faults and the rate
limit apply to every part on its own. Headers of the outer request (other than Content-*)
apply to every part unless the part sets them itself, as Google documents.
"""

from __future__ import annotations

import email.parser
import re
import secrets
from email.message import Message
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from werkzeug.datastructures import Headers, MultiDict
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request, Response

from devtools.google_emulator.errors import GoogleApiError, invalid
from devtools.google_emulator.routing import web_route

if TYPE_CHECKING:
    from devtools.google_emulator.state import EmulatorState

MAX_PARTS = 1000


class InnerRequest:
    """One part of a batch: an HTTP request written out as text."""

    def __init__(self, content_id: str, method: str, target: str, headers: Headers, body: bytes) -> None:
        self.content_id = content_id
        self.method = method
        split = urlsplit(target)
        self.path = unquote(split.path)
        self.query = MultiDict(parse_qsl(split.query, keep_blank_values=True))
        self.headers = headers
        self.body = body


def _parse_part(part: Message) -> InnerRequest:
    payload = part.get_payload()
    if part.get_content_type() != "application/http" or not isinstance(payload, str):
        raise invalid("Each batch part must have Content-Type: application/http.")
    request_line, _, rest = payload.lstrip("\r\n").partition("\n")
    fields = request_line.strip().split(" ")
    if len(fields) != 3 or not fields[2].startswith("HTTP/"):
        raise invalid(f"Invalid request line in batch part: {request_line.strip()!r}")
    inner = email.parser.Parser().parsestr(rest)
    headers = Headers([(k, str(v)) for k, v in inner.items()])
    body = inner.get_payload()
    if not isinstance(body, str):
        raise invalid("Invalid batch part body.")
    return InnerRequest(part.get("Content-ID", ""), fields[0].upper(), fields[1], headers,
                        body.encode("utf-8"))


def parse_batch(request: Request) -> list[InnerRequest]:
    """The parts of a multipart/mixed batch body, in order (400 if it is not one)."""
    content_type = request.headers.get("Content-Type", "")
    if not content_type.lower().startswith("multipart/mixed"):
        raise invalid("A batch request must be multipart/mixed.")
    raw = request.get_data().decode("utf-8")
    outer = email.parser.Parser().parsestr(f"Content-Type: {content_type}\r\n\r\n{raw}")
    parts = outer.get_payload()
    if not outer.is_multipart() or not isinstance(parts, list) or not parts:
        raise invalid("A batch request needs at least one part.")
    if len(parts) > MAX_PARTS:
        raise invalid(f"A batch request may contain at most {MAX_PARTS} calls.")
    return [_parse_part(p) for p in parts]


def _merged_headers(outer: Headers, inner: Headers) -> Headers:
    merged = Headers(inner)
    for key, value in outer.items():
        lower = key.lower()
        if lower.startswith("content-") or lower in ("host", "transfer-encoding") or key in inner:
            continue
        merged.add(key, value)
    return merged


def _response_part(content_id: str, status: int, headers: dict[str, str], body: bytes) -> str:
    # A long Content-ID arrives folded over two lines (RFC 2822); unfold it before echoing it.
    content_id = re.sub(r"\r?\n[ \t]+", " ", content_id).strip()
    inner_id = content_id[1:-1] if content_id.startswith("<") else content_id
    reason = HTTP_STATUS_CODES.get(status, "Unknown")
    head = [f"HTTP/1.1 {status} {reason}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append(f"Content-Length: {len(body)}")
    return ("Content-Type: application/http\r\n"
            f"Content-ID: <response-{inner_id}>\r\n\r\n"
            + "\r\n".join(head) + "\r\n\r\n" + body.decode("utf-8"))


@web_route("POST", "/batch/calendar/v3")
def batch(state: EmulatorState, request: Request) -> Response:
    """Run every part through the API pipeline; answer multipart/mixed in the same order."""
    from devtools.google_emulator.server import handle_api_call  # server imports this module

    try:
        parts = parse_batch(request)
    except GoogleApiError as err:
        return err.to_response()
    boundary = "batch_" + secrets.token_hex(12)
    chunks = []
    for part in parts:
        status, headers, body = handle_api_call(
            state, part.method, part.path, part.query,
            _merged_headers(request.headers, part.headers), part.body)
        chunks.append(f"--{boundary}\r\n" + _response_part(part.content_id, status, headers, body))
    text = "\r\n".join(chunks) + f"\r\n--{boundary}--\r\n"
    return Response(text.encode("utf-8"), status=200,
                    content_type=f"multipart/mixed; boundary={boundary}")

