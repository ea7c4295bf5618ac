"""The API's texts for people in German and English (issue 13, 1): an error's `message` and a
link's `last_error` follow `Accept-Language`, else the branch's language, else German; the
`code` and the status stay the same in every language."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.context import get_context
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, Api
from tests.integration.test_sync import at, put, sync

pytestmark = pytest.mark.firestore
APPOINTMENT = f"/planner/branches/{BRANCH}/appointments/t1"
BACKWARDS = {"resource_id": "anna", "start": at(2, 10), "end": at(2, 9), "title": "x"}
GERMAN, ENGLISH = "'end' muss nach 'start' liegen.", "'end' must be after 'start'."


def set_language(api: Api, language: str) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}",
                 {"timezone": "Europe/Berlin", "google_sync_enabled": True, "language": language})
    assert r.status_code == 200, r.get_data(as_text=True)


def backwards(api: Api, accept: str | None = None) -> tuple[int, str, str, str]:
    """(status, code, message, Content-Language) of an appointment that ends before it starts."""
    r = api.call("PUT", APPOINTMENT, BACKWARDS, headers={"Accept-Language": accept} if accept else None)
    error = r.get_json()["error"]
    return r.status_code, error["code"], error["message"], r.headers["Content-Language"]


def test_a_bad_request_answers_german_by_default_and_english_when_asked(api: Api) -> None:
    api.setup_branch()
    assert backwards(api) == (400, "invalid_time", GERMAN, "de")
    assert backwards(api, "en") == (400, "invalid_time", ENGLISH, "en")
    assert backwards(api, "en-GB,en;q=0.9,de;q=0.8") == (400, "invalid_time", ENGLISH, "en")
    assert backwards(api, "en;q=0.5,de;q=0.9") == (400, "invalid_time", GERMAN, "de")
    assert backwards(api, "fr-FR,fr;q=0.9,en;q=0.3") == (400, "invalid_time", ENGLISH, "en")


def test_an_english_branch_answers_english_unless_the_header_says_otherwise(api: Api) -> None:
    api.setup_branch()
    set_language(api, "en")
    assert backwards(api) == (400, "invalid_time", ENGLISH, "en")
    assert backwards(api, "fr") == (400, "invalid_time", ENGLISH, "en")  # names neither
    assert backwards(api, "de-DE") == (400, "invalid_time", GERMAN, "de")


def test_an_error_before_the_branch_is_read_takes_the_language_of_the_branch_in_the_path(api: Api) -> None:
    api.setup_branch()
    set_language(api, "en")
    r = api.call("PUT", f"/planner/branches/{BRANCH}/resources/anna", {"name": "Anna", "kind": "x"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_field")
    assert r.get_json()["error"]["message"] == "'kind' must be one of: employee, room, device."
    r = api.call("GET", "/planner/branches/nowhere")
    assert (r.status_code, r.get_json()["error"]) == (404, {
        "code": "not_found", "message": "Die Filiale nowhere gibt es nicht."})


def test_auth_and_path_errors_are_in_the_asked_language(api: Api) -> None:
    api.setup_branch()
    for lang, text in [("de", "Ein gültiges Bearer-Token ist erforderlich."),
                       ("en", "A valid bearer token is required.")]:
        r = api.client.get(f"/planner/branches/{BRANCH}", headers={"Accept-Language": lang})
        assert (r.status_code, r.get_json()["error"]) == (401, {"code": "unauthenticated", "message": text})
        assert r.headers["Content-Language"] == lang
    r = api.call("DELETE", f"/planner/branches/{BRANCH}", headers={"Accept-Language": "en"})
    assert r.status_code == 405
    assert r.get_json()["error"]["message"].startswith("DELETE is not allowed here; use ")
    r = api.call("GET", "/planner/robots.txt", headers={"Accept-Language": "de"})
    assert (r.status_code, r.get_json()["error"]["message"]) == (404, "Diesen Pfad gibt es nicht.")


def overview_row(api: Api, lang: str | None = None, resource: str = "anna") -> dict[str, Any]:
    r = api.call("GET", f"/links/{BRANCH}", headers={"Accept-Language": lang} if lang else None)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {row["resource_id"]: row for row in r.get_json()["links"]}[resource]


def test_a_blocked_links_last_error_is_in_both_languages(linked: tuple[Api, str],
                                                         control: EmulatorControl) -> None:
    api, cal = linked
    for i in range(15):
        put(api, f"t{i}", start=at(2 + i), end=at(2 + i, 10))
    sync(api)
    for i in range(12):
        control.phone_delete(cal, event_id_for(BRANCH, f"t{i}"))
    assert sync(api)["failed"] == 1
    german = ("Massenänderung zurückgehalten: Dieser Durchlauf würde 0 Termin(e) im Google-Kalender "
              "und 12 Termin(e) im Terminplaner löschen (von 15 synchronisierten); ein Administrator "
              "der Filiale muss entscheiden (übernehmen oder wiederherstellen).")
    english = ("Mass change held back: this run would delete 0 event(s) in Google and 12 "
               "appointment(s) of 15; an admin must decide (apply or restore).")
    assert api.status()["last_error"] == german
    assert api.status(lang="en")["last_error"] == english
    codes = {api.status()["last_error_code"], api.status(lang="en")["last_error_code"]}
    assert codes == {"mass_change_blocked"}
    assert (overview_row(api)["last_error"], overview_row(api, "en")["last_error"]) == (german, english)
    set_language(api, "en")
    assert api.status()["last_error"] == overview_row(api)["last_error"] == english


def test_a_link_that_needs_consent_again_says_so_in_both_languages(linked: tuple[Api, str],
                                                                   control: EmulatorControl) -> None:
    api, _ = linked
    put(api, "t1")
    control.kill_grants()
    assert sync(api)["failed"] == 1
    german = "Google akzeptiert die Zustimmung nicht mehr; bitte verknüpfen Sie den Google-Kalender erneut."
    english = "Google no longer accepts the consent; please link again."
    status = api.status()
    assert (status["status"], status["last_error_code"], status["last_error"]) == (
        "needs_reconsent", "needs_reconsent", german)
    assert api.status(lang="en")["last_error"] == english
    assert overview_row(api, "de")["last_error"] == german
    assert overview_row(api, "en;q=1, de;q=0.5")["last_error"] == english
    r = api.call("GET", f"/links/{BRANCH}/anna/calendars", headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "not_consented")
    assert r.get_json()["error"]["message"] == "Consent is needed first: start “Link with Google”."


def test_a_last_error_stored_as_text_by_an_older_version_reads_in_both(linked: tuple[Api, str]) -> None:
    api, _ = linked
    store = get_context().store
    store.update_link(BRANCH, "anna", {"last_error": "3 change(s) could not be written; retrying next run."})
    assert api.status()["last_error"] == ("3 Änderung(en) konnten nicht übertragen werden; der nächste "
                                          "Durchlauf versucht es erneut.")
    assert api.status(lang="en")["last_error"] == "3 change(s) could not be written; retrying next run."
    assert api.status()["last_error_code"] == "changes_not_written"
    store.update_link(BRANCH, "anna", {"last_error": "Something an admin wrote."})
    status = api.status()
    assert status["last_error"] == "Something an admin wrote." and "last_error_code" not in status
