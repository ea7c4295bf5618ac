"""Google's JSON error envelope."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

STATUS_MESSAGES = {
    400: "Bad Request",
    401: "Invalid Credentials",
    403: "Forbidden",
    404: "Not Found",
    409: "The requested identifier already exists.",
    410: "Resource has been deleted",
    412: "Precondition Failed",
    429: "Rate Limit Exceeded",
    500: "Backend Error",
    503: "Backend Error",
}


class GoogleApiError(Exception):
    """Raised anywhere in a handler; rendered as Google's error envelope."""

    def __init__(self, code: int, reason: str, message: str | None = None, domain: str = "global",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message or reason)
        self.code = code
        self.reason = reason
        self.message = message or STATUS_MESSAGES.get(code, reason)
        self.domain = domain
        self.headers = headers or {}

    def body(self) -> dict:
        return {
            "error": {
                "errors": [{"domain": self.domain, "reason": self.reason, "message": self.message}],
                "code": self.code,
                "message": self.message,
            }
        }

    def to_response(self) -> Response:
        headers = dict(self.headers)
        if self.code == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'

        return Response(json.dumps(self.body()), status=self.code, mimetype="application/json",
                        headers=headers)


def not_found(message: str = "Not Found") -> GoogleApiError:
    return GoogleApiError(404, "notFound", message)


def invalid(message: str, reason: str = "invalid") -> GoogleApiError:
    return GoogleApiError(400, reason, message)
