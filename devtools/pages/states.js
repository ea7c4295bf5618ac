// A link's state in words (issue 13, item 3): its status, or `blocked` (a mass change waits for
// the admin) or `sync_off` (the branch's switch is off), what it means, and the one action it
// needs (GET /links/{branch}: state, action). Shared by the resource table and the overview.

import { KIND_TEXT, STATUS_TEXT } from "./core.js";
import { has, register, t } from "./i18n.js";

register({
  "state.blocked": { de: "Massenänderung zurückgehalten", en: "mass change held back" },
  "state.sync_off": { de: "angehalten (Filiale ausgeschaltet)", en: "paused (branch switched off)" },

  "state.about.none": { de: "Noch kein Google-Kalender verknüpft.", en: "No Google calendar linked yet." },
  "state.about.consented": {
    de: "Die Zustimmung liegt vor, aber es ist noch kein Kalender gewählt.",
    en: "Consent is given, but no calendar has been chosen yet.",
  },
  "state.about.linked": {
    de: "Synchronisiert in beide Richtungen.", en: "Syncing in both directions.",
  },
  "state.about.throttled": {
    de: "Google hat die Zugriffe vorübergehend begrenzt. Die Synchronisation geht von selbst weiter.",
    en: "Google has limited the access for a while. Syncing resumes by itself.",
  },
  "state.about.needs_reconsent": {
    de: "Google nimmt die Zustimmung nicht mehr an (widerrufen oder abgelaufen). Es wird nichts synchronisiert.",
    en: "Google no longer accepts the consent (withdrawn or expired). Nothing is synced.",
  },
  "state.about.calendar_missing": {
    de: "Der verknüpfte Google-Kalender wurde gelöscht oder ist nicht mehr erreichbar.",
    en: "The linked Google calendar was deleted or can no longer be reached.",
  },
  "state.about.revoked": {
    de: "Die Zustimmung wurde zurückgezogen. Es wird nichts synchronisiert.",
    en: "The consent was withdrawn. Nothing is synced.",
  },
  "state.about.blocked": {
    de: "Eine Synchronisation würde viele Termine auf einmal löschen. Sie ist angehalten, bis Sie entscheiden.",
    en: "A sync would delete many appointments at once. It is held until you decide.",
  },
  "state.about.sync_off": {
    de: "„Mit Google Kalender synchronisieren“ ist für die Filiale ausgeschaltet. Die Verknüpfung bleibt bestehen.",
    en: "“Sync with Google Calendar” is switched off for the branch. The link stays.",
  },

  // the one action each state needs: a button, or (wait, none) a sentence
  "state.action.link": { de: "Google-Kalender verknüpfen", en: "Link Google calendar" },
  "state.action.choose_calendar": { de: "Kalender erneut auswählen", en: "Choose the calendar again" },
  "state.action.reconsent": { de: "Erneut zustimmen", en: "Consent again" },
  "state.action.review_mass_change": { de: "Änderung prüfen", en: "Review the change" },
  "state.action.enable_sync": { de: "Synchronisation einschalten", en: "Switch syncing on" },
  "state.action.wait": { de: "Abwarten – nichts zu tun", en: "Wait – nothing to do" },
  "state.action.none": { de: "Alles in Ordnung", en: "All fine" },
});

// the link statuses in core.js's words; the two states of the overview's own here
function stateText(state) {
  if (has(`state.${state}`)) return t(`state.${state}`);
  return STATUS_TEXT[state] || state;
}

function stateAbout(state) {
  return has(`state.about.${state}`) ? t(`state.about.${state}`) : "";
}

function actionText(action) {
  return has(`state.action.${action}`) ? t(`state.action.${action}`) : action;
}

function kindText(kind) {
  return KIND_TEXT[kind] || kind;
}

export { actionText, kindText, stateAbout, stateText };
