"""Setting up the Google link as practice staff do, in real headless Chromium, against `make run`.

The manual's flow: switch on "Mit Google Kalender synchronisieren" for the branch, start the
"Freigabe" for a resource, consent at Google in a new window, then choose an existing secondary
calendar or create a new one (optionally deleting every event in it), save; withdraw it with
"Bestehende Zustimmung zurückziehen". Each test has a branch of its own (made through the
planner API), so the tests do not depend on each other's order.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PRAXIS = "praxis.berlin@example.com"
LEER = "leer@example.com"
ANNA = "anna.schmidt@example.com"
SCOPE = "https://www.googleapis.com/auth/"
TEAM = {"anna": ("Anna Schmidt", "employee"), "raum-1": ("Anpassraum 1", "room")}


@pytest.fixture
def page(staff_page: Page) -> Page:
    return staff_page


def _row(page: Page, resource_id: str) -> Locator:
    return page.locator(f'tr[data-resource-id="{resource_id}"]')


def _status(page: Page, resource_id: str) -> Locator:
    return _row(page, resource_id).locator('[data-test="link-status"]')


def _open(page: Page, stack: Stack, path: str) -> None:
    page.goto(stack.base + path)
    expect(page.locator("body")).to_have_attribute("data-ready", "1")


def _consent(page: Page, resource_id: str, account: str, decision: str = "allow",
             tick: bool = True) -> tuple[Page, int]:
    """"Google-Kalender verknüpfen" → the consent window → an account, the scopes, a decision.

    Returns the window (now on our callback page) and the callback's HTTP status.
    """
    with page.context.expect_page() as popup_info:
        _row(page, resource_id).locator('[data-action="link"]').click()
    popup = popup_info.value
    popup.wait_for_url(re.compile(r"/o/oauth2/v2/auth\?"))
    expect(popup.locator("h1")).to_have_text("Sign in with Google")
    popup.locator(f'input[name="account"][value="{account}"]').check()
    boxes = popup.locator('input[name="scope"]')
    assert boxes.count() >= 1
    for box in boxes.all():
        expect(box).not_to_be_checked()  # the user ticks them, as on Google's granular consent
        if tick:
            box.check()
    with popup.expect_response(re.compile(r"/oauth_callback\?")) as answer:
        popup.locator(f"button#{decision}").click()
    popup.wait_for_load_state()
    return popup, answer.value.status


def _screenshot(page: Page, name: str) -> None:
    """Screenshots for a person to look at, only when asked for (E2E_SCREENSHOTS=dir)."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_admin_links_an_existing_calendar_wipes_it_and_revokes(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=False)
    old = stack.emulator("POST", "calendars",
                         {"owner": PRAXIS, "summary": f"Altkalender {uuid.uuid4().hex[:6]}"})
    for day in (3, 4, 5):
        stack.emulator("POST", f"calendars/{quote(old['id'], safe='')}/events", {
            "summary": f"Alter Termin {day}",
            "start": {"dateTime": f"2030-01-0{day}T09:00:00+01:00"},
            "end": {"dateTime": f"2030-01-0{day}T10:00:00+01:00"}})
    _open(page, stack, f"/admin.html?branch={branch}")
    expect(page.locator('[data-test="resource-row"]')).to_have_count(2)
    expect(_status(page, "anna")).to_have_attribute("data-status", "none")
    sync = page.locator("#sync-enabled")
    expect(sync).not_to_be_checked()

    # Switch off: starting the Freigabe is refused, and the page says so.
    _row(page, "anna").locator('[data-action="link"]').click()
    error = page.locator('[data-test="message"][data-kind="error"]').first
    expect(error).to_contain_text("ausgeschaltet")
    expect(error).to_contain_text("sync_disabled")

    sync.check()
    expect(page.locator('[data-test="message"][data-kind="success"]').first).to_contain_text("eingeschaltet")
    planner = stack.token("planner")
    assert stack.api("GET", f"/planner/branches/{branch}", token=planner)["google_sync_enabled"] is True

    popup, status = _consent(page, "anna", PRAXIS)
    assert status == 200
    expect(popup.locator("#result")).to_have_attribute("data-result", "success")
    expect(popup.locator("body")).to_contain_text("Sie können dieses Fenster schließen")
    # The page says what was linked: the branch and the resource by name, and the account.
    expect(popup.locator("#linked-branch")).to_have_text(f"Testfiliale {branch}")
    expect(popup.locator("#linked-resource")).to_have_text("Anna Schmidt")
    expect(popup.locator("#linked-account")).to_have_text(PRAXIS)
    # Chromium kept the begin step's cookie as it was set (plain http on loopback: no Secure).
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "consent-browser"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"], cookie

    dialog = page.locator("#calendar-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#dialog-resource")).to_have_text("Anna Schmidt")
    expect(dialog.locator("#dialog-account")).to_have_text(PRAXIS)
    popup.reload()  # a reload of the success page shows it again, not "Link bereits verwendet"
    expect(popup.locator("#result")).to_have_attribute("data-result", "success")
    expect(popup.locator("#linked-account")).to_have_text(PRAXIS)
    options = dialog.locator('[data-test="calendar-option"]')
    expect(dialog.locator("#calendar-options")).to_contain_text("Termine Filiale")
    expect(dialog.locator("#calendar-options")).to_contain_text(old["summary"])
    expect(dialog.locator("#calendar-options")).not_to_contain_text("Feiertage")  # reader only
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert PRAXIS not in values and "primary" not in values, values  # never the primary
    expect(dialog.locator('[data-test="no-secondary"]')).to_be_hidden()

    dialog.locator(f'input[data-test="calendar-option"][value="{old["id"]}"]').check()
    clear_label = dialog.locator('[data-test="clear-label"]')
    expect(clear_label).to_have_text("Alle 3 Termine in diesem Kalender löschen")
    expect(dialog.locator('[data-test="clear-account"]')).to_have_text(PRAXIS)  # whose events they are
    dialog.locator("#clear-existing").check()
    _screenshot(page, "admin-calendar-dialog")
    dialog.locator("#calendar-save").click()

    expect(dialog).to_be_hidden()
    expect(_status(page, "anna")).to_have_attribute("data-status", "linked")
    expect(_status(page, "anna")).to_have_text("verknüpft")
    expect(_row(page, "anna").locator('[data-test="calendar-id"]')).to_have_text(old["id"])
    expect(_row(page, "anna").locator('[data-test="account"]')).to_contain_text(PRAXIS)
    expect(page.locator('[data-test="message"][data-kind="success"]').first).to_contain_text("3 Termine")
    _screenshot(page, "admin-linked")
    resource = stack.api("GET", f"/planner/branches/{branch}/resources/anna", token=planner)
    assert (resource["link_status"], resource["google_calendar_id"]) == ("linked", old["id"])
    left = stack.emulator("GET", f"calendars/{quote(old['id'], safe='')}/events")["events"]
    assert all(e.get("status") == "cancelled" for e in left), left
    expect(_status(page, "raum-1")).to_have_attribute("data-status", "none")  # the other one untouched

    _row(page, "anna").locator('[data-action="revoke"]').click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Anna Schmidt")
    confirm.locator('[data-test="confirm-ok"]').click()
    expect(_status(page, "anna")).to_have_attribute("data-status", "revoked")
    expect(_row(page, "anna").locator('[data-action="revoke"]')).to_have_count(0)
    assert stack.api("GET", f"/links/{branch}/anna", token=planner)["status"] == "revoked"

    _row(page, "anna").locator('[data-action="audit"]').click()
    audit = page.locator("#audit-dialog")
    expect(audit).to_be_visible()
    for action in ("Zustimmung erteilt", "Kalender verknüpft", "Zustimmung zurückgezogen"):
        expect(audit).to_contain_text(action)


def test_a_consent_finished_in_another_browser_is_refused(stack: Stack, page: Page, browser: Browser) -> None:
    """The employee starts the Freigabe for their own resource, and a colleague is to click
    "Allow" in their own browser: the forwarded begin link and the forwarded Google page both
    end in a refusal there, and the colleague's account never lands on the resource."""
    branch = stack.new_branch(TEAM, sync=True)
    planner = stack.token("planner")
    grants_before = len(stack.emulator("GET", "grants")["grants"])
    _open(page, stack, f"/employee.html?branch={branch}&resource=anna")
    with page.expect_response(re.compile(r"/oauth_start$")) as started, \
            page.context.expect_page() as popup_info:
        _row(page, "anna").locator('[data-action="link"]').click()
    begin_url = started.value.json()["authorization_url"]
    assert begin_url.startswith(stack.base + "/oauth_callback/begin?"), begin_url
    popup = popup_info.value
    popup.wait_for_url(re.compile(r"/o/oauth2/v2/auth\?"))
    google_url = popup.url

    colleague = browser.new_context(locale="de-DE")
    colleague.set_default_timeout(10_000)
    try:
        other = colleague.new_page()
        answer = other.goto(begin_url)  # already opened in the employee's browser
        assert answer is not None and answer.status == 400
        expect(other.locator("#result")).to_have_attribute("data-result", "used_state")

        other.goto(google_url)
        other.locator(f'input[name="account"][value="{PRAXIS}"]').check()
        for box in other.locator('input[name="scope"]').all():
            box.check()
        with other.expect_response(re.compile(r"/oauth_callback\?")) as callback:
            other.locator("button#allow").click()
        assert callback.value.status == 403
        expect(other.locator("#result")).to_have_attribute("data-result", "other_browser")
        expect(other.locator("h1")).to_have_text("Freigabe in einem anderen Browser gestartet")
        expect(other.locator("body")).to_contain_text("nichts gespeichert")
    finally:
        colleague.close()

    assert stack.api("GET", f"/links/{branch}/anna", token=planner)["status"] == "none"
    assert len(stack.emulator("GET", "grants")["grants"]) == grants_before  # no code was exchanged
    popup.close()
    expect(page.locator('[data-test="message"][data-kind="warning"]').first).to_contain_text(
        "Google-Fenster wurde geschlossen")
    expect(_status(page, "anna")).to_have_attribute("data-status", "none")
    _row(page, "anna").locator('[data-action="audit"]').click()
    expect(page.locator("#audit-dialog")).to_contain_text("in einem anderen Browser abgeschlossen")


def test_the_calendar_dialog_shows_the_account_of_now_before_a_wipe(stack: Stack, page: Page) -> None:
    """The table may still show an older consent; the dialog reads the link again, so the
    account whose calendar would be emptied is the one consented now."""
    branch = stack.new_branch(TEAM, sync=True)
    _open(page, stack, f"/admin.html?branch={branch}")
    _consent(page, "anna", LEER)
    dialog = page.locator("#calendar-dialog")
    expect(dialog.locator("#dialog-account")).to_have_text(LEER)
    dialog.locator("#calendar-cancel").click()
    expect(_row(page, "anna").locator('[data-test="account"]')).to_contain_text(LEER)

    # Meanwhile, in another tab of this browser, consent again with another account.
    second = page.context.new_page()
    _open(second, stack, f"/admin.html?branch={branch}")
    _consent(second, "anna", ANNA)
    expect(second.locator("#calendar-dialog #dialog-account")).to_have_text(ANNA)
    second.close()

    expect(_row(page, "anna").locator('[data-test="account"]')).to_contain_text(LEER)  # the old view
    _row(page, "anna").locator('[data-action="choose"]').click()
    expect(dialog.locator("#dialog-account")).to_have_text(ANNA)
    expect(dialog.locator("#calendar-options")).to_contain_text("Anna – Praxis")
    dialog.locator('[data-test="calendar-option"]').first.check()
    expect(dialog.locator('[data-test="clear-account"]')).to_have_text(ANNA)
    dialog.locator("#calendar-cancel").click()
    # Leave no live grant behind: a later consent of this account would inherit its scopes.
    stack.api("POST", "/revoke", {"branch_id": branch, "resource_id": "anna"}, stack.token("planner"))


def test_denied_consent_shows_an_error_and_changes_nothing(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    _open(page, stack, f"/admin.html?branch={branch}")
    popup, status = _consent(page, "raum-1", PRAXIS, decision="deny")
    assert 400 <= status < 500, status
    expect(popup.locator("#result")).to_have_attribute("data-result", "denied")
    expect(popup.locator("h1")).to_have_text("Freigabe abgelehnt")

    error = page.locator('[data-test="message"][data-kind="error"]').first
    expect(error).to_contain_text("Zustimmung für „Anpassraum 1“ nicht erteilt")
    expect(error).to_contain_text("Freigabe abgelehnt")  # what the Google window said
    expect(page.locator("#calendar-dialog")).to_be_hidden()
    expect(_status(page, "raum-1")).to_have_attribute("data-status", "none")
    expect(_row(page, "raum-1").locator('[data-action="link"]')).to_be_enabled()
    assert stack.api("GET", f"/links/{branch}/raum-1", token=stack.token("planner"))["status"] == "none"


def test_consent_without_every_permission_is_refused(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    _open(page, stack, f"/admin.html?branch={branch}")
    popup, status = _consent(page, "anna", PRAXIS, tick=False)
    assert 400 <= status < 500, status
    expect(popup.locator("body")).not_to_contain_text("Sie können dieses Fenster schließen")
    expect(page.locator('[data-test="message"][data-kind="error"]').first).to_contain_text(
        "Zustimmung für „Anna Schmidt“ nicht erteilt")
    expect(page.locator("#calendar-dialog")).to_be_hidden()
    expect(_status(page, "anna")).to_have_attribute("data-status", "none")


def test_closing_or_cancelling_the_google_window_ends_the_wait(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    _open(page, stack, f"/admin.html?branch={branch}")
    with page.context.expect_page() as popup_info:
        _row(page, "anna").locator('[data-action="link"]').click()
    popup = popup_info.value
    popup.wait_for_url(re.compile(r"/o/oauth2/v2/auth\?"))
    expect(_row(page, "anna").locator('[data-test="waiting"]')).to_be_visible()
    expect(_row(page, "anna").locator('[data-action="link"]')).to_be_disabled()
    popup.close()
    expect(page.locator('[data-test="message"][data-kind="warning"]').first).to_contain_text(
        "Google-Fenster wurde geschlossen")
    expect(_row(page, "anna").locator('[data-test="waiting"]')).to_have_count(0)

    with page.context.expect_page() as popup_info:
        _row(page, "anna").locator('[data-action="link"]').click()
    popup = popup_info.value
    popup.wait_for_url(re.compile(r"/o/oauth2/v2/auth\?"))
    with popup.expect_event("close"):  # "Abbrechen" closes the Google window too
        _row(page, "anna").locator('[data-action="cancel-wait"]').click()
    expect(_row(page, "anna").locator('[data-action="link"]')).to_be_enabled()
    expect(_status(page, "anna")).to_have_attribute("data-status", "none")


def test_an_account_without_secondary_calendars_must_create_one(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    _open(page, stack, f"/admin.html?branch={branch}")
    _consent(page, "raum-1", LEER)

    dialog = page.locator("#calendar-dialog")
    expect(dialog.locator('[data-test="no-secondary"]')).to_be_visible()
    expect(dialog.locator('[data-test="calendar-option"]')).to_have_count(0)
    expect(dialog.locator("#choice-new")).to_be_checked()
    expect(dialog.locator("#clear-box")).to_be_hidden()  # a new calendar has nothing to delete
    name = dialog.locator("#new-calendar-name")
    expect(name).to_have_value("Terminplaner – Anpassraum 1")
    name.fill("")
    expect(dialog.locator("#calendar-save")).to_be_disabled()
    name.fill("Anpassraum 1 (Terminplaner)")
    dialog.locator("#calendar-save").click()

    expect(_status(page, "raum-1")).to_have_attribute("data-status", "linked")
    calendar_id = _row(page, "raum-1").locator('[data-test="calendar-id"]').inner_text()
    assert calendar_id and calendar_id != LEER
    link = stack.api("GET", f"/links/{branch}/raum-1", token=stack.token("planner"))
    assert (link["status"], link["google_calendar_id"]) == ("linked", calendar_id)


def test_employee_sees_and_links_only_its_own_resource(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    _open(page, stack, f"/employee.html?branch={branch}&resource=anna")
    rows = page.locator('[data-test="resource-row"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-resource-id", "anna")
    expect(page.locator("main")).not_to_contain_text("Anpassraum")
    expect(page.locator("#sync-enabled")).to_have_count(0)  # the branch switch is the admin's

    # The page's own token cannot act on a colleague's resource: the API refuses, 403.
    refused = page.evaluate("""async (branch) => {
        const tries = [["GET", `/links/${branch}/raum-1`],
                       ["GET", `/planner/branches/${branch}/resources/raum-1`],
                       ["POST", "/oauth_start", {branch_id: branch, resource_id: "raum-1"}],
                       ["POST", "/revoke", {branch_id: branch, resource_id: "raum-1"}]];
        const out = [];
        for (const [method, path, body] of tries) {
            try { await window.planner.api(method, path, body); out.push(200); }
            catch (err) { out.push(err.status); }
        }
        return out;
    }""", branch)
    assert refused == [403, 403, 403, 403]

    _consent(page, "anna", "anna.schmidt@example.com")
    dialog = page.locator("#calendar-dialog")
    expect(dialog.locator("#calendar-options")).to_contain_text("Anna – Praxis")
    dialog.locator('[data-test="calendar-option"]').first.check()
    expect(dialog.locator('[data-test="clear-label"]')).to_contain_text("keine Termine")
    expect(dialog.locator("#clear-existing")).to_be_disabled()
    dialog.locator("#calendar-save").click()
    expect(_status(page, "anna")).to_have_attribute("data-status", "linked")
    _screenshot(page, "employee-linked")
    assert stack.api("GET", f"/links/{branch}/raum-1", token=stack.token("planner"))["status"] == "none"


def test_make_run_seeds_the_demo_branch(stack: Stack, page: Page) -> None:
    _open(page, stack, "/admin.html?branch=berlin")
    expect(page.locator('[data-test="branch-title"]')).to_contain_text("Filiale Berlin")
    expect(page.locator("#sync-enabled")).not_to_be_checked()
    names = page.locator('[data-test="resource-name"]')
    expect(names).to_have_count(3)
    assert sorted(names.all_inner_texts()) == ["Anna Schmidt", "Anpassraum 1", "Audiometer"]
    page.goto(stack.base + "/")
    expect(page.locator("#links")).to_contain_text("Administration")
