// The resource table (link status, the Google calendar id, the actions) and the branch switch.

import {
  $, KIND_TEXT, REVOCABLE, STATUS_TEXT, api, app, el, formatTime, linkPath, resourceName,
  resourcePath, seg, showError, showMessage, statusOf, syncPaused,
} from "./core.js";

// What a paused link's row says: the branch's switch is off, so nothing syncs; who can change it.
const PAUSED_TEXT = {
  admin: "Die Synchronisation ist angehalten, weil „Mit Google Kalender synchronisieren“ für die " +
    "Filiale ausgeschaltet ist. Die Verknüpfung bleibt bestehen; eingeschaltet geht es weiter.",
  employee: "Die Synchronisation ist angehalten, weil sie für Ihre Filiale ausgeschaltet ist. Ihre " +
    "Administration muss die Synchronisation für die Filiale einschalten; die Verknüpfung bleibt bestehen.",
};

function branchOff() {
  // The branch's switch as the page knows it: the admin page reads the branch, the employee page
  // its link (GET /links says `branch_sync_enabled`).
  if (app.branch) return !app.branch.google_sync_enabled;
  const link = app.links.get(app.resourceId);
  return Boolean(link && link.branch_sync_enabled === false);
}

function statusCell(resource) {
  const status = statusOf(resource);
  const link = app.links.get(resource.resource_id) || {};
  const flow = app.flows.get(resource.resource_id);
  const paused = syncPaused(resource.resource_id);
  const label = STATUS_TEXT[status] || status;
  return el("td", {},
    el("span", { className: `status status-${status}${paused ? " status-paused" : ""}`, title: status,
      dataset: { test: "link-status", status, paused: paused ? "1" : null },
      text: paused ? `${label} · Synchronisation angehalten` : label }),
    paused ? el("div", { className: "sub sub-warning", dataset: { test: "paused" },
      text: PAUSED_TEXT[app.page] || PAUSED_TEXT.admin }) : null,
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
  // An employee cannot start a consent while the branch's switch is off (only the admin can
  // switch it on: the page says so above the table).
  const blocked = app.page === "employee" && branchOff();
  return el("td", {}, el("div", { className: "actions" },
    button("link", "Google-Kalender verknüpfen", status === "linked" || needsSetup ? "secondary" : "primary",
      !blocked),
    needsSetup ? button("choose", "Kalender auswählen", "primary") : null,
    REVOCABLE.has(status)
      ? button("revoke", "Bestehende Zustimmung zurückziehen", "danger-outline") : null,
    button("audit", "Verlauf", "link-button")));
}

function calendarCell(resource) {
  // The calendar by its name (what the account calls it), its id (the resource's ID field) below.
  const link = app.links.get(resource.resource_id) || {};
  const calendarId = resource.google_calendar_id || link.google_calendar_id;
  if (!calendarId) return el("td", {}, el("span", { className: "muted", dataset: { test: "calendar-id" }, text: "–" }));
  const name = link.google_calendar_id === calendarId ? link.google_calendar_name : null;
  return el("td", { className: "calendar" },
    name ? el("div", { className: "calendar-name", dataset: { test: "calendar-name" }, text: name }) : null,
    el("code", { className: "calendar-id", title: "Google-Kalender-Id", dataset: { test: "calendar-id" },
      text: calendarId }));
}

function resourceRow(resource) {
  return el("tr", { dataset: { resourceId: resource.resource_id, test: "resource-row" } },
    el("th", { scope: "row" },
      el("span", { className: "name", dataset: { test: "resource-name" }, text: resource.name }),
      el("div", { className: "sub" }, `${KIND_TEXT[resource.kind] || resource.kind} · ${resource.resource_id}`)),
    statusCell(resource),
    calendarCell(resource),
    actionsCell(resource));
}

function renderBranchNotice() {
  // employee.html: the branch's switch is off, and only the administration can switch it on.
  const notice = $("#branch-off");
  if (notice) notice.hidden = !branchOff();
}

function render() {
  renderBranchNotice();
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
  renderBranchNotice();
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
  if (app.resources.length) render();  // the links' rows say whether they are paused
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
    const paused = app.resources.filter((r) => syncPaused(r.resource_id)).length;
    showMessage("success", wanted
      ? `Die Synchronisation mit Google Kalender ist für ${app.branch.name} eingeschaltet.`
      : `Die Synchronisation mit Google Kalender ist für ${app.branch.name} ausgeschaltet.`,
    !wanted && paused ? `Die Synchronisation von ${paused} verknüpften ${paused === 1 ? "Ressource" : "Ressourcen"} ` +
      "ist angehalten, bis sie wieder eingeschaltet wird." : null);
  } catch (err) {
    showError("Die Filialeinstellung konnte nicht gespeichert werden", err);
  }
  renderBranch();
}

export { loadBranch, loadResources, refreshResource, replaceRow, toggleSync };
