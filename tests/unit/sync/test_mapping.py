"""Appointment ⇄ event mapping: ids, exact times across DST, all-day, privacy, hashes, window."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.services import appointments as appointments_api
from functions.sync import limits, mapping
from functions.sync.model import (
    Appointment,
    ConflictReason,
    Content,
    GoogleEvent,
    ItemState,
    Policy,
    Privacy,
    RecordConflict,
    UpdateEvent,
    strip_nulls,
)

from .builders import (
    LINK,
    NOW,
    POLICY,
    appointment,
    event,
    kinds,
    phone_event,
    run,
    synced_state,
    with_privacy,
)

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")


# --- ids -------------------------------------------------------------------------------------


def test_event_ids_are_valid_deterministic_and_scoped_by_branch() -> None:
    first = mapping.event_id_for("b1", "a1")
    assert EVENT_ID.match(first) and len(first) == 32
    assert first == mapping.event_id_for("b1", "a1")
    assert len({first, mapping.event_id_for("b2", "a1"), mapping.event_id_for("b1", "a2")}) == 3


def test_google_born_ids_are_stable_and_scoped_by_link() -> None:
    key = mapping.appointment_id_for_event("b1", "r1", "abc_20300402T080000Z")
    assert key.startswith("gcal-") and key == mapping.appointment_id_for_event(
        "b1", "r1", "abc_20300402T080000Z"
    )
    assert key != mapping.appointment_id_for_event("b1", "r2", "abc_20300402T080000Z")


def test_only_our_deterministic_events_are_owned() -> None:
    ours = event(appointment())
    assert mapping.owned_appointment_id(ours, "b1") == "a1"
    copied = replace(ours, id="someotherid")  # marker, but not our id for it
    assert mapping.owned_appointment_id(copied, "b1") is None
    assert mapping.owned_appointment_id(ours, "b2") is None


# --- times -----------------------------------------------------------------------------------

SPRING = ("2030-03-31T01:30:00+01:00", "2030-03-31T03:30:00+02:00")  # one real hour over the gap
AUTUMN_FIRST = ("2030-10-27T02:30:00+02:00", "2030-10-27T02:45:00+02:00")
AUTUMN_SECOND = ("2030-10-27T02:30:00+01:00", "2030-10-27T02:45:00+01:00")


@pytest.mark.parametrize("times", [SPRING, AUTUMN_FIRST, AUTUMN_SECOND], ids=["march", "oct-1st", "oct-2nd"])
def test_dst_times_are_exact_instants_with_branch_zone(times: tuple[str, str]) -> None:
    appt = appointment(start=times[0], end=times[1])
    body = mapping.event_body(appt, POLICY)
    assert body["start"] == {"date": None, "dateTime": times[0], "timeZone": "Europe/Berlin"}
    assert body["end"]["dateTime"] == times[1]
    fields = mapping.appointment_fields(event(appt), POLICY)
    assert (fields["start"], fields["end"]) == times


def test_spring_forward_appointment_lasts_one_real_hour() -> None:
    content = mapping.appointment_content(appointment(start=SPRING[0], end=SPRING[1]), Privacy.FULL)
    start, end = mapping.content_span(content, POLICY.timezone)
    assert end - start == timedelta(hours=1)
    assert (content.start, content.end) == ("2030-03-31T00:30:00Z", "2030-03-31T01:30:00Z")


def test_reading_event_times_with_other_offsets_or_only_a_time_zone() -> None:
    base = appointment(start=SPRING[0], end=SPRING[1])
    utc = event(base, start={"dateTime": "2030-03-31T00:30:00Z"}, end={"dateTime": "2030-03-31T01:30:00Z"})
    zoned = event(
        base,
        start={"dateTime": "2030-03-31T01:30:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2030-03-31T03:30:00", "timeZone": "Europe/Berlin"},
    )
    for ev in (utc, zoned):
        fields = mapping.appointment_fields(ev, POLICY)
        assert (fields["start"], fields["end"]) == SPRING
        assert mapping.event_content(ev, Privacy.FULL, "Europe/Berlin") == mapping.appointment_content(
            base, Privacy.FULL
        )


def test_offsetless_event_time_falls_back_to_branch_zone() -> None:
    ev = event(
        appointment(), start={"dateTime": "2030-04-02T09:00:00"}, end={"dateTime": "2030-04-02T10:00:00"}
    )
    assert mapping.appointment_fields(ev, POLICY)["start"] == "2030-04-02T09:00:00+02:00"


def test_appointment_times_need_an_offset_and_a_positive_length() -> None:
    with pytest.raises(ValueError):
        mapping.appointment_content(appointment(start="2030-04-02T09:00:00"), Privacy.FULL)
    with pytest.raises(ValueError):
        mapping.appointment_content(appointment(end="2030-04-02T08:00:00+02:00"), Privacy.FULL)
    with pytest.raises(ValueError):
        mapping.event_content(GoogleEvent("x1234"), Privacy.FULL, "Europe/Berlin")


def test_all_day_stays_all_day_with_exclusive_end() -> None:
    appt = appointment(all_day=True, start="2030-04-01", end="2030-04-03")
    body = mapping.event_body(appt, POLICY)
    assert body["start"] == {"date": "2030-04-01", "dateTime": None, "timeZone": None}
    assert body["end"]["date"] == "2030-04-03"
    fields = mapping.appointment_fields(event(appt), POLICY)
    assert (fields["start"], fields["end"], fields["all_day"]) == ("2030-04-01", "2030-04-03", True)
    start, end = mapping.content_span(mapping.appointment_content(appt, Privacy.FULL), "Europe/Berlin")
    assert start == datetime(2030, 3, 31, 22, 0, tzinfo=UTC) and end - start == timedelta(days=2)


def test_switching_between_all_day_and_timed_clears_the_other_form() -> None:
    timed = mapping.event_body(appointment(), POLICY)["start"]
    all_day = mapping.event_body(appointment(all_day=True, start="2030-04-01", end="2030-04-02"), POLICY)[
        "start"
    ]
    assert timed["date"] is None and all_day["dateTime"] is None and all_day["timeZone"] is None


@pytest.mark.parametrize(
    ("ends_at", "starts_at", "inside"),
    [
        (NOW, NOW - timedelta(hours=1), False),
        (NOW + timedelta(seconds=1), NOW - timedelta(hours=1), True),
        (NOW + timedelta(days=365, hours=1), NOW + timedelta(days=365), False),
        (NOW + timedelta(days=365), NOW + timedelta(days=365) - timedelta(seconds=1), True),
    ],
    ids=["ends-now", "ends-just-after-now", "starts-at-horizon", "starts-just-before-horizon"],
)
def test_window_edges(ends_at: datetime, starts_at: datetime, inside: bool) -> None:
    assert mapping.in_window(starts_at, ends_at, NOW, 365) is inside


# --- privacy ---------------------------------------------------------------------------------


def test_full_privacy_body_shows_everything_but_markers_hold_ids_only() -> None:
    body = mapping.event_body(appointment(), POLICY)
    assert (body["summary"], body["location"], body["description"]) == (
        "Kontrolle Frau Muster",
        "Zimmer 2",
        "Allergie: Penicillin",
    )
    assert body["extendedProperties"] == {"private": {"plannerAppointmentId": "a1", "plannerSync": "1"}}


@pytest.mark.parametrize("privacy", list(Privacy))
def test_every_event_is_private_and_has_no_attendees(privacy: Privacy) -> None:
    body = mapping.event_body(appointment(), with_privacy(privacy))
    assert body["visibility"] == "private"
    assert "attendees" not in body


@pytest.mark.parametrize(("language", "label"), [("de", "Belegt"), ("en", "Busy"), ("de-AT", "Belegt")])
def test_busy_shows_only_the_label(language: str, label: str) -> None:
    body = mapping.event_body(appointment(), replace(POLICY, privacy=Privacy.BUSY, language=language))
    assert body["summary"] == label and body["location"] is None and body["description"] is None
    assert "Muster" not in repr(body) and "Penicillin" not in repr(body)


def test_title_only_clears_details() -> None:
    body = mapping.event_body(appointment(), with_privacy(Privacy.TITLE_ONLY))
    assert body["summary"] == "Kontrolle Frau Muster"
    assert body["location"] is None and body["description"] is None


def test_busy_phone_label_never_overwrites_the_title() -> None:
    policy = with_privacy(Privacy.BUSY)
    fields = mapping.appointment_fields(event(appointment(), policy), policy)
    assert set(fields) == {"start", "end", "all_day"}


def test_title_only_event_without_description_keeps_notes() -> None:
    policy = with_privacy(Privacy.TITLE_ONLY)
    ev = event(appointment(), policy, summary="Neu")
    assert ev.description is None
    assert mapping.appointment_fields(ev, policy) == {
        "start": "2030-04-02T09:00:00+02:00",
        "end": "2030-04-02T09:30:00+02:00",
        "all_day": False,
        "title": "Neu",
    }


def test_full_event_without_location_clears_location() -> None:
    ev = event(appointment(), location=None, description=None)
    fields = mapping.appointment_fields(ev, POLICY)
    assert fields["location"] is None and fields["notes"] is None


@pytest.mark.parametrize("privacy", list(Privacy))
def test_written_event_hashes_like_its_appointment(privacy: Privacy) -> None:
    policy = with_privacy(privacy)
    appt = appointment()
    planner = mapping.appointment_content(appt, privacy)
    google = mapping.event_content(event(appt, policy), privacy, policy.timezone)
    assert planner == google and mapping.content_hash(planner) == mapping.content_hash(google)


@pytest.mark.parametrize(
    ("privacy", "field", "changes"),
    [
        (Privacy.FULL, "notes", True),
        (Privacy.TITLE_ONLY, "notes", False),
        (Privacy.TITLE_ONLY, "title", True),
        (Privacy.BUSY, "title", False),
        (Privacy.BUSY, "location", False),
    ],
)
def test_hash_covers_only_projected_fields(privacy: Privacy, field: str, changes: bool) -> None:
    base = appointment()
    edited = replace(base, **{field: "geändert"})
    hashes = {mapping.content_hash(mapping.appointment_content(a, privacy)) for a in (base, edited)}
    assert (len(hashes) == 2) is changes


def test_hash_ignores_wire_formatting_and_empty_strings() -> None:
    one = Content("2030-04-02T07:00:00Z", "2030-04-02T07:30:00Z", False, "T", None, None)
    appt = appointment(
        start="2030-04-02T07:00:00Z", end="2030-04-02T09:30:00+02:00", title="T", location="", notes=""
    )
    assert mapping.appointment_content(appt, Privacy.FULL) == one


def test_event_from_google_reads_bare_cancelled_items_and_markers() -> None:
    bare = mapping.event_from_google({"id": "abc123", "status": "cancelled"})
    assert bare.cancelled and bare.start is None
    item = {
        "id": "inst1_20300402",
        "recurringEventId": "inst1",
        "originalStartTime": {"date": "2030-04-02"},
        "extendedProperties": {"private": {"plannerAppointmentId": "a1"}},
        "updated": "2030-03-19T08:00:00.123Z",
    }
    parsed = mapping.event_from_google(item)
    assert parsed.recurring_event_id == "inst1" and parsed.original_start is not None
    assert parsed.private_properties == {"plannerAppointmentId": "a1"}
    assert parsed.updated == datetime(2030, 3, 19, 8, 0, 0, 123000, tzinfo=UTC)


def test_google_born_appointment_takes_everything_inbound() -> None:
    ev = mapping.event_from_google(
        {
            "id": "phone1",
            "etag": '"1"',
            "summary": "Privat",
            "description": "mitbringen: Befund",
            "start": {"date": "2030-04-05"},
            "end": {"date": "2030-04-06"},
        }
    )
    appt = mapping.appointment_from_event(ev, "gcal-x", LINK, with_privacy(Privacy.BUSY))
    assert (appt.title, appt.notes, appt.all_day, appt.resource_id) == (
        "Privat",
        "mitbringen: Befund",
        True,
        "r1",
    )


# --- limits: times no zone can convert, texts longer than the API takes (issue 9) ------------

ZONES = sorted(available_timezones())
BAD_ZONES = ["Mars/Olympus", "", "../etc", "America", "UTC ", "zone.tab", "Europe/Berlin\x00"]
EDGE_DAYS = [date(1, 1, 1) + timedelta(days=n) for n in range(3)] + [
    date(9999, 12, 31) - timedelta(days=n) for n in range(3)
]

zone_names = st.sampled_from(ZONES) | st.sampled_from(BAD_ZONES)
edge_days = st.sampled_from(EDGE_DAYS).map(date.isoformat)


@st.composite
def edge_times(draw: st.DrawFn) -> str:
    """RFC 3339 text within a day of the ends of Python's range, any offset or none at all."""
    day = draw(st.sampled_from(EDGE_DAYS))
    moment = datetime.combine(day, datetime.min.time()) + timedelta(seconds=draw(st.integers(0, 86399)))
    text = moment.isoformat()
    offset = draw(st.none() | st.just(0) | st.integers(-24 * 60 + 1, 24 * 60 - 1))
    if offset is None:
        return text
    if offset == 0 and draw(st.booleans()):
        return text + "Z"
    sign, minutes = ("+" if offset >= 0 else "-"), abs(offset)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def edge_event_times(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"date": draw(edge_days)}
    moment: dict[str, Any] = {"dateTime": draw(edge_times())}
    if draw(st.booleans()):
        moment["timeZone"] = draw(zone_names)
    return moment


def value_error_or(call: Callable[[], Any]) -> Any:
    """The call's result, or None for a ValueError; any other exception fails the test."""
    try:
        return call()
    except ValueError:
        return None


privacies = st.sampled_from(list(Privacy))


@given(st.booleans(), edge_times(), edge_times(), edge_days, edge_days, zone_names, privacies)
def test_appointments_at_the_ends_of_time_raise_only_value_error(
    all_day: bool, start: str, end: str, first: str, last: str, timezone: str, privacy: Privacy
) -> None:
    appt = appointment(all_day=all_day, start=first if all_day else start, end=last if all_day else end)
    policy = Policy(timezone, privacy=privacy)
    content = value_error_or(lambda: mapping.appointment_content(appt, privacy))
    body = value_error_or(lambda: mapping.event_body(appt, policy))
    assert (content is None) == (body is None) or not _zone_ok(timezone)
    if content is not None:
        span = value_error_or(lambda: mapping.content_span(content, timezone))
        assert span is not None or not _zone_ok(timezone)  # accepted content converts in every zone
        if span is not None:
            mapping.in_window(*span, NOW, 365)
        value_error_or(lambda: mapping.kept_texts(content, None, None, timezone))


@given(edge_event_times(), edge_event_times(), zone_names, privacies)
def test_google_events_at_the_ends_of_time_raise_only_value_error(
    start: dict[str, Any], end: dict[str, Any], timezone: str, privacy: Privacy
) -> None:
    item = {"id": "phone0001", "summary": "x", "start": start, "end": end, "updated": end.get("dateTime")}
    ev = mapping.event_from_google(item)  # reads any times; converting them is the next step
    policy = Policy(timezone, privacy=privacy)
    content = value_error_or(lambda: mapping.event_content(ev, privacy, timezone))
    fields = value_error_or(lambda: mapping.appointment_fields(ev, policy))
    created = value_error_or(lambda: mapping.appointment_from_event(ev, "gcal-x", LINK, policy))
    if content is not None and _zone_ok(timezone):
        assert fields is not None and created is not None  # what the hash accepts, the planner gets
        value_error_or(lambda: mapping.content_span(content, timezone))
        planner = mapping.appointment_content(created, privacy)
        assert mapping.content_hash(planner) == mapping.content_hash(content)
        mapping.event_body(created, policy)  # and it can be written back to Google


def _zone_ok(name: str) -> bool:
    return value_error_or(lambda: mapping.zone(name)) is not None


@given(st.sampled_from([datetime.min, datetime.max]), st.integers(-23 * 60, 23 * 60), zone_names)
def test_time_helpers_raise_only_value_error(naive: datetime, offset: int, timezone: str) -> None:
    instant = naive.replace(tzinfo=dt_timezone(timedelta(minutes=offset)))
    for call in (
        lambda: mapping.utc_text(instant),
        lambda: mapping.local_text(instant, timezone),
        lambda: mapping.parse_instant(instant.isoformat()),
        lambda: mapping.parse_instant(naive.isoformat(), timezone),
        lambda: mapping.parse_day(naive.date().isoformat()),
    ):
        value_error_or(call)


EDGES = ["0001-01-02T00:00:00Z", "9999-12-30T23:59:59Z",
         "0001-01-02T14:00:00+14:00", "9999-12-30T13:59:59-10:00"]


@pytest.mark.parametrize("edge", EDGES)
def test_the_edges_of_the_range_convert_into_every_zone(edge: str) -> None:
    instant = mapping.parse_instant(edge)
    for name in ZONES:
        assert mapping.parse_instant(mapping.local_text(instant, name)) == instant
    for day in ("0001-01-02", "9999-12-30"):
        for name in ZONES:
            content = Content(day, day, True)
            starts_at, _ = mapping.content_span(content, name)
            mapping.in_window(starts_at, starts_at, NOW, 365)
            mapping.utc_text(starts_at)


ISSUE_TIMES = [("9999-12-31T23:00:00-14:00", "9999-12-31T23:30:00-14:00"),
               ("0001-01-01T01:00:00+14:00", "0001-01-01T02:00:00+14:00"),
               ("9999-12-31T20:00:00-14:00", "9999-12-31T21:00:00-14:00")]


@pytest.mark.parametrize(("start", "end"), ISSUE_TIMES)
def test_issue_times_are_value_errors_on_both_sides(start: str, end: str) -> None:
    with pytest.raises(ValueError):
        mapping.appointment_content(appointment(start=start, end=end), Privacy.FULL)
    ev = phone_event(start={"dateTime": start}, end={"dateTime": end})
    for call in (
        lambda: mapping.event_content(ev, Privacy.FULL, "Europe/Berlin"),
        lambda: mapping.appointment_fields(ev, POLICY),
        lambda: mapping.appointment_from_event(ev, "gcal-x", LINK, POLICY),
    ):
        with pytest.raises(ValueError):
            call()


def test_an_unknown_event_time_zone_is_a_value_error() -> None:
    ev = phone_event(start={"dateTime": "2030-04-03T10:00:00", "timeZone": "Mars/Olympus"},
                     end={"dateTime": "2030-04-03T11:00:00", "timeZone": "Mars/Olympus"})
    with pytest.raises(ValueError):
        mapping.event_content(ev, Privacy.FULL, "Europe/Berlin")


def test_extreme_times_are_invalid_items_not_a_failed_run() -> None:
    far = phone_event(start={"dateTime": ISSUE_TIMES[0][0]}, end={"dateTime": ISSUE_TIMES[0][1]})
    stored = appointment("p1", start=ISSUE_TIMES[1][0], end=ISSUE_TIMES[1][1])
    plan = run({"p1": stored}, [far])
    assert sorted(a.reason for a in plan.actions if isinstance(a, RecordConflict)) == [
        ConflictReason.INVALID_APPOINTMENT, ConflictReason.INVALID_EVENT]
    assert kinds(plan.actions) == ["RecordConflict", "RecordConflict"]


def test_all_day_dates_must_be_plain_dates() -> None:
    with pytest.raises(ValueError):  # an ISO week date would reach Google as it was sent
        mapping.appointment_content(appointment(all_day=True, start="2030-W14-2", end="2030-04-03"),
                                    Privacy.FULL)


def test_an_unreadable_google_updated_time_is_unknown() -> None:
    assert mapping.event_from_google({"id": "x1234", "updated": "9999-12-31T23:00:00-14:00"}).updated is None


LONG = {"summary": "S" * 1500, "location": "L" * 1100, "description": "D" * 20_000}


def test_google_texts_are_clamped_to_the_api_limits_on_every_way_in() -> None:
    ev = phone_event(**LONG)
    limits_of = (limits.TITLE_MAX, limits.LOCATION_MAX, limits.NOTES_MAX)
    created = mapping.appointment_from_event(ev, "gcal-x", LINK, POLICY)
    fields = mapping.appointment_fields(ev, POLICY)
    content = mapping.event_content(ev, Privacy.FULL, POLICY.timezone)
    assert tuple(map(len, (created.title, created.location, created.notes))) == limits_of
    assert tuple(map(len, (fields["title"], fields["location"], fields["notes"]))) == limits_of
    assert tuple(map(len, (content.title, content.location, content.notes))) == limits_of
    assert created.title == LONG["summary"][: limits.TITLE_MAX]


@given(
    st.integers(0, limits.TITLE_MAX + 3),
    st.integers(0, limits.LOCATION_MAX + 3),
    st.integers(0, limits.NOTES_MAX + 3),
    st.sampled_from(list(Privacy)),
    st.text(max_size=3),
)
def test_whatever_the_sync_writes_into_the_planner_the_api_takes_back(
    title: int, location: int, notes: int, privacy: Privacy, tail: str
) -> None:
    texts = {"summary": ("t" * title + tail)[: title or None] or None, "location": "l" * location or None,
             "description": "d" * notes + tail}
    ev = phone_event(**texts)
    policy = with_privacy(privacy)
    created = mapping.appointment_from_event(ev, "gcal-x", LINK, policy)
    google = mapping.event_content(ev, privacy, policy.timezone)
    assert mapping.content_hash(mapping.appointment_content(created, privacy)) == mapping.content_hash(google)
    updated = replace(appointment(), **{k: v for k, v in mapping.appointment_fields(ev, policy).items()})
    assert mapping.content_hash(mapping.appointment_content(updated, privacy)) == mapping.content_hash(google)
    for appt in (created, updated):
        body = {"resource_id": appt.resource_id, "start": appt.start, "end": appt.end,
                "all_day": appt.all_day, "title": appt.title, "location": appt.location, "notes": appt.notes}
        assert appointments_api._parse(appt.id, body) == replace(appt, version=None, updated=None)


def test_an_untitled_phone_event_stays_untitled() -> None:
    ev = phone_event(summary=None)
    created = mapping.appointment_from_event(ev, "gcal-x", LINK, POLICY)
    assert created.title == ""
    body = mapping.event_body(created, POLICY)
    assert body["summary"] is None and "summary" not in strip_nulls(body)  # no title, not ""
    assert mapping.event_content(ev, Privacy.FULL, POLICY.timezone) == mapping.appointment_content(
        created, Privacy.FULL)


def _pulled(**texts: Any) -> tuple[GoogleEvent, Appointment, ItemState]:
    ev = phone_event(**texts)
    key = mapping.appointment_id_for_event(LINK.branch_id, LINK.resource_id, ev.id)
    appt = replace(mapping.appointment_from_event(ev, key, LINK, POLICY), version=1)
    return ev, appt, synced_state(appt, ev)


MOVED = {"start": "2030-04-03T12:00:00+02:00", "end": "2030-04-03T13:30:00+02:00", "version": 2}


@pytest.mark.parametrize("google_seen", [False, True], ids=["google-silent", "event-at-hand"])
def test_moving_a_clamped_appointment_keeps_the_phone_texts_whole(google_seen: bool) -> None:
    ev, appt, state = _pulled(**LONG)
    plan = run({appt.id: replace(appt, **MOVED)}, [ev] if google_seen else [], [state])
    (update,) = plan.actions
    assert isinstance(update, UpdateEvent)
    assert {"summary", "location", "description"}.isdisjoint(update.body)
    assert update.body["start"]["dateTime"] == MOVED["start"]
    raw = {"id": ev.id, "etag": '"p2"', **LONG, **strip_nulls(update.body)}
    after = mapping.event_content(mapping.event_from_google(raw), Privacy.FULL, POLICY.timezone)
    assert mapping.content_hash(after) == update.state.google_hash  # no echo next run


def test_an_edited_text_is_written_and_with_the_event_at_hand_only_that_one() -> None:
    ev, appt, state = _pulled(**LONG)
    edited = replace(appt, **MOVED, title="neu")
    (update,) = run({appt.id: edited}, [ev], [state]).actions
    assert isinstance(update, UpdateEvent)
    assert update.body["summary"] == "neu" and {"location", "description"}.isdisjoint(update.body)
    # Google silent: the state holds hashes only, so the planner's texts are written as it holds them.
    (update,) = run({appt.id: edited}, [], [state]).actions
    assert isinstance(update, UpdateEvent)
    assert (update.body["summary"], update.body["description"]) == ("neu", edited.notes)


def test_texts_at_the_limit_are_kept_only_if_nothing_but_the_time_changed() -> None:
    _, appt, state = _pulled(**LONG)
    moved = mapping.appointment_content(replace(appt, **MOVED), Privacy.FULL)
    assert mapping.kept_texts(moved, None, state, POLICY.timezone) == {"summary", "location", "description"}
    all_day = mapping.appointment_content(replace(appt, all_day=True, start="2030-04-05", end="2030-04-06"),
                                          Privacy.FULL)
    assert mapping.kept_texts(all_day, None, state, POLICY.timezone) == {"summary", "location", "description"}
    retitled = replace(moved, notes="kurz")
    assert mapping.kept_texts(retitled, None, state, POLICY.timezone) == frozenset()
    assert mapping.kept_texts(moved, None, None, POLICY.timezone) == frozenset()
    _, short, short_state = _pulled(summary="kurz")
    moved_short = mapping.appointment_content(replace(short, **MOVED), Privacy.FULL)
    assert mapping.kept_texts(moved_short, None, short_state, POLICY.timezone) == frozenset()


# --- edges the mutation run found untested ------------------------------------------------------


def test_an_end_equal_to_the_start_is_refused_timed_and_all_day() -> None:
    with pytest.raises(ValueError, match="end must be after start"):
        mapping.appointment_content(appointment(end="2030-04-02T09:00:00+02:00"), Privacy.FULL)
    with pytest.raises(ValueError, match="after start"):
        same_day = appointment(start="2030-04-02", end="2030-04-02", all_day=True)
        mapping.appointment_content(same_day, Privacy.FULL)


def test_the_content_hash_is_the_same_in_every_deployment() -> None:
    # A golden value: stored item states hold these hashes; another encoding (\\u escapes for
    # the umlauts) would make every synced item look changed at once.
    content = Content("2030-04-02T07:00:00Z", "2030-04-02T07:30:00Z", False, "Hörtest Frau Müller",
                      "Zimmer 2", None)
    assert mapping.content_hash(content) == "20a4e452648ac545ff4e6dc253b6d1adb67f996cf4f38c9067b51ad547041d19"


def test_utc_text_drops_fractions_and_ignores_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/St_Johns")  # -03:30 / -02:30
    time.tzset()
    try:
        moment = datetime(2030, 4, 2, 9, 0, 5, 123456, tzinfo=dt_timezone(timedelta(hours=2)))
        assert mapping.utc_text(moment) == "2030-04-02T07:00:05Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_unknown_language_gets_the_english_busy_label() -> None:
    assert mapping.busy_label("fr-CA") == "Busy"
    assert mapping.busy_label("de-AT") == "Belegt"


def test_a_phone_event_becomes_an_appointment_with_its_last_change_time() -> None:
    phone = phone_event("phone-upd")
    made = mapping.appointment_from_event(phone, "gcal-x", LINK, POLICY)
    assert made.updated == phone.updated == datetime(2030, 3, 19, 10, 0, tzinfo=UTC)


def test_a_text_exactly_at_its_limit_is_not_a_clamp_to_keep() -> None:
    at_limit = "T" * limits.TITLE_MAX
    content = Content("2030-04-02T07:00:00Z", "2030-04-02T08:00:00Z", False, at_limit)
    exact = GoogleEvent("e", summary=at_limit)
    longer = GoogleEvent("e", summary=at_limit + "…")
    assert mapping.kept_texts(content, exact, None, "Europe/Berlin") == frozenset()
    assert mapping.kept_texts(content, longer, None, "Europe/Berlin") == frozenset({"summary"})


def test_moving_an_all_day_appointment_keeps_the_phones_long_title() -> None:
    """All-day, title held as its clamp; the planner moves the day and nothing else: the update
    leaves the phone's longer title alone (the state knows the all-day span at Berlin midnights)."""
    berlin = "Europe/Berlin"
    title = "T" * limits.TITLE_MAX
    synced = Content("2030-04-02", "2030-04-03", True, title)
    starts_at, ends_at = mapping.content_span(synced, berlin)
    state = ItemState("a1", "ev1", mapping.content_hash(synced), "g", 1, '"e"', starts_at, ends_at)
    moved = replace(synced, start="2030-04-05", end="2030-04-06")
    assert mapping.kept_texts(moved, None, state, berlin) == frozenset({"summary"})
    retitled = replace(moved, title="U" * limits.TITLE_MAX)  # a text edit: every text is written
    assert mapping.kept_texts(retitled, None, state, berlin) == frozenset()


def test_the_time_range_ends_before_its_end_instant() -> None:
    assert limits.instant_in_range(limits.EARLIEST_INSTANT)
    assert limits.instant_in_range(limits.INSTANTS_END - timedelta(seconds=1))
    assert not limits.instant_in_range(limits.INSTANTS_END)
    assert not limits.instant_in_range(limits.EARLIEST_INSTANT - timedelta(microseconds=1))


def test_an_all_day_appointment_made_a_timed_one_over_the_same_day_keeps_the_phones_long_title() -> None:
    berlin = "Europe/Berlin"
    title = "T" * limits.TITLE_MAX
    synced = Content("2030-04-02", "2030-04-03", True, title)
    starts_at, ends_at = mapping.content_span(synced, berlin)
    state = ItemState("a1", "ev1", mapping.content_hash(synced), "g", 1, '"e"', starts_at, ends_at)
    timed = Content(mapping.utc_text(starts_at), mapping.utc_text(ends_at), False, title)  # 00:00-24:00
    assert mapping.kept_texts(timed, None, state, berlin) == frozenset({"summary"})
