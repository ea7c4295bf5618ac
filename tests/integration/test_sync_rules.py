"""Sync rules on the emulators: conflicts, breaker, moves, privacy, all-day, recurrence, cost."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, Api
from tests.integration.interleave import Steps
from tests.integration.test_sync import at, live, put, sync

pytestmark = pytest.mark.firestore


def appointment(api: Api, appointment_id: str) -> dict[str, Any]:
    r = api.call("GET", f"/planner/branches/{BRANCH}/appointments/{appointment_id}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["appointment"]


def audit_reasons(api: Api, resource: str = "anna") -> list[str]:
    return [e["details"].get("reason") for e in api.audit(resource, action="conflict_resolved")]


def set_policy(api: Api, policy: str) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}",
                 {"timezone": "Europe/Berlin", "google_sync_enabled": True, "conflict_policy": policy})
    assert r.status_code == 200


# --- conflicts ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("policy", "title", "reason"), [
    ("planner_wins", "Planer", "both_changed_planner_wins"),
    ("google_wins", "Handy", "both_changed_google_wins"),
    ("newest_wins", "Handy", "both_changed_google_newer"),  # the phone edited last
])
def test_both_sides_changed(linked: tuple[Api, str], control: EmulatorControl, policy: str, title: str,
                            reason: str) -> None:
    api, cal = linked
    set_policy(api, policy)
    put(api, "t1", title="Anpassung")
    sync(api)
    put(api, "t1", title="Planer")
    control.phone_patch(cal, event_id_for(BRANCH, "t1"), {"summary": "Handy"})
    assert sync(api)["conflicts"] == 1
    assert appointment(api, "t1")["title"] == title
    assert live(control, cal)[event_id_for(BRANCH, "t1")]["summary"] == title
    assert audit_reasons(api) == [reason]
    assert sync(api)["conflicts"] == 0


# --- circuit breaker -------------------------------------------------------------------------

def test_mass_deletion_is_blocked_until_an_admin_confirms(linked: tuple[Api, str],
                                                         control: EmulatorControl,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    api, cal = linked
    for i in range(15):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    sync(api)
    for i in range(12):  # 12 > max(10, 20 % of 15)
        control.phone_delete(cal, event_id_for(BRANCH, f"t{i}"))
    with caplog.at_level(logging.WARNING, logger="functions.status_log"):
        assert sync(api)["failed"] == 1
    [line] = [r for r in caplog.records if getattr(r, "event", None) == "link_status_changed"]
    assert (line.status, line.reason) == ("blocked", "mass_change_blocked")
    status = api.status()
    assert status["status"] == "linked"
    assert status["blocked"]["planner_deletions"] == 12
    assert status["last_error_code"] == "mass_change_blocked" and status["last_error"]
    assert appointment(api, "t0")["title"]  # nothing deleted
    assert sync(api)["failed"] == 1  # still blocked, nothing written
    forced = sync(api, branch_id=BRANCH, resource_id="anna", force=True)
    assert forced["pulled"] == 12 and forced["failed"] == 0
    assert api.call("GET", f"/planner/branches/{BRANCH}/appointments/t0").status_code == 404
    assert "blocked" not in api.status()


def test_a_mass_deletion_in_slices_is_blocked_too(linked: tuple[Api, str], control: EmulatorControl) -> None:
    """Change-driven runs see a bulk deletion a few events at a time (one run per debounce
    window or notification): the breaker counts the last hour's deletions with the run's own."""
    api, cal = linked
    for i in range(30):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    sync(api)
    for i in range(6):
        control.phone_delete(cal, event_id_for(BRANCH, f"t{i}"))
    assert sync(api)["pulled"] == 6  # 6 of 30: fine on its own
    for i in range(6, 12):
        control.phone_delete(cal, event_id_for(BRANCH, f"t{i}"))
    assert sync(api)["failed"] == 1  # 12 of 30 within the hour: held back
    status = api.status()
    assert status["blocked"]["planner_deletions"] == 12 and status["blocked"]["synced_items"] == 30
    assert appointment(api, "t6")["title"]
    forced = sync(api, branch_id=BRANCH, resource_id="anna", force=True)
    assert forced["pulled"] == 6 and forced["failed"] == 0
    for i in range(12, 18):  # after the admin's decision the count starts over
        control.phone_delete(cal, event_id_for(BRANCH, f"t{i}"))
    assert sync(api)["pulled"] == 6


def test_ten_deletions_are_not_mass_deletions(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    for i in range(12):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    sync(api)
    for i in range(10):
        control.phone_delete(cal, event_id_for(BRANCH, f"t{i}"))
    assert sync(api)["pulled"] == 10


# --- moves between resources -------------------------------------------------------------------

def test_appointment_moved_to_another_resource_moves_its_event(linked: tuple[Api, str],
                                                               control: EmulatorControl) -> None:
    api, anna_cal = linked
    room_cal = api.link_new_calendar("raum-1", "Raum 1")
    put(api, "t1")
    sync(api)
    assert set(live(control, anna_cal)) == {event_id_for(BRANCH, "t1")}
    put(api, "t1", resource_id="raum-1")
    sync(api)
    assert live(control, anna_cal) == {}
    assert set(live(control, room_cal)) == {event_id_for(BRANCH, "t1")}
    assert sync(api)["pushed"] == 0


def test_a_move_seen_by_a_complete_listing_is_a_move_not_a_deletion(linked: tuple[Api, str],
                                                                    control: EmulatorControl) -> None:
    """google_wins, and the phone edits the event while the planner moves the appointment away;
    the next run lists completely (410): the move still wins, the old calendar loses its event
    (a complete listing of anna's appointments does not show it: read as a deletion, google_wins
    kept the event in anna's calendar for an appointment booked on raum-1)."""
    api, anna_cal = linked
    set_policy(api, "google_wins")
    room_cal = api.link_new_calendar("raum-1", "Raum 1")
    put(api, "t1")
    sync(api)
    put(api, "t1", resource_id="raum-1")
    control.phone_patch(anna_cal, event_id_for(BRANCH, "t1"), {"summary": "Handy"})
    control.invalidate_sync_tokens()
    sync(api)
    assert live(control, anna_cal) == {}
    assert set(live(control, room_cal)) == {event_id_for(BRANCH, "t1")}
    assert appointment(api, "t1")["resource_id"] == "raum-1"
    assert audit_reasons(api) == ["moved_in_planner_changed_on_google"]


# --- privacy ---------------------------------------------------------------------------------

def set_privacy(api: Api, privacy: str) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}/resources/anna",
                 {"name": "anna", "kind": "employee", "privacy": privacy})
    assert r.status_code == 200


def test_busy_privacy_shows_only_belegt(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    set_privacy(api, "busy")
    put(api, "t1", location="Raum 2", notes="Diagnose")
    sync(api)
    (event,) = live(control, cal).values()
    assert event["summary"] == "Belegt"
    assert "location" not in event and "description" not in event
    # moving it on the phone moves the appointment but keeps its title
    control.phone_patch(cal, event["id"], {"start": {"dateTime": at(5, 8)}, "end": {"dateTime": at(5, 9)}})
    sync(api)
    got = appointment(api, "t1")
    assert got["title"] == "Hörtest Frau Müller" and got["notes"] == "Diagnose"
    assert got["start"].startswith(at(5)[:10])


def test_title_only_privacy_keeps_notes_at_home(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    set_privacy(api, "title_only")
    put(api, "t1", location="Raum 2", notes="Diagnose")
    sync(api)
    (event,) = live(control, cal).values()
    assert event["summary"] == "Hörtest Frau Müller"
    assert "description" not in event and "location" not in event


def test_lowering_privacy_scrubs_existing_events(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1", notes="Diagnose")
    sync(api)
    set_privacy(api, "busy")
    sync(api)  # a privacy change re-projects every event of the resource
    (event,) = live(control, cal).values()
    assert event["summary"] == "Belegt" and "description" not in event


# --- times ---------------------------------------------------------------------------------------

def test_all_day_stays_all_day(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    day = at(3)[:10]
    end_day = at(4)[:10]
    put(api, "t1", all_day=True, start=day, end=end_day)
    sync(api)
    (event,) = live(control, cal).values()
    assert event["start"] == {"date": day} and event["end"] == {"date": end_day}
    control.phone_create(cal, {"summary": "Betriebsausflug", "start": {"date": end_day},
                               "end": {"date": at(5)[:10]}})
    sync(api)
    feed = api.call("GET", f"/planner/branches/{BRANCH}/changes").get_json()["changes"]
    born = [c["appointment"] for c in feed if c["origin"] == "google"]
    assert born[0]["all_day"] is True and born[0]["start"] == end_day


def next_dst_change(zone: str = "Europe/Berlin") -> datetime:
    """The next instant (≥ 2 days ahead) at which the zone's UTC offset changes."""
    tz = ZoneInfo(zone)
    moment = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    while moment.astimezone(tz).utcoffset() == (moment + timedelta(hours=1)).astimezone(tz).utcoffset():
        moment += timedelta(hours=1)
    return moment + timedelta(hours=1)


def test_times_are_exact_instants_across_dst(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    change = next_dst_change()
    start, end = change - timedelta(minutes=30), change + timedelta(minutes=30)
    put(api, "dst", start=start.isoformat(), end=end.isoformat())
    sync(api)
    event = live(control, cal)[event_id_for(BRANCH, "dst")]
    assert event["start"]["timeZone"] == event["end"]["timeZone"] == "Europe/Berlin"
    assert datetime.fromisoformat(event["start"]["dateTime"]) == start
    assert datetime.fromisoformat(event["end"]["dateTime"]) == end
    assert event["start"]["dateTime"][-6:] != event["end"]["dateTime"][-6:]  # two different offsets
    control.phone_patch(cal, event["id"], {"summary": "verschoben"})
    sync(api)
    got = appointment(api, "dst")
    assert datetime.fromisoformat(got["start"]) == start and datetime.fromisoformat(got["end"]) == end


# --- recurring events from the phone --------------------------------------------------------------

def test_recurring_phone_event_arrives_as_instances(linked: tuple[Api, str],
                                                    control: EmulatorControl) -> None:
    api, cal = linked
    zone = "Europe/Berlin"
    control.phone_create(cal, {"summary": "Teamrunde", "start": {"dateTime": at(1, 8), "timeZone": zone},
                               "end": {"dateTime": at(1, 9), "timeZone": zone},
                               "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"]})
    assert sync(api)["pulled"] == 4
    assert sync(api)["pulled"] == 0


def test_items_entering_the_window_are_picked_up_by_the_daily_listing(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.context import get_context, reset_caches
    from functions.sync.engine import Engine

    api, cal = linked
    monkeypatch.setenv("SYNC_HORIZON_DAYS", "5")
    reset_caches()
    put(api, "later", start=at(8), end=at(8, 10))
    sync(api)
    assert live(control, cal) == {}  # beyond the horizon
    sync(api)
    in_four_days = datetime.now(UTC) + timedelta(days=4)
    Engine(get_context(), now=lambda: in_four_days).run()
    assert set(live(control, cal)) == {event_id_for(BRANCH, "later")}


def test_branch_language_change_relabels_busy_events(linked: tuple[Api, str],
                                                     control: EmulatorControl) -> None:
    api, cal = linked
    set_privacy(api, "busy")
    put(api, "t1")
    sync(api)
    assert next(iter(live(control, cal).values()))["summary"] == "Belegt"
    r = api.call("PUT", f"/planner/branches/{BRANCH}",
                 {"timezone": "Europe/Berlin", "google_sync_enabled": True, "language": "en"})
    assert r.status_code == 200
    sync(api)
    assert next(iter(live(control, cal).values()))["summary"] == "Busy"


# --- races: an item changed while the run worked (the shell contract of plan.py) ------------

@pytest.mark.parametrize("planned", ["planner_edit", "phone_edit"])
def test_an_edit_race_is_replanned_not_swallowed(linked: tuple[Api, str], control: EmulatorControl,
                                                 steps: Steps, planned: str) -> None:
    """planner_wins: both sides edit t1 between planning and writing. The planned write is
    refused (412 on Google / a newer version in the planner); the run re-reads t1, plans it
    alone again, audits the conflict and writes the winner in the same run."""
    api, cal = linked
    put(api, "t1", title="Anpassung")
    sync(api)
    event_id = event_id_for(BRANCH, "t1")
    if planned == "planner_edit":  # the plan pushes this edit with If-Match of the synced etag
        put(api, "t1", title="Zwischenstand")
    else:  # the plan pulls this edit into the planner, guarded by the appointment's version
        control.phone_patch(cal, event_id, {"summary": "Zwischenstand"})

    def both_sides_edit() -> None:
        put(api, "t1", title="Planer")
        control.phone_patch(cal, event_id, {"summary": "Handy"})

    steps.before("acquire", both_sides_edit)  # the plan is made; no write has happened yet
    result = steps.run(lambda: sync(api))
    assert (result["conflicts"], result["failed"]) == (1, 0)
    assert appointment(api, "t1")["title"] == "Planer"
    assert live(control, cal)[event_id]["summary"] == "Planer"
    assert audit_reasons(api) == ["both_changed_planner_wins"]
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}


def test_a_race_that_repeats_keeps_the_cursors_and_the_next_run_settles_it(
        linked: tuple[Api, str], control: EmulatorControl, steps: Steps) -> None:
    api, cal = linked
    put(api, "t1", title="Anpassung")
    sync(api)
    event_id = event_id_for(BRANCH, "t1")
    put(api, "t1", title="Zwischenstand")
    steps.before("acquire", lambda: control.phone_patch(cal, event_id, {"summary": "Handy 1"}))
    # after the re-read (the run's second batch), before the re-planned write: the phone again
    steps.before("_batch#3", lambda: control.phone_patch(cal, event_id, {"summary": "Handy 2"}))
    result = steps.run(lambda: sync(api))
    assert result["failed"] == 1
    assert "could not be written" in api.status(lang="en")["last_error"]
    settled = sync(api)  # the cursors stayed: the next run sees the item again and decides it
    assert (settled["conflicts"], settled["failed"]) == (1, 0)
    assert appointment(api, "t1")["title"] == live(control, cal)[event_id]["summary"] == "Zwischenstand"
    assert "last_error" not in api.status()
