"""End-to-end examples: plans applied to the in-memory planner, calendars and state."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from functions.sync import mapping
from functions.sync.model import (
    ConflictReason,
    ConflictResolution,
    Plan,
    Policy,
    Privacy,
    SaveState,
)

from .builders import NOW, appointment
from .simulation import World

BERLIN = Policy("Europe/Berlin")


def _world(**policies: Policy) -> World:
    return World.create(NOW, policies or {"r1": BERLIN})


def _phone_event(world: World, resource: str, event_id: str = "phone0001", **fields: object) -> None:
    body = {
        "id": event_id,
        "summary": "Privattermin",
        "start": {"dateTime": "2030-04-03T10:00:00+02:00"},
        "end": {"dateTime": "2030-04-03T11:00:00+02:00"},
    }
    world.links[resource].calendar.insert(body | fields)


def _quiet(plans: list[Plan]) -> bool:
    return all(p.actions == () and p.blocked is None for p in plans)


def test_first_sync_copies_both_ways_and_the_second_changes_nothing() -> None:
    world = _world()
    world.planner.save(appointment("a1"))
    world.planner.save(appointment("a2", start="2030-04-05", end="2030-04-06", all_day=True))
    _phone_event(world, "r1")
    world.sync("r1")
    assert len(world.planner.appointments) == 3
    assert len(list(world.links["r1"].calendar.live())) == 3
    assert len(world.links["r1"].states) == 3
    assert _quiet(world.sync_all()) and _quiet(world.sync_all())


def test_busy_calendar_label_edit_on_phone_keeps_the_title() -> None:
    world = _world(r1=replace(BERLIN, privacy=Privacy.BUSY))
    world.planner.save(appointment("a1"))
    world.sync("r1")
    calendar = world.links["r1"].calendar
    event_id = mapping.event_id_for("b1", "a1")
    assert calendar.events[event_id]["summary"] == "Belegt" and "description" not in calendar.events[event_id]
    calendar.patch(event_id, {"summary": "Belegt!!"})
    assert [type(a) for a in world.sync("r1").actions] == [SaveState]  # only the new etag
    assert world.planner.appointments["a1"].title == "Kontrolle Frau Muster"
    calendar.patch(event_id, {"start": {"dateTime": "2030-04-02T08:00:00+02:00"}})
    world.sync("r1")
    moved = world.planner.appointments["a1"]
    assert moved.start == "2030-04-02T08:00:00+02:00" and moved.title == "Kontrolle Frau Muster"
    assert moved.notes == "Allergie: Penicillin"
    assert _quiet(world.sync_all())


def test_title_only_phone_edit_keeps_notes_and_location() -> None:
    world = _world(r1=replace(BERLIN, privacy=Privacy.TITLE_ONLY))
    world.planner.save(appointment("a1"))
    world.sync("r1")
    world.links["r1"].calendar.patch(mapping.event_id_for("b1", "a1"), {"summary": "Kontrolle (Telefon)"})
    world.sync("r1")
    updated = world.planner.appointments["a1"]
    assert (updated.title, updated.notes, updated.location) == (
        "Kontrolle (Telefon)",
        "Allergie: Penicillin",
        "Zimmer 2",
    )
    assert _quiet(world.sync_all())


def test_move_between_resources_through_both_links() -> None:
    world = _world(r1=BERLIN, r2=BERLIN)
    stored = world.planner.save(appointment("a1"))
    world.sync_all()
    world.planner.save(replace(stored, resource_id="r2"))
    world.sync_all()
    event_id = mapping.event_id_for("b1", "a1")
    assert world.links["r1"].calendar.events[event_id]["status"] == "cancelled"
    assert world.links["r2"].calendar.events[event_id]["status"] == "confirmed"
    assert "a1" not in world.links["r1"].states and "a1" in world.links["r2"].states
    assert _quiet(world.sync_all())


def test_lost_state_reconciles_by_id_without_duplicates() -> None:
    world = _world()
    world.planner.save(appointment("a1"))
    _phone_event(world, "r1")
    world.sync("r1")
    world.links["r1"].lose_state()
    plan = world.sync("r1")
    assert {type(a).__name__ for a in plan.actions} == {"SaveState"}
    assert len(world.planner.appointments) == 2 and len(list(world.links["r1"].calendar.live())) == 2
    assert _quiet(world.sync_all())


def test_write_racing_a_phone_edit_is_replanned_with_both_sides_fresh() -> None:
    world = _world()
    stored = world.planner.save(appointment("a1"))
    world.sync("r1")
    world.planner.save(replace(stored, title="Neu im Planer"))
    calendar = world.links["r1"].calendar
    event_id = mapping.event_id_for("b1", "a1")

    def phone_edits_meanwhile() -> None:
        calendar.patch(event_id, {"summary": "Neu am Telefon"})

    world.sync("r1", before_apply=phone_edits_meanwhile)  # 412, re-read, conflict: planner wins
    assert calendar.events[event_id]["summary"] == "Neu im Planer"
    assert world.links["r1"].conflicts[-1].reason is ConflictReason.BOTH_CHANGED_PLANNER_WINS
    assert _quiet(world.sync_all())


def test_stale_planner_version_is_replanned_and_google_wins_when_told() -> None:
    world = _world(r1=replace(BERLIN, conflict_resolution=ConflictResolution.GOOGLE_WINS))
    stored = world.planner.save(appointment("a1"))
    world.sync("r1")
    world.links["r1"].calendar.patch(mapping.event_id_for("b1", "a1"), {"summary": "Telefon"})

    def planner_edits_meanwhile() -> None:
        world.planner.save(replace(world.planner.appointments["a1"], notes="neue Notiz", title="Planer"))

    world.sync("r1", before_apply=planner_edits_meanwhile)
    assert world.planner.appointments["a1"].title == "Telefon" and stored.version == 1
    assert world.links["r1"].conflicts[-1].reason is ConflictReason.BOTH_CHANGED_GOOGLE_WINS
    assert _quiet(world.sync_all())


def test_newest_wins_takes_the_later_edit() -> None:
    world = _world(r1=replace(BERLIN, conflict_resolution=ConflictResolution.NEWEST_WINS))
    stored = world.planner.save(appointment("a1"))
    world.sync("r1")
    world.clock.now += timedelta(minutes=5)
    world.planner.save(replace(world.planner.appointments["a1"], title="zuerst im Planer"))
    world.clock.now += timedelta(minutes=5)
    world.links["r1"].calendar.patch(mapping.event_id_for("b1", stored.id), {"summary": "danach am Telefon"})
    world.sync("r1")
    assert world.planner.appointments["a1"].title == "danach am Telefon"
    assert world.links["r1"].conflicts[-1].reason is ConflictReason.BOTH_CHANGED_GOOGLE_NEWER
    assert _quiet(world.sync_all())


def test_cancelled_on_phone_deletes_the_appointment_and_redelete_is_harmless() -> None:
    world = _world()
    world.planner.save(appointment("a1"))
    world.sync("r1")
    world.links["r1"].calendar.delete(mapping.event_id_for("b1", "a1"))
    world.sync("r1")
    assert "a1" not in world.planner.appointments and world.links["r1"].states == {}
    assert _quiet(world.sync_all())
