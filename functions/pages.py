"""The small HTML pages a browser sees at the end of consent (German and English).

No patient data, no tokens, nothing from the request echoed back. The success page names what
was linked (branch, resource, Google account: from the store, escaped), so whoever clicked
"Allow" sees on whose resource their account now is.
"""

from __future__ import annotations

import html

from functions import i18n

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "de": {
        "success": ("Verbindung hergestellt",
                    "Die Freigabe für Ihren Google-Kalender war erfolgreich. Im Terminplaner können Sie "
                    "jetzt den Kalender auswählen. Sie können dieses Fenster schließen."),
        "denied": ("Freigabe abgelehnt",
                   "Sie haben den Zugriff auf Ihren Google-Kalender nicht erlaubt. Es wurde nichts "
                   "geändert. Sie können dieses Fenster schließen und die Freigabe jederzeit neu starten."),
        "partial": ("Freigabe unvollständig",
                    "Für die Synchronisation werden alle angefragten Berechtigungen benötigt. Bitte "
                    "starten Sie die Freigabe neu und setzen Sie alle Haken."),
        "invalid_state": ("Link ungültig",
                          "Dieser Freigabe-Link ist ungültig. Bitte starten Sie die Freigabe im "
                          "Terminplaner neu."),
        "used_state": ("Link bereits verwendet",
                       "Dieser Freigabe-Link wurde bereits verwendet. Haben Sie die Freigabe gerade in "
                       "diesem Fenster erteilt, zeigt der Terminplaner, ob sie gelungen ist. Sonst starten "
                       "Sie die Freigabe im Terminplaner neu."),
        "in_progress": ("Freigabe wird abgeschlossen …",
                        "Google hat zugestimmt; die Verbindung wird gerade eingerichtet. Diese Seite "
                        "aktualisiert sich von selbst."),
        "expired_state": ("Link abgelaufen",
                          "Dieser Freigabe-Link ist abgelaufen (nach 10 Minuten). Bitte starten Sie die "
                          "Freigabe im Terminplaner neu."),
        "exchange_failed": ("Anmeldung fehlgeschlagen",
                            "Google hat die Anmeldung nicht bestätigt. Bitte starten Sie die Freigabe im "
                            "Terminplaner neu."),
        "sync_disabled": ("Synchronisation ausgeschaltet",
                          "Für diese Filiale ist „Mit Google Kalender synchronisieren“ nicht aktiviert."),
        "unavailable": ("Google nicht erreichbar",
                        "Google hat nicht geantwortet. Bitte versuchen Sie es in einigen Minuten erneut."),
        "other_browser": ("Freigabe in einem anderen Browser gestartet",
                          "Diese Freigabe wurde nicht in diesem Browser gestartet (oder dieser Browser "
                          "speichert keine Cookies). Zu Ihrer Sicherheit wurde nichts gespeichert und kein "
                          "Zugriff auf einen Google-Kalender eingerichtet. Bitte starten Sie die Freigabe "
                          "im Terminplaner in diesem Browser neu."),
    },
    "en": {
        "success": ("Connected",
                    "Access to your Google Calendar was granted. You can now choose the calendar in the "
                    "planner. You may close this window."),
        "denied": ("Access denied",
                   "You did not allow access to your Google Calendar. Nothing was changed. You may close "
                   "this window and start again at any time."),
        "partial": ("Access incomplete",
                    "Syncing needs every permission that was requested. Please start again and tick "
                    "every box."),
        "invalid_state": ("Invalid link",
                          "This consent link is not valid. Please start again in the planner."),
        "used_state": ("Link already used",
                       "This consent link has already been used. If you just gave consent in this "
                       "window, the planner shows whether it worked. Otherwise please start again in "
                       "the planner."),
        "in_progress": ("Finishing the consent …",
                        "Google agreed; the connection is being set up. This page refreshes by itself."),
        "expired_state": ("Link expired",
                          "This consent link has expired (after 10 minutes). Please start again in the "
                          "planner."),
        "exchange_failed": ("Sign-in failed",
                            "Google did not confirm the sign-in. Please start again in the planner."),
        "sync_disabled": ("Sync is switched off",
                          "“Sync with Google Calendar” is not enabled for this branch."),
        "unavailable": ("Google unavailable", "Google did not answer. Please try again in a few minutes."),
        "other_browser": ("Consent started in another browser",
                          "This consent was not started in this browser (or this browser does not keep "
                          "cookies). For your security nothing was stored and no access to a Google "
                          "Calendar was set up. Please start again in the planner, in this browser."),
    },
}


# The success page's list of what was linked, and what to do when it is not what was meant.
DETAILS: dict[str, dict[str, str]] = {
    "de": {"branch": "Filiale", "resource": "Ressource", "account": "Google-Konto",
           "check": "Stimmt etwas davon nicht, ziehen Sie die Zustimmung im Terminplaner zurück "
                    "(„Bestehende Zustimmung zurückziehen“)."},
    "en": {"branch": "Branch", "resource": "Resource", "account": "Google account",
           "check": "If any of this is not what you meant, withdraw the consent in the planner "
                    "(“Withdraw existing consent”)."},
}
DETAIL_FIELDS = ("branch", "resource", "account")


def choose_language(accept_language: str | None) -> str:
    """German unless the browser prefers English (the staff's language is German)."""
    return i18n.preferred(accept_language) or i18n.DEFAULT


_REFRESH = '<meta http-equiv="refresh" content="2">'  # in_progress: ask again until it is done


def render(kind: str, lang: str, details: dict[str, str] | None = None) -> str:
    title, text = TEXTS[lang][kind]
    color = {"success": "#1b7f3b", "in_progress": "#0f4c94"}.get(kind, "#b3261e")
    refresh = _REFRESH if kind == "in_progress" else ""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex">{refresh}<title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}
h1{{color:{color}}}dt{{font-weight:600}}dd{{margin:0 0 .5rem}}</style></head>
<body><h1 id="result" data-result="{kind}">{html.escape(title)}</h1>
<p>{html.escape(text)}</p>{_details(lang, details)}</body></html>"""


def _details(lang: str, details: dict[str, str] | None) -> str:
    if not details:
        return ""
    labels = DETAILS[lang]
    rows = "".join(f'<dt>{html.escape(labels[f])}</dt>'
                   f'<dd id="linked-{f}">{html.escape(details.get(f, ""))}</dd>' for f in DETAIL_FIELDS)
    return f'\n<dl id="linked">{rows}</dl>\n<p id="check">{html.escape(labels["check"])}</p>'
