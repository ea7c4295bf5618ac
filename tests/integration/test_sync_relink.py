"""The sync across a link's life: re-consent, relink while a run works, events already gone."""

from __future__ import annotations

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, Api
from tests.integration.interleave import Steps
from tests.integration.test_sync import at, live, put, sync

pytestmark = pytest.mark.firestore


def planner_titles(api: Api) -> dict[str, tuple[str, str]]:
    """Live appointments of the branch by id: (title, start)."""
    feed = api.call("GET", f"/planner/branches/{BRANCH}/changes?limit=1000").get_json()["changes"]
    latest = {c["appointment_id"]: c for c in feed}
    return {k: (c["appointment"]["title"], c["appointment"]["start"])
            for k, c in latest.items() if not c["deleted"]}


def reconsent_and_relink(api: Api, calendar_id: str) -> dict:
    api.consent()
    r = api.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": calendar_id})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_reconsent_keeps_the_phones_changes_made_meanwhile(linked: tuple[Api, str],
                                                          control: EmulatorControl) -> None:
    api, cal = linked
    for i in range(4):
        put(api, f"t{i}", title=f"Termin {i}", start=at(2 + i), end=at(2 + i, 10))
    sync(api)
    control.kill_grants()
    sync(api)
    assert api.status()["status"] == "needs_reconsent"
    # the phone works on while the link waits for a new consent
    control.phone_patch(cal, event_id_for(BRANCH, "t0"),
                        {"start": {"dateTime": at(9, 14)}, "end": {"dateTime": at(9, 15)}})
    control.phone_delete(cal, event_id_for(BRANCH, "t1"))
    control.phone_create(cal, {"summary": "Vom Handy", "start": {"dateTime": at(3, 16)},
                               "end": {"dateTime": at(3, 17)}})
    reconsent_and_relink(api, cal)
    result = sync(api)
    assert (result["pulled"], result["pushed"], result["failed"]) == (3, 0, 0)
    events = live(control, cal)
    assert len(events) == 4  # t0 (moved), t2, t3 and the phone's new one; t1 stays deleted
    assert events[event_id_for(BRANCH, "t0")]["start"]["dateTime"].startswith(at(9, 14)[:13])
    planner = planner_titles(api)
    assert sorted(title for title, _ in planner.values()) == ["Termin 0", "Termin 2", "Termin 3",
                                                             "Vom Handy"]
    assert planner["t0"][1].startswith(at(9)[:10])  # the move reached the planner
    assert not api.audit(action="conflict_resolved")
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}


def test_relinking_another_calendar_forgets_the_item_states(linked: tuple[Api, str],
                                                           control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    r = api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Neu"}})
    new_cal = r.get_json()["google_calendar_id"]
    assert sync(api)["pushed"] == 1  # a new calendar: the appointment is written there anew
    assert list(live(control, new_cal)) == [event_id_for(BRANCH, "t1")]
    assert "t1" in planner_titles(api)
    # and back to the first calendar: other states than that calendar's, so forgotten too
    reconsent_and_relink(api, cal)
    assert sync(api)["failed"] == 0
    assert "t1" in planner_titles(api) and len(live(control, cal)) == 1


def test_clearing_the_same_calendar_forgets_the_item_states(linked: tuple[Api, str],
                                                           control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    r = api.call("POST", f"/links/{BRANCH}/anna", {"calendar_id": cal, "clear_existing": True})
    assert r.get_json()["cleared"] == 1
    assert sync(api)["pushed"] == 1  # the wiped event is written again, the appointment stays
    assert "t1" in planner_titles(api) and len(live(control, cal)) == 1


def test_a_relink_during_a_running_sync_deletes_no_appointment(linked: tuple[Api, str],
                                                              control: EmulatorControl,
                                                              steps: Steps) -> None:
    api, _ = linked
    for i in range(3):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    new_cal: list[str] = []

    def relink() -> None:
        r = api.call("POST", f"/links/{BRANCH}/anna", {"new_calendar": {"summary": "Neu"}})
        assert r.status_code == 200, r.get_data(as_text=True)
        new_cal.append(r.get_json()["google_calendar_id"])

    # the run has written the events into the old calendar; its state commit comes next
    steps.before("commit", relink)
    steps.run(lambda: sync(api))  # stops at its fenced state commit: the link is not its any more
    result = sync(api)
    assert result["failed"] == 0
    assert sorted(planner_titles(api)) == ["t0", "t1", "t2"]
    assert sorted(live(control, new_cal[0])) == sorted(event_id_for(BRANCH, f"t{i}") for i in range(3))


def test_a_410_on_a_deletion_counts_as_done(linked: tuple[Api, str], control: EmulatorControl,
                                           steps: Steps) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t1")
    event_id = event_id_for(BRANCH, "t1")
    # between planning and writing, the phone deletes it too: Google answers the delete 410
    steps.before("acquire", lambda: control.phone_delete(cal, event_id))
    control.reset_counters()
    result = steps.run(lambda: sync(api))
    assert result["failed"] == 0 and "last_error" not in api.status()
    assert control.counters()["calendars"][cal]["write"] == 1  # the delete was sent once
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
