"""Properties of the mapping and of one sync round: round trips, stable hashes, idempotence."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from functions.sync import mapping
from functions.sync.model import Appointment, Policy, Privacy, strip_nulls

from .strategies import appointments

BERLIN = Policy("Europe/Berlin")


def _as_google_returns(appointment: Appointment, policy: Policy) -> dict[str, Any]:
    """What events.get answers after we wrote the body: no nulls, an id and an etag."""
    body = mapping.event_body(appointment, policy)
    return {**strip_nulls(body), "id": mapping.event_id_for("b1", appointment.id), "etag": '"1"'}


def _round_trip(appointment: Appointment, policy: Policy) -> Appointment:
    event = mapping.event_from_google(_as_google_returns(appointment, policy))
    return replace(appointment, **mapping.appointment_fields(event, policy))  # type: ignore[arg-type]


@given(appointments())
def test_full_round_trip_is_identity_on_projected_fields(appointment: Appointment) -> None:
    back = _round_trip(appointment, BERLIN)
    assert mapping.appointment_content(back, Privacy.FULL) == mapping.appointment_content(
        appointment, Privacy.FULL
    )
    assert (back.title, back.all_day) == (appointment.title, appointment.all_day)
    assert (back.location, back.notes) == (appointment.location or None, appointment.notes or None)
    if not appointment.all_day:  # written back in the branch's zone, same instants
        assert back.start == mapping.local_text(mapping.parse_instant(appointment.start), "Europe/Berlin")


@given(appointments(), st.sampled_from(list(Privacy)))
def test_round_trip_under_any_privacy_keeps_hidden_fields(appointment: Appointment, privacy: Privacy) -> None:
    policy = replace(BERLIN, privacy=privacy)
    back = _round_trip(appointment, policy)
    assert back.title == appointment.title  # shown: copied back unchanged; hidden: kept
    if privacy is not Privacy.FULL:
        assert (back.location, back.notes) == (appointment.location, appointment.notes)
    event = mapping.event_from_google(_as_google_returns(appointment, policy))
    assert mapping.event_content(event, privacy, "Europe/Berlin") == mapping.appointment_content(
        appointment, privacy
    )


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffled(value[k], rng) for k in keys}
    return value


@given(appointments(), st.sampled_from(list(Privacy)), st.randoms(use_true_random=False))
def test_hashes_are_stable_under_key_order(
    appointment: Appointment, privacy: Privacy, rng: random.Random
) -> None:
    item = _as_google_returns(appointment, replace(BERLIN, privacy=privacy))
    hashes = {
        mapping.content_hash(mapping.event_content(mapping.event_from_google(i), privacy, "Europe/Berlin"))
        for i in (item, _shuffled(item, rng))
    }
    assert len(hashes) == 1


@given(appointments(), st.sampled_from(list(Privacy)))
def test_event_ids_are_valid_for_google(appointment: Appointment, privacy: Privacy) -> None:
    event_id = mapping.event_id_for("b1", appointment.id + appointment.title)
    assert 5 <= len(event_id) <= 1024 and set(event_id) <= set("0123456789abcdefghijklmnopqrstuv")
