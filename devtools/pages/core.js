// Shared by the demo pages' modules: the state of the page, the API client, texts and messages,
// and the language switch (DE | EN in the dev bar). Every text a person reads comes from
// i18n.js, in German (the practice staff's language) and English. Data from the API is only
// ever put into the page as text (textContent), never as HTML.

import { LANGUAGES, applyStatic, lang, locale, register, setLang, t } from "./i18n.js";

register({
  "core.status.none": { de: "nicht verknüpft", en: "not linked" },
  "core.status.consented": { de: "Zustimmung erteilt", en: "consent given" },
  "core.status.linked": { de: "verknüpft", en: "linked" },
  "core.status.throttled": { de: "vorübergehend gedrosselt (Google-Limit)", en: "temporarily throttled (Google limit)" },
  "core.status.needs_reconsent": { de: "Zustimmung erneut erforderlich", en: "consent needed again" },
  "core.status.calendar_missing": { de: "Google-Kalender nicht mehr vorhanden", en: "Google calendar no longer exists" },
  "core.status.revoked": { de: "Zustimmung zurückgezogen", en: "consent withdrawn" },
  "core.kind.employee": { de: "Mitarbeiter", en: "Employee" },
  "core.kind.room": { de: "Raum", en: "Room" },
  "core.kind.device": { de: "Gerät", en: "Device" },
  "core.role.admin": { de: "Administrator", en: "administrator" },
  "core.role.employee": { de: "Mitarbeiter", en: "employee" },
  "core.role.planner": { de: "Terminplaner", en: "planner" },
  "core.action.consent_granted": { de: "Zustimmung erteilt", en: "Consent given" },
  "core.action.consent_denied": { de: "Zustimmung abgelehnt", en: "Consent denied" },
  "core.action.consent_incomplete": { de: "Zustimmung unvollständig", en: "Consent incomplete" },
  "core.action.consent_refused": {
    de: "Zustimmung abgewiesen (in einem anderen Browser abgeschlossen)",
    en: "Consent refused (finished in another browser)",
  },
  "core.action.linked": { de: "Kalender verknüpft", en: "Calendar linked" },
  "core.action.cleared": { de: "Termine im Kalender gelöscht", en: "Events in the calendar deleted" },
  "core.action.revoked": { de: "Zustimmung zurückgezogen", en: "Consent withdrawn" },
  // what the sync records by itself (actor "sync", role "system")
  "core.action.grant_dead": {
    de: "Zustimmung bei Google nicht mehr gültig", en: "Consent no longer valid at Google",
  },
  "core.action.token_unreadable": {
    de: "Gespeicherte Zustimmung nicht lesbar", en: "Stored consent cannot be read",
  },
  "core.action.calendar_missing": {
    de: "Google-Kalender nicht mehr vorhanden", en: "Google calendar no longer exists",
  },
  "core.action.throttled": {
    de: "Von Google gedrosselt (Google-Limit)", en: "Throttled by Google (Google limit)",
  },
  "core.action.conflict_resolved": { de: "Konflikt aufgelöst", en: "Conflict resolved" },
  "core.action.quarantined": {
    de: "Termin zurückgestellt (nicht synchronisierbar)", en: "Appointment set aside (cannot be synced)",
  },
  "core.action.quarantine_released": {
    de: "Zurückgestellter Termin wieder synchronisiert", en: "Set-aside appointment synced again",
  },
  "core.access.owner": { de: "Besitzer", en: "Owner" },
  "core.access.writer": { de: "Schreibrechte", en: "Can edit" },
  "core.error.sync_disabled": {
    de: "Die Google-Kalender-Synchronisation ist für diese Filiale ausgeschaltet. " +
      "Aktivieren Sie zuerst in den Filialeinstellungen „Mit Google Kalender synchronisieren“.",
    en: "Google Calendar sync is switched off for this branch. " +
      "First switch on “Sync with Google Calendar” in the branch settings.",
  },
  "core.error.invalid_field": { de: "Eine Angabe ist ungültig.", en: "A field is not valid." },
  "core.error.forbidden": { de: "Dafür fehlt Ihnen die Berechtigung.", en: "You are not allowed to do that." },
  "core.error.unauthenticated": {
    de: "Die Anmeldung ist ungültig oder abgelaufen. Bitte laden Sie die Seite neu.",
    en: "The sign-in is not valid or has expired. Please reload the page.",
  },
  "core.error.primary_calendar": {
    de: "Der Hauptkalender eines Google-Kontos kann nicht verknüpft werden. " +
      "Bitte wählen Sie einen sekundären Kalender oder erstellen Sie einen neuen.",
    en: "The main calendar of a Google account cannot be linked. " +
      "Please choose a secondary calendar or create a new one.",
  },
  "core.error.network_error": { de: "Der Server ist nicht erreichbar.", en: "The server cannot be reached." },
  "core.error.not_consented": {
    de: "Es liegt noch keine Zustimmung vor. Bitte starten Sie zuerst „Google-Kalender verknüpfen“.",
    en: "There is no consent yet. Please start “Link Google calendar” first.",
  },
  "core.error.not_linked": {
    de: "Für diese Ressource gibt es keine Zustimmung, die zurückgezogen werden könnte.",
    en: "This resource has no consent that could be withdrawn.",
  },
  "core.error.calendar_not_found": {
    de: "Diesen Kalender gibt es im Google-Konto nicht (mehr).",
    en: "This calendar does not exist in the Google account (any more).",
  },
  // An employee cannot change the branch's switch: the page says who can (never "switch it on").
  "core.employee_error.sync_disabled": {
    de: "Die Google-Kalender-Synchronisation ist für Ihre Filiale ausgeschaltet. " +
      "Ihre Administration muss die Synchronisation für die Filiale einschalten; erst dann lässt sich " +
      "Ihr Google-Kalender verknüpfen.",
    en: "Google Calendar sync is switched off for your branch. " +
      "Your administration has to switch it on for the branch; only then can your Google calendar be linked.",
  },
  "core.unknown_error": { de: "Unbekannter Fehler.", en: "Unknown error." },
  "core.no_json": { de: "Keine JSON-Antwort von {method} {path}", en: "No JSON answer from {method} {path}" },
  "core.close_message": { de: "Meldung schließen", en: "Close message" },
  "core.lang.label": { de: "Sprache", en: "Language" },
  // Each language is named in its own language, whatever the page's language is.
  "core.lang.de": { de: "Deutsch", en: "Deutsch" },
  "core.lang.en": { de: "English", en: "English" },
});

// code -> text, in the language of the moment (read each time: the language can switch).
function texts(prefix, codes) {
  const map = {};
  for (const code of codes) {
    Object.defineProperty(map, code, { enumerable: true, get: () => t(`${prefix}.${code}`) });
  }
  return Object.freeze(map);
}

const STATUS_TEXT = texts("core.status",
  ["none", "consented", "linked", "throttled", "needs_reconsent", "calendar_missing", "revoked"]);
const KIND_TEXT = texts("core.kind", ["employee", "room", "device"]);
const ROLE_TEXT = texts("core.role", ["admin", "employee", "planner"]);
const ACTION_TEXT = texts("core.action",
  ["consent_granted", "consent_denied", "consent_incomplete", "consent_refused", "linked", "cleared", "revoked",
    "grant_dead", "token_unreadable", "calendar_missing", "throttled", "conflict_resolved", "quarantined",
    "quarantine_released"]);
const ACCESS_TEXT = texts("core.access", ["owner", "writer"]);
const ERROR_TEXT = texts("core.error", ["sync_disabled", "invalid_field", "forbidden", "unauthenticated",
  "primary_calendar", "network_error", "not_consented", "not_linked", "calendar_not_found"]);
const EMPLOYEE_ERROR_TEXT = texts("core.employee_error", ["sync_disabled"]);
// Which statuses have a stored consent that can be withdrawn.
const REVOCABLE = new Set(["consented", "linked", "throttled", "needs_reconsent", "calendar_missing"]);
// Which statuses sync (so the branch's switch, when off, pauses them).
const SYNCING = new Set(["linked", "throttled"]);
// Successes and notes leave the status area after this long (or at the next action).
const MESSAGE_MS = 6000;
const POLL_MS = 1000;
const FLOW_TIMEOUT_MS = 10 * 60 * 1000;

const $ = (selector) => document.querySelector(selector);

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const app = {
  page: document.body.dataset.page,
  params: new URLSearchParams(location.search),
  token: null,
  branch: null,
  resources: [],       // in display order
  links: new Map(),    // resource_id -> GET /links answer
  flows: new Map(),    // resource_id -> a consent in progress
  previewSeq: 0,
};
app.branchId = app.params.get("branch") || "berlin";
app.resourceId = app.params.get("resource") || "anna";  // employee.html: the employee's own resource

// --- HTTP ---------------------------------------------------------------------------------

async function api(method, path, body) {
  // The server's own messages (shown for codes the page has no text of) follow the page's language.
  const options = { method, headers: { Accept: "application/json", "Accept-Language": lang() } };
  if (app.token) options.headers.Authorization = `Bearer ${app.token}`;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new ApiError(0, "network_error", String(err));
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`,
      error.message || text.slice(0, 300) || response.statusText);
  }
  if (data === null || typeof data !== "object") {
    throw new ApiError(response.status, "invalid_response", t("core.no_json", { method, path }));
  }
  return data;
}

const seg = encodeURIComponent;
const linkPath = (resourceId) => `/links/${seg(app.branchId)}/${seg(resourceId)}`;
const resourcePath = (resourceId) => `/planner/branches/${seg(app.branchId)}/resources/${seg(resourceId)}`;

// --- messages -----------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

// One status area: a new message replaces the one before; a success or a note goes by itself
// after MESSAGE_MS, and at the next action (clearTransient); errors and warnings stay until
// replaced or closed. `text` and `detail` may be functions that give the text: such a message
// follows a switch of the language (a plain string stays as it was written).
let messageTimer = null;

function showMessage(kind, text, detail, extra, code) {
  const box = $("#messages");
  const close = el("button", { type: "button", className: "close", "aria-label": t("core.close_message"),
    text: "×", onclick: () => item.remove() });
  const body = el("div", { className: "message-text" });
  const render = () => {
    const shown = typeof text === "function" ? text() : text;
    const small = typeof detail === "function" ? detail() : detail;
    const parts = [el("span", { text: shown })];  // replaceChildren would write null as "null"
    if (small) parts.push(el("small", { className: "detail", text: small }));
    if (extra) parts.push(extra);
    body.replaceChildren(...parts);
    close.setAttribute("aria-label", t("core.close_message"));
  };
  render();
  const item = el("div", {
    className: `message message-${kind}`, role: kind === "error" ? "alert" : "status",
    dataset: { test: "message", kind, code },
  }, body, close);
  item.rerender = render;
  clearTimeout(messageTimer);
  box.replaceChildren(item);
  if (kind === "success" || kind === "info") {
    messageTimer = setTimeout(() => item.remove(), MESSAGE_MS);
  }
  return item;
}

/** The next action begins: a success or a note of the one before is no news any more. */
function clearTransient() {
  for (const item of document.querySelectorAll('#messages [data-kind="success"], #messages [data-kind="info"]')) {
    item.remove();
  }
}

// The page's own text for a known code, else undefined (then the server's message is shown: it
// follows Accept-Language).
function knownText(code) {
  return (app.page === "employee" && EMPLOYEE_ERROR_TEXT[code]) || ERROR_TEXT[code];
}

function errorText(err) {
  return knownText(err.code) || err.message || t("core.unknown_error");
}

function errorDetail(err) {
  const head = err.status ? `HTTP ${err.status} · ${err.code}` : err.code;
  return knownText(err.code) && err.message ? `${head} · ${err.message}` : head;
}

/** Whether the branch's switch is off, so a syncing link of this resource is paused: the
 *  branch as the admin page holds it (it follows the switch at once), else GET /links's word. */
function syncPaused(resourceId) {
  const link = app.links.get(resourceId) || {};
  if (!SYNCING.has(link.status)) return false;
  if (app.branch) return !app.branch.google_sync_enabled;
  return link.branch_sync_enabled === false;
}

/** The linked calendar for people: its name where the link knows it, else its id. */
function calendarLabel(link) {
  return (link && (link.google_calendar_name || link.google_calendar_id)) || "";
}

/** An error in a context ("Der Termin konnte nicht gespeichert werden"); `context` may be a
 *  function that gives it, so that the message follows a switch of the language. */
function showError(context, err) {
  console.error(typeof context === "function" ? context() : context, err);
  const words = () => `${typeof context === "function" ? context() : context}: ${errorText(err)}`;
  return showMessage("error", typeof context === "function" ? words : words(), () => errorDetail(err),
    null, err.code);
}

// A moment as practice staff read it: in the branch's time zone (the page's `app.branch`, or the
// zone given), whatever zone the browser is in; one format on every page, in the page's language.
function formatTime(value, timeZone = app.branch && app.branch.timezone) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value)
    : date.toLocaleString(locale(), { timeZone: timeZone || undefined, dateStyle: "medium", timeStyle: "medium" });
}

function statusOf(resource) {
  const link = app.links.get(resource.resource_id);
  return (link && link.status) || resource.link_status || "none";
}

function resourceName(resourceId) {
  const resource = app.resources.find((r) => r.resource_id === resourceId);
  return resource ? resource.name : resourceId;
}

// --- the language -------------------------------------------------------------------------

// What re-renders the page's texts when the language switches (onLanguage). A page whose
// modules registered nothing is reloaded in the new language instead (?lang=).
const renders = [];

/** `render` runs after every switch of the language (the static texts are done by then). */
function onLanguage(render) {
  renders.push(render);
}

function chooseLanguage(next) {
  if (next === lang()) return;
  const url = new URL(location.href);
  url.searchParams.set("lang", next);  // an earlier ?lang= would win over the choice at a reload
  if (!renders.length) {
    setLang(next);  // kept for the next visit
    location.replace(url);
    return;
  }
  history.replaceState(history.state, "", url);
  setLang(next);
}

document.addEventListener("langchange", () => {
  for (const item of document.querySelectorAll("#messages .message")) {
    if (item.rerender) item.rerender();
  }
  markLanguage();
  for (const render of renders) {
    try {
      render();
    } catch (err) {
      console.error("re-render after the language switch", err);
    }
  }
});

// DE | EN at the end of the dev bar (its look: lang.css).
function languageSwitch() {
  const bar = $("#devbar");
  if (!bar || bar.querySelector(".lang-switch")) return;
  if (!document.querySelector('link[href="lang.css"]')) {
    document.head.append(el("link", { rel: "stylesheet", href: "lang.css" }));
  }
  const group = el("span", { className: "lang-switch", role: "group", "data-i18n-aria-label": "core.lang.label",
    dataset: { test: "lang-switch" } });
  LANGUAGES.forEach((code, index) => {
    if (index) group.append(el("span", { className: "lang-sep", "aria-hidden": "true", text: "|" }));
    group.append(el("button", { type: "button", className: "lang", lang: code, "data-i18n-title": `core.lang.${code}`,
      dataset: { lang: code, test: `lang-${code}` }, text: code.toUpperCase(), onclick: () => chooseLanguage(code) }));
  });
  bar.append(group);
  markLanguage();
}

function markLanguage() {
  for (const button of document.querySelectorAll(".lang-switch button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang()));
  }
}

// The static texts (data-i18n) once every module of the page has registered its own: after the
// evaluation of the page's modules (a task of its own), at the latest at DOMContentLoaded.
let languageStarted = false;
function startLanguage() {
  if (languageStarted) return;
  languageStarted = true;
  languageSwitch();
  applyStatic();
}
setTimeout(startLanguage, 0);
document.addEventListener("DOMContentLoaded", startLanguage);

export {
  ACCESS_TEXT, ACTION_TEXT, ApiError, EMPLOYEE_ERROR_TEXT, ERROR_TEXT, FLOW_TIMEOUT_MS, KIND_TEXT, POLL_MS, REVOCABLE,
  ROLE_TEXT, STATUS_TEXT, SYNCING, $, api, app, calendarLabel, clearTransient, el, errorDetail, errorText, formatTime,
  linkPath, onLanguage, resourceName, resourcePath, seg, showError, showMessage, statusOf, syncPaused,
};
