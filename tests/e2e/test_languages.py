"""The pages in German and in English (issue 13, items 1 and 6), in real headless Chromium.

Each page (admin, employee, sync) in English shows no German and in German no English: its
visible text, its title, its placeholders, titles and aria-labels, and every static text
(`data-i18n`) are checked against the words only the other language uses: those of the pages'
own catalogue (`window.i18n.entries()`: the words of one language's texts that the other
language's texts never use) and a short fixed list; in English also no umlaut, ß or „.
`window.i18n.problems()` is [] on every page (each text in both languages, the same placeholders,
every key the page uses registered). The DE | EN switch in the dev bar flips the page, is
remembered, and the API client asks for the page's language (`Accept-Language`): the page shows
its own text for a known error code and the server's message otherwise. The data of these tests
is in neither language (names, titles), so every word checked is the pages' own.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Stack
from tests.e2e.test_sync_demo import _link

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TEAM = {"anna": ("Anna Kowalski", "employee"), "r-7": ("Xq-7", "room")}
CALENDAR = "Kowalski Xq"
# Words a page of the other language must not show, besides the catalogue's own (whole words,
# any case; the catalogue's words are those of four letters or more).
GERMAN = {"und", "oder", "nicht", "für", "mit", "bitte", "der", "die", "das", "ist", "wird", "noch", "kein",
          "keine", "termin", "termine", "filiale", "kalender", "zustimmung", "synchronisation", "ressource",
          "anmeldung", "angemeldet", "verknüpft", "verknüpfen", "löschen", "geladen"}
ENGLISH = {"the", "and", "not", "with", "please", "calendar", "appointment", "appointments", "branch",
           "consent", "linked", "loading", "signed", "sync", "resource", "delete", "link"}
UMLAUTS = re.compile(r"[äöüÄÖÜß„]")
WORDS = re.compile(r"[^\W\d]+")


def _screenshot(page: Page, name: str) -> None:
    """Screenshots for a person to look at, only when asked for (E2E_SCREENSHOTS=dir)."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"lang-{name}.png"), full_page=True)


def _open(page: Page, stack: Stack, path: str) -> None:
    page.goto(stack.base + path)
    expect(page.locator("body")).to_have_attribute("data-ready", "1")


# What a person reads on the page: the rendered text (open dialogs included), the title, the
# texts of attributes a screen reader reads out, and every static text, shown or not. Addresses,
# e-mail addresses and calendar ids are data, not words of the page.
READ_TEXT = """() => {
  const parts = [document.body.innerText, document.title];
  for (const dialog of document.querySelectorAll("dialog[open]")) parts.push(dialog.innerText);
  for (const node of document.querySelectorAll("[placeholder], [title], [aria-label], [alt]")) {
    for (const attr of ["placeholder", "title", "aria-label", "alt"]) {
      const value = node.getAttribute(attr);
      if (value && !/^[a-z_]+$/.test(value)) parts.push(value);  // a code (an audit action) is data
    }
  }
  for (const node of document.querySelectorAll("[data-i18n]")) parts.push(node.textContent);
  return parts.join("\\n");
}"""


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORDS.findall(text)}


def _vocabulary(page: Page) -> tuple[set[str], set[str]]:
    """(German-only, English-only) words of the page's catalogue, of four letters or more."""
    entries: list[tuple[str, dict[str, str]]] = page.evaluate("() => window.i18n.entries()")
    de = set().union(*(_words(e["de"]) for _, e in entries))
    en = set().union(*(_words(e["en"]) for _, e in entries))
    german = {w for w in de - en if len(w) >= 4} | GERMAN
    english = {w for w in en - de if len(w) >= 4} | ENGLISH
    return german, english


def _check_language(page: Page, language: str, name: str) -> None:
    """The page reads in `language` only, its catalogue is complete, nothing is wider than the
    window; a screenshot for a person to look at."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.evaluate("() => window.i18n.problems()") == []
    shown = re.sub(r"\S*[@/]\S*", " ", page.evaluate(READ_TEXT))
    german, english = _vocabulary(page)
    if language == "en":
        wrong = sorted(_words(shown) & german) + sorted(set(UMLAUTS.findall(shown)))
    else:
        wrong = sorted(_words(shown) & english)
    assert not wrong, f"{name} in {language} shows {wrong}:\n{shown}"
    wide = page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert not wide, f"{name} in {language} is wider than the window"
    _screenshot(page, f"{name}-{language}")


@pytest.fixture(scope="module")
def scene(stack: Stack) -> dict[str, Any]:
    """A branch of its own: anna linked (a calendar with an event from the phone and one from the
    planner, synced once), r-7 not linked."""
    branch = stack.new_branch(TEAM, sync=True)
    planner = stack.token("planner")
    stack.api("PUT", f"/planner/branches/{branch}",
              {"name": "Xq", "timezone": "Europe/Berlin", "google_sync_enabled": True}, planner)
    calendar_id = _link(stack, branch, "anna", summary=CALENDAR)
    day = (date.today() + timedelta(days=3)).isoformat()
    stack.api("PUT", f"/planner/branches/{branch}/appointments/xq-1",
              {"resource_id": "anna", "title": "Xq Kowalski", "start": f"{day}T10:00:00+01:00",
               "end": f"{day}T11:00:00+01:00"}, planner)
    stack.emulator("POST", f"calendars/{quote(calendar_id, safe='')}/events",
                   {"summary": "Zzyzx", "start": {"date": day},
                    "end": {"date": (date.today() + timedelta(days=4)).isoformat()}})
    stack.api("POST", "/sync", {"branch_id": branch, "resource_id": "anna"}, planner)
    return {"branch": branch, "calendar_id": calendar_id}


@pytest.fixture
def page(staff_page: Page) -> Page:
    return staff_page


def _sync_page(page: Page, stack: Stack, branch: str, language: str | None = None) -> None:
    suffix = f"&lang={language}" if language else ""
    _open(page, stack, f"/sync.html?branch={branch}&resource=anna{suffix}")
    # the planner's appointment and the phone's event, each on both sides
    expect(page.locator('[data-test="appointment"]')).to_have_count(2)
    expect(page.locator('[data-test="event"]')).to_have_count(2)


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_sync_page_reads_in_one_language(stack: Stack, page: Page, scene: dict[str, Any],
                                             language: str) -> None:
    _sync_page(page, stack, scene["branch"], language)
    page.locator("#sync-now").click()
    expect(page.locator('[data-test="sync-summary"]')).to_have_attribute("data-runs", "1")
    event = page.locator('[data-test="event"]').filter(has_text="Zzyzx")
    event.locator('[data-test="phone-next-day"]').click()
    expect(page.locator('[data-test="phone-last-action"]')).to_be_visible()
    page.locator('[data-test="appointment"]').filter(has_text="Xq Kowalski").locator(
        '[data-test="appointment-edit"]').click()  # the form in its edit mode
    expect(page.locator("#appt-title")).to_have_value("Xq Kowalski")
    if language == "en":
        expect(page.locator("h1")).to_have_text("Planner ⇄ Google calendar · Sync")
        expect(page.locator("#sync-now")).to_have_text("Sync now")
        expect(page.locator('[data-test="sync-when"]')).to_contain_text("Run at")
        expect(event.locator('[data-test="event-time"]')).to_contain_text("all day")
    else:
        expect(page.locator("#sync-now")).to_have_text("Jetzt synchronisieren")
        expect(event.locator('[data-test="event-time"]')).to_contain_text("ganztägig")
    _check_language(page, language, "sync")
    page.set_viewport_size({"width": 420, "height": 900})
    _check_language(page, language, "sync-narrow")


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_admin_page_reads_in_one_language(stack: Stack, page: Page, scene: dict[str, Any],
                                              language: str) -> None:
    _open(page, stack, f"/admin.html?branch={scene['branch']}&lang={language}")
    status = page.locator('tr[data-resource-id="anna"] [data-test="link-status"]')
    expect(status).to_have_text("linked" if language == "en" else "verknüpft")
    _check_language(page, language, "admin")
    page.set_viewport_size({"width": 420, "height": 900})
    _check_language(page, language, "admin-narrow")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.locator('tr[data-resource-id="anna"] [data-test="audit"]').click()  # the history: ACTION_TEXT
    expect(page.locator("#audit-dialog")).to_be_visible()
    expect(page.locator("#audit-dialog")).to_contain_text(
        "Calendar linked" if language == "en" else "Kalender verknüpft")
    _check_language(page, language, "admin-history")


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_employee_page_reads_in_one_language(stack: Stack, page: Page, scene: dict[str, Any],
                                                 language: str) -> None:
    _open(page, stack, f"/employee.html?branch={scene['branch']}&resource=anna&lang={language}")
    expect(page.locator('tr[data-resource-id="anna"] [data-test="link-status"]')).to_have_text(
        "linked" if language == "en" else "verknüpft")
    _check_language(page, language, "employee")
    page.set_viewport_size({"width": 420, "height": 900})
    _check_language(page, language, "employee-narrow")


def test_the_switch_flips_the_sync_page_in_place_and_is_remembered(stack: Stack, page: Page,
                                                                   scene: dict[str, Any]) -> None:
    branch = scene["branch"]
    _sync_page(page, stack, branch)  # a German browser, nothing chosen yet: German
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator('[data-test="lang-de"]')).to_have_attribute("aria-pressed", "true")
    page.locator("#appt-title").fill("Xq typed")
    page.evaluate("() => { window.keptAcrossTheSwitch = true; }")

    page.locator('[data-test="lang-en"]').click()
    expect(page.locator("h1")).to_have_text("Planner ⇄ Google calendar · Sync")
    expect(page.locator('[data-test="lang-en"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-test="link-status"]')).to_have_text("linked")
    expect(page.locator('[data-test="appointment-count"]')).to_have_text("2 appointment(s)")
    expect(page.locator("#identity")).to_contain_text("signed in as planner")
    assert page.evaluate("() => window.keptAcrossTheSwitch === true")  # no reload
    expect(page.locator("#appt-title")).to_have_value("Xq typed")  # what was typed stays
    assert "lang=en" in page.url
    _check_language(page, "en", "sync-switched")

    _sync_page(page, stack, branch)  # no ?lang: the choice is remembered
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sync-now")).to_have_text("Sync now")

    page.locator('[data-test="lang-de"]').click()
    expect(page.locator("#sync-now")).to_have_text("Jetzt synchronisieren")
    _sync_page(page, stack, branch)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    _check_language(page, "de", "sync-switched-back")


@pytest.mark.parametrize("path", ["admin.html?branch={b}", "employee.html?branch={b}&resource=anna"])
def test_the_switch_flips_the_staff_pages_and_is_remembered(stack: Stack, page: Page, scene: dict[str, Any],
                                                            path: str) -> None:
    _open(page, stack, "/" + path.format(b=scene["branch"]))
    status = page.locator('tr[data-resource-id="anna"] [data-test="link-status"]')
    expect(status).to_have_text("verknüpft")
    page.locator('[data-test="lang-en"]').click()
    expect(status).to_have_text("linked")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('[data-test="lang-en"]')).to_have_attribute("aria-pressed", "true")
    _open(page, stack, "/" + path.format(b=scene["branch"]))
    expect(status).to_have_text("linked")
    page.locator('[data-test="lang-de"]').click()
    expect(status).to_have_text("verknüpft")


def test_the_api_is_asked_in_the_pages_language_and_known_codes_are_the_pages_own(
        stack: Stack, browser: Browser, scene: dict[str, Any]) -> None:
    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        asked: list[str | None] = []
        page.on("request", lambda r: asked.append(r.headers.get("accept-language"))
                if r.resource_type == "fetch" else None)
        # the next answers of GET /links/{b}/anna; then the server's own (the page polls)
        answers = [(403, "forbidden", "Forbidden by the server.")]

        def fail(route: Any) -> None:
            if not answers or route.request.method != "GET":
                route.continue_()
                return
            status, code, message = answers.pop(0)
            route.fulfill(status=status, json={"error": {"code": code, "message": message}})

        page.route(f"**/links/{scene['branch']}/anna", fail)
        _open(page, stack, f"/sync.html?branch={scene['branch']}&resource=anna&lang=en")
        message = page.locator('[data-test="message"][data-kind="error"]')
        # a known code: the page's own English text (the server's word is in the detail)
        expect(message.locator(".message-text > span")).to_have_text(
            "The link's status could not be read: You are not allowed to do that.")
        assert asked and set(asked) == {"en"}, asked
        page.locator('[data-test="lang-de"]').click()  # the message follows the switch
        expect(message.locator(".message-text > span")).to_have_text(
            "Der Status der Verknüpfung konnte nicht gelesen werden: Dafür fehlt Ihnen die Berechtigung.")
        asked.clear()
        answers.append((503, "store_unavailable", "The store is not available (server)."))
        page.locator("#reload").click()
        # an unknown code: the server's message (it follows Accept-Language)
        expect(message.locator(".message-text > span")).to_have_text(
            "Der Status der Verknüpfung konnte nicht gelesen werden: The store is not available (server).")
        assert asked and set(asked) == {"de"}, asked
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "language"),
                         [("en-GB", "en"), ("en-US", "en"), ("de-DE", "de"), ("fr-FR", "de")])
def test_without_a_choice_the_browsers_english_is_taken_else_german(stack: Stack, browser: Browser,
                                                                     scene: dict[str, Any], locale: str,
                                                                     language: str) -> None:
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        _open(page, stack, f"/sync.html?branch={scene['branch']}&resource=anna")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#sync-now")).to_have_text(
            "Sync now" if language == "en" else "Jetzt synchronisieren")
    finally:
        context.close()
