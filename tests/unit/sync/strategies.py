"""Hypothesis strategies: appointments around NOW, DST nights included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from functions.sync import mapping
from functions.sync.model import Appointment

from .builders import NOW

DST_SWITCHES = (datetime(2030, 3, 31, 1, 0, tzinfo=UTC), datetime(2030, 10, 27, 1, 0, tzinfo=UTC))
QUARTER = timedelta(minutes=15)

texts = st.text(alphabet="abcÄöß -.", max_size=10)
optional_texts = st.none() | texts


@st.composite
def instants(draw: st.DrawFn, first_day: int = -3, last_day: int = 250) -> datetime:
    """A quarter-hour instant: anywhere in the range, or within six hours of a DST switch."""
    if draw(st.booleans()):
        switch = draw(st.sampled_from(DST_SWITCHES))
        return switch + QUARTER * draw(st.integers(-24, 24))
    return NOW + QUARTER * draw(st.integers(first_day * 96, last_day * 96))


@st.composite
def wire_times(draw: st.DrawFn, instant: datetime) -> str:
    """One instant in one of the RFC 3339 spellings a planner may send."""
    zone = draw(st.sampled_from(["Europe/Berlin", "UTC", "America/New_York", "Asia/Kolkata"]))
    text = mapping.local_text(instant, zone)
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


@st.composite
def spans(draw: st.DrawFn, first_day: int = -3, last_day: int = 250) -> tuple[str, str, bool]:
    if draw(st.integers(0, 4)) == 0:
        first = (NOW + timedelta(days=draw(st.integers(first_day, last_day)))).date()
        return first.isoformat(), (first + timedelta(days=draw(st.integers(1, 3)))).isoformat(), True
    start = draw(instants(first_day, last_day))
    end = start + QUARTER * draw(st.integers(1, 40))
    return draw(wire_times(start)), draw(wire_times(end)), False


@st.composite
def appointments(
    draw: st.DrawFn, id: str = "a1", resource_id: str = "r1", first_day: int = -3
) -> Appointment:
    start, end, all_day = draw(spans(first_day))
    return Appointment(
        id=id,
        resource_id=resource_id,
        start=start,
        end=end,
        all_day=all_day,
        title=draw(texts),
        location=draw(optional_texts),
        notes=draw(optional_texts),
        version=1,
    )
