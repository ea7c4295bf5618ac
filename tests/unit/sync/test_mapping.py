"""Appointment ⇄ event mapping: ids, exact times across DST, all-day, privacy, hashes, window."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from functions.sync import mapping
from functions.sync.model import Content, GoogleEvent, Privacy

from .builders import LINK, NOW, POLICY, appointment, event, with_privacy

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
