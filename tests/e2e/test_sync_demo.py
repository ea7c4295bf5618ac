"""The sync demo page (sync.html) of `make run`, in real headless Chromium.

A person watches a change travel: an appointment made in the planner reaches the Google calendar
by itself; "the phone" (the Google emulator's control API, through the dev server's same-origin
proxy) moves, renames, creates and deletes events, and Google's push notification brings that to
the planner within seconds, without "Jetzt synchronisieren" (which still syncs at once); a mass
deletion is held back until "Trotzdem synchronisieren". Each test links a resource of a branch of
its own through the APIs (the consent form is posted the way the browser would), so only the
sync page itself is clicked.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Browser, Locator, Page, expect

from devtools.google_emulator.client import EmulatorControl
from devtools.run import LOCAL_QUEUE
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PRAXIS = "praxis.berlin@example.com"
TEAM = {"anna": ("Anna Schmidt", "employee"), "raum-1": ("Anpassraum 1", "room")}


@pytest.fixture
def page(staff_page: Page) -> Page:
    return staff_page


def _link(stack: Stack, branch: str, resource: str, account: str = PRAXIS, summary: str | None = None) -> str:
    """Consent (our begin step, the form Google shows, posted as the browser would) and a new
    calendar (named `summary`, else after the resource): its id."""
    planner = stack.token("planner")
    url = stack.api("POST", "/oauth_start", {"branch_id": branch, "resource_id": resource},
                    planner)["authorization_url"]
    http = requests.Session()  # the browser: it keeps the cookie of the begin step
    http.trust_env = False  # loopback only, never a proxy
    begun = http.get(url, allow_redirects=False, timeout=30)
    assert begun.status_code == 302, begun.text
    location = EmulatorControl(stack.google_root).consent(begun.headers["Location"], account)
    callback = http.get(location, timeout=30)
    assert callback.status_code == 200, callback.text
    summary = summary or f"Terminplaner – {resource} {uuid.uuid4().hex[:6]}"
    linked = stack.api("POST", f"/links/{branch}/{resource}", {"new_calendar": {"summary": summary}}, planner)
    assert linked["status"] == "linked", linked
    return linked["google_calendar_id"]


def _open(page: Page, stack: Stack, path: str) -> None:
    page.goto(stack.base + path)
    expect(page.locator("body")).to_have_attribute("data-ready", "1")


def _screenshot(page: Page, name: str) -> None:
    """Screenshots for a person to look at, only when asked for (E2E_SCREENSHOTS=dir)."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _appointment(page: Page, title: str) -> Locator:
    return page.locator('[data-test="appointment"]').filter(
        has=page.locator('[data-test="appointment-title"]', has_text=title))


def _event(page: Page, title: str) -> Locator:
    return page.locator('[data-test="event"]').filter(
        has=page.locator('[data-test="event-title"]', has_text=title))


def _sync(page: Page, runs: int, force: bool = False) -> Locator:
    """Click "Jetzt synchronisieren" (or "Trotzdem synchronisieren"); wait until both columns reloaded."""
    page.locator("#force-sync" if force else "#sync-now").click()
    summary = page.locator('[data-test="sync-summary"]')
    # the run is synchronous: on two loaded cores it can take longer than expect's 5 s
    expect(summary).to_have_attribute("data-runs", str(runs), timeout=20_000)
    expect(summary).to_have_attribute("data-state", "done", timeout=20_000)
    return summary


def _calendar_events(stack: Stack, calendar_id: str) -> list[dict]:
    return stack.emulator("GET", f"calendars/{quote(calendar_id, safe='')}/events")["events"]


def test_a_change_travels_from_the_planner_to_the_phone_and_back(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    calendar_id = _link(stack, branch, "anna")
    day = (date.today() + timedelta(days=7)).isoformat()
    later_day = (date.today() + timedelta(days=9)).isoformat()
    _open(page, stack, f"/sync.html?branch={branch}&resource=anna")

    select = page.locator('[data-test="resource-select"]')
    expect(select).to_have_value("anna")
    expect(select.locator("option")).to_have_count(1)  # raum-1 is not linked
    expect(page.locator('[data-test="link-status"]')).to_have_attribute("data-status", "linked")
    expect(page.locator('[data-test="link-calendar"]')).to_have_text(calendar_id)
    expect(page.locator('[data-test="branch-off"]')).to_be_hidden()
    expect(page.locator('[data-test="no-appointments"]')).to_be_visible()
    expect(page.locator('[data-test="no-events"]')).to_be_visible()

    # 1. The planner books an appointment; it reaches Google by itself within seconds (its link's
    #    task on Cloud Tasks), without "Jetzt synchronisieren": the page follows by itself.
    page.locator("#appt-title").fill("Hörtest Frau Müller")
    page.locator("#appt-start-date").fill(day)
    page.locator("#appt-start-time").fill("10:00")
    page.locator("#appt-end-time").fill("11:00")
    expect(page.locator("#appt-end-date")).to_have_value(day)  # follows the start date
    page.locator("#appt-location").fill("Raum 2")
    page.locator("#appt-save").click()
    booked = _appointment(page, "Hörtest Frau Müller")
    expect(booked).to_have_count(1)
    expect(booked).to_have_attribute("data-origin", "planner")
    expect(booked.locator('[data-test="origin"]')).to_have_text("Terminplaner")
    expect(booked.locator('[data-test="appointment-time"]')).to_contain_text("10:00–11:00")
    event = _event(page, "Hörtest Frau Müller")
    expect(event).to_have_count(1, timeout=20_000)
    expect(event.locator('[data-test="event-origin"]')).to_have_attribute("data-origin", "planner")
    expect(event.locator('[data-test="event-time"]')).to_contain_text("10:00–11:00")
    expect(page.locator('[data-test="last-sync"]')).not_to_have_text("noch nie")
    _screenshot(page, "sync-1-pushed")

    # 2. On the phone the event moves an hour later; Google's push notification brings the new time
    #    to the planner within seconds, without "Jetzt synchronisieren" (nobody presses it).
    event.locator('[data-action="later"]').click()
    expect(event.locator('[data-test="event-time"]')).to_contain_text("11:00–12:00")
    expect(page.locator('[data-test="phone-last-action"]')).to_contain_text("in wenigen Sekunden")
    expect(booked.locator('[data-test="appointment-time"]')).to_contain_text("11:00–12:00", timeout=15_000)
    expect(booked).to_have_attribute("data-origin", "google")
    expect(page.locator('[data-test="sync-summary"]')).to_have_attribute("data-runs", "0")  # by push
    link = stack.api("GET", f"/links/{branch}/anna", token=stack.token("planner"))
    assert link["push"]["active"] is True, link

    # 3. The phone creates an event of its own: the planner has it, from Google (by push, or at
    #    once with "Jetzt synchronisieren", which still works).
    page.locator("#phone-title").fill("Zahnarzt (privat)")
    page.locator("#phone-date").fill(later_day)
    page.locator("#phone-start").fill("15:00")
    page.locator("#phone-end").fill("16:00")
    page.locator("#phone-create").click()
    own = _event(page, "Zahnarzt (privat)")
    expect(own).to_have_count(1)
    expect(own.locator('[data-test="event-origin"]')).to_have_attribute("data-origin", "phone")
    summary = _sync(page, 1)
    expect(summary.locator('[data-test="sync-failed"]')).to_have_text("0")
    pulled = _appointment(page, "Zahnarzt (privat)")
    expect(pulled).to_have_count(1)
    expect(pulled).to_have_attribute("data-origin", "google")
    expect(pulled.locator('[data-test="origin"]')).to_have_text("Google")
    expect(pulled.locator('[data-test="appointment-time"]')).to_contain_text("15:00–16:00")

    # 4. Renamed and moved to the next day on the phone: both arrive in the planner.
    own = page.locator(f'[data-test="event"][data-event-id="{own.get_attribute("data-event-id")}"]')
    own.locator('[data-action="rename"]').click()
    own.locator('[data-test="rename-input"]').fill("Zahnarzt Dr. Weber")
    own.locator('[data-test="rename-ok"]').click()
    renamed = _event(page, "Zahnarzt Dr. Weber")
    expect(renamed).to_have_count(1)
    expect(own.locator('[data-test="rename-form"]')).to_have_count(0)
    renamed.locator('[data-action="next-day"]').click()
    next_day = date.fromisoformat(later_day) + timedelta(days=1)
    expect(renamed.locator('[data-test="event-time"]')).to_contain_text(next_day.strftime("%d.%m.%Y"))
    moved = _appointment(page, "Zahnarzt Dr. Weber")  # by push
    expect(moved).to_have_count(1, timeout=15_000)
    expect(moved.locator('[data-test="appointment-time"]')).to_contain_text(
        f"{next_day.strftime('%d.%m.%Y')} · 15:00–16:00", timeout=15_000)
    expect(_appointment(page, "Zahnarzt (privat)")).to_have_count(0)

    # 5. Deleted in the planner: by itself, the phone shows it cancelled (greyed), or not at all.
    booked.locator('[data-action="delete"]').click()
    expect(booked).to_have_count(0)
    expect(page.locator('[data-test="planner-last-action"]')).to_contain_text("gelöscht")
    expect(event).to_have_attribute("data-status", "cancelled", timeout=20_000)
    expect(event.locator('[data-action="later"]')).to_be_disabled()
    _screenshot(page, "sync-2-after-delete")
    page.locator("#show-cancelled").uncheck()
    expect(event).to_have_count(0)
    expect(page.locator('[data-test="event"]')).to_have_count(1)  # the dentist is left
    expect(page.locator('[data-test="appointment"]')).to_have_count(1)

    expect(page.locator('[data-test="message"][data-kind="error"]')).to_have_count(0)

    # What the page showed is what the backends hold.
    events = {e["summary"]: e["status"] for e in _calendar_events(stack, calendar_id)}
    assert events == {"Hörtest Frau Müller": "cancelled", "Zahnarzt Dr. Weber": "confirmed"}, events
    feed = stack.api("GET", f"/planner/branches/{branch}/changes", token=stack.token("planner"))["changes"]
    live = {c["appointment"]["title"]: c["origin"] for c in feed if not c["deleted"]}
    assert live == {"Zahnarzt Dr. Weber": "google"}, feed


def test_a_held_back_mass_deletion_is_shown_and_can_be_forced(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    calendar_id = _link(stack, branch, "raum-1")
    planner = stack.token("planner")
    day = date.today() + timedelta(days=3)
    # The planner's writes queue their link's sync; held here, so the 12 deletions below reach
    # one run together (as a bulk deletion would within one debounce window).
    stack.tasks().pause_queue(name=LOCAL_QUEUE)
    for hour in range(8, 20):  # 12 appointments, all synced
        stack.api("PUT", f"/planner/branches/{branch}/appointments/m-{hour}", {
            "resource_id": "raum-1", "title": f"Anpassung {hour} Uhr",
            "start": f"{day}T{hour:02d}:00:00+01:00", "end": f"{day}T{hour:02d}:30:00+01:00"}, planner)
    stack.api("POST", "/sync", {"branch_id": branch, "resource_id": "raum-1"}, planner)  # or its tasks did
    assert len([e for e in _calendar_events(stack, calendar_id) if e["status"] == "confirmed"]) == 12
    for hour in range(8, 20):  # then all deleted at once in the planner
        status, _ = stack.call("DELETE", f"{stack.base}/planner/branches/{branch}/appointments/m-{hour}",
                               token=planner)
        assert status == 204

    _open(page, stack, f"/sync.html?branch={branch}&resource=raum-1")
    expect(page.locator('[data-test="no-appointments"]')).to_be_visible()
    expect(page.locator('[data-test="event"][data-status="confirmed"]')).to_have_count(12)
    expect(page.locator('[data-test="blocked-notice"]')).to_be_hidden()

    summary = _sync(page, 1)
    expect(summary.locator('[data-test="sync-failed"]')).to_have_text("1")
    notice = page.locator('[data-test="blocked-notice"]')
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("12 Termin(e) im Google-Kalender")
    # the link's last error says so (the server's text in the page's language; before, its code)
    expect(page.locator('[data-test="last-error"]')).to_contain_text(
        re.compile("Massenänderung zurückgehalten|mass_change_blocked"))
    expect(page.locator('[data-test="event"][data-status="confirmed"]')).to_have_count(12)  # held back
    _screenshot(page, "sync-3-blocked")

    summary = _sync(page, 2, force=True)
    expect(summary.locator('[data-test="sync-pushed"]')).to_have_text("12")
    expect(notice).to_be_hidden()
    expect(page.locator('[data-test="last-error"]')).to_be_hidden()
    expect(page.locator('[data-test="event"][data-status="cancelled"]')).to_have_count(12)
    assert all(e["status"] == "cancelled" for e in _calendar_events(stack, calendar_id))
    expect(page.locator('[data-test="message"][data-kind="error"]')).to_have_count(0)


def test_the_pages_link_to_the_sync_demo_and_its_proxy_passes_only_the_control_api(
        stack: Stack, page: Page) -> None:
    _open(page, stack, "/sync.html")  # berlin of `make run`: nothing linked yet, sync switched off
    expect(page.locator('[data-test="branch-title"]')).to_contain_text("Filiale Berlin")
    expect(page.locator('[data-test="no-linked"]')).to_be_visible()
    expect(page.locator('[data-test="branch-off"]')).to_be_visible()
    expect(page.locator("#sync-now")).to_be_disabled()
    _screenshot(page, "sync-0-nothing-linked")

    page.goto(stack.base + "/")
    page.locator("#links a", has_text="Synchronisation ansehen").click()
    expect(page).to_have_url(re.compile(r"/sync\.html$"))
    _open(page, stack, "/admin.html?branch=hamburg")
    expect(page.locator('[data-test="sync-demo-link"]')).to_have_attribute("href", "sync.html?branch=hamburg")

    assert stack.call("GET", stack.base + "/google/_emulator/accounts")[0] == 200
    for path in ("calendar/v3/users/me/calendarList", "o/oauth2/v2/auth", "_emulator/../token", "_emulator/"):
        status, answer = stack.call("GET", f"{stack.base}/google/{path}")
        assert status == 404 and answer["error"]["code"] == "not_found", (path, status, answer)


def test_every_page_shows_a_moment_in_the_branchs_time_zone(stack: Stack, browser: Browser) -> None:
    """A browser in another zone (New York) than the branch (Berlin): the admin page and the sync
    page name the link's last synchronisation with the same Berlin time."""
    branch = stack.new_branch(TEAM, sync=True)
    _link(stack, branch, "anna")
    stack.api("POST", "/sync", {"branch_id": branch, "resource_id": "anna"}, stack.token("planner"))
    last = stack.api("GET", f"/links/{branch}/anna", token=stack.token("planner"))["last_sync_at"]
    berlin = datetime.fromisoformat(last).astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M:%S")
    context = browser.new_context(locale="de-DE", timezone_id="America/New_York")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        _open(page, stack, f"/sync.html?branch={branch}&resource=anna")
        expect(page.locator('[data-test="last-sync"]')).to_contain_text(berlin)
        _open(page, stack, f"/admin.html?branch={branch}")
        expect(page.locator('tr[data-resource-id="anna"]')).to_contain_text("Zuletzt geändert: ")
        expect(page.locator('tr[data-resource-id="anna"]')).to_contain_text(berlin)
    finally:
        context.close()
