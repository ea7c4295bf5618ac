"""Domain errors that map one-to-one to the API's error answers.

An error carries a machine-readable `code`, its HTTP status and a message of the catalog
(functions/i18n.py: its key and parameters); the text is made in the request's language when
the answer is built (`body`). `str()` of an error is its English text, for logs and tracebacks.
"""

from __future__ import annotations

from typing import Any

from functions import i18n


class ApiError(Exception):
    """An error a caller can act on: `{"error": {"code", "message"}}` with an HTTP status."""

    status = 400

    def __init__(self, code: str, msg: str, status: int | None = None,
                 headers: dict[str, str] | None = None, **params: Any) -> None:
        super().__init__(code, msg)
        if msg not in i18n.MESSAGES:
            raise KeyError(f"{msg!r} is not a message of functions/i18n.py")
        self.code = code
        self.msg = i18n.Message(msg, params)
        self.headers = headers or {}  # e.g. `Allow` on a 405
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        """The text in the request's language."""
        return self.msg.render()

    def __str__(self) -> str:
        return self.msg.render("en")

    def body(self, lang: str | None = None) -> dict:
        return {"error": {"code": self.code, "message": self.msg.render(lang)}}


class BadRequest(ApiError):
    status = 400


class Unauthenticated(ApiError):
    status = 401

    def __init__(self, msg: str = "token_required", **params: Any) -> None:
        super().__init__("unauthenticated", msg, **params)


class Forbidden(ApiError):
    status = 403

    def __init__(self, msg: str = "forbidden", **params: Any) -> None:
        super().__init__("forbidden", msg, **params)


class NotFound(ApiError):
    status = 404

    def __init__(self, msg: str, code: str = "not_found", **params: Any) -> None:
        super().__init__(code, msg, **params)


class Conflict(ApiError):
    status = 409
