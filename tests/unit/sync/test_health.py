"""sync/health.py, the pure part of the admin's overview and of a held-back change's review:
each link state names its one action, and the review lists deletions in start order with what
staff may read (the planner's title where the planner still has the appointment)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.domain import Link, LinkStatus
from functions.sync import health
from functions.sync.model import Appointment, ItemState

BLOCKED = {"reason": "mass_change_blocked", "google_deletions": 0, "planner_deletions": 12,
           "synced_items": 15, "deletions": []}


@pytest.mark.parametrize(("status", "sync_on", "blocked", "expected"), [
    (LinkStatus.NONE, True, None, ("none", "link")),
    (LinkStatus.CONSENTED, True, None, ("consented", "choose_calendar")),
    (LinkStatus.CALENDAR_MISSING, True, None, ("calendar_missing", "choose_calendar")),
    (LinkStatus.NEEDS_RECONSENT, True, None, ("needs_reconsent", "reconsent")),
    (LinkStatus.REVOKED, True, None, ("revoked", "reconsent")),
    (LinkStatus.THROTTLED, True, None, ("throttled", "wait")),
    (LinkStatus.LINKED, True, None, ("linked", "none")),
    (LinkStatus.LINKED, False, None, ("sync_off", "enable_sync")),
    (LinkStatus.THROTTLED, False, None, ("sync_off", "enable_sync")),
    (LinkStatus.LINKED, True, BLOCKED, ("blocked", "review_mass_change")),
    (LinkStatus.LINKED, False, BLOCKED, ("blocked", "review_mass_change")),  # the decision first
    (LinkStatus.NEEDS_RECONSENT, True, BLOCKED, ("needs_reconsent", "reconsent")),  # not syncing
    (LinkStatus.CONSENTED, False, None, ("consented", "choose_calendar")),  # the switch: syncing only
])
def test_each_state_names_its_one_action(status: LinkStatus, sync_on: bool, blocked: dict | None,
                                         expected: tuple[str, str]) -> None:
    assert health.state_of(Link("b", "r", status, blocked=blocked), sync_on) == expected


def test_a_row_carries_what_the_admin_reads() -> None:
    checked = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    link = Link("b", "r", LinkStatus.LINKED, account_email="praxis@example.com",
                google_calendar_name="Anna", last_checked_at=checked,
                last_sync_at="2026-12-02T09:00:00+00:00",
                push=True, blocked=BLOCKED | {"deletions": [{"side": "planner", "appointment_id": "t1"}]})
    row = health.health("r", "Anna Schmidt", "employee", link, True)
    assert row["resource_id"] == "r" and row["name"] == "Anna Schmidt" and row["kind"] == "employee"
    assert (row["status"], row["state"], row["action"]) == ("linked", "blocked", "review_mass_change")
    assert row["last_checked_at"] == checked.isoformat()
    assert row["last_sync_at"] == "2026-12-02T09:00:00+00:00"
    assert row["push_active"] is True
    # the counts; the ids are the review's, not the overview's
    assert row["blocked"] == {k: v for k, v in BLOCKED.items() if k != "deletions"}
    assert row["account_email"] == "praxis@example.com" and row["google_calendar_name"] == "Anna"


def test_push_is_active_only_while_the_link_syncs() -> None:
    link = Link("b", "r", LinkStatus.NEEDS_RECONSENT, push=True)
    assert health.health("r", "n", "room", link, True)["push_active"] is False


def state(key: str, hour: int) -> ItemState:
    return ItemState(key, f"ev-{key}", "p", "g", 1, "e",
                     datetime(2026, 12, 7, hour, tzinfo=UTC), datetime(2026, 12, 7, hour, 30, tzinfo=UTC))


def test_the_review_lists_deletions_in_start_order_with_the_planners_title() -> None:
    finding = {**BLOCKED, "google_deletions": 1, "deletions": [
        {"side": "planner", "appointment_id": "late"},
        {"side": "google", "appointment_id": "gone", "event_id": "ev-gone"},
        {"side": "planner", "appointment_id": "early"},
    ]}
    booked = Appointment("early", "r", "2026-12-07T08:00:00+01:00", "2026-12-07T08:30:00+01:00",
                         "Hörtest Frau Müller")
    review = health.review(finding, {"early": booked, "late": None, "gone": None},
                           {"late": state("late", 15), "gone": state("gone", 12)})
    assert (review["google_deletions"], review["planner_deletions"], review["synced_items"]) == (1, 12, 15)
    assert [r["appointment_id"] for r in review["deletions"]] == ["early", "gone", "late"]
    early, gone, late = review["deletions"]
    assert early == {"side": "planner", "appointment_id": "early", "event_id": None,
                     "start": booked.start, "end": booked.end, "all_day": False,
                     "title": "Hörtest Frau Müller"}
    assert gone["event_id"] == "ev-gone" and gone["title"] is None  # the planner deleted it: no title
    assert late["event_id"] == "ev-late"  # from the synced state
    assert (late["start"], late["end"]) == ("2026-12-07T15:00:00+00:00", "2026-12-07T15:30:00+00:00")


def test_a_deletion_without_appointment_or_state_has_no_times() -> None:
    row = health.deletion_row({"side": "google", "appointment_id": "x"}, None, None)
    assert row == {"side": "google", "appointment_id": "x", "event_id": None, "start": None, "end": None,
                   "all_day": False, "title": None}


def test_a_row_names_the_error_and_the_switch() -> None:
    link = Link("b", "r", LinkStatus.THROTTLED, last_error={"key": "throttled", "params": {}})
    row = health.health("r", "Raum 1", "room", link, False)
    assert (row["state"], row["action"]) == ("sync_off", "enable_sync")
    assert row["last_error_code"] == "throttled"
    assert row["last_error"] == link.to_api()["last_error"] and row["last_error"]
    on = health.health("r", "Raum 1", "room", link, True)
    assert (on["state"], on["action"]) == ("throttled", "wait")


def test_the_deletions_own_event_id_comes_before_the_synced_states() -> None:
    row = health.deletion_row({"side": "google", "appointment_id": "a", "event_id": "ev-listed"},
                              None, state("a", 9))
    assert row["event_id"] == "ev-listed"


def test_the_review_sorts_by_start_not_by_id_and_puts_unknown_times_first() -> None:
    finding = {"deletions": [{"side": "planner", "appointment_id": "a-late"},
                             {"side": "planner", "appointment_id": "z-early"},
                             {"side": "google", "appointment_id": "m-unknown"}]}
    review = health.review(finding, {}, {"a-late": state("a-late", 16), "z-early": state("z-early", 8)})
    assert [r["appointment_id"] for r in review["deletions"]] == ["m-unknown", "z-early", "a-late"]
    # a finding without counts counts nothing
    assert (review["google_deletions"], review["planner_deletions"], review["synced_items"]) == (0, 0, 0)
