// The resource table (link status, the Google calendar, what Google sees, the actions) and the
// branch switch.

import {
  $, REVOCABLE, SYNCING, api, app, el, formatTime, linkPath, resourceName, resourcePath, seg, showError, showMessage,
  statusOf, syncPaused,
} from "./core.js";
import { loadHealth, renderHealth } from "./health.js";
import { register, t } from "./i18n.js";
import { privacyCell } from "./privacy.js";
import { kindText, stateText } from "./states.js";

register({
  "table.paused": { de: "{status} · Synchronisation angehalten", en: "{status} · sync paused" },
  // What a paused link's row says: the branch's switch is off, so nothing syncs; who can change it.
  "table.pausedText.admin": {
    de: "Die Synchronisation ist angehalten, weil „Mit Google Kalender synchronisieren“ für die " +
      "Filiale ausgeschaltet ist. Die Verknüpfung bleibt bestehen; eingeschaltet geht es weiter.",
    en: "Syncing is paused because “Sync with Google Calendar” is switched off for the branch. The " +
      "link stays; once it is switched on again, syncing goes on.",
  },
  "table.pausedText.employee": {
    de: "Die Synchronisation ist angehalten, weil sie für Ihre Filiale ausgeschaltet ist. Ihre " +
      "Administration muss die Synchronisation für die Filiale einschalten; die Verknüpfung bleibt bestehen.",
    en: "Syncing is paused because it is switched off for your branch. Your administration has to " +
      "switch syncing on for the branch; the link stays.",
  },
  "table.noCalendarYet": { de: "Noch kein Kalender gewählt.", en: "No calendar chosen yet." },
  "table.heldBack.admin": {
    de: "Eine Massenänderung wartet auf Ihre Entscheidung („Änderung prüfen“).",
    en: "A mass change waits for your decision (“Review the change”).",
  },
  "table.heldBack.employee": {
    de: "Eine Massenänderung ist zurückgehalten; Ihre Administration entscheidet, ob sie übernommen wird.",
    en: "A mass change is held back; your administration decides whether it is applied.",
  },
  "table.review": { de: "Änderung prüfen", en: "Review the change" },
  "table.account": { de: "Google-Konto: {email}", en: "Google account: {email}" },
  "table.lastChecked": { de: "Zuletzt geprüft: {time}", en: "Last checked: {time}" },
  "table.lastCheckedHint": {
    de: "Wann die Verknüpfung zuletzt geprüft wurde. Ohne Änderungen wird das höchstens einmal pro Stunde vermerkt.",
    en: "When the link was last checked. Without changes this is noted at most once an hour.",
  },
  "table.lastChanged": { de: "Zuletzt geändert: {time}", en: "Last changed: {time}" },
  "table.lastChangedHint": {
    de: "Die letzte Synchronisation, die Änderungen übertragen konnte.",
    en: "The last sync that could carry changes.",
  },
  "table.never": { de: "noch nie", en: "never" },
  "table.lastError": { de: "Letzter Fehler: {error}", en: "Last error: {error}" },
  "table.waiting": { de: " Warte auf Ihre Zustimmung im Google-Fenster … ", en: " Waiting for your consent in the Google window … " },
  "table.cancel": { de: "Abbrechen", en: "Cancel" },
  "table.link": { de: "Google-Kalender verknüpfen", en: "Link Google calendar" },
  "table.choose": { de: "Kalender auswählen", en: "Choose calendar" },
  "table.revoke": { de: "Bestehende Zustimmung zurückziehen", en: "Withdraw existing consent" },
  "table.audit": { de: "Verlauf", en: "History" },
  "table.calendarIdTitle": { de: "Google-Kalender-Id", en: "Google calendar id" },
  "table.empty": { de: "Keine Ressourcen vorhanden.", en: "No resources." },
  "table.loading": { de: "Wird geladen …", en: "Loading …" },
  "table.linkUnreadable": {
    de: "Status der Freigabe von „{name}“ nicht lesbar", en: "The consent status of “{name}” cannot be read",
  },
  "table.resourcesFailed": { de: "Ressourcen konnten nicht geladen werden", en: "The resources could not be loaded" },
  "table.resourceFailed": { de: "„{name}“ konnte nicht neu geladen werden", en: "“{name}” could not be reloaded" },
  "table.branchTitle": { de: "{name} ({id})", en: "{name} ({id})" },
  "table.branchFallback": { de: "Filiale „{id}“", en: "Branch “{id}”" },
  "table.branchFailed": { de: "Filiale „{id}“ konnte nicht geladen werden", en: "Branch “{id}” could not be loaded" },
  "table.syncOn": {
    de: "Die Synchronisation mit Google Kalender ist für {name} eingeschaltet.",
    en: "Syncing with Google Calendar is switched on for {name}.",
  },
  "table.syncOff": {
    de: "Die Synchronisation mit Google Kalender ist für {name} ausgeschaltet.",
    en: "Syncing with Google Calendar is switched off for {name}.",
  },
  "table.pausedCount.one": {
    de: "Die Synchronisation von 1 verknüpften Ressource ist angehalten, bis sie wieder eingeschaltet wird.",
    en: "Syncing of 1 linked resource is paused until it is switched on again.",
  },
  "table.pausedCount.many": {
    de: "Die Synchronisation von {count} verknüpften Ressourcen ist angehalten, bis sie wieder eingeschaltet wird.",
    en: "Syncing of {count} linked resources is paused until it is switched on again.",
  },
  "table.branchSaveFailed": {
    de: "Die Filialeinstellung konnte nicht gespeichert werden", en: "The branch setting could not be saved",
  },
});

function branchOff() {
  // The branch's switch as the page knows it: the admin page reads the branch, the employee page
  // its link (GET /links says `branch_sync_enabled`).
  if (app.branch) return !app.branch.google_sync_enabled;
  const link = app.links.get(app.resourceId);
  return Boolean(link && link.branch_sync_enabled === false);
}

/** Last checked and last changed (issue 13, item 2): two moments, each with what it means. */
function timesOf(link, className = "sub") {
  if (!link.last_checked_at && !link.last_sync_at) return [];
  return [
    el("div", { className, title: t("table.lastCheckedHint"), dataset: { test: "last-checked" } },
      t("table.lastChecked", { time: link.last_checked_at ? formatTime(link.last_checked_at) : t("table.never") })),
    el("div", { className, title: t("table.lastChangedHint"), dataset: { test: "last-changed" } },
      t("table.lastChanged", { time: link.last_sync_at ? formatTime(link.last_sync_at) : t("table.never") })),
  ];
}

/** A mass change of this resource's link waits for the admin's decision. */
function heldBack(resourceId) {
  const link = app.links.get(resourceId) || {};
  return Boolean(link.blocked) && SYNCING.has(link.status);
}

function statusCell(resource) {
  const status = statusOf(resource);
  const link = app.links.get(resource.resource_id) || {};
  const flow = app.flows.get(resource.resource_id);
  const paused = syncPaused(resource.resource_id);
  const label = stateText(status);
  return el("td", {},
    el("span", { className: `status status-${status}${paused ? " status-paused" : ""}`, title: status,
      dataset: { test: "link-status", status, paused: paused ? "1" : null },
      text: paused ? t("table.paused", { status: label }) : label }),
    paused ? el("div", { className: "sub sub-warning", dataset: { test: "paused" },
      text: t(app.page === "employee" ? "table.pausedText.employee" : "table.pausedText.admin") }) : null,
    status === "consented" ? el("div", { className: "sub", text: t("table.noCalendarYet") }) : null,
    heldBack(resource.resource_id) ? el("div", { className: "sub sub-warning", dataset: { test: "held-back" },
      text: t(app.page === "admin" ? "table.heldBack.admin" : "table.heldBack.employee") }) : null,
    link.account_email ? el("div", { className: "sub", dataset: { test: "account" } },
      t("table.account", { email: link.account_email })) : null,
    ...timesOf(link),
    link.last_error ? el("div", { className: "sub sub-error", dataset: { test: "last-error" } },
      t("table.lastError", { error: link.last_error })) : null,
    flow ? el("div", { className: "waiting", dataset: { test: "waiting" } },
      el("span", { className: "spinner", "aria-hidden": "true" }),
      t("table.waiting"),
      el("button", { type: "button", className: "link-button", dataset: { action: "cancel-wait" },
        text: t("table.cancel") })) : null);
}

function actionsCell(resource) {
  const status = statusOf(resource);
  const busy = app.flows.has(resource.resource_id);
  const button = (action, text, className, enabled = true) => el("button", {
    type: "button", className, dataset: { action, test: action }, text, disabled: busy || !enabled,
  });
  const needsSetup = status === "consented" || status === "calendar_missing";
  // An employee cannot start a consent while the branch's switch is off (only the admin can
  // switch it on: the page says so above the table).
  const blocked = app.page === "employee" && branchOff();
  // a held-back mass change: the admin decides it (masschange.js)
  const review = app.page === "admin" && heldBack(resource.resource_id);
  return el("td", {}, el("div", { className: "actions" },
    review ? button("review", t("table.review"), "danger") : null,
    button("link", t("table.link"), status === "linked" || needsSetup ? "secondary" : "primary", !blocked),
    needsSetup ? button("choose", t("table.choose"), "primary") : null,
    REVOCABLE.has(status) ? button("revoke", t("table.revoke"), "danger-outline") : null,
    button("audit", t("table.audit"), "link-button")));
}

function calendarCell(resource) {
  // The calendar by its name (what the account calls it), its id (the resource's ID field) below.
  const link = app.links.get(resource.resource_id) || {};
  const calendarId = resource.google_calendar_id || link.google_calendar_id;
  if (!calendarId) return el("td", {}, el("span", { className: "muted", dataset: { test: "calendar-id" }, text: "–" }));
  const name = link.google_calendar_id === calendarId ? link.google_calendar_name : null;
  return el("td", { className: "calendar" },
    name ? el("div", { className: "calendar-name", dataset: { test: "calendar-name" }, text: name }) : null,
    el("code", { className: "calendar-id", title: t("table.calendarIdTitle"), dataset: { test: "calendar-id" },
      text: calendarId }));
}

function resourceRow(resource) {
  return el("tr", { dataset: { resourceId: resource.resource_id, test: "resource-row" } },
    el("th", { scope: "row" },
      el("span", { className: "name", dataset: { test: "resource-name" }, text: resource.name }),
      el("div", { className: "sub" }, `${kindText(resource.kind)} · ${resource.resource_id}`)),
    statusCell(resource),
    calendarCell(resource),
    privacyCell(resource),
    actionsCell(resource));
}

function renderBranchNotice() {
  // employee.html: the branch's switch is off, and only the administration can switch it on.
  const notice = $("#branch-off");
  if (notice) notice.hidden = !branchOff();
}

const COLUMNS = 5;

function render() {
  renderBranchNotice();
  const rows = $("#resource-rows");
  if (!app.resources.length) {
    rows.replaceChildren(el("tr", {}, el("td", { colspan: COLUMNS, className: "empty", text: t("table.empty") })));
    return;
  }
  rows.replaceChildren(...app.resources.map(resourceRow));
}

function replaceRow(resourceId) {
  const resource = app.resources.find((r) => r.resource_id === resourceId);
  const old = document.querySelector(`tr[data-resource-id="${CSS.escape(resourceId)}"]`);
  if (resource && old) old.replaceWith(resourceRow(resource));
  renderBranchNotice();
}

async function loadLink(resourceId) {
  try {
    app.links.set(resourceId, await api("GET", linkPath(resourceId)));
  } catch (err) {
    app.links.delete(resourceId);
    showError(() => t("table.linkUnreadable", { name: resourceName(resourceId) }), err);
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
    showError(() => t("table.resourcesFailed"), err);
    return;
  }
  await Promise.all([...app.resources.map((r) => loadLink(r.resource_id)), loadHealth()]);
  render();
}

async function refreshResource(resourceId) {
  try {
    const fresh = await api("GET", resourcePath(resourceId));
    app.resources = app.resources.map((r) => (r.resource_id === resourceId ? fresh : r));
  } catch (err) {
    showError(() => t("table.resourceFailed", { name: resourceName(resourceId) }), err);
  }
  await Promise.all([loadLink(resourceId), loadHealth()]);
  replaceRow(resourceId);
}

// --- the branch switch (admin only) -------------------------------------------------------

function renderBranch() {
  const box = $("#sync-enabled");
  if (!app.branch) {
    box.disabled = true;
    return;
  }
  $("#branch-title").textContent = t("table.branchTitle", { name: app.branch.name || app.branch.branch_id,
    id: app.branch.branch_id });
  $("#branch-timezone").textContent = app.branch.timezone || "–";
  box.checked = Boolean(app.branch.google_sync_enabled);
  box.disabled = false;
  if (app.resources.length) render();  // the links' rows say whether they are paused
  renderHealth();  // its times in the branch's zone
}

async function loadBranch() {
  try {
    app.branch = await api("GET", `/planner/branches/${seg(app.branchId)}`);
  } catch (err) {
    app.branch = null;
    $("#branch-title").textContent = t("table.branchFallback", { id: app.branchId });
    showError(() => t("table.branchFailed", { id: app.branchId }), err);
  }
  renderBranch();
}

/** Switch the branch's sync on or off (the checkbox, or the overview's "switch on"). */
async function setBranchSync(wanted) {
  const box = $("#sync-enabled");
  box.checked = wanted;
  box.disabled = true;
  try {
    app.branch = await api("PUT", `/planner/branches/${seg(app.branchId)}`, {
      name: app.branch.name, timezone: app.branch.timezone, google_sync_enabled: wanted,
    });
    const paused = app.resources.filter((r) => syncPaused(r.resource_id)).length;
    const name = app.branch.name;
    showMessage("success", () => t(wanted ? "table.syncOn" : "table.syncOff", { name }),
      !wanted && paused
        ? () => t(paused === 1 ? "table.pausedCount.one" : "table.pausedCount.many", { count: paused }) : null);
  } catch (err) {
    showError(() => t("table.branchSaveFailed"), err);
  }
  renderBranch();
  await loadHealth();
}

function toggleSync(event) {
  return setBranchSync(event.target.checked);
}

/** A new language: the rows and the branch's title again. */
function rerender() {
  if (app.branch) renderBranch();
  render();
}

export { loadBranch, loadResources, refreshResource, replaceRow, rerender, setBranchSync, timesOf, toggleSync };
