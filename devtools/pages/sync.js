// The sync demo (sync.html): one branch, one linked resource; the planner's appointments on the
// left, the linked Google calendar "on the phone" on the right, and "Jetzt synchronisieren" in
// between, so a person can watch a change travel. Plain browser modules, no build step:
//   sync-state.js    the demo's state          sync-time.js   times in the branch's zone
//   sync-planner.js  the left column           sync-phone.js  the right column (Google emulator)
// The API client, texts and messages are core.js's (shared with admin.html / employee.html).
// The page acts as the planner backend: its token (role planner) comes from POST /dev/token.

import { $, ROLE_TEXT, STATUS_TEXT, api, app, el, formatTime, seg, showError, showMessage } from "./core.js";
import { loadEvents, renderEvents, resetPhoneForm, setupPhone } from "./sync-phone.js";
import { loadAppointments, renderAppointments, resetForm, setupPlanner, updateFormMode } from "./sync-planner.js";
import { demo } from "./sync-state.js";

// Resources offered in the select: those whose link syncs.
const SYNCING = new Set(["linked"]);
const SUMMARY = [
  ["links", "Verknüpfungen"],
  ["pushed", "Zu Google übertragen"],
  ["pulled", "Vom Handy übernommen"],
  ["conflicts", "Konflikte"],
  ["failed", "Fehlgeschlagen"],
];
let runs = 0;

// --- the link and its status -------------------------------------------------------------------

async function loadLink() {
  if (!demo.resourceId) {
    demo.link = null;
  } else {
    try {
      demo.link = await api("GET", `/links/${seg(demo.branchId)}/${seg(demo.resourceId)}`);
    } catch (err) {
      demo.link = null;
      showError("Der Status der Verknüpfung konnte nicht gelesen werden", err);
    }
  }
  renderLink();
}

function isBlocked(link) {
  return Boolean(link && (link.blocked || String(link.last_error || "").startsWith("mass_change_blocked")));
}

function blockedText(link) {
  const b = link.blocked || {};
  if (b.google_deletions === undefined) {
    return "Die Synchronisation würde sehr viele Termine auf einmal löschen und wurde deshalb angehalten.";
  }
  return `Die Synchronisation würde ${b.google_deletions} Termin(e) im Google-Kalender und ` +
    `${b.planner_deletions} Termin(e) im Terminplaner löschen (von ${b.synced_items} synchronisierten) ` +
    "und wurde deshalb angehalten. Prüfen Sie beide Seiten; erst „Trotzdem synchronisieren“ führt die " +
    "Löschungen aus.";
}

function renderLink() {
  const link = demo.link;
  const status = (link && link.status) || "none";
  const badge = $("#link-status");
  // The branch's switch off: the link stays, but nothing syncs; the badge says so.
  const paused = ["linked", "throttled"].includes(status) && app.branch && !app.branch.google_sync_enabled;
  badge.className = `status status-${status}${paused ? " status-paused" : ""}`;
  badge.dataset.status = status;
  if (paused) badge.dataset.paused = "1";
  else delete badge.dataset.paused;
  const label = STATUS_TEXT[status] || status;
  badge.textContent = demo.resourceId ? (paused ? `${label} · Synchronisation angehalten` : label) : "–";
  $("#link-account").textContent = (link && link.account_email) || "–";
  $("#link-calendar-name").textContent = (link && link.google_calendar_name) || "";
  $("#link-calendar").textContent = (link && link.google_calendar_id) || "–";
  $("#last-sync").textContent = link && link.last_sync_at ? formatTime(link.last_sync_at, demo.timezone) : "noch nie";
  const error = $("#last-error");
  error.hidden = !(link && link.last_error);
  $("#last-error-text").textContent = (link && link.last_error) || "";
  const blocked = isBlocked(link);
  $("#blocked-notice").hidden = !blocked;
  if (blocked) $("#blocked-text").textContent = blockedText(link);
  $("#sync-now").disabled = !demo.resourceId;
}

// --- the resource choice -------------------------------------------------------------------

async function loadResources() {
  let resources = [];
  try {
    resources = (await api("GET", `/planner/branches/${seg(demo.branchId)}/resources`)).resources || [];
  } catch (err) {
    showError("Die Ressourcen der Filiale konnten nicht geladen werden", err);
  }
  app.resources = resources;
  const linked = resources.filter((r) => SYNCING.has(r.link_status));
  const select = $("#resource-select");
  select.replaceChildren(...linked.map((r) => el("option", { value: r.resource_id,
    text: `${r.name} (${r.resource_id})` })));
  const wanted = demo.resourceId || app.params.get("resource");
  demo.resourceId = linked.some((r) => r.resource_id === wanted) ? wanted
    : (linked[0] && linked[0].resource_id) || null;
  if (wanted && wanted !== demo.resourceId) {
    showMessage("warning", `„${wanted}“ ist nicht mit einem Google-Kalender verknüpft.`,
      "Hier stehen nur verknüpfte Ressourcen zur Wahl.");
  }
  select.value = demo.resourceId || "";
  select.disabled = !linked.length;
  $("#no-linked").hidden = linked.length > 0;
}

async function chooseResource() {
  demo.resourceId = $("#resource-select").value || null;
  demo.editing = null;
  demo.renaming = null;
  const params = new URLSearchParams(location.search);
  params.set("branch", demo.branchId);
  if (demo.resourceId) params.set("resource", demo.resourceId);
  history.replaceState(null, "", `${location.pathname}?${params}`);
  await loadLink();
  resetForm();
  renderAppointments();
  await loadEvents();
}

async function reloadBoth() {
  await loadLink();
  await Promise.all([loadAppointments(), loadEvents()]);
}

// --- the sync --------------------------------------------------------------------------------

function renderSummary(result, force) {
  const box = $("#sync-summary");
  box.hidden = false;
  box.dataset.state = "done";
  const items = SUMMARY.map(([key, label]) => el("div", { className: `figure figure-${key}` },
    el("dt", { text: label }),
    el("dd", { dataset: { test: `sync-${key}` }, text: String(result[key] ?? 0) })));
  $("#sync-figures").replaceChildren(...items);
  const when = new Date().toLocaleTimeString("de-DE", { timeZone: demo.timezone });
  $("#sync-when").textContent = `${force ? "Erzwungener Lauf" : "Lauf"} um ${when}`;
}

async function runSync(force = false) {
  const buttons = [$("#sync-now"), $("#force-sync")];
  buttons.forEach((b) => { b.disabled = true; });
  const box = $("#sync-summary");
  box.dataset.state = "running";
  $("#sync-running").hidden = false;
  const body = { branch_id: demo.branchId, resource_id: demo.resourceId };
  if (force) body.force = true;
  try {
    const result = await api("POST", "/sync", body);
    renderSummary(result, force);
    if (!result.links) {
      showMessage("warning", "Es wurde nichts synchronisiert: Die Verknüpfung dieser Ressource wird " +
        "gerade nicht synchronisiert.", "Ist „Mit Google Kalender synchronisieren“ für die Filiale eingeschaltet " +
        "und die Ressource verknüpft?");
    }
  } catch (err) {
    box.dataset.state = "error";
    showError("Die Synchronisation ist fehlgeschlagen", err);
  } finally {
    $("#sync-running").hidden = true;
  }
  for (const line of document.querySelectorAll(".last-action")) line.hidden = true;  // now synced
  await reloadBoth();
  runs += 1;
  box.dataset.runs = String(runs);
  buttons.forEach((b) => { b.disabled = !demo.resourceId; });
}

// --- start -----------------------------------------------------------------------------------

async function loadBranch() {
  try {
    const branch = await api("GET", `/planner/branches/${seg(demo.branchId)}`);
    app.branch = branch;
    demo.timezone = branch.timezone || demo.timezone;
    $("#branch-title").textContent = `${branch.name || branch.branch_id} (${branch.branch_id}) · ` +
      `Zeitzone ${demo.timezone}`;
    $("#branch-off").hidden = Boolean(branch.google_sync_enabled);
    if (demo.link) renderLink();
  } catch (err) {
    $("#branch-title").textContent = `Filiale „${demo.branchId}“`;
    showError(`Filiale „${demo.branchId}“ konnte nicht geladen werden`, err);
  }
}

async function signIn() {
  // Local only: the dev server signs the token the planner backend would use.
  const answer = await api("POST", "/dev/token", { role: "planner", sub: app.params.get("sub") || "sync-demo" });
  app.token = answer.token;
  $("#identity").textContent = `angemeldet als ${ROLE_TEXT.planner} (Backend) · Filiale ${demo.branchId}`;
}

async function start() {
  demo.branchId = app.branchId;
  for (const a of document.querySelectorAll("a[data-branch-link]")) {
    a.href = `${a.getAttribute("href").split("?")[0]}?branch=${encodeURIComponent(demo.branchId)}`;
  }
  setupPlanner();
  setupPhone();
  $("#resource-select").addEventListener("change", chooseResource);
  $("#sync-now").addEventListener("click", () => runSync(false));
  $("#force-sync").addEventListener("click", () => runSync(true));
  $("#reload").addEventListener("click", async () => {
    await loadBranch();
    await loadResources();  // a resource linked meanwhile on the admin page shows up
    await reloadBoth();
  });
  try {
    await signIn();
  } catch (err) {
    showError("Anmeldung am lokalen Server fehlgeschlagen", err);
    return;
  }
  await loadBranch();
  await loadResources();
  resetForm();
  resetPhoneForm();
  updateFormMode();
  await reloadBoth();
  renderEvents();
  document.body.dataset.ready = "1";
}

// Planner writes queue their link's sync on Cloud Tasks, so both columns follow by themselves;
// never while someone types or renames (a re-render would take the field away).
let refreshing = false;
setInterval(async () => {
  if (refreshing || document.hidden || !app.token || document.body.dataset.ready !== "1") return;
  const active = document.activeElement;
  if (document.querySelector('[data-test="rename-form"]')
      || (active && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName))) return;
  refreshing = true;
  try {
    await reloadBoth();
  } catch (_err) {
    // the next tick tries again; "Neu laden" shows errors
  } finally {
    refreshing = false;
  }
}, 2000);

window.syncDemo = { app, api, demo };  // for the browser tests and the curious
start();
