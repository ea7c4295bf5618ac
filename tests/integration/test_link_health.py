"""Issue 13, items 2-4 on the emulators: last checked / last changed (an hourly heartbeat, no
write for an idle check within the hour), the branch's link-health overview, and the admin's
decision on a held-back mass change (apply or restore from the planner), audited."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from bench.firestore_ops import counting
from devtools.google_emulator.client import EmulatorControl
from functions import i18n
from functions.context import get_context
from functions.sync.engine import Engine
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, OTHER_BRANCH, Api, logged
from tests.integration.test_sync import at, live, put, sync

pytestmark = pytest.mark.firestore
ANNA = f"/links/{BRANCH}/anna"
DECIDED = "mass_change_decided"  # the audit entry of an admin's decision


def run_at(moment: datetime) -> int:
    """One check of anna's link as if it were `moment`; the Firestore writes it made."""
    with counting() as ops:
        Engine(get_context(), now=lambda: moment).run(BRANCH, "anna")
    return ops["writes"]


def test_an_idle_check_writes_the_heartbeat_at_most_hourly(linked: tuple[Api, str]) -> None:
    api, _ = linked
    put(api, "t1")
    sync(api)
    sync(api)  # our own write coming back
    changed = api.status()["last_sync_at"]
    checked = datetime.fromisoformat(api.status()["last_checked_at"])
    assert run_at(checked + timedelta(minutes=59)) == 0  # within the hour: nothing written
    assert api.status()["last_checked_at"] == checked.isoformat()
    later = checked + timedelta(minutes=61)
    assert run_at(later) == 1  # the heartbeat: one field of the link
    status = api.status()
    assert status["last_checked_at"] == later.isoformat()
    assert status["last_sync_at"] == changed  # nothing changed: last changed stays
    assert run_at(later + timedelta(minutes=30)) == 0


def blocked_anna(api: Api, control: EmulatorControl, cal: str, *, planner_deletes: int = 0) -> None:
    """15 synced appointments; the phone deletes 12 (and the planner `planner_deletes` more):
    the next run is held back."""
    for i in range(15):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10), title=f"Hörtest Frau Müller {i}")
    sync(api)
    for i in range(12):
        control.phone_delete(cal, event_id_for(BRANCH, f"t{i}"))
    for i in range(12, 12 + planner_deletes):
        assert api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t{i}").status_code == 204
    assert sync(api)["failed"] == 1
    assert api.status()["blocked"]["planner_deletions"] == 12


def overview(api: Api, **kw: object) -> dict:
    r = api.call("GET", f"/links/{BRANCH}", role="admin", **kw)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {row["resource_id"]: row for row in r.get_json()["links"]}


def test_the_overview_names_each_resources_state_and_action(linked: tuple[Api, str],
                                                            control: EmulatorControl) -> None:
    api, cal = linked
    sync(api)
    rows = overview(api)
    assert (rows["anna"]["state"], rows["anna"]["action"]) == ("linked", "none")
    assert rows["anna"]["last_checked_at"] and rows["anna"]["push_active"] is False
    assert (rows["raum-1"]["state"], rows["raum-1"]["action"]) == ("none", "link")
    api.consent(resource="raum-1", account="raum@example.com")
    blocked_anna(api, control, cal)
    rows = overview(api)
    assert (rows["raum-1"]["state"], rows["raum-1"]["action"]) == ("consented", "choose_calendar")
    assert (rows["anna"]["state"], rows["anna"]["action"]) == ("blocked", "review_mass_change")
    assert rows["anna"]["blocked"]["planner_deletions"] == 12 and "deletions" not in rows["anna"]["blocked"]
    assert rows["anna"]["last_error_code"] == "mass_change_blocked" and rows["anna"]["last_error"]
    control.kill_grants()
    sync(api, branch_id=BRANCH, resource_id="anna", force=True)
    row = overview(api)["anna"]
    assert (row["state"], row["action"]) == ("needs_reconsent", "reconsent")


@pytest.mark.parametrize(("token", "status"), [
    ({"role": "employee", "resources": ["anna"]}, 403),
    ({"role": "admin", "branch": OTHER_BRANCH}, 403),
])
def test_the_overview_is_for_the_admin_of_the_branch(linked: tuple[Api, str], token: dict,
                                                     status: int) -> None:
    api, _ = linked
    assert api.call("GET", f"/links/{BRANCH}", token=api.token(**token)).status_code == status
    assert api.call("GET", "/links/nowhere", role="admin",
                    token=api.token("admin", branch="nowhere")).status_code == 404


def test_the_admin_reviews_what_would_be_deleted_and_no_title_is_logged(
        linked: tuple[Api, str], control: EmulatorControl, log_lines: io.StringIO) -> None:
    api, cal = linked
    blocked_anna(api, control, cal, planner_deletes=2)
    r = api.call("GET", f"{ANNA}/mass-change", role="admin")
    assert r.status_code == 200, r.get_data(as_text=True)
    review = r.get_json()
    assert (review["planner_deletions"], review["google_deletions"], review["synced_items"]) == (12, 2, 15)
    by_id = {row["appointment_id"]: row for row in review["deletions"]}
    assert len(by_id) == 14
    assert by_id["t3"] == {"side": "planner", "appointment_id": "t3", "event_id": event_id_for(BRANCH, "t3"),
                           "start": at(5), "end": at(5, 10), "all_day": False,
                           "title": "Hörtest Frau Müller 3"}
    # deleted in the planner: its event would go; the planner has no title any more
    assert by_id["t12"]["side"] == "google" and by_id["t12"]["title"] is None
    assert by_id["t12"]["start"] and by_id["t12"]["event_id"] == event_id_for(BRANCH, "t12")
    assert "Müller" not in log_lines.getvalue()


def test_apply_lets_the_deletions_through_once(linked: tuple[Api, str], control: EmulatorControl,
                                               log_lines: io.StringIO) -> None:
    api, cal = linked
    blocked_anna(api, control, cal)
    r = api.call("POST", f"{ANNA}/mass-change", {"decision": "apply"}, role="admin")
    assert r.status_code == 200, r.get_data(as_text=True)
    (line,) = logged(log_lines, "mass change decided")
    assert (line["link"], line["decision"]) == (f"{BRANCH}:anna", "apply")
    assert r.get_json()["pulled"] == 12
    assert api.call("GET", f"/planner/branches/{BRANCH}/appointments/t0").status_code == 404
    assert "blocked" not in api.status()
    [entry] = api.audit(action=DECIDED)
    assert (entry["actor"], entry["role"]) == ("u-1", "admin")
    assert entry["details"] | {} == {"decision": "apply", "planner_deletions": 12, "google_deletions": 0,
                                     "synced_items": 15, "pushed": 0, "pulled": 12, "failed": False}
    again = api.call("POST", f"{ANNA}/mass-change", {"decision": "restore"}, role="admin")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_blocked"
    assert api.call("GET", f"{ANNA}/mass-change", role="admin").status_code == 409
    assert len(live(control, cal)) == 3 and len(api.audit(action=DECIDED)) == 1  # nothing changed


def test_restore_recreates_the_phones_deletions_from_the_planner(linked: tuple[Api, str],
                                                                 control: EmulatorControl) -> None:
    api, cal = linked
    blocked_anna(api, control, cal, planner_deletes=2)
    r = api.call("POST", f"{ANNA}/mass-change", {"decision": "restore"}, role="admin")
    assert r.status_code == 200, r.get_data(as_text=True)
    events = live(control, cal)
    # the 12 the phone deleted are back under their ids; the planner's 2 deletions reached Google
    assert set(events) == {event_id_for(BRANCH, f"t{i}") for i in (*range(12), 14)}
    assert events[event_id_for(BRANCH, "t3")]["start"]["dateTime"][:10] == at(5)[:10]
    assert api.call("GET", f"/planner/branches/{BRANCH}/appointments/t3").status_code == 200
    assert "blocked" not in api.status()
    [entry] = api.audit(action=DECIDED)
    assert entry["details"]["decision"] == "restore" and entry["details"]["planner_deletions"] == 12
    assert sync(api)["pulled"] == 0 and sync(api)["pushed"] == 0  # settled


@pytest.mark.parametrize("body", [{"decision": "maybe"}, {}, {"decision": "apply", "force": True},
                                  {"decision": 1}])
def test_a_bad_decision_is_400_and_changes_nothing(linked: tuple[Api, str], control: EmulatorControl,
                                                    body: dict) -> None:
    api, cal = linked
    blocked_anna(api, control, cal)
    r = api.call("POST", f"{ANNA}/mass-change", body, role="admin")
    assert r.status_code == 400 and r.get_json()["error"]["code"] in ("invalid_field", "unknown_field")
    assert api.status()["blocked"]["planner_deletions"] == 12 and not api.audit(action=DECIDED)


def test_only_an_admin_of_the_branch_decides(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    blocked_anna(api, control, cal)
    employee = api.token("employee", resources=["anna"])
    stranger = api.token("admin", branch=OTHER_BRANCH)
    for token in (employee, stranger):
        assert api.call("GET", f"{ANNA}/mass-change", token=token).status_code == 403
        assert api.call("POST", f"{ANNA}/mass-change", {"decision": "apply"}, token=token).status_code == 403
    assert api.call("POST", f"/links/{BRANCH}/nobody/mass-change", {"decision": "apply"},
                    role="admin").status_code == 404
    assert api.status()["blocked"] and not api.audit(action=DECIDED)
    assert api.call("GET", f"/planner/branches/{BRANCH}/appointments/t0").status_code == 200


def test_a_link_that_holds_nothing_back_is_409(linked: tuple[Api, str]) -> None:
    api, _ = linked
    sync(api)
    for method, body in (("GET", None), ("POST", {"decision": "apply"})):
        r = api.call(method, f"{ANNA}/mass-change", body, role="admin")
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_blocked"
    assert not api.audit(action=DECIDED)
    assert datetime.fromisoformat(api.status()["last_checked_at"]) <= datetime.now(UTC)


@pytest.mark.parametrize(("method", "path", "field"), [
    ("GET", "/links/bad.branch", "branch_id"),
    ("GET", "/links/bad.branch/anna/mass-change", "branch_id"),
    ("GET", f"/links/{BRANCH}/bad.resource/mass-change", "resource_id"),
    ("POST", "/links/bad.branch/anna/mass-change", "branch_id"),
    ("POST", f"/links/{BRANCH}/bad.resource/mass-change", "resource_id"),
])
def test_a_bad_id_is_400_naming_its_field(linked: tuple[Api, str], method: str, path: str,
                                          field: str) -> None:
    api, _ = linked
    r = api.call(method, path, {"decision": "apply"} if method == "POST" else None, role="admin",
                 headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_id")
    assert r.get_json()["error"]["message"].startswith(f"{field} must be")


def test_the_reviewed_titles_are_redacted_from_every_log_line_of_that_request(
        linked: tuple[Api, str], control: EmulatorControl, log_lines: io.StringIO) -> None:
    import contextvars
    import logging

    from functions import logs
    from functions.auth import Caller
    from functions.services import link_health

    api, cal = linked
    blocked_anna(api, control, cal, planner_deletes=2)
    def one_request() -> str:  # what a request of the admin's page does, in its own log context
        logs.begin_request(None, None)
        review = link_health.mass_change(get_context(), Caller("u-1", "admin", BRANCH, frozenset()),
                                         BRANCH, "anna")
        title = next(row["title"] for row in review["deletions"] if row["title"])
        logging.getLogger("functions.somewhere").warning("a careless line: %s", title)
        return title

    title = contextvars.copy_context().run(one_request)
    assert title not in log_lines.getvalue() and "a careless line" in log_lines.getvalue()


def test_a_decision_runs_that_link_only(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    blocked_anna(api, control, cal)
    other = api.link_new_calendar(resource="raum-1", summary="Raum 1")
    put(api, "r1", resource_id="raum-1")  # waiting for raum-1's own next run
    api.setup_branch(OTHER_BRANCH)
    hamburg = api.link_new_calendar("anna", "Anna (HH)", branch=OTHER_BRANCH)  # the same id elsewhere
    r = api.call("PUT", f"/planner/branches/{OTHER_BRANCH}/appointments/h1",
                 {"resource_id": "anna", "start": at(2), "end": at(2, 10), "title": "Termin"})
    assert r.status_code == 200, r.get_data(as_text=True)
    r = api.call("POST", f"{ANNA}/mass-change", {"decision": "apply"}, role="admin")
    assert r.status_code == 200 and r.get_json()["pulled"] == 12
    # the decision forced anna's run in this branch, nobody else's
    assert live(control, other) == {} and live(control, hamburg) == {}
    assert sync(api)["pushed"] == 2


def test_a_decision_while_the_branch_is_off_is_409(linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    blocked_anna(api, control, cal)
    api.setup_branch(enabled=False)
    r = api.call("POST", f"{ANNA}/mass-change", {"decision": "apply"}, role="admin",
                 headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "sync_disabled")
    assert r.get_json()["error"]["message"] == i18n.MESSAGES["sync_disabled_switch_on"]["en"]
    assert api.status()["blocked"] and not api.audit(action=DECIDED)


def test_a_decision_while_a_run_holds_the_link_is_503_and_decides_nothing(
        linked: tuple[Api, str], control: EmulatorControl) -> None:
    api, cal = linked
    blocked_anna(api, control, cal)
    ref = get_context().store.db.collection("links").document(f"{BRANCH}:anna")
    ref.update({"lease_owner": "another-run", "lease_until": datetime.now(UTC) + timedelta(minutes=5)})
    r = api.call("POST", f"{ANNA}/mass-change", {"decision": "apply"}, role="admin",
                 headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (503, "busy")
    assert r.get_json()["error"]["message"] == i18n.MESSAGES["link_busy"]["en"]
    assert api.status()["blocked"]["planner_deletions"] == 12 and not api.audit(action=DECIDED)
    assert api.call("GET", f"/planner/branches/{BRANCH}/appointments/t0").status_code == 200
