// Shared by the demo pages' modules: the state of the page, the API client, texts and messages.
// Every text a person reads is German (the practice staff's language). Data from the API is only
// ever put into the page as text (textContent), never as HTML.

const STATUS_TEXT = {
  none: "nicht verknüpft",
  consented: "Zustimmung erteilt",
  linked: "verknüpft",
  throttled: "vorübergehend gedrosselt (Google-Limit)",
  needs_reconsent: "Zustimmung erneut erforderlich",
  calendar_missing: "Google-Kalender nicht mehr vorhanden",
  revoked: "Zustimmung zurückgezogen",
};
const KIND_TEXT = { employee: "Mitarbeiter", room: "Raum", device: "Gerät" };
const ROLE_TEXT = { admin: "Administrator", employee: "Mitarbeiter", planner: "Terminplaner" };
const ACTION_TEXT = {
  consent_granted: "Zustimmung erteilt",
  consent_denied: "Zustimmung abgelehnt",
  consent_incomplete: "Zustimmung unvollständig",
  consent_refused: "Zustimmung abgewiesen (in einem anderen Browser abgeschlossen)",
  linked: "Kalender verknüpft",
  cleared: "Termine im Kalender gelöscht",
  revoked: "Zustimmung zurückgezogen",
};
const ACCESS_TEXT = { owner: "Besitzer", writer: "Schreibrechte" };
const ERROR_TEXT = {
  sync_disabled: "Die Google-Kalender-Synchronisation ist für diese Filiale ausgeschaltet. " +
    "Aktivieren Sie zuerst in den Filialeinstellungen „Mit Google Kalender synchronisieren“.",
  invalid_field: "Eine Angabe ist ungültig.",
  forbidden: "Dafür fehlt Ihnen die Berechtigung.",
  unauthenticated: "Die Anmeldung ist ungültig oder abgelaufen. Bitte laden Sie die Seite neu.",
  primary_calendar: "Der Hauptkalender eines Google-Kontos kann nicht verknüpft werden. " +
    "Bitte wählen Sie einen sekundären Kalender oder erstellen Sie einen neuen.",
  network_error: "Der Server ist nicht erreichbar.",
  not_consented: "Es liegt noch keine Zustimmung vor. Bitte starten Sie zuerst „Google-Kalender verknüpfen“.",
  not_linked: "Für diese Ressource gibt es keine Zustimmung, die zurückgezogen werden könnte.",
  calendar_not_found: "Diesen Kalender gibt es im Google-Konto nicht (mehr).",
};
// An employee cannot change the branch's switch: the page says who can (never "switch it on").
const EMPLOYEE_ERROR_TEXT = {
  sync_disabled: "Die Google-Kalender-Synchronisation ist für Ihre Filiale ausgeschaltet. " +
    "Ihre Administration muss die Synchronisation für die Filiale einschalten; erst dann lässt sich " +
    "Ihr Google-Kalender verknüpfen.",
};
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
  const options = { method, headers: { Accept: "application/json" } };
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
    throw new ApiError(response.status, "invalid_response", `Keine JSON-Antwort von ${method} ${path}`);
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
// replaced or closed.
let messageTimer = null;

function showMessage(kind, text, detail, extra, code) {
  const box = $("#messages");
  const close = el("button", { type: "button", className: "close", "aria-label": "Meldung schließen",
    text: "×", onclick: () => item.remove() });
  const item = el("div", {
    className: `message message-${kind}`, role: kind === "error" ? "alert" : "status",
    dataset: { test: "message", kind, code },
  }, el("div", { className: "message-text" }, el("span", { text }),
    detail ? el("small", { className: "detail", text: detail }) : null, extra || null), close);
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

function knownText(code) {
  return (app.page === "employee" && EMPLOYEE_ERROR_TEXT[code]) || ERROR_TEXT[code];
}

function errorText(err) {
  return knownText(err.code) || err.message || "Unbekannter Fehler.";
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

function showError(context, err) {
  console.error(context, err);
  return showMessage("error", `${context}: ${errorText(err)}`, errorDetail(err), null, err.code);
}

// A moment as practice staff read it: in the branch's time zone (the page's `app.branch`, or the
// zone given), whatever zone the browser is in; one format on every page.
function formatTime(value, timeZone = app.branch && app.branch.timezone) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value)
    : date.toLocaleString("de-DE", { timeZone: timeZone || undefined, dateStyle: "medium", timeStyle: "medium" });
}

function statusOf(resource) {
  const link = app.links.get(resource.resource_id);
  return (link && link.status) || resource.link_status || "none";
}

function resourceName(resourceId) {
  const resource = app.resources.find((r) => r.resource_id === resourceId);
  return resource ? resource.name : resourceId;
}

export {
  ACCESS_TEXT, ACTION_TEXT, ApiError, ERROR_TEXT, FLOW_TIMEOUT_MS, KIND_TEXT, POLL_MS, REVOCABLE, ROLE_TEXT,
  STATUS_TEXT, SYNCING, $, api, app, calendarLabel, clearTransient, el, errorDetail, errorText, formatTime, linkPath,
  resourceName, resourcePath, seg, showError, showMessage, statusOf, syncPaused,
};
