"""What an appointment may hold, decided once for both ways in: the planner's PUT and the sync.

The API refuses what lies beyond these limits (400); the mapping clamps Google's texts to the
same lengths and refuses Google's times outside the same range. So whatever GET answers, PUT
accepts unchanged, and an appointment the sync wrote can always be written back.

Texts, in characters (code points):
- title ≤ 1024, location ≤ 1024: far more than any calendar shows in a line (phones cut titles
  long before), and room for the long ones seen in the wild (600 characters); notes ≤ 16384:
  twice the old 8000, room for long descriptions (12,000 seen). Together, even JSON-escaped at
  six bytes a character (110 KB), they stay well below the 256 KiB request body limit and
  Firestore's 1 MiB document limit.
- An empty title is allowed: an untitled phone event stays untitled (`""`).

Times: Python's datetime covers the years 0001..9999 and a zone may be up to 16 hours off UTC
(today ±14:00; historic local mean times up to 15:56, Asia/Manila). One day of margin on each
side keeps every conversion of an accepted time (to UTC, to the branch's zone, an all-day
date's midnight anywhere) inside that range:
- a timed start/end is an instant from 0001-01-02T00:00:00Z to 9999-12-30T23:59:59Z (UTC), i.e.
  before 9999-12-31T00:00:00Z;
- an all-day start/end is a date from 0001-01-02 to 9999-12-30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

TITLE_MAX = 1024
LOCATION_MAX = 1024
NOTES_MAX = 16384
TEXT_LIMITS = {"title": TITLE_MAX, "location": LOCATION_MAX, "notes": NOTES_MAX}

EARLIEST_DAY = date(1, 1, 2)
LATEST_DAY = date(9999, 12, 30)
EARLIEST_INSTANT = datetime(1, 1, 2, tzinfo=UTC)
INSTANTS_END = datetime(9999, 12, 31, tzinfo=UTC)  # exclusive
TIME_FIRST, TIME_LAST = "0001-01-02T00:00:00Z", "9999-12-30T23:59:59Z"
DAY_FIRST, DAY_LAST = "0001-01-02", "9999-12-30"
TIME_RANGE = f"from {TIME_FIRST} to {TIME_LAST} (UTC)"
DAY_RANGE = f"from {DAY_FIRST} to {DAY_LAST}"


def instant_in_range(instant: datetime) -> bool:
    """An aware instant every zone can show (see the module docstring)."""
    try:
        utc = instant.astimezone(UTC)
    except OverflowError:  # its UTC form would leave the years 0001..9999
        return False
    return EARLIEST_INSTANT <= utc < INSTANTS_END


def day_in_range(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def clamp(text: str | None, limit: int) -> str | None:
    """At most `limit` characters of a text that came from Google (None stays None)."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("text field is not a string")
    return text[:limit]
