"""Every text a person reads in an API answer, in German and English, and the choice between them.

A message is a key of `MESSAGES` and its named parameters (ids, counts, field names: never
patient data). Errors carry one (errors.ApiError) and a link stores one as its `last_error`
(`stored`), both language-neutral; the text is made when the answer is: `render`.

The language of a request (`begin` at its start, `language` when answering): an
`Accept-Language` header that prefers German or English (q-values honoured) decides; else the
language of the branch the request concerns (`use_branch`, called where a service reads it);
else German, the staff's language. The German follows the planner's manual (Filiale,
Ressource, Termin, Zustimmung, "Google-Kalender verknüpfen") and addresses staff as "Sie".

A link stored before these keys holds an English text: `stored_text` recognises the texts the
bridge wrote then and renders them anew; any other text is shown as it is.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("de", "en")
DEFAULT = "de"

MESSAGES: dict[str, dict[str, str]] = {
    # The request itself (functions/http.py, functions/validation.py)
    "body_too_large": {
        "de": "Der Inhalt der Anfrage ist größer als {max_kib} KiB.",
        "en": "The request body is larger than {max_kib} KiB."},
    "body_cut_short": {
        "de": "Der Inhalt der Anfrage endete vor seiner angegebenen Länge (Content-Length).",
        "en": "The request body ended before its Content-Length."},
    "json_invalid": {
        "de": "Der Inhalt der Anfrage ist kein gültiges JSON.",
        "en": "The request body is not valid JSON."},
    "json_not_object": {
        "de": "Der Inhalt der Anfrage muss ein JSON-Objekt sein.",
        "en": "The request body must be a JSON object."},
    "json_too_deep": {
        "de": "Der Inhalt der Anfrage ist zu tief verschachtelt (höchstens {max_depth} Ebenen).",
        "en": "The request body is nested too deeply (at most {max_depth} levels)."},
    "field_name_not_text": {
        "de": "Ein Feldname ist kein gültiger Unicode-Text (er enthält ein einzelnes Surrogat "
              "wie \\ud800).",
        "en": "A field name is not valid Unicode text (it holds a lone surrogate such as \\ud800)."},
    "field_surrogate": {
        "de": "'{field}' muss gültiger Unicode-Text sein (es enthält ein einzelnes Surrogat wie "
              "\\ud800).",
        "en": "'{field}' must be valid Unicode text (it holds a lone surrogate such as \\ud800)."},
    "no_such_path": {
        "de": "Diesen Pfad gibt es nicht.",
        "en": "No such path."},
    "no_such_path_in": {
        "de": "Diesen Pfad gibt es in der Funktion {function} nicht.",
        "en": "No such path in function {function}."},
    "method_not_allowed": {
        "de": "{method} ist hier nicht erlaubt; verwenden Sie {allowed}.",
        "en": "{method} is not allowed here; use {allowed}."},
    "misconfigured": {
        "de": "Der Dienst ist nicht richtig eingerichtet.",
        "en": "The service is not configured correctly."},
    "internal": {
        "de": "Interner Fehler.",
        "en": "Internal error."},
    "invalid_id": {
        "de": "{field} muss aus 1 bis 64 Buchstaben, Ziffern, '-' oder '_' bestehen.",
        "en": "{field} must be 1-64 letters, digits, '-' or '_'."},
    "field_required": {
        "de": "'{field}' ist erforderlich.",
        "en": "'{field}' is required."},
    "field_required_may_be_empty": {
        "de": "'{field}' ist erforderlich (darf aber leer sein).",
        "en": "'{field}' is required (it may be empty)."},
    "field_not_empty_text": {
        "de": "'{field}' muss ein nicht leerer Text sein.",
        "en": "'{field}' must be a non-empty string."},
    "field_not_text": {
        "de": "'{field}' muss ein Text sein.",
        "en": "'{field}' must be a string."},
    "field_too_long": {
        "de": "'{field}' darf höchstens {max_len} Zeichen lang sein.",
        "en": "'{field}' must be at most {max_len} characters."},
    "field_not_unicode": {
        "de": "'{field}' muss gültiger Unicode-Text sein.",
        "en": "'{field}' must be valid Unicode text."},
    "field_not_choice": {
        "de": "'{field}' muss einer dieser Werte sein: {options}.",
        "en": "'{field}' must be one of: {options}."},
    "field_not_bool": {
        "de": "'{field}' muss true oder false sein.",
        "en": "'{field}' must be true or false."},
    "timezone_invalid": {
        "de": "'{field}' muss eine IANA-Zeitzone wie Europe/Berlin sein.",
        "en": "'{field}' must be an IANA time zone such as Europe/Berlin."},
    "timezone_unknown": {
        "de": "'{field}' ist keine bekannte Zeitzone.",
        "en": "'{field}' is not a known time zone."},
    "unknown_fields": {
        "de": "Unbekannte Felder: {fields}.",
        "en": "Unknown field(s): {fields}."},
    # Who may call (functions/auth.py)
    "token_required": {
        "de": "Ein gültiges Bearer-Token ist erforderlich.",
        "en": "A valid bearer token is required."},
    "token_expired": {
        "de": "Das Bearer-Token ist abgelaufen.",
        "en": "The bearer token has expired."},
    "token_issuer": {
        "de": "Der Aussteller (iss) des Bearer-Tokens wird hier nicht akzeptiert.",
        "en": "The bearer token's issuer (iss) is not accepted here."},
    "token_audience": {
        "de": "Der Empfänger (aud) des Bearer-Tokens ist nicht dieser Dienst.",
        "en": "The bearer token's audience (aud) is not this service."},
    "token_claim_missing": {
        "de": "Dem Bearer-Token fehlt die Angabe '{claim}'.",
        "en": "The bearer token lacks its '{claim}' claim."},
    "token_invalid": {
        "de": "Das Bearer-Token ist ungültig.",
        "en": "The bearer token is not valid."},
    "token_sub": {
        "de": "Die Angabe sub des Bearer-Tokens muss ein Text sein.",
        "en": "The bearer token's sub must be a string of text."},
    "token_role": {
        "de": "Das Bearer-Token nennt eine unbekannte Rolle.",
        "en": "The bearer token has an unknown role."},
    "token_branch": {
        "de": "Dem Bearer-Token fehlt die Angabe branch_id.",
        "en": "The bearer token lacks its branch_id."},
    "token_resource_ids": {
        "de": "Die Angabe resource_ids des Bearer-Tokens muss eine Liste von Texten sein.",
        "en": "The bearer token's resource_ids must be a list of strings."},
    "token_lifetime": {
        "de": "Das Bearer-Token gilt länger, als dieser Dienst erlaubt (höchstens {max_seconds} "
              "Sekunden von iat bis exp).",
        "en": "The bearer token lives longer than this service allows (at most {max_seconds} "
              "seconds from iat to exp)."},
    "oidc_invalid": {
        "de": "Das OIDC-Token gilt nicht für diese Funktion.",
        "en": "The OIDC token is not valid for this function."},
    "oidc_scheduler": {
        "de": "Das OIDC-Token stammt nicht vom Dienstkonto des Sync-Zeitplans.",
        "en": "The OIDC token is not from the sync scheduler's service account."},
    "oidc_queue": {
        "de": "Das OIDC-Token stammt nicht vom Dienstkonto der Sync-Warteschlange.",
        "en": "The OIDC token is not from the sync queue's service account."},
    "oidc_queue_only": {
        "de": "sync_link nimmt nur das OIDC-Token der Sync-Warteschlange an.",
        "en": "sync_link takes the OIDC token of the sync queue only."},
    "forbidden": {
        "de": "Sie dürfen diese Filiale oder Ressource nicht bearbeiten.",
        "en": "You may not act on this branch or resource."},
    "other_branch": {
        "de": "Dieses Token gilt für eine andere Filiale.",
        "en": "This token is for another branch."},
    # Branches, resources, appointments (functions/services/setup.py, appointments.py, feed.py)
    "branch_missing": {
        "de": "Die Filiale {branch_id} gibt es nicht.",
        "en": "Branch {branch_id} does not exist."},
    "resource_missing": {
        "de": "Die Ressource {resource_id} gibt es in der Filiale {branch_id} nicht.",
        "en": "Resource {resource_id} does not exist in branch {branch_id}."},
    "appointment_missing": {
        "de": "Den Termin {appointment_id} gibt es nicht.",
        "en": "Appointment {appointment_id} does not exist."},
    "time_not_rfc3339": {
        "de": "'{field}' muss eine Zeit nach RFC 3339 mit Zeitversatz sein, z. B. "
              "2030-03-01T09:00:00+01:00 (mit Sekunden, höchstens 6 Nachkommastellen).",
        "en": "'{field}' must be RFC 3339 with an offset, e.g. 2030-03-01T09:00:00+01:00 "
              "(seconds required, at most 6 decimals)."},
    "time_invalid": {
        "de": "'{field}' ist keine gültige Zeit nach RFC 3339.",
        "en": "'{field}' is not a valid RFC 3339 time."},
    "time_out_of_range": {
        "de": "'{field}' muss eine Zeit von {first} bis {last} (UTC) sein, damit jede Zeitzone "
              "sie anzeigen kann.",
        "en": "'{field}' must be a time from {first} to {last} (UTC), so that every time zone "
              "can show it."},
    "day_invalid": {
        "de": "'{field}' eines ganztägigen Termins muss ein Datum JJJJ-MM-TT von {first} bis "
              "{last} sein.",
        "en": "'{field}' of an all-day appointment must be a date YYYY-MM-DD from {first} to "
              "{last}."},
    "end_before_start": {
        "de": "'end' muss nach 'start' liegen.",
        "en": "'end' must be after 'start'."},
    "end_before_start_all_day": {
        "de": "'end' muss nach 'start' liegen (bei einem ganztägigen Termin ist 'end' der Tag "
              "nach dem letzten Tag).",
        "en": "'end' must be after 'start' (all-day end is exclusive)."},
    "limit_not_number": {
        "de": "'limit' muss eine ganze Zahl sein (Ziffern 0-9).",
        "en": "'limit' must be a whole number (digits 0-9)."},
    "limit_out_of_range": {
        "de": "'limit' muss zwischen 1 und {max_limit} liegen.",
        "en": "'limit' must be between 1 and {max_limit}."},
    "cursor_invalid": {
        "de": "'cursor' muss eine Position sein, die dieser Änderungs-Feed geliefert hat (oder "
              "die Ziffern einer älteren, höchstens {max_position}).",
        "en": "'cursor' must be a cursor this feed answered (or the digits of an older one, at "
              "most {max_position})."},
    "consumer_account_confirmation": {
        "de": "Das verknüpfte Google-Konto {account_email} ist ein privates Konto: Google bietet "
              "seine Bedingungen zur Auftragsverarbeitung nur für Workspace-Konten an. Mehr als "
              "„Belegt“ ({privacy}) anzuzeigen, muss ausdrücklich bestätigt werden "
              "('confirm_consumer_account': true).",
        "en": "The linked Google account {account_email} is a consumer account: Google offers "
              "its data processing terms only for Workspace accounts. Showing more than 'busy' "
              "({privacy}) needs an explicit confirmation ('confirm_consumer_account': true)."},
    "consumer_account_admin_only": {
        "de": "Nur ein Administrator der Filiale kann ein privates Google-Konto bestätigen.",
        "en": "Only an admin of the branch can confirm a consumer Google account."},
    # Consent, calendar choice, withdrawal (functions/services/consent.py, linking.py, revoke.py)
    "sync_disabled": {
        "de": "Für diese Filiale ist „Mit Google Kalender synchronisieren“ nicht aktiviert.",
        "en": "Sync with Google Calendar is switched off for this branch."},
    "sync_disabled_switch_on": {
        "de": "Für diese Filiale ist „Mit Google Kalender synchronisieren“ nicht aktiviert; "
              "bitte aktivieren Sie es zuerst.",
        "en": "Syncing is switched off for this branch; switch it on first."},
    "not_consented": {
        "de": "Zuerst ist eine Zustimmung nötig: Starten Sie „Google-Kalender verknüpfen“.",
        "en": "Consent is needed first: start “Link with Google”."},
    "calendar_not_found": {
        "de": "Diesen Kalender gibt es im Google-Konto nicht.",
        "en": "This calendar does not exist in the Google account."},
    "google_unavailable": {
        "de": "Google antwortet gerade nicht; bitte versuchen Sie es gleich noch einmal.",
        "en": "Google is not answering right now; try again shortly."},
    "primary_calendar_choose": {
        "de": "Der Hauptkalender kann nicht verknüpft werden; wählen Sie einen sekundären "
              "Kalender oder legen Sie einen neuen an, damit keine privaten Daten geändert werden.",
        "en": "The primary calendar cannot be linked; choose or create a secondary calendar so "
              "no private data can be changed."},
    "primary_calendar": {
        "de": "Der Hauptkalender kann nicht verknüpft werden.",
        "en": "The primary calendar cannot be linked."},
    "calendar_not_writable": {
        "de": "Das Google-Konto darf in diesem Kalender keine Termine ändern.",
        "en": "The account may not change events in this calendar."},
    "calendar_in_use": {
        "de": "Dieser Kalender ist bereits mit einer anderen Ressource verknüpft; wählen Sie "
              "einen anderen Kalender oder legen Sie einen neuen an.",
        "en": "This calendar is already linked to another resource; choose another calendar or "
              "create a new one."},
    "calendar_or_new": {
        "de": "Geben Sie entweder 'calendar_id' oder 'new_calendar' an.",
        "en": "Give either 'calendar_id' or 'new_calendar'."},
    "already_revoked": {
        "de": "Die Zustimmung wurde bereits zurückgezogen: Ohne sie erreicht die "
              "Synchronisation den Kalender nicht mehr, um ihre Termine daraus zu entfernen (das "
              "Protokoll zeigt, was ein früheres Zurückziehen entfernt hat).",
        "en": "Consent was already withdrawn: without it the bridge can no longer reach the "
              "calendar to remove its events (the audit log shows what an earlier withdrawal "
              "removed)."},
    "not_linked": {
        "de": "Für diese Ressource besteht keine Zustimmung, die zurückgezogen werden könnte.",
        "en": "This resource has no Google consent to withdraw."},
    "needs_reconsent_to_remove": {
        "de": "Google akzeptiert die Zustimmung nicht mehr, daher kann die Synchronisation ihre "
              "Termine nicht entfernen. Verknüpfen Sie den Google-Kalender zuerst erneut, oder "
              "ziehen Sie die Zustimmung zurück, ohne die Termine zu entfernen.",
        "en": "Google no longer accepts the consent, so the bridge cannot remove its events. "
              "Link with Google again first, or withdraw without removing the events."},
    "events_not_removed": {
        "de": "Google hat nicht alle Termine gelöscht (bisher {removed} entfernt); die Zustimmung "
              "bleibt bestehen und die Synchronisation läuft weiter. Versuchen Sie es erneut, um "
              "den Rest zu entfernen.",
        "en": "Google did not delete every event ({removed} removed so far); the consent is kept "
              "and syncing goes on. Try again to remove the rest."},
    # Running the sync (functions/services/dispatch.py, link_health.py, notifications.py, entrypoints)
    "not_blocked": {
        "de": "Diese Verknüpfung hält keine Massenänderung zurück (sie wurde inzwischen "
              "entschieden oder synchronisiert); es wurde nichts geändert.",
        "en": "This link holds back no mass change (it was decided or synced meanwhile); nothing "
              "was changed."},
    "link_busy": {
        "de": "Gerade synchronisiert ein anderer Durchlauf diese Verknüpfung; bitte versuchen "
              "Sie es gleich noch einmal.",
        "en": "Another run is syncing this link; try again shortly."},
    "throttled_retry": {
        "de": "Das Nutzungslimit von Google Kalender ist erreicht; bitte versuchen Sie es später "
              "erneut.",
        "en": "Google's calendar usage limit was reached; retry later."},
    "sync_incomplete": {
        "de": "Ein Teil der Synchronisation ist nicht durchgegangen; bitte versuchen Sie es "
              "später erneut.",
        "en": "Part of the sync did not go through; retry later."},
    "sync_not_queued": {
        "de": "Die Synchronisation konnte nicht eingeplant werden; bitte versuchen Sie es später "
              "erneut.",
        "en": "The sync could not be queued; retry later."},
    "channel_token_mismatch": {
        "de": "Das Token des Benachrichtigungskanals stimmt nicht.",
        "en": "The channel token does not match."},
    "branch_id_needed": {
        "de": "'branch_id' ist mit 'resource_id' oder 'force' erforderlich.",
        "en": "'branch_id' is required with 'resource_id' or 'force'."},
    "force_needs_resource": {
        "de": "'force' bestätigt eine einzelne Verknüpfung: Geben Sie auch 'resource_id' an.",
        "en": "'force' confirms one link: give 'resource_id' too."},
    "channel_id_invalid": {
        "de": "'channel_id' ist keine Kanal-ID.",
        "en": "'channel_id' is not a channel id."},
    "header_missing": {
        "de": "Der Benachrichtigung fehlt der Header {header}.",
        "en": "The notification has no {header} header."},
    "header_too_long": {
        "de": "{header} ist länger als {max_len} Zeichen.",
        "en": "{header} is longer than {max_len} characters."},
    "message_number_invalid": {
        "de": "X-Goog-Message-Number muss eine ganze Zahl sein.",
        "en": "X-Goog-Message-Number must be a whole number."},
    # A link's `last_error` (functions/sync/engine.py, functions/services/*): `stored` keeps them
    "needs_reconsent": {
        "de": "Google akzeptiert die Zustimmung nicht mehr; bitte verknüpfen Sie den "
              "Google-Kalender erneut.",
        "en": "Google no longer accepts the consent; please link again."},
    "calendar_missing": {
        "de": "Der verknüpfte Google-Kalender existiert nicht mehr; bitte wählen Sie erneut einen "
              "Kalender aus.",
        "en": "The linked Google calendar no longer exists; choose a calendar again."},
    "throttled": {
        "de": "Das Nutzungslimit von Google Kalender ist erreicht; die Synchronisation läuft "
              "später von selbst weiter.",
        "en": "Google's calendar usage limit was reached; syncing resumes later."},
    "token_unreadable": {
        "de": "Die gespeicherte Zustimmung kann mit den aktiven Schlüsselversionen (token-key) "
              "nicht gelesen werden; bitte verknüpfen Sie den Google-Kalender erneut.",
        "en": "The stored consent cannot be read with the enabled key versions (token-key); "
              "please link again."},
    "google_no_answer": {
        "de": "Google hat nicht geantwortet; der nächste Durchlauf versucht es erneut.",
        "en": "Google did not answer; retrying next run."},
    "changes_not_written": {
        "de": "{count} Änderung(en) konnten nicht übertragen werden; der nächste Durchlauf "
              "versucht es erneut.",
        "en": "{count} change(s) could not be written; retrying next run."},
    "quarantined": {
        "de": "{count} Termin(e) können nicht synchronisiert werden und warten in Quarantäne "
              "(siehe 'quarantined'); der übrige Kalender wird synchronisiert.",
        "en": "{count} appointment(s) cannot be synced and wait in quarantine (see "
              "'quarantined'); the rest of the calendar syncs."},
    "mass_change_blocked": {
        "de": "Massenänderung zurückgehalten: Dieser Durchlauf würde {google_deletions} "
              "Termin(e) im Google-Kalender und {planner_deletions} Termin(e) im Terminplaner "
              "löschen (von {synced_items} synchronisierten); ein Administrator der Filiale muss "
              "entscheiden (übernehmen oder wiederherstellen).",
        "en": "Mass change held back: this run would delete {google_deletions} event(s) in "
              "Google and {planner_deletions} appointment(s) of {synced_items}; an admin must "
              "decide (apply or restore)."},
    "revocation_unconfirmed": {
        "de": "Google konnte den Widerruf nicht bestätigen; die Zugangsdaten wurden hier trotzdem "
              "gelöscht. Entfernen Sie die App bei Bedarf unter myaccount.google.com → "
              "Sicherheit.",
        "en": "Google could not confirm the revocation; the tokens were forgotten here. Remove "
              "the app under myaccount.google.com → Security if needed."},
}

# What the bridge stored in `last_error` before it stored keys (English), read as those keys.
_LEGACY: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), key) for pattern, key in (
    (r"Google no longer accepts the consent; please link again\.", "needs_reconsent"),
    (r"The linked Google calendar no longer exists; choose a calendar again\.", "calendar_missing"),
    (r"Google's calendar usage limit was reached; syncing resumes later\.", "throttled"),
    (r"The stored consent cannot be read with the enabled key versions \(token-key\); "
     r"please link again\.", "token_unreadable"),
    (r"Google did not answer; retrying next run\.", "google_no_answer"),
    (r"(?P<count>\d+) change\(s\) could not be written; retrying next run\.", "changes_not_written"),
    (r"(?P<count>\d+) appointment\(s\) cannot be synced and wait in quarantine .*", "quarantined"),
    (r"mass_change_blocked: this run would delete (?P<google_deletions>\d+) event\(s\) in Google "
     r"and (?P<planner_deletions>\d+) appointment\(s\) of (?P<synced_items>\d+);.*",
     "mass_change_blocked"),
    (r"Google could not confirm the revocation;.*", "revocation_unconfirmed"),
))


def placeholders(text: str) -> set[str]:
    """The named fields of a catalog text (`{count}` → "count")."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _Kept(dict[str, Any]):
    """Parameters for a text: one that is missing stays as its placeholder (never a 500)."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def render(key: str, lang: str | None = None, params: Mapping[str, Any] | None = None) -> str:
    """The message in `lang` (default: the request's language) with its parameters filled in."""
    texts = MESSAGES[key]
    return texts[lang if lang in LANGUAGES else language()].format_map(_Kept(params or {}))


@dataclass(frozen=True)
class Message:
    """A key of the catalog and its parameters: a text in no language yet."""

    key: str
    params: Mapping[str, Any]

    def render(self, lang: str | None = None) -> str:
        return render(self.key, lang, self.params)


def stored(key: str, **params: Any) -> dict[str, Any]:
    """A `last_error` as a link stores it (a Firestore map): `{"key", "params"}`."""
    if key not in MESSAGES:
        raise KeyError(key)
    return {"key": key, "params": params}


def stored_message(value: object) -> Message | None:
    """The message of a stored `last_error`, also of an English text stored before the keys;
    None for no error or a text it does not know."""
    if isinstance(value, Mapping) and value.get("key") in MESSAGES:
        return Message(str(value["key"]), dict(value.get("params") or {}))
    if isinstance(value, str):
        for pattern, key in _LEGACY:
            match = pattern.fullmatch(value)
            if match:
                return Message(key, {k: int(v) for k, v in match.groupdict().items()})
    return None


def stored_text(value: object, lang: str | None = None) -> str | None:
    """A stored `last_error` as a person reads it in `lang` (default: the request's)."""
    if value is None or value == "":
        return None
    message = stored_message(value)
    if message is not None:
        return message.render(lang)
    return value if isinstance(value, str) else None


def stored_key(value: object) -> str | None:
    """The catalog key of a stored `last_error` (what a program may test), or None."""
    message = stored_message(value)
    return message.key if message else None


# The request's language --------------------------------------------------------------------


def preferred(accept_language: str | None) -> str | None:
    """"de" or "en", whichever an `Accept-Language` header prefers (q-values honoured, q=0 means
    not wanted, the first listed wins a tie); None when it wants neither."""
    best, best_q = None, 0.0
    for part in (accept_language or "").split(","):
        tag, *params = (p.strip() for p in part.split(";"))
        lang = tag.lower().split("-")[0]
        if lang not in LANGUAGES:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = lang, q
    return best


@dataclass
class _Choice:
    header: str | None
    branch: str | None = None


_REQUEST: ContextVar[_Choice | None] = ContextVar("functions.i18n.request", default=None)


def begin(accept_language: str | None) -> Token[_Choice | None]:
    """A request starts: its header's preference; `end` with the token when it is answered."""
    return _REQUEST.set(_Choice(preferred(accept_language)))


def end(token: Token[_Choice | None]) -> None:
    _REQUEST.reset(token)


def use_branch(lang: str) -> None:
    """The request concerns a branch of this language (its answer's language without a header)."""
    choice = _REQUEST.get()
    if choice is not None and lang in LANGUAGES:
        choice.branch = lang


def decided() -> bool:
    """Whether a header or a branch chose the request's language (else it is the default)."""
    choice = _REQUEST.get()
    return choice is not None and (choice.header is not None or choice.branch is not None)


def language() -> str:
    """The request's language: its header's choice, else its branch's, else German."""
    choice = _REQUEST.get()
    if choice is None:
        return DEFAULT
    return choice.header or choice.branch or DEFAULT
