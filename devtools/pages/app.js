// The local demo pages (admin.html, employee.html): the planner's side of the Google link.
// Plain browser JavaScript, no build step, no libraries. Every text a person reads is German
// (the practice staff's language); ids and data-test attributes are stable for the browser tests.
// Data from the API is only ever put into the page as text (textContent), never as HTML.
"use strict";

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
const ACCESS_TEXT = { owner: "Besitzer", writer: "Schreibrechte" };
const ERROR_TEXT = {
  sync_disabled: "Die Google-Kalender-Synchronisation ist für diese Filiale ausgeschaltet. " +
    "Aktivieren Sie zuerst in den Filialeinstellungen „Mit Google Kalender synchronisieren“.",
  forbidden: "Dafür fehlt Ihnen die Berechtigung.",
  unauthenticated: "Die Anmeldung ist ungültig oder abgelaufen. Bitte laden Sie die Seite neu.",
  primary_calendar: "Der Hauptkalender eines Google-Kontos kann nicht verknüpft werden. " +
    "Bitte wählen Sie einen sekundären Kalender oder erstellen Sie einen neuen.",
  network_error: "Der Server ist nicht erreichbar.",
};
// Which statuses have a stored consent that can be withdrawn.
const REVOCABLE = new Set(["consented", "linked", "throttled", "needs_reconsent", "calendar_missing"]);
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
  identity: null,
  branch: null,
  resources: [],       // in display order
  links: new Map(),    // resource_id -> GET /links answer
  flows: new Map(),    // resource_id -> a consent in progress
  previewSeq: 0,
};
app.branchId = app.params.get("branch") || "berlin";

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

function showMessage(kind, text, detail, extra, code) {
  const box = $("#messages");
  const close = el("button", { type: "button", className: "close", "aria-label": "Meldung schließen",
    text: "×", onclick: () => item.remove() });
  const item = el("div", {
    className: `message message-${kind}`, role: kind === "error" ? "alert" : "status",
    dataset: { test: "message", kind, code },
  }, el("div", { className: "message-text" }, el("span", { text }),
    detail ? el("small", { className: "detail", text: detail }) : null, extra || null), close);
  box.prepend(item);
  while (box.children.length > 5) box.lastElementChild.remove();
  return item;
}

function errorText(err) {
  return ERROR_TEXT[err.code] || err.message || "Unbekannter Fehler.";
}

function errorDetail(err) {
  const head = err.status ? `HTTP ${err.status} · ${err.code}` : err.code;
  return ERROR_TEXT[err.code] && err.message ? `${head} · ${err.message}` : head;
}

function showError(context, err) {
  console.error(context, err);
  return showMessage("error", `${context}: ${errorText(err)}`, errorDetail(err), null, err.code);
}

function formatTime(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString("de-DE");
}

// --- the resource table -------------------------------------------------------------------

function statusOf(resource) {
  const link = app.links.get(resource.resource_id);
  return (link && link.status) || resource.link_status || "none";
}

function resourceName(resourceId) {
  const resource = app.resources.find((r) => r.resource_id === resourceId);
  return resource ? resource.name : resourceId;
}

function statusCell(resource) {
  const status = statusOf(resource);
  const link = app.links.get(resource.resource_id) || {};
  const flow = app.flows.get(resource.resource_id);
  return el("td", {},
    el("span", { className: `status status-${status}`, title: status,
      dataset: { test: "link-status", status }, text: STATUS_TEXT[status] || status }),
    status === "consented" ? el("div", { className: "sub", text: "Noch kein Kalender gewählt." }) : null,
    link.account_email ? el("div", { className: "sub", dataset: { test: "account" } },
      "Google-Konto: ", link.account_email) : null,
    link.last_sync_at ? el("div", { className: "sub" }, "Letzte Synchronisation: ",
      formatTime(link.last_sync_at)) : null,
    link.last_error ? el("div", { className: "sub sub-error", dataset: { test: "last-error" } },
      "Letzter Fehler: ", link.last_error) : null,
    flow ? el("div", { className: "waiting", dataset: { test: "waiting" } },
      el("span", { className: "spinner", "aria-hidden": "true" }),
      " Warte auf Ihre Zustimmung im Google-Fenster … ",
      el("button", { type: "button", className: "link-button", dataset: { action: "cancel-wait" },
        text: "Abbrechen" })) : null);
}

function actionsCell(resource) {
  const status = statusOf(resource);
  const busy = app.flows.has(resource.resource_id);
  const button = (action, text, className, enabled = true) => el("button", {
    type: "button", className, dataset: { action, test: action }, text, disabled: busy || !enabled,
  });
  const needsSetup = status === "consented" || status === "calendar_missing";
  return el("td", {}, el("div", { className: "actions" },
    button("link", "Google-Kalender verknüpfen", status === "linked" || needsSetup ? "secondary" : "primary"),
    needsSetup ? button("choose", "Kalender auswählen", "primary") : null,
    REVOCABLE.has(status)
      ? button("revoke", "Bestehende Zustimmung zurückziehen", "danger-outline") : null,
    button("audit", "Verlauf", "link-button")));
}

function resourceRow(resource) {
  const calendarId = resource.google_calendar_id || (app.links.get(resource.resource_id) || {}).google_calendar_id;
  return el("tr", { dataset: { resourceId: resource.resource_id, test: "resource-row" } },
    el("th", { scope: "row" },
      el("span", { className: "name", dataset: { test: "resource-name" }, text: resource.name }),
      el("div", { className: "sub" }, `${KIND_TEXT[resource.kind] || resource.kind} · ${resource.resource_id}`)),
    statusCell(resource),
    el("td", {}, calendarId
      ? el("code", { className: "calendar-id", dataset: { test: "calendar-id" }, text: calendarId })
      : el("span", { className: "muted", dataset: { test: "calendar-id" }, text: "–" })),
    actionsCell(resource));
}

function render() {
  const rows = $("#resource-rows");
  if (!app.resources.length) {
    rows.replaceChildren(el("tr", {}, el("td", { colspan: 4, className: "empty",
      text: "Keine Ressourcen vorhanden." })));
    return;
  }
  rows.replaceChildren(...app.resources.map(resourceRow));
}

function replaceRow(resourceId) {
  const resource = app.resources.find((r) => r.resource_id === resourceId);
  const old = document.querySelector(`tr[data-resource-id="${CSS.escape(resourceId)}"]`);
  if (resource && old) old.replaceWith(resourceRow(resource));
}

async function loadLink(resourceId) {
  try {
    app.links.set(resourceId, await api("GET", linkPath(resourceId)));
  } catch (err) {
    app.links.delete(resourceId);
    showError(`Status der Freigabe von „${resourceName(resourceId)}“ nicht lesbar`, err);
  }
}

async function loadResources() {
  try {
    if (app.page === "employee") {
      app.resources = [await api("GET", resourcePath(app.resourceId))];
    } else {
      const answer = await api("GET", `/planner/branches/${seg(app.branchId)}/resources`);
      app.resources = answer.resources || [];
    }
  } catch (err) {
    app.resources = [];
    render();
    showError("Ressourcen konnten nicht geladen werden", err);
    return;
  }
  await Promise.all(app.resources.map((r) => loadLink(r.resource_id)));
  render();
}

async function refreshResource(resourceId) {
  try {
    const fresh = await api("GET", resourcePath(resourceId));
    app.resources = app.resources.map((r) => (r.resource_id === resourceId ? fresh : r));
  } catch (err) {
    showError(`„${resourceName(resourceId)}“ konnte nicht neu geladen werden`, err);
  }
  await loadLink(resourceId);
  replaceRow(resourceId);
}

// --- the branch switch (admin only) -------------------------------------------------------

function renderBranch() {
  const box = $("#sync-enabled");
  if (!app.branch) {
    box.disabled = true;
    return;
  }
  $("#branch-title").textContent = `${app.branch.name || app.branch.branch_id} (${app.branch.branch_id})`;
  $("#branch-timezone").textContent = app.branch.timezone || "–";
  box.checked = Boolean(app.branch.google_sync_enabled);
  box.disabled = false;
}

async function loadBranch() {
  try {
    app.branch = await api("GET", `/planner/branches/${seg(app.branchId)}`);
  } catch (err) {
    app.branch = null;
    $("#branch-title").textContent = `Filiale „${app.branchId}“`;
    showError(`Filiale „${app.branchId}“ konnte nicht geladen werden`, err);
  }
  renderBranch();
}

async function toggleSync(event) {
  const box = event.target;
  const wanted = box.checked;
  box.disabled = true;
  try {
    app.branch = await api("PUT", `/planner/branches/${seg(app.branchId)}`, {
      name: app.branch.name, timezone: app.branch.timezone, google_sync_enabled: wanted,
    });
    if (wanted) document.querySelectorAll('[data-code="sync_disabled"]').forEach((m) => m.remove());
    showMessage("success", wanted
      ? `Die Synchronisation mit Google Kalender ist für ${app.branch.name} eingeschaltet.`
      : `Die Synchronisation mit Google Kalender ist für ${app.branch.name} ausgeschaltet.`);
  } catch (err) {
    showError("Die Filialeinstellung konnte nicht gespeichert werden", err);
  }
  renderBranch();
}

// --- consent: the Google window and waiting for its answer --------------------------------

function openConsentWindow() {
  // Opened at once, inside the click, so that no popup blocker stops it; pointed at Google
  // when oauth_start has answered. Cut off from this page (opener), but we keep its handle.
  const win = window.open("", "_blank", "popup,width=540,height=760");
  if (!win) return null;
  try {
    win.opener = null;
    win.document.title = "Google-Anmeldung";
    win.document.body.style.font = "16px system-ui, sans-serif";
    win.document.body.textContent = "Die Google-Anmeldung wird vorbereitet …";
  } catch {
    // Not ours to write into: fine, it is only a placeholder.
  }
  return win;
}

function consentWindowResult(win) {
  // Our own oauth_callback page (same origin) ends the consent, successful or not.
  if (!win || win.closed) return null;
  try {
    if (win.location.origin !== location.origin || !win.location.pathname.endsWith("/oauth_callback")) return null;
    if (win.document.readyState !== "complete") return null;
    const heading = win.document.querySelector("h1");
    return ((heading && heading.textContent) || win.document.body.innerText || "").trim().slice(0, 300);
  } catch {
    return null; // still at Google (another origin)
  }
}

async function startConsent(resourceId) {
  if (app.flows.has(resourceId)) return;
  const name = resourceName(resourceId);
  const before = statusOf(app.resources.find((r) => r.resource_id === resourceId) || {});
  const win = openConsentWindow();
  let url;
  try {
    ({ authorization_url: url } = await api("POST", "/oauth_start",
      { branch_id: app.branchId, resource_id: resourceId }));
    if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
      throw new ApiError(200, "invalid_response", "oauth_start lieferte keine authorization_url.");
    }
  } catch (err) {
    if (win) win.close();
    showError(`Die Google-Freigabe für „${name}“ konnte nicht gestartet werden`, err);
    return;
  }
  if (win && !win.closed) {
    win.location.href = url;
  } else {
    showMessage("warning", "Der Browser hat das Google-Fenster blockiert.", "Öffnen Sie es über diesen Link:",
      el("a", { href: url, target: "_blank", rel: "noopener", dataset: { test: "consent-link" },
        text: "Google-Anmeldung öffnen" }));
  }
  app.flows.set(resourceId, { win, before, started: Date.now(), failures: 0, timer: null });
  replaceRow(resourceId);
  scheduleCheck(resourceId);
}

function scheduleCheck(resourceId) {
  const flow = app.flows.get(resourceId);
  if (flow) flow.timer = setTimeout(() => checkConsent(resourceId), POLL_MS);
}

function endConsent(resourceId) {
  const flow = app.flows.get(resourceId);
  if (flow) clearTimeout(flow.timer);
  app.flows.delete(resourceId);
  replaceRow(resourceId);
}

async function checkConsent(resourceId) {
  const flow = app.flows.get(resourceId);
  if (!flow) return;
  const name = resourceName(resourceId);
  const answered = consentWindowResult(flow.win);  // read before the status: the callback wrote first
  const closed = Boolean(flow.win && flow.win.closed);
  let link;
  try {
    link = await api("GET", linkPath(resourceId));
  } catch (err) {
    flow.failures += 1;
    if (flow.failures >= 3 || err.status === 401 || err.status === 403) {
      endConsent(resourceId);
      showError(`Der Status der Freigabe von „${name}“ ist nicht abrufbar`, err);
    } else {
      scheduleCheck(resourceId);
    }
    return;
  }
  if (!app.flows.has(resourceId)) return;  // cancelled meanwhile
  app.links.set(resourceId, link);
  const isNew = flow.before !== "consented" || answered !== null || closed;
  if (link.status === "consented" && isNew) {
    endConsent(resourceId);
    await refreshResource(resourceId);
    openCalendarDialog(resourceId);
  } else if (answered !== null) {
    endConsent(resourceId);
    showMessage("error", `Google hat die Zustimmung für „${name}“ nicht erteilt.`,
      `Google-Fenster: ${answered}`);
  } else if (closed) {
    endConsent(resourceId);
    showMessage("warning", `Das Google-Fenster wurde geschlossen, ohne dass die Zustimmung für „${name}“ ` +
      "erteilt wurde.");
  } else if (Date.now() - flow.started > FLOW_TIMEOUT_MS) {
    endConsent(resourceId);
    showMessage("warning", `Keine Zustimmung für „${name}“ innerhalb von 10 Minuten. Bitte erneut starten.`);
  } else {
    scheduleCheck(resourceId);
  }
}

function cancelConsent(resourceId) {
  const flow = app.flows.get(resourceId);
  if (flow && flow.win && !flow.win.closed) flow.win.close();
  endConsent(resourceId);
}

// --- the calendar choice ------------------------------------------------------------------

const DIALOGS = `
<dialog id="calendar-dialog" aria-labelledby="calendar-dialog-title" data-test="calendar-dialog">
  <form method="dialog" id="calendar-form" novalidate>
    <h2 id="calendar-dialog-title">Google-Kalender auswählen</h2>
    <p class="dialog-sub">Ressource <strong id="dialog-resource" data-test="dialog-resource"></strong>
      · Google-Konto <strong id="dialog-account" data-test="dialog-account">–</strong></p>
    <p class="hint">Wählen Sie einen vorhandenen Kalender aus oder erstellen Sie einen neuen Google-Kalender.
      Nur sekundäre Kalender können verknüpft werden – Ihr Hauptkalender bleibt unberührt.</p>
    <div id="dialog-error" class="inline-error" role="alert" data-test="dialog-error" hidden></div>
    <p id="no-secondary" class="notice" data-test="no-secondary" hidden>In diesem Google-Konto gibt es keinen
      sekundären Kalender, nur den Hauptkalender. Bitte erstellen Sie einen neuen Google-Kalender.</p>
    <fieldset id="calendar-choices">
      <legend>Kalender</legend>
      <div id="calendar-options" data-test="calendar-options"></div>
      <label class="choice">
        <input type="radio" name="calendar" value="" id="choice-new" data-test="choice-new">
        <span>Neuen Google-Kalender erstellen</span>
      </label>
      <div class="new-name" id="new-name-box" hidden>
        <label for="new-calendar-name">Name des neuen Kalenders</label>
        <input type="text" id="new-calendar-name" data-test="new-calendar-name" maxlength="200" autocomplete="off">
      </div>
    </fieldset>
    <div class="clear-box" id="clear-box" hidden>
      <label class="check">
        <input type="checkbox" id="clear-existing" data-test="clear-existing">
        <span id="clear-label" data-test="clear-label">Alle Termine in diesem Kalender löschen</span>
      </label>
      <p class="hint">Sinnvoll, wenn Sie einen vorhandenen Kalender erst zurücksetzen möchten. Gelöscht werden
        alle Termine des Kalenders, vergangene wie zukünftige.</p>
    </div>
    <div class="dialog-actions">
      <button type="button" class="secondary" id="calendar-cancel" data-test="calendar-cancel">Abbrechen</button>
      <button type="submit" class="primary" id="calendar-save" data-test="calendar-save" disabled>Speichern</button>
    </div>
  </form>
</dialog>
<dialog id="confirm-dialog" aria-labelledby="confirm-title" data-test="confirm-dialog">
  <form method="dialog">
    <h2 id="confirm-title"></h2>
    <p id="confirm-text"></p>
    <div class="dialog-actions">
      <button type="submit" value="cancel" class="secondary" data-test="confirm-cancel">Abbrechen</button>
      <button type="submit" value="confirm" class="danger" id="confirm-ok" data-test="confirm-ok"></button>
    </div>
  </form>
</dialog>
<dialog id="audit-dialog" aria-labelledby="audit-title" data-test="audit-dialog">
  <form method="dialog">
    <h2 id="audit-title">Verlauf</h2>
    <div id="audit-body" class="audit-body"></div>
    <div class="dialog-actions"><button type="submit" class="secondary">Schließen</button></div>
  </form>
</dialog>`;

function dialogError(err) {
  const box = $("#dialog-error");
  box.hidden = !err;
  box.textContent = err ? `${errorText(err)} (${errorDetail(err)})` : "";
}

function selectedCalendar() {
  const choice = document.querySelector('#calendar-form input[name="calendar"]:checked');
  return choice ? { isNew: choice.value === "", id: choice.value } : null;
}

function updateCalendarForm() {
  const choice = selectedCalendar();
  $("#new-name-box").hidden = !(choice && choice.isNew);
  $("#clear-box").hidden = !choice || choice.isNew;
  const nameOk = $("#new-calendar-name").value.trim() !== "";
  $("#calendar-save").disabled = !choice || (choice.isNew && !nameOk) || $("#calendar-form").dataset.busy === "1";
}

function clearLabel(count) {
  if (count === null) return "Alle Termine in diesem Kalender löschen (Anzahl unbekannt)";
  if (count === 1) return "Den 1 Termin in diesem Kalender löschen";
  return `Alle ${count} Termine in diesem Kalender löschen`;
}

async function loadPreview(resourceId, calendarId) {
  const seq = ++app.previewSeq;
  const box = $("#clear-existing");
  const label = $("#clear-label");
  box.checked = false;
  box.disabled = true;
  label.textContent = "Termine in diesem Kalender werden gezählt …";
  delete label.dataset.count;
  try {
    const answer = await api("GET", `${linkPath(resourceId)}/preview?calendar_id=${seg(calendarId)}`);
    if (seq !== app.previewSeq) return;
    const count = Number(answer.events);
    label.dataset.count = String(count);
    if (count === 0) {
      label.textContent = "Dieser Kalender enthält keine Termine – es muss nichts gelöscht werden.";
    } else {
      label.textContent = clearLabel(count);
      box.disabled = false;
    }
  } catch (err) {
    if (seq !== app.previewSeq) return;
    label.textContent = clearLabel(null);
    box.disabled = false;
    dialogError(err);
  }
}

function calendarOption(resourceId, calendar) {
  const input = el("input", { type: "radio", name: "calendar", value: calendar.id,
    dataset: { test: "calendar-option" } });
  input.addEventListener("change", () => {
    dialogError(null);
    updateCalendarForm();
    loadPreview(resourceId, calendar.id);
  });
  return el("label", { className: "choice" }, input,
    el("span", { text: calendar.summary || calendar.id }),
    el("small", { className: "muted", text: ACCESS_TEXT[calendar.access_role] || calendar.access_role || "" }));
}

async function openCalendarDialog(resourceId) {
  const dialog = $("#calendar-dialog");
  const form = $("#calendar-form");
  form.reset();
  form.dataset.resourceId = resourceId;
  form.dataset.busy = "";
  dialogError(null);
  $("#dialog-resource").textContent = resourceName(resourceId);
  $("#dialog-account").textContent = (app.links.get(resourceId) || {}).account_email || "–";
  $("#no-secondary").hidden = true;
  $("#new-calendar-name").value = `Terminplaner – ${resourceName(resourceId)}`;
  const options = $("#calendar-options");
  options.replaceChildren(el("p", { className: "empty", text: "Kalender werden geladen …" }));
  updateCalendarForm();
  if (!dialog.open) dialog.showModal();
  let calendars;
  try {
    calendars = (await api("GET", `${linkPath(resourceId)}/calendars`)).calendars || [];
  } catch (err) {
    options.replaceChildren();
    dialogError(err);
    return;
  }
  options.replaceChildren(...calendars.map((c) => calendarOption(resourceId, c)));
  if (!calendars.length) {
    // The manual's rule: without a secondary calendar, the only way is a new one.
    $("#no-secondary").hidden = false;
    $("#choice-new").checked = true;
  }
  updateCalendarForm();
}

async function saveCalendar(event) {
  event.preventDefault();
  const form = $("#calendar-form");
  const resourceId = form.dataset.resourceId;
  const choice = selectedCalendar();
  if (!choice) return;
  const body = choice.isNew
    ? { new_calendar: { summary: $("#new-calendar-name").value.trim() } }
    : { calendar_id: choice.id, clear_existing: $("#clear-existing").checked };
  form.dataset.busy = "1";
  updateCalendarForm();
  dialogError(null);
  try {
    const answer = await api("POST", linkPath(resourceId), body);
    $("#calendar-dialog").close("saved");
    const cleared = Number(answer.cleared || 0);
    showMessage("success", `„${resourceName(resourceId)}“ ist mit dem Google-Kalender verknüpft.` +
      (cleared ? ` ${cleared} ${cleared === 1 ? "Termin" : "Termine"} im Kalender gelöscht.` : ""),
      `Google-Kalender-Id: ${answer.google_calendar_id}`);
    await refreshResource(resourceId);
  } catch (err) {
    dialogError(err);
  } finally {
    form.dataset.busy = "";
    updateCalendarForm();
  }
}

// --- revoke, history ----------------------------------------------------------------------

function confirmDialog(title, text, confirmLabel) {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
  });
}

async function revoke(resourceId) {
  const name = resourceName(resourceId);
  const ok = await confirmDialog("Bestehende Zustimmung zurückziehen?",
    `Die Freigabe des Google-Kalenders für „${name}“ wird bei Google widerrufen und die Synchronisation ` +
    "endet. Die Termine im Google-Kalender bleiben erhalten.", "Zustimmung zurückziehen");
  if (!ok) return;
  try {
    await api("POST", "/revoke", { branch_id: app.branchId, resource_id: resourceId });
    showMessage("success", `Die Zustimmung für „${name}“ wurde zurückgezogen.`);
  } catch (err) {
    showError(`Die Zustimmung für „${name}“ konnte nicht zurückgezogen werden`, err);
  }
  await refreshResource(resourceId);
}

async function showAudit(resourceId) {
  const dialog = $("#audit-dialog");
  const body = $("#audit-body");
  $("#audit-title").textContent = `Verlauf – ${resourceName(resourceId)}`;
  body.replaceChildren(el("p", { className: "empty", text: "Wird geladen …" }));
  dialog.showModal();
  try {
    const entries = (await api("GET", `${linkPath(resourceId)}/audit`)).entries || [];
    if (!entries.length) {
      body.replaceChildren(el("p", { className: "empty", text: "Noch keine Einträge." }));
      return;
    }
    const rows = entries.map((e) => el("tr", { dataset: { test: "audit-entry" } },
      el("td", { text: formatTime(e.at) }), el("td", { text: e.action }), el("td", { text: e.actor || "" }),
      el("td", {}, el("code", { text: e.details && Object.keys(e.details).length ? JSON.stringify(e.details) : "" }))));
    body.replaceChildren(el("table", { className: "audit" },
      el("thead", {}, el("tr", {}, ["Zeit", "Aktion", "Wer", "Details"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows)));
  } catch (err) {
    body.replaceChildren(el("p", { className: "inline-error", role: "alert",
      text: `${errorText(err)} (${errorDetail(err)})` }));
  }
}

// --- start --------------------------------------------------------------------------------

function onTableClick(event) {
  const button = event.target.closest("button[data-action]");
  const row = event.target.closest("tr[data-resource-id]");
  if (!button || !row) return;
  const resourceId = row.dataset.resourceId;
  const actions = {
    link: () => startConsent(resourceId),
    choose: () => openCalendarDialog(resourceId),
    revoke: () => revoke(resourceId),
    audit: () => showAudit(resourceId),
    "cancel-wait": () => cancelConsent(resourceId),
  };
  (actions[button.dataset.action] || (() => {}))();
}

async function signIn() {
  // Local only: the dev server signs the token the planner would hand to this page.
  const request = app.page === "employee"
    ? { role: "employee", branch_id: app.branchId, resource_ids: [app.resourceId],
      sub: app.params.get("sub") || `employee-${app.resourceId}` }
    : { role: "admin", branch_id: app.branchId, sub: app.params.get("sub") || "admin-demo" };
  const answer = await api("POST", "/dev/token", request);
  app.token = answer.token;
  app.identity = request;
  const who = app.page === "employee" ? ` ${app.resourceId}` : "";
  $("#identity").textContent = `angemeldet als ${ROLE_TEXT[request.role]}${who} der Filiale ${app.branchId}`;
}

async function start() {
  app.resourceId = app.params.get("resource") || "anna";
  document.body.insertAdjacentHTML("beforeend", DIALOGS);
  $("#resource-rows").addEventListener("click", onTableClick);
  $("#reload").addEventListener("click", () => loadResources());
  $("#calendar-form").addEventListener("submit", saveCalendar);
  $("#calendar-form").addEventListener("input", updateCalendarForm);
  $("#choice-new").addEventListener("change", () => {
    app.previewSeq += 1;  // a preview still under way no longer matters
    dialogError(null);
    updateCalendarForm();
    $("#new-calendar-name").focus();
  });
  $("#calendar-cancel").addEventListener("click", () => $("#calendar-dialog").close("cancel"));
  $("#calendar-dialog").addEventListener("close", () => {
    const resourceId = $("#calendar-form").dataset.resourceId;
    if ($("#calendar-dialog").returnValue !== "saved" && resourceId) {
      showMessage("info", `Für „${resourceName(resourceId)}“ ist noch kein Kalender gewählt. ` +
        "„Kalender auswählen“ setzt die Einrichtung fort.");
    }
  });
  const sync = $("#sync-enabled");
  if (sync) sync.addEventListener("change", toggleSync);
  try {
    await signIn();
  } catch (err) {
    showError("Anmeldung am lokalen Server fehlgeschlagen", err);
    $("#resource-rows").replaceChildren();
    return;
  }
  await Promise.all([app.page === "admin" ? loadBranch() : null, loadResources()]);
  document.body.dataset.ready = "1";
}

window.planner = { app, api };  // for the browser tests and the curious
start();
