"""The admin's view of issue 13 on the planner pages, in real headless Chromium: every link at a
glance (state in words, last checked and last changed, last error, push, the one action), a
held-back mass change as a decision (which appointments on which side; apply or restore), what
Google sees per resource with a consumer account's explicit confirmation, and withdrawing consent
with the bridge's events removed. Each test has a branch of its own; scenes are set through the
APIs and the Google emulator's control API ("the phone").

Screenshots for a person to look at: E2E_SCREENSHOTS=dir (1280 and 390 px wide).
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from devtools.google_emulator.client import EmulatorControl
from devtools.run import LOCAL_QUEUE
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PRAXIS = "praxis.berlin@example.com"
GMAIL = "praxis.berlin@gmail.com"
LEER = "leer@example.com"
TEAM = {"anna": ("Anna Schmidt", "employee"), "raum-1": ("Anpassraum 1", "room"),
        "audiometer": ("Audiometer", "device")}
MESSAGES = '[data-test="message"]'
SUCCESS = f'{MESSAGES}[data-kind="success"]'
INFO = f'{MESSAGES}[data-kind="info"]'


@pytest.fixture
def page(staff_page: Page) -> Page:
    return staff_page


def _consent(stack: Stack, branch: str, resource: str, account: str) -> None:
    """Consent through the APIs (our begin step and Google's form, as the browser posts them)."""
    if account not in {a["email"] for a in stack.emulator("GET", "accounts")["accounts"]}:
        stack.emulator("POST", "accounts", {"email": account, "display_name": "Praxis (Gmail)"})
    url = stack.api("POST", "/oauth_start", {"branch_id": branch, "resource_id": resource},
                    stack.token("planner"))["authorization_url"]
    http = requests.Session()  # the browser: it keeps the begin step's cookie
    http.trust_env = False
    begun = http.get(url, allow_redirects=False, timeout=30)
    assert begun.status_code == 302, begun.text
    location = EmulatorControl(stack.google_root).consent(begun.headers["Location"], account)
    callback = http.get(location, timeout=30)
    assert callback.status_code == 200, callback.text


def _link(stack: Stack, branch: str, resource: str, account: str = PRAXIS) -> str:
    """Consent and a new calendar: its id."""
    _consent(stack, branch, resource, account)
    body: dict = {"new_calendar": {"summary": f"Terminplaner – {resource} {uuid.uuid4().hex[:6]}"}}
    linked = stack.api("POST", f"/links/{branch}/{resource}", body, stack.token("planner"))
    assert linked["status"] == "linked", linked
    return linked["google_calendar_id"]


def _events(stack: Stack, calendar_id: str) -> list[dict]:
    return stack.emulator("GET", f"calendars/{quote(calendar_id, safe='')}/events")["events"]


def _book(stack: Stack, branch: str, resource: str, count: int, title: str = "Anpassung") -> None:
    planner = stack.token("planner")
    day = date.today() + timedelta(days=4)
    for n in range(count):
        hour, minute = 8 + n // 2, 30 * (n % 2)
        stack.api("PUT", f"/planner/branches/{branch}/appointments/{resource}-{n}", {
            "resource_id": resource, "title": f"{title} {hour}:{minute:02d}",
            "start": f"{day}T{hour:02d}:{minute:02d}:00+01:00",
            "end": f"{day}T{hour:02d}:{minute + 25:02d}:00+01:00"}, planner)


def _sync(stack: Stack, branch: str, resource: str) -> dict:
    return stack.api("POST", "/sync", {"branch_id": branch, "resource_id": resource}, stack.token("planner"))


def _block(stack: Stack, branch: str, resource: str) -> str:
    """A link whose sync is held back: 15 appointments synced, then 12 of their events deleted
    on the phone. Its calendar id. The link's tasks wait meanwhile (the queue is paused), so that
    one run meets all 12 deletions (as a bulk deletion would within one debounce window)."""
    calendar_id = _link(stack, branch, resource)
    queue = stack.tasks()
    queue.pause_queue(name=LOCAL_QUEUE)
    try:
        _book(stack, branch, resource, 15)
        _sync(stack, branch, resource)
        events = [e for e in _events(stack, calendar_id) if e["status"] == "confirmed"]
        assert len(events) == 15, events
        for event in events[:12]:
            stack.emulator("DELETE", f"calendars/{quote(calendar_id, safe='')}/events/"
                                     f"{quote(event['id'], safe='')}")
        _sync(stack, branch, resource)
        link = stack.api("GET", f"/links/{branch}/{resource}", token=stack.token("planner"))
        assert (link.get("blocked") or {}).get("planner_deletions") == 12, link
    finally:
        queue.resume_queue(name=LOCAL_QUEUE)
    return calendar_id


def _push_active(stack: Stack, branch: str, resource: str) -> None:
    """Google's push channel of the link is open (its task may still be on the queue)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        link = stack.api("GET", f"/links/{branch}/{resource}", token=stack.token("planner"))
        if link.get("push", {}).get("active"):
            return
        time.sleep(0.3)
    raise AssertionError(f"push never became active: {link}")


def _open(page: Page, stack: Stack, path: str) -> None:
    page.goto(stack.base + path)
    expect(page.locator("body")).to_have_attribute("data-ready", "1")


def _shots(page: Page, name: str, full: bool = True) -> None:
    """The page at 1280 and at 390 px wide (a phone), for a person to look at (E2E_SCREENSHOTS=dir;
    `full`: the whole page, else the window, as with a dialog open); at either width nothing
    sticks out to the right."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        size = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert size[0] <= size[1], f"{name}: the page is {size[0]} px wide in a {size[1]} px window"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=full)
    page.set_viewport_size({"width": 1280, "height": 900})


def _health(page: Page, resource_id: str) -> Locator:
    return page.locator(f'tr[data-health-id="{resource_id}"]')


def _row(page: Page, resource_id: str) -> Locator:
    return page.locator(f'tr[data-resource-id="{resource_id}"]')


def _state(page: Page, resource_id: str) -> Locator:
    return _health(page, resource_id).locator('[data-test="health-state"]')


def test_the_overview_names_each_links_state_and_the_one_thing_to_do(stack: Stack, page: Page) -> None:
    branch = stack.new_branch({**TEAM, "empfang": ("Empfang", "room")}, sync=True)
    _link(stack, branch, "anna")
    _sync(stack, branch, "anna")
    _block(stack, branch, "raum-1")
    _link(stack, branch, "empfang", LEER)
    stack.emulator("POST", "grants/kill", {"email": LEER})  # Google no longer takes its consent
    _sync(stack, branch, "empfang")
    _push_active(stack, branch, "anna")
    _open(page, stack, f"/admin.html?branch={branch}")

    expect(page.locator('[data-test="health-row"]')).to_have_count(4)
    anna = _health(page, "anna")
    expect(anna.locator('[data-test="health-state"]')).to_have_text("verknüpft")
    expect(anna.locator('[data-test="health-about"]')).to_have_text("Synchronisiert in beide Richtungen.")
    expect(anna.locator('[data-test="health-action"]')).to_have_text("Alles in Ordnung")
    expect(anna.locator('[data-test="health-checked"]')).to_contain_text("geprüft: ")
    expect(anna.locator('[data-test="health-checked"]')).not_to_contain_text("noch nie")
    expect(anna.locator('[data-test="health-changed"]')).not_to_contain_text("noch nie")
    expect(anna.locator('[data-test="health-push"]')).to_have_text("aktiv")

    room = _health(page, "raum-1")
    expect(room.locator('[data-test="health-state"]')).to_have_text("Massenänderung zurückgehalten")
    expect(room.locator('[data-test="health-about"]')).to_contain_text("12")  # the server's words, its counts
    expect(room.locator('[data-test="health-error"]')).to_have_count(0)  # held back is no error
    expect(room.locator('button[data-test="health-action"]')).to_have_text("Änderung prüfen")

    device = _health(page, "audiometer")
    expect(device.locator('[data-test="health-state"]')).to_have_text("nicht verknüpft")
    expect(device.locator('[data-test="health-push"]')).to_have_text("–")
    expect(device.locator('button[data-test="health-action"]')).to_have_text("Google-Kalender verknüpfen")
    desk = _health(page, "empfang")
    expect(desk.locator('[data-test="health-state"]')).to_have_text("Zustimmung erneut erforderlich")
    expect(desk.locator('[data-test="health-error"]')).to_contain_text("Letzter Fehler: ")
    expect(desk.locator('button[data-test="health-action"]')).to_have_text("Erneut zustimmen")
    expect(page.locator('[data-test="health-summary"]')).to_have_text(  # not linked is no task
        "2 Ressourcen brauchen Ihre Aufmerksamkeit.")

    # Item 2: the resource table tells last checked from last changed.
    expect(_row(page, "anna").locator('[data-test="last-checked"]')).to_contain_text("Zuletzt geprüft: ")
    expect(_row(page, "anna").locator('[data-test="last-changed"]')).to_contain_text("Zuletzt geändert: ")
    expect(page.locator("main")).not_to_contain_text("Letzte Synchronisation")
    _shots(page, "health-overview")

    # "Erneut zustimmen" starts the consent at once (the Google window).
    with page.context.expect_page() as window:
        desk.locator('button[data-test="health-action"]').click()
    expect(_row(page, "empfang").locator('[data-test="waiting"]')).to_be_visible()
    window.value.close()
    expect(_row(page, "empfang").locator('[data-test="waiting"]')).to_be_hidden()

    # The branch switched off: the links say so and the one action switches it on again.
    page.locator("#sync-enabled").uncheck()
    expect(anna.locator('[data-test="health-state"]')).to_have_text("angehalten (Filiale ausgeschaltet)")
    anna.locator('button[data-test="health-action"]', has_text="Synchronisation einschalten").click()
    expect(anna.locator('[data-test="health-state"]')).to_have_text("verknüpft")
    expect(page.locator("#sync-enabled")).to_be_checked()
    planner = stack.token("planner")
    assert stack.api("GET", f"/planner/branches/{branch}", token=planner)["google_sync_enabled"]


def test_a_held_back_mass_change_is_reviewed_and_restored_or_applied(stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    room_calendar = _block(stack, branch, "raum-1")
    anna_calendar = _block(stack, branch, "anna")
    _open(page, stack, f"/admin.html?branch={branch}")

    # The review: which appointments would go, on which side, by time and title.
    _health(page, "raum-1").locator('button[data-test="health-action"]').click()
    dialog = page.locator("#mass-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#mass-title")).to_have_text("Massenänderung prüfen – Anpassraum 1")
    expect(dialog.locator('[data-test="mass-summary"]')).to_contain_text(
        "12 Termine auf einmal löschen: 0 im Google-Kalender und 12 im Terminplaner (von 15")
    deletions = dialog.locator('[data-test="mass-deletion"]')
    expect(deletions).to_have_count(12)
    expect(dialog.locator('[data-test="mass-side"][data-side="planner"] h3')).to_have_text(
        "Im Terminplaner löschen (12) – auf dem Handy gelöscht")
    expect(dialog.locator('[data-test="mass-side"][data-side="google"]')).to_have_count(0)
    expect(deletions.first).to_contain_text("Anpassung 8:00")
    expect(deletions.first).to_contain_text("08:00–08:25")
    expect(dialog.locator('[data-test="mass-apply"]')).to_have_text("Übernehmen")
    expect(dialog.locator('[data-test="mass-restore"]')).to_have_text("Aus dem Terminplaner wiederherstellen")
    _shots(page, "mass-change-review", full=False)

    # Restore: the phone's deletions come back in Google, the planner keeps all 15.
    dialog.locator('[data-test="mass-restore"]').click()
    expect(dialog).to_be_hidden()
    done = page.locator(SUCCESS)
    expect(done).to_contain_text(
        "„Anpassraum 1“: aus dem Terminplaner wiederhergestellt. 12 Änderungen an Google")
    expect(_state(page, "raum-1")).to_have_text("verknüpft")
    assert len([e for e in _events(stack, room_calendar) if e["status"] == "confirmed"]) == 15
    feed = stack.api("GET", f"/planner/branches/{branch}/changes", token=stack.token("planner"))["changes"]
    assert len({c["appointment"]["appointment_id"] for c in feed if not c["deleted"]
                and c["appointment"]["resource_id"] == "raum-1"}) == 15

    # Decided meanwhile (another admin): the page says so, and nothing else happens. (The
    # resource table offers the same review.)
    held = _row(page, "anna").locator('[data-test="held-back"]')
    expect(held).to_contain_text("wartet auf Ihre Entscheidung")
    _row(page, "anna").locator('[data-action="review"]').click()
    expect(dialog.locator('[data-test="mass-deletion"]')).to_have_count(12)
    other_admin = stack.token("admin", branch)
    stack.api("POST", f"/links/{branch}/anna/mass-change", {"decision": "restore"}, other_admin)
    dialog.locator('[data-test="mass-apply"]').click()
    expect(dialog).to_be_hidden()
    expect(page.locator(INFO)).to_contain_text(
        "Für „Anna Schmidt“ wartet keine Massenänderung mehr")
    expect(_state(page, "anna")).to_have_text("verknüpft")

    # Apply: the deletions go through (the planner loses the 12 the phone deleted).
    _block(stack, branch, "audiometer")
    page.locator("#reload").click()
    expect(_health(page, "audiometer")).to_have_attribute("data-state", "blocked")
    _health(page, "audiometer").locator('button[data-test="health-action"]').click()
    expect(dialog).to_be_visible()
    expect(dialog.locator('[data-test="mass-deletion"]')).to_have_count(12)
    dialog.locator('[data-test="mass-apply"]').click()
    expect(dialog).to_be_hidden()
    expect(page.locator(SUCCESS)).to_contain_text(
        "„Audiometer“: die Massenänderung ist übernommen.")
    expect(_state(page, "audiometer")).to_have_text("verknüpft")
    feed = stack.api("GET", f"/planner/branches/{branch}/changes", token=stack.token("planner"))["changes"]
    live = {c["appointment"]["appointment_id"] for c in feed if not c["deleted"]
            and c["appointment"]["resource_id"] == "audiometer"}
    assert len(live) == 3, live
    assert anna_calendar


def test_a_mass_deletion_in_the_planner_is_listed_as_deletions_in_google(
        stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    calendar_id = _link(stack, branch, "raum-1")
    queue = stack.tasks()
    queue.pause_queue(name=LOCAL_QUEUE)  # one run meets all 12 deletions
    try:
        _book(stack, branch, "raum-1", 12, "Messung")
        _sync(stack, branch, "raum-1")
        appointments = f"{stack.base}/planner/branches/{branch}/appointments"
        for n in range(12):
            status, _ = stack.call("DELETE", f"{appointments}/raum-1-{n}", token=stack.token("planner"))
            assert status == 204
        _sync(stack, branch, "raum-1")
    finally:
        queue.resume_queue(name=LOCAL_QUEUE)
    _open(page, stack, f"/admin.html?branch={branch}")
    _health(page, "raum-1").locator('button[data-test="health-action"]').click()
    dialog = page.locator("#mass-dialog")
    expect(dialog.locator('[data-test="mass-side"][data-side="google"] h3')).to_have_text(
        "Im Google-Kalender löschen (12) – im Terminplaner gelöscht")
    gone = dialog.locator('[data-test="mass-deletion"][data-side="google"]')
    expect(gone).to_have_count(12)
    expect(gone.first).to_contain_text("08:00–08:25")
    expect(gone.first).to_contain_text("(im Terminplaner gelöscht)")  # the planner has no title for it
    expect(dialog.locator('[data-test="mass-side"][data-side="planner"]')).to_have_count(0)
    _shots(page, "mass-change-planner-deleted", full=False)
    dialog.locator('[data-test="mass-apply"]').click()
    expect(page.locator(SUCCESS)).to_contain_text(
        "„Anpassraum 1“: die Massenänderung ist übernommen. 12 Änderungen")
    assert all(e["status"] == "cancelled" for e in _events(stack, calendar_id))


def test_what_google_sees_is_chosen_per_resource_and_a_consumer_account_is_confirmed(
        stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True, privacy="busy")  # a new resource's default
    _link(stack, branch, "anna", GMAIL)
    _link(stack, branch, "raum-1", PRAXIS)
    _open(page, stack, f"/admin.html?branch={branch}")

    anna = _row(page, "anna")
    select = anna.locator('[data-test="privacy-select"]')
    expect(select).to_have_value("busy")
    expect(anna.locator('[data-test="privacy-about"]')).to_have_text(
        "Google sieht nur „Belegt“ und die Zeit – keinen Titel, keinen Ort, keine Notizen.")
    options = select.locator("option")
    expect(options).to_have_text(["Alle Angaben", "Nur der Titel", "Nur „Belegt“"])
    _shots(page, "privacy-choice")

    # A Workspace-like account: the level is saved at once, with its sentence.
    _row(page, "raum-1").locator('[data-test="privacy-select"]').select_option("title_only")
    expect(page.locator(SUCCESS)).to_contain_text(
        "„Anpassraum 1“: Google sieht den Titel und die Zeit jedes Termins, aber weder Ort noch Notizen.")
    expect(page.locator("#consumer-dialog")).to_be_hidden()
    planner = stack.token("planner")
    room = stack.api("GET", f"/planner/branches/{branch}/resources/raum-1", token=planner)
    assert room["privacy"] == "title_only", room

    # A consumer account (gmail.com): the admin is asked, and nothing changes unless confirmed.
    select.select_option("full")
    dialog = page.locator("#consumer-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator('[data-test="consumer-account"]')).to_contain_text(GMAIL)
    expect(dialog).to_contain_text("nur für Google-Workspace-Konten")
    expect(dialog.locator('[data-test="consumer-level"]')).to_contain_text(
        "Mit „Alle Angaben“: Google sieht Titel")
    expect(dialog.locator('[data-test="consumer-ok"]')).to_be_disabled()
    _shots(page, "consumer-confirmation", full=False)
    dialog.locator('[data-test="consumer-cancel"]').click()
    expect(page.locator(INFO)).to_contain_text("Nichts geändert")
    expect(select).to_have_value("busy")
    assert stack.api("GET", f"/planner/branches/{branch}/resources/anna", token=planner)["privacy"] == "busy"

    anna.locator('[data-test="privacy-select"]').select_option("full")
    dialog.locator('[data-test="consumer-check"]').check()
    dialog.locator('[data-test="consumer-ok"]').click()
    expect(page.locator(SUCCESS)).to_contain_text("„Anna Schmidt“: Google sieht Titel")
    expect(anna.locator('[data-test="privacy-select"]')).to_have_value("full")
    expect(anna.locator('[data-test="consumer-note"]')).to_contain_text("Privates Google-Konto, bestätigt am")
    assert stack.api("GET", f"/planner/branches/{branch}/resources/anna", token=planner)["privacy"] == "full"
    link = stack.api("GET", f"/links/{branch}/anna", token=planner)
    assert link["consumer_confirmation"]["account_email"] == GMAIL, link


def test_a_consumer_accounts_calendar_is_linked_after_the_admins_confirmation(
        stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True, privacy="full")
    _consent(stack, branch, "anna", GMAIL)
    _consent(stack, branch, "raum-1", GMAIL)

    # The employee cannot confirm: told that the administration has to.
    _open(page, stack, f"/employee.html?branch={branch}&resource=raum-1")
    expect(_row(page, "raum-1").locator('[data-test="privacy-level"]')).to_have_text("Alle Angaben")
    _row(page, "raum-1").locator('[data-action="choose"]').click()
    calendar = page.locator("#calendar-dialog")
    calendar.locator('[data-test="choice-new"]').check()
    calendar.locator('[data-test="calendar-save"]').click()
    error = calendar.locator('[data-test="dialog-error"]')
    expect(error).to_contain_text("muss Ihre Administration das ausdrücklich bestätigen")
    expect(error).to_contain_text(GMAIL)
    expect(page.locator("#consumer-dialog")).to_be_hidden()
    _shots(page, "employee-consumer-refused", full=False)
    planner = stack.token("planner")
    assert stack.api("GET", f"/links/{branch}/raum-1", token=planner)["status"] == "consented"

    # The admin confirms in the dialog, and the same choice is sent again.
    _open(page, stack, f"/admin.html?branch={branch}")
    _row(page, "anna").locator('[data-action="choose"]').click()
    calendar.locator('[data-test="choice-new"]').check()
    calendar.locator('[data-test="calendar-save"]').click()
    consumer = page.locator("#consumer-dialog")
    expect(consumer).to_be_visible()
    expect(consumer.locator('[data-test="consumer-account"]')).to_contain_text("„Anna Schmidt“")
    _shots(page, "consumer-confirmation-linking", full=False)
    consumer.locator('[data-test="consumer-check"]').check()
    consumer.locator('[data-test="consumer-ok"]').click()
    expect(calendar).to_be_hidden()
    expect(page.locator(SUCCESS)).to_contain_text("„Anna Schmidt“ ist mit dem Google-Kalender")
    link = stack.api("GET", f"/links/{branch}/anna", token=planner)
    assert link["status"] == "linked" and link["consumer_confirmation"]["account_email"] == GMAIL, link
    # withdrawn, the consent is gone: no note asks to confirm an account the link no longer holds
    stack.api("POST", "/revoke", {"branch_id": branch, "resource_id": "anna"}, planner)
    page.reload()
    anna = _row(page, "anna")
    expect(anna.locator('[data-test="link-status"]')).to_have_attribute("data-status", "revoked")
    expect(anna.locator('[data-test="consumer-note"]')).to_have_count(0)


def test_withdrawing_consent_can_remove_the_bridges_events_and_says_how_many(
        stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    calendar_id = _link(stack, branch, "anna")
    _book(stack, branch, "anna", 3, "Hörtest")
    _sync(stack, branch, "anna")
    stack.emulator("POST", f"calendars/{quote(calendar_id, safe='')}/events", {
        "summary": "Privat (Handy)", "start": {"dateTime": "2031-01-05T09:00:00+01:00"},
        "end": {"dateTime": "2031-01-05T10:00:00+01:00"}})
    _open(page, stack, f"/admin.html?branch={branch}")

    _row(page, "anna").locator('[data-action="revoke"]').click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_be_visible()
    option = confirm.locator('[data-test="confirm-check-label"]')
    expect(option).to_contain_text("Auch alle Termine aus dem Google-Kalender")
    expect(confirm).to_contain_text("Termine, die auf dem Handy angelegt wurden, bleiben.")
    _shots(page, "revoke-remove-events", full=False)
    confirm.locator('[data-test="confirm-check"]').check()
    confirm.locator('[data-test="confirm-ok"]').click()
    expect(page.locator(SUCCESS)).to_contain_text(
        "Die Zustimmung für „Anna Schmidt“ wurde zurückgezogen. "
        "3 Termine wurden aus dem Google-Kalender entfernt.")
    status = _row(page, "anna").locator('[data-test="link-status"]')
    expect(status).to_have_attribute("data-status", "revoked")
    left = {e["summary"]: e["status"] for e in _events(stack, calendar_id)}
    assert left.get("Privat (Handy)") == "confirmed", left
    assert not [s for title, s in left.items() if title.startswith("Hörtest") and s == "confirmed"], left

    _row(page, "anna").locator('[data-action="audit"]').click()
    expect(page.locator("#audit-dialog")).to_contain_text("Termine des Terminplaners entfernt")
    page.locator("#audit-dialog button[type=submit]").click()

    # A consent without a calendar: nothing to remove, so the dialog offers no removal.
    _consent(stack, branch, "raum-1", PRAXIS)
    page.locator("#reload").click()
    _row(page, "raum-1").locator('[data-action="revoke"]').click()
    expect(confirm).to_be_visible()
    expect(confirm.locator('[data-test="confirm-check"]')).to_be_hidden()
    expect(confirm).to_contain_text("Die Termine im Google-Kalender bleiben erhalten.")
    confirm.locator('[data-test="confirm-cancel"]').click()


def test_every_text_of_the_admin_and_employee_pages_is_there_in_german_and_english(
        stack: Stack, page: Page) -> None:
    branch = stack.new_branch(TEAM, sync=True)
    _link(stack, branch, "anna")
    _sync(stack, branch, "anna")
    for path in (f"/admin.html?branch={branch}", f"/employee.html?branch={branch}&resource=anna"):
        _open(page, stack, path)
        assert page.evaluate('() => import("./i18n.js").then((m) => m.problems())') == []
    _open(page, stack, f"/admin.html?branch={branch}&lang=en")
    expect(page.locator("#health-heading")).to_have_text("Links at a glance")
    expect(_health(page, "anna").locator('[data-test="health-action"]')).to_have_text("All fine")
    expect(_row(page, "anna").locator('[data-test="last-checked"]')).to_contain_text("Last checked: ")
    expect(_row(page, "anna").locator('[data-test="privacy-select"] option').first).to_have_text("Everything")

    # DE | EN flips the page in place (no reload): the overview, the table, an open dialog.
    page.evaluate("() => { window.notReloaded = true; }")
    _row(page, "anna").locator('[data-action="audit"]').click()
    expect(page.locator("#audit-dialog")).to_be_visible()
    page.locator("#audit-dialog button[type=submit]").click()
    _row(page, "anna").locator('[data-test="privacy-select"]').select_option("busy")
    expect(page.locator(SUCCESS)).to_contain_text("Google sees only")
    page.locator('[data-test="lang-de"]').click()
    expect(page.locator("#health-heading")).to_have_text("Verknüpfungen im Überblick")
    expect(_health(page, "anna").locator('[data-test="health-action"]')).to_have_text("Alles in Ordnung")
    expect(_row(page, "anna").locator('[data-test="last-checked"]')).to_contain_text("Zuletzt geprüft: ")
    expect(page.locator(SUCCESS)).to_contain_text("Google sieht nur")  # the message too
    assert page.evaluate("() => window.notReloaded") is True


def test_make_run_offers_a_consumer_account_on_googles_consent_page(stack: Stack) -> None:
    """So that a person clicking through `make run` meets the consumer account's confirmation."""
    accounts = {a["email"]: a["display_name"] for a in stack.emulator("GET", "accounts")["accounts"]}
    assert "gmail" in accounts.get(GMAIL, "").lower(), accounts
    assert f"Consumer account:  {GMAIL}" in "".join(stack.output)
