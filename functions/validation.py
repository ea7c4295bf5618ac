"""Input checks with clear 4xx errors; nothing is changed before these pass.

Their messages are keys of functions/i18n.py with the field's name as `field`."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from functions.errors import BadRequest

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_ZONES: set[str] = set()
# Files of a zoneinfo directory that are no IANA zone: the host's own zone (`localtime`, its
# meaning changes with the machine), tzdata's "zone unknown" placeholder (`Factory`), the
# template of POSIX rules, and the `posix/` and `right/` (leap second) copies of every zone.
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
NOT_ZONE_PREFIXES = ("posix/", "right/")


def is_text(value: object) -> bool:
    """A string that is text: not one with a lone surrogate (JSON "\\ud800"), which no store can
    hold, no answer can carry and no log line can show."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ident(value: str, what: str) -> str:
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise BadRequest("invalid_id", "invalid_id", field=what)
    return value


def obj(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("invalid_body", "json_not_object")
    return body


def text(body: dict[str, Any], key: str, *, required: bool = True, max_len: int = 200,
         default: str | None = None) -> str | None:
    value = body.get(key, default)
    if value is None:
        if required:
            raise BadRequest("missing_field", "field_required", field=key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("invalid_field", "field_not_empty_text", field=key)
    if len(value) > max_len:
        raise BadRequest("invalid_field", "field_too_long", field=key, max_len=max_len)
    return value.strip()


def kept_text(body: dict[str, Any], key: str, *, required: bool = True, max_len: int) -> str | None:
    """A text stored exactly as sent: empty, spaces and all.

    What GET answers must come back unchanged through PUT, or the sync would see an edit.
    """
    value = body.get(key)
    if value is None:
        if required:
            raise BadRequest("missing_field", "field_required_may_be_empty", field=key)
        return None
    if not isinstance(value, str):
        raise BadRequest("invalid_field", "field_not_text", field=key)
    if len(value) > max_len:
        raise BadRequest("invalid_field", "field_too_long", field=key, max_len=max_len)
    if not is_text(value):  # json_body refuses it already; kept for callers other than HTTP
        raise BadRequest("invalid_field", "field_not_unicode", field=key)
    return value


def choice(body: dict[str, Any], key: str, options: tuple[str, ...], default: str | None = None) -> str:
    value = body.get(key, default)
    if value not in options:
        raise BadRequest("invalid_field", "field_not_choice", field=key, options=", ".join(options))
    return value


def flag(body: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest("invalid_field", "field_not_bool", field=key)
    return value


def timezone(body: dict[str, Any], key: str = "timezone") -> str:
    value = body.get(key)
    if not _ZONES:
        _ZONES.update(z for z in available_timezones()
                      if z not in NOT_ZONES and not z.startswith(NOT_ZONE_PREFIXES))
    if not isinstance(value, str) or value not in _ZONES:
        raise BadRequest("invalid_timezone", "timezone_invalid", field=key)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest("invalid_timezone", "timezone_unknown", field=key) from None
    return value


def only_keys(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest("unknown_field", "unknown_fields", fields=", ".join(unknown))
