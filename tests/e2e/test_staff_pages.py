"""What practice staff and their IT admin meet on the planner pages, in real headless Chromium.

Relinking asks first; the new calendar's name stops where the API does; one long word never
widens a page; one status area whose successes go by themselves; a reload of the consent window
never claims a used link while the consent worked; an employee is told that the administration
switches the branch's sync on; a linked row names its calendar; with the branch's switch off a
link says that its sync is paused. Each test has a branch of its own.

Screenshots for a person to look at: E2E_SCREENSHOTS=dir.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from devtools.google_emulator.client import EmulatorControl
from tests.e2e.conftest import Stack
from tests.e2e.test_setup_flow import _consent, _open, _row, _status

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PRAXIS = "praxis.berlin@example.com"
LEER = "leer@example.com"
TEAM = {"anna": ("Anna Schmidt", "employee"), "raum-1": ("Anpassraum 1", "room")}
MESSAGES = '[data-test="message"]'


@pytest.fixture
def page(staff_page: Page) -> Page:
    return staff_page


def _link(stack: Stack, branch: str, resource: str, summary: str, account: str = PRAXIS) -> str:
    """Consent through the APIs (the begin step and Google's form, as the browser posts them)
    and a new calendar called `summary`: its id."""
    planner = stack.token("planner")
    url = stack.api("POST", "/oauth_start", {"branch_id": branch, "resource_id": resource},
                    planner)["authorization_url"]
    http = requests.Session()  # the browser: it keeps the begin step's cookie
    http.trust_env = False
    begun = http.get(url, allow_redirects=False, timeout=30)
    assert begun.status_code == 302, begun.text
    callback = http.get(EmulatorControl(stack.google_root).consent(begun.headers["Location"], account),
                        timeout=30)
    assert callback.status_code == 200, callback.text
    linked = stack.api("POST", f"/links/{branch}/{resource}", {"new_calendar": {"summary": summary}}, planner)
    return linked["google_calendar_id"]


def _screenshot(page: Page, name: str) -> None:
    """The whole page, for a person to look at, when asked for (E2E_SCREENSHOTS=dir)."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _fits(page: Page) -> None:
    """Nothing sticks out of the window to the right (no horizontal scrolling)."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"


def _switch(stack: Stack, branch: str, on: bool) -> None:
    planner = stack.token("planner")
    current = stack.api("GET", f"/planner/branches/{branch}", token=planner)
    stack.api("PUT", f"/planner/branches/{branch}",
              {"name": current["name"], "timezone": current["timezone"], "google_sync_enabled": on}, planner)


# --- "Google-Kalender verknüpfen" on a linked resource asks first; the row names the calendar ---

def test_relinking_asks_first_and_the_row_names_its_calendar(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    name = f"Anna – Praxis Berlin {uuid.uuid4().hex[:4]}"
    calendar_id = _link(stack, branch, "anna", name)
    _open(page, stack, f"/admin.html?branch={branch}")
    expect(_status(page, "anna")).to_have_text("verknüpft")
    expect(_row(page, "anna").locator('[data-test="calendar-name"]')).to_have_text(name)
    expect(_row(page, "anna").locator('[data-test="calendar-id"]')).to_have_text(calendar_id)
    expect(_row(page, "raum-1").locator('[data-test="calendar-name"]')).to_have_count(0)

    starts: list[str] = []
    page.on("request", lambda r: starts.append(r.url) if "/oauth_start" in r.url else None)
    popups: list[Page] = []
    page.context.on("page", lambda p: popups.append(p))
    _row(page, "anna").locator('[data-action="link"]').click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_be_visible()
    expect(confirm.locator("#confirm-title")).to_have_text("Neu verknüpfen?")
    expect(confirm).to_contain_text(f"„Anna Schmidt“ ist bereits mit dem Kalender „{name}“")
    expect(confirm).to_contain_text(f"Die Synchronisation mit „{name}“ endet")
    expect(confirm.locator('[data-test="confirm-ok"]')).to_have_text("Neu verknüpfen")
    _screenshot(page, "relink-confirm")
    confirm.locator('[data-test="confirm-cancel"]').click()
    expect(confirm).to_be_hidden()
    page.wait_for_timeout(500)
    assert starts == [] and popups == []  # cancelled: no consent started, nothing opened
    expect(_status(page, "anna")).to_have_attribute("data-status", "linked")
    link = stack.api("GET", f"/links/{branch}/anna", token=stack.token("planner"))
    assert (link["status"], link["google_calendar_id"], link["google_calendar_name"]) == (
        "linked", calendar_id, name)

    # Confirmed: the Google window opens (the click on "Neu verknüpfen" is the user's gesture).
    with page.context.expect_page() as popup_info:
        _row(page, "anna").locator('[data-action="link"]').click()
        confirm.locator('[data-test="confirm-ok"]').click()
    popup = popup_info.value
    popup.wait_for_url(re.compile(r"/o/oauth2/v2/auth\?"))
    assert len(starts) == 1
    popup.close()
    expect(page.locator(MESSAGES)).to_contain_text("Google-Fenster wurde geschlossen")
    expect(_status(page, "anna")).to_have_attribute("data-status", "linked")  # nothing consented

    # A resource without a calendar starts at once, without asking.
    with page.context.expect_page() as popup_info:
        _row(page, "raum-1").locator('[data-action="link"]').click()
    expect(confirm).to_be_hidden()
    popup_info.value.close()


def test_the_employee_page_names_the_calendar_too(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    name = f"Meine Termine {uuid.uuid4().hex[:4]}"
    calendar_id = _link(stack, branch, "anna", name)
    _open(page, stack, f"/employee.html?branch={branch}&resource=anna")
    expect(_row(page, "anna").locator('[data-test="calendar-name"]')).to_have_text(name)
    expect(_row(page, "anna").locator('[data-test="calendar-id"]')).to_have_text(calendar_id)
    _screenshot(page, "employee-calendar-name")


# --- the new calendar's name: what the API takes, and its refusal in German ---------------------

def test_the_new_calendar_name_stops_at_the_apis_limit(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    _open(page, stack, f"/admin.html?branch={branch}")
    _consent(page, "raum-1", LEER)
    dialog = page.locator("#calendar-dialog")
    expect(dialog.locator("#choice-new")).to_be_checked()
    name = dialog.locator("#new-calendar-name")
    expect(name).to_have_attribute("maxlength", "100")
    name.fill("")
    name.press_sequentially("K" * 120)  # typed: the field takes what the API takes
    expect(name).to_have_value("K" * 100)
    expect(dialog.locator('[data-test="new-calendar-count"]')).to_have_text("100 von höchstens 100 Zeichen")

    # A value longer than that (put there by a script): the API's 400, in German, nothing linked.
    name.evaluate("(el) => { el.value = 'L'.repeat(101); "
                  "el.dispatchEvent(new Event('input', {bubbles: true})); }")
    with page.expect_response(re.compile(rf"/links/{branch}/raum-1$")) as answer:
        dialog.locator("#calendar-save").click()
    assert answer.value.status == 400
    error = dialog.locator('[data-test="dialog-error"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text(
        "Der Name des neuen Kalenders ist zu lang: höchstens 100 Zeichen (jetzt 101)")
    _screenshot(page, "calendar-name-too-long")
    expect(dialog).to_be_visible()
    assert stack.api("GET", f"/links/{branch}/raum-1", token=stack.token("planner"))["status"] == "consented"

    name.fill("K" * 100)  # exactly the limit: linked
    dialog.locator("#calendar-save").click()
    expect(_status(page, "raum-1")).to_have_attribute("data-status", "linked")
    expect(_row(page, "raum-1").locator('[data-test="calendar-name"]')).to_have_text("K" * 100)
    _fits(page)


# --- one long word never widens a page ---------------------------------------------------------

@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_title_without_spaces_wraps_on_the_sync_page(stack: Stack, page: Page, width: int) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    calendar = "Kalender" + "x" * 92  # 100 characters, no space
    calendar_id = _link(stack, branch, "anna", calendar)
    title = "Hörgeräteanpassung" + "A" * 582  # 600 characters, no space
    day = (date.today() + timedelta(days=5)).isoformat()
    stack.api("PUT", f"/planner/branches/{branch}/appointments/lang-1", {
        "resource_id": "anna", "start": f"{day}T09:00:00+01:00", "end": f"{day}T10:00:00+01:00",
        "title": title, "location": "Ort" + "O" * 300, "notes": "Notiz" + "N" * 600}, stack.token("planner"))
    stack.emulator("POST", f"calendars/{quote(calendar_id, safe='')}/events", {
        "summary": "Handy" + "H" * 595,
        "start": {"dateTime": f"{day}T12:00:00+01:00"}, "end": {"dateTime": f"{day}T13:00:00+01:00"}})
    page.set_viewport_size({"width": width, "height": 900})
    _open(page, stack, f"/sync.html?branch={branch}&resource=anna")
    expect(page.locator('[data-test="appointment-list"]')).to_contain_text("Hörgeräteanpassung")
    expect(page.locator('[data-test="event-list"]')).to_contain_text("HandyHHH")
    expect(page.locator('[data-test="event-list"]')).to_contain_text("Hörgeräteanpassung")  # synced
    expect(page.locator('[data-test="link-calendar-name"]')).to_have_text(calendar)
    _fits(page)
    _screenshot(page, f"sync-long-title-{width}")
    if os.environ.get("E2E_SCREENSHOTS"):  # the long item as the window shows it
        page.locator('[data-test="appointment"]').first.scroll_into_view_if_needed()
        page.screenshot(path=str(Path(os.environ["E2E_SCREENSHOTS"]) / f"sync-long-title-{width}-view.png"))

    # The line saying what was just done names the title: it wraps as well.
    long_one = page.locator('[data-test="appointment"][data-appointment-id="lang-1"]')
    long_one.locator('[data-test="appointment-delete"]').click()
    expect(page.locator('[data-test="planner-last-action"]')).to_contain_text("im Terminplaner gelöscht")
    _fits(page)

    # The admin page with a long resource name and the long calendar name.
    stack.api("PUT", f"/planner/branches/{branch}/resources/anna",
              {"name": "Audiometer" + "Z" * 150, "kind": "device"}, stack.token("planner"))
    _open(page, stack, f"/admin.html?branch={branch}")
    expect(_row(page, "anna").locator('[data-test="calendar-name"]')).to_have_text(calendar)
    _fits(page)
    _screenshot(page, f"admin-long-names-{width}")


# --- one status area ---------------------------------------------------------------------------

def test_a_new_message_replaces_the_old_and_successes_go_by_themselves(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=False)
    _open(page, stack, f"/admin.html?branch={branch}")
    messages = page.locator(MESSAGES)
    for resource in ("anna", "raum-1", "anna"):
        _row(page, resource).locator('[data-action="link"]').click()
        expect(messages.filter(has_text="ausgeschaltet")).to_have_count(1)
    expect(messages).to_have_count(1)  # three refusals: one message, not three
    expect(messages.first).to_have_attribute("data-kind", "error")

    page.locator("#sync-enabled").check()
    expect(messages).to_have_count(1)
    expect(messages.first).to_have_attribute("data-kind", "success")  # the success replaced the error
    # a message without a detail line ends with its sentence (it once ended in "nullnull")
    expect(messages.first.locator(".message-text")).to_have_text(re.compile(r"\.$"))
    _screenshot(page, "messages-one")
    expect(messages).to_have_count(0, timeout=9_000)  # and went by itself after a few seconds

    page.locator("#sync-enabled").uncheck()
    expect(messages.first).to_have_attribute("data-kind", "success")
    page.locator('[data-test="reload"]').click()  # the next action: the success is no news any more
    expect(messages).to_have_count(0, timeout=1_000)

    _row(page, "anna").locator('[data-action="link"]').click()
    expect(messages.first).to_have_attribute("data-kind", "error")
    page.wait_for_timeout(7_000)
    expect(messages).to_have_count(1)  # an error stays until it is replaced or closed
    messages.first.locator("button.close").click()
    expect(messages).to_have_count(0)


# --- a reload of the consent window ---------------------------------------------------------------

def test_a_reload_of_the_consent_window_during_a_slow_callback_shows_the_success(
        stack: Stack, page: Page) -> None:
    """Google is slow to answer the callback's calls, and the person reloads the window while it
    still waits: it shows Google's page again, and "Allow" once more comes back with the state
    the first request (still at work) has used up. The consent worked: the answer waits for it
    and is the success page, not "Link bereits verwendet"; only the first code is exchanged. A
    reload afterwards shows the success again (its cookie is kept an hour); another browser is
    still refused."""
    branch = stack.new_branch(TEAM, sync=True)
    grants = len(stack.emulator("GET", "grants")["grants"])
    _open(page, stack, f"/admin.html?branch={branch}")
    with page.context.expect_page() as popup_info:
        _row(page, "anna").locator('[data-action="link"]').click()
    popup = popup_info.value
    popup.wait_for_url(re.compile(r"/o/oauth2/v2/auth\?"))
    popup.locator(f'input[name="account"][value="{PRAXIS}"]').check()
    for box in popup.locator('input[name="scope"]').all():
        box.check()
    callbacks: list[str] = []
    popup.on("request", lambda r: callbacks.append(r.url) if "/oauth_callback?" in r.url else None)
    stack.emulator("POST", "latency", {"ms": 2000})  # the callback's Calendar call takes 2-4 s
    try:
        with popup.expect_request(re.compile(r"/oauth_callback\?")):
            # clicked as a person does, without waiting for the answer (Playwright's click
            # would wait for the slow navigation to finish)
            popup.evaluate("() => setTimeout(() => document.querySelector('button#allow').click(), 0)")
        page.wait_for_timeout(500)  # the first callback is at work: its state is used up
        # F5 while the window still waits: Chromium drops the pending answer and shows the
        # page it has, Google's, again (the first callback runs on at the server)
        with contextlib.suppress(PlaywrightError):  # "ERR_ABORTED": the dropped navigation
            popup.reload()
        expect(popup.locator("h1")).to_have_text("Sign in with Google")
        popup.locator(f'input[name="account"][value="{PRAXIS}"]').check()
        for box in popup.locator('input[name="scope"]').all():
            box.check()
        with popup.expect_response(re.compile(r"/oauth_callback\?")) as again:
            popup.locator("button#allow").click()  # "Allow" again: a new code, the same state
        assert len(callbacks) == 2 and callbacks[0] != callbacks[1], callbacks
        assert again.value.status == 200, again.value.status
        expect(popup.locator("#result")).to_have_attribute("data-result", "success")
        expect(popup.locator("#linked-account")).to_have_text(PRAXIS)
        expect(popup.locator("body")).not_to_contain_text("bereits verwendet")
        _screenshot(popup, "consent-reload-during-callback")
    finally:
        stack.emulator("POST", "latency", {"ms": 0})
    expect(page.locator("#calendar-dialog")).to_be_visible()  # the planner page saw the consent
    assert len(stack.emulator("GET", "grants")["grants"]) == grants + 1  # one code exchanged
    popup.reload()
    expect(popup.locator("#result")).to_have_attribute("data-result", "success")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "consent-browser"]
    assert cookie["expires"] > time.time() + 50 * 60  # kept for an hour's reloads

    browser = page.context.browser
    assert browser is not None
    other = browser.new_context()
    try:
        refused = other.new_page().goto(popup.url)
        assert refused is not None and refused.status == 400
    finally:
        other.close()
    page.locator("#calendar-cancel").click()


# --- the branch's switch: the employee is not told to flip it; a paused link says so -----------

def test_an_employee_is_told_that_the_administration_switches_the_sync_on(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=False)
    _open(page, stack, f"/employee.html?branch={branch}&resource=anna")
    notice = page.locator('[data-test="branch-off"]')
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Ihre Administration muss die Synchronisation für die Filiale einschalten")
    expect(_row(page, "anna").locator('[data-action="link"]')).to_be_disabled()
    expect(page.locator("main")).not_to_contain_text("Aktivieren Sie")
    expect(page.locator("main")).not_to_contain_text("Filialeinstellungen")
    _screenshot(page, "employee-branch-off")

    # Switched off after the page was loaded: the refusal says who can switch it on.
    _switch(stack, branch, True)
    _open(page, stack, f"/employee.html?branch={branch}&resource=anna")
    expect(notice).to_be_hidden()
    _switch(stack, branch, False)
    _row(page, "anna").locator('[data-action="link"]').click()
    error = page.locator(f'{MESSAGES}[data-kind="error"]')
    expect(error).to_contain_text("Ihre Administration muss die Synchronisation für die Filiale einschalten")
    expect(error).not_to_contain_text("Aktivieren Sie")
    expect(notice).to_be_visible()  # the page now knows the switch is off
    _screenshot(page, "employee-branch-switched-off")


def test_with_the_branch_switch_off_a_link_says_its_sync_is_paused(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    _link(stack, branch, "anna", f"Anna {uuid.uuid4().hex[:4]}")
    _open(page, stack, f"/admin.html?branch={branch}")
    status = _status(page, "anna")
    expect(status).to_have_text("verknüpft")
    expect(_row(page, "anna").locator('[data-test="paused"]')).to_have_count(0)

    page.locator("#sync-enabled").uncheck()  # the admin switches the branch off
    expect(status).to_have_attribute("data-paused", "1")
    expect(status).to_have_text("verknüpft · Synchronisation angehalten")
    paused = _row(page, "anna").locator('[data-test="paused"]')
    expect(paused).to_contain_text("angehalten, weil „Mit Google Kalender synchronisieren“ für die Filiale "
                                   "ausgeschaltet ist")
    expect(_status(page, "raum-1")).not_to_have_attribute("data-paused", "1")  # nothing linked there
    expect(page.locator(MESSAGES)).to_contain_text(
        "Die Synchronisation von 1 verknüpften Ressource ist angehalten")
    _screenshot(page, "admin-branch-off-paused")
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(status).to_have_attribute("data-paused", "1")

    employee = page.context.new_page()
    _open(employee, stack, f"/employee.html?branch={branch}&resource=anna")
    expect(_status(employee, "anna")).to_have_text("verknüpft · Synchronisation angehalten")
    expect(_row(employee, "anna").locator('[data-test="paused"]')).to_contain_text(
        "Ihre Administration muss die Synchronisation für die Filiale einschalten")
    _screenshot(employee, "employee-paused")
    employee.close()

    sync = page.context.new_page()
    _open(sync, stack, f"/sync.html?branch={branch}&resource=anna")
    expect(sync.locator('[data-test="link-status"]')).to_have_text("verknüpft · Synchronisation angehalten")
    expect(sync.locator('[data-test="branch-off"]')).to_contain_text("nichts wird synchronisiert")
    _screenshot(sync, "sync-paused")
    sync.close()

    page.locator("#sync-enabled").check()
    expect(status).to_have_text("verknüpft")
    expect(paused).to_have_count(0)
