"""services/event_removal.py on the emulators: withdrawing consent with `remove_events` deletes
exactly the bridge's live events (found by the marker, page by page, in chunks), never the
phone's, and says how far it got when Google refuses some deletions."""

from __future__ import annotations

import json

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.auth import Caller
from functions.context import get_context
from functions.services import event_removal
from functions.services.event_removal import RemovalIncomplete, ours
from functions.services.linking import GoogleSession
from functions.sync.mapping import (
    GOOGLE_BORN_PREFIX,
    MARKER_APPOINTMENT_ID,
    MARKER_SOURCE,
    SOURCE_VALUE,
    event_id_for,
)
from tests.integration.conftest import BRANCH, Api, link_doc
from tests.integration.test_sync import live, put, sync

pytestmark = pytest.mark.firestore
ADMIN = Caller("u-1", "admin", BRANCH, frozenset())
START = {"dateTime": "2031-01-02T10:00:00Z"}
END = {"dateTime": "2031-01-02T11:00:00Z"}


def marked(appointment_id: str | None, source: str | None = SOURCE_VALUE, **extra: object) -> dict:
    private = {k: v for k, v in ((MARKER_APPOINTMENT_ID, appointment_id), (MARKER_SOURCE, source))
               if v is not None}
    return {"summary": "Termin", "start": START, "end": END, "extendedProperties": {"private": private},
            **extra}


def seed(control: EmulatorControl, cal: str, count: int) -> tuple[list[str], list[str]]:
    """`count` events of ours, and the events that must stay (the phone's, foreign markers)."""
    mine = [control.phone_create(cal, {**marked(f"t{i}"), "id": event_id_for(BRANCH, f"t{i}")})["id"]
            for i in range(count)]
    stay = [control.phone_create(cal, body)["id"] for body in (
        marked(GOOGLE_BORN_PREFIX + "abc"),            # born on the phone, edited in the planner
        marked("t-x", source="2"),                     # another tool's marker value
        marked(None),                                  # our source marker, no appointment id
        {"summary": "Zahnarzt privat", "start": START, "end": END},  # no marker at all
        # a series the phone made with a phone-born id: listed once, not per instance
        {**marked(GOOGLE_BORN_PREFIX + "series"), "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
         "start": {**START, "timeZone": "Europe/Berlin"}, "end": {**END, "timeZone": "Europe/Berlin"}},
    )]
    gone = control.phone_create(cal, {**marked("t-gone"), "id": event_id_for(BRANCH, "t-gone")})["id"]
    control.phone_delete(cal, gone)  # ours, already cancelled: not listed (showDeleted=False)
    return mine, stay


def remove(api: Api, cal: str) -> int:
    link = get_context().store.get_link(BRANCH, "anna")
    with GoogleSession(get_context(), ADMIN, link) as calendar:
        return event_removal.remove_our_events(calendar, cal)


def test_only_ours_are_deleted_page_by_page_and_chunk_by_chunk(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> None:
    api, cal = linked
    mine, stay = seed(control, cal, 5)
    assert all(event_id in live(control, cal) for event_id in mine)
    monkeypatch.setattr(event_removal, "PAGE", 2)
    monkeypatch.setattr(event_removal, "CHUNK", 2)
    control.reset_counters()
    assert remove(api, cal) == 5
    assert sorted(live(control, cal)) == sorted(stay)
    counters = control.counters()["calendars"][cal]
    # each of ours deleted once; listings: the 8 live events with our source marker (the series
    # once) over 4 pages, then the 3 that stay over 2 pages
    assert counters["write"] == 5
    assert counters["read"] == 5 + 1


def test_refused_deletions_say_how_many_were_removed_and_remain(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    seed(control, cal, 4)
    control.add_fault(400, reason="badRequest", count=2, method="DELETE")
    with pytest.raises(RemovalIncomplete) as incomplete:
        remove(api, cal)
    assert (incomplete.value.removed, incomplete.value.remaining) == (2, 2)
    assert str(incomplete.value) == "2 removed, 2 remaining"


def test_google_unavailable_stops_the_removal_with_the_count_so_far(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> None:
    api, cal = linked
    seed(control, cal, 3)
    monkeypatch.setattr(event_removal, "ROUNDS", 1)
    control.add_fault(503, reason="backendError", count=1000, method="GET")
    with pytest.raises(RemovalIncomplete) as incomplete:
        remove(api, cal)
    assert (incomplete.value.removed, incomplete.value.remaining) == (0, None)


def test_a_calendar_without_our_events_costs_one_listing(linked: tuple[Api, str],
                                                          control: EmulatorControl) -> None:
    api, cal = linked
    control.phone_create(cal, {"summary": "Zahnarzt privat", "start": START, "end": END})
    control.reset_counters()
    assert remove(api, cal) == 0
    assert control.counters()["calendars"][cal] == {"read": 1, "write": 0}


@pytest.mark.parametrize(("event", "expected"), [
    (marked("t1"), True),
    ({**marked("t1"), "status": "confirmed"}, True),
    ({**marked("t1"), "status": "cancelled"}, False),
    (marked(GOOGLE_BORN_PREFIX + "x"), False),
    (marked(""), False),
    (marked(None), False),
    (marked("t1", source="2"), False),
    (marked("t1", source=None), False),
    ({"extendedProperties": {"private": {MARKER_APPOINTMENT_ID: 7, MARKER_SOURCE: SOURCE_VALUE}}}, False),
    ({"summary": "x"}, False),
    ({"extendedProperties": None}, False),
])
def test_ours_by_marker(event: dict, expected: bool) -> None:
    assert ours(event) is expected


# --- through POST /revoke: what the admin gets when the removal cannot finish -----------------


def revoke_removing(api: Api, lang: str = "de"):
    return api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna", "remove_events": True},
                    role="admin", headers={"Accept-Language": lang})


def test_a_removal_google_refuses_in_part_keeps_the_consent_and_the_next_run_writes_them_again(
        linked: tuple[Api, str], control: EmulatorControl, log_lines) -> None:
    api, cal = linked
    for key in ("t1", "t2"):
        put(api, key)
    sync(api)
    control.add_fault(400, reason="badRequest", count=1, method="DELETE")
    r = revoke_removing(api)
    assert r.status_code == 503
    error = r.get_json()["error"]
    assert error["code"] == "events_not_removed" and "bisher 1 entfernt" in error["message"]
    assert api.status()["status"] == "linked"  # the consent is kept
    doc = link_doc()
    assert (doc.get("lease_owner"), doc.get("lease_until"), doc.get("full_sync_next")) == (None, None, True)
    failed = api.audit()[-1]
    assert (failed["actor"], failed["role"], failed["action"]) == ("u-1", "admin", "events_removal_failed")
    assert failed["details"] == {"calendar_id": cal, "removed": 1, "remaining": 1}
    assert len(live(control, cal)) == 1
    (warning,) = [json.loads(line) for line in log_lines.getvalue().splitlines() if "part-way" in line]
    assert (warning["severity"], warning["link"], warning["removed"]) == ("WARNING", f"{BRANCH}:anna", 1)
    sync(api)  # the lease is free and the next run lists both sides: the removed one comes back
    assert sorted(live(control, cal)) == sorted(event_id_for(BRANCH, k) for k in ("t1", "t2"))


def test_a_removal_is_audited_with_who_asked(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    assert revoke_removing(api).get_json() == {"status": "revoked", "events_removed": 1}
    removed = next(iter(api.audit(action="events_removed")))
    assert (removed["actor"], removed["role"], removed["details"]) == ("u-1", "admin",
                                                                       {"calendar_id": cal, "removed": 1})
    assert live(control, cal) == {}


def test_a_removal_needs_a_grant_google_still_accepts(linked: tuple[Api, str],
                                                      control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    control.kill_grants()
    sync(api)
    assert api.status()["status"] == "needs_reconsent"
    r = revoke_removing(api, "en")
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "needs_reconsent")
    assert r.get_json()["error"]["message"].startswith(
        "Google no longer accepts the consent, so the bridge cannot remove its events.")
    assert api.status()["status"] == "needs_reconsent"  # nothing revoked
    assert len(live(control, cal)) == 1


def test_a_consent_without_a_calendar_has_no_events_to_remove(api: Api) -> None:
    api.setup_branch()
    api.consent()
    assert revoke_removing(api).get_json() == {"status": "revoked", "events_removed": 0}


def test_while_the_events_are_removed_no_run_may_write_and_no_states_are_left(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.adapters.sync_store import TAKEOVER, SyncStore

    api, _ = linked
    put(api, "t1")
    sync(api)
    seen: dict = {}
    real = event_removal.remove_our_events

    def observed(calendar, calendar_id):  # what a run starting now would find
        seen["lease"] = link_doc().get("lease_owner")
        seen["states"] = SyncStore(get_context().store.db).states(f"{BRANCH}:anna")
        return real(calendar, calendar_id)

    monkeypatch.setattr(event_removal, "remove_our_events", observed)
    assert revoke_removing(api).get_json() == {"status": "revoked", "events_removed": 1}
    assert seen["lease"].startswith(TAKEOVER) and seen["states"] == []


def test_a_grant_that_dies_during_the_removal_is_409_and_the_link_resumes(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    control.kill_grants()  # Google dropped the grant; the link does not know yet
    r = revoke_removing(api)
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "needs_reconsent")
    assert api.status()["status"] == "needs_reconsent"
    doc = link_doc()
    assert (doc.get("lease_owner"), doc.get("full_sync_next")) == (None, True)
    assert len(live(control, cal)) == 1


def test_a_failure_in_an_earlier_chunk_is_not_forgotten(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> None:
    api, cal = linked
    seed(control, cal, 5)
    monkeypatch.setattr(event_removal, "CHUNK", 2)
    control.add_fault(400, reason="badRequest", count=1, method="DELETE")  # the first chunk's first
    with pytest.raises(RemovalIncomplete) as incomplete:
        remove(api, cal)
    assert (incomplete.value.removed, incomplete.value.remaining) == (4, 1)


def test_an_event_the_phone_deleted_meanwhile_is_no_failure(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> None:
    api, cal = linked
    mine, stay = seed(control, cal, 3)
    real = event_removal.marked_event_ids

    def listed_then_deleted_on_the_phone(calendar, calendar_id):
        ids = list(real(calendar, calendar_id))
        if mine[0] in ids:
            control.phone_delete(cal, mine[0])  # between our listing and our deletion
        return iter(ids)

    monkeypatch.setattr(event_removal, "marked_event_ids", listed_then_deleted_on_the_phone)
    assert remove(api, cal) == 2  # Google answered 410 for the third: gone already, not removed by us
    assert sorted(live(control, cal)) == sorted(stay)
