"""Google's error envelope for the REST surface of Cloud Tasks (google.rpc.Status as JSON)."""

from __future__ import annotations

from typing import Any

# google.rpc.Code name → the HTTP status Google's REST front end answers with.
HTTP_STATUS = {
    "INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403, "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409, "ABORTED": 409, "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500, "UNIMPLEMENTED": 501, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504,
}
# google.rpc.Code numbers (for Attempt.response_status).
GRPC_CODE = {
    "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9, "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12,
    "INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}


class ApiError(Exception):
    """An RPC failure: `status` is a google.rpc.Code name such as ALREADY_EXISTS."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(f"{status}: {message}")
        if status not in HTTP_STATUS:
            raise ValueError(f"unknown status {status}")
        self.status, self.message = status, message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.status]

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.http_status, "message": self.message, "status": self.status}}


def not_found(what: str = "Requested entity") -> ApiError:
    return ApiError("NOT_FOUND", f"{what} was not found.")


def invalid(message: str) -> ApiError:
    return ApiError("INVALID_ARGUMENT", message)


def grpc_code_for_http(status: int) -> str:
    """The google.rpc.Code name Cloud Tasks records for a worker's HTTP answer."""
    if 200 <= status < 300:
        return "OK"
    table = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
             404: "NOT_FOUND", 409: "ABORTED", 412: "FAILED_PRECONDITION", 416: "OUT_OF_RANGE",
             429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 501: "UNIMPLEMENTED",
             503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
    if status in table:
        return table[status]
    if 400 <= status < 500:
        return "FAILED_PRECONDITION"
    if 500 <= status < 600:
        return "INTERNAL"
    return "UNKNOWN"
