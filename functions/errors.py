"""Domain errors that map one-to-one to the API's error answers."""

from __future__ import annotations


class ApiError(Exception):
    """An error a caller can act on: `{"error": {"code", "message"}}` with an HTTP status."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}  # e.g. `Allow` on a 405
        if status is not None:
            self.status = status

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ApiError):
    status = 400


class Unauthenticated(ApiError):
    status = 401

    def __init__(self, message: str = "A valid bearer token is required.") -> None:
        super().__init__("unauthenticated", message)


class Forbidden(ApiError):
    status = 403

    def __init__(self, message: str = "You may not act on this branch or resource.") -> None:
        super().__init__("forbidden", message)


class NotFound(ApiError):
    status = 404

    def __init__(self, message: str, code: str = "not_found") -> None:
        super().__init__(code, message)


class Conflict(ApiError):
    status = 409
