// The sync demo (sync.html): one branch, one linked resource; the planner's appointments on the
// left, the linked Google calendar "on the phone" on the right, and "Jetzt synchronisieren" in
// between, so a person can watch a change travel. Plain browser modules, no build step:
//   sync-state.js    the demo's state          sync-time.js   times in the branch's zone
//   sync-planner.js  the left column           sync-phone.js  the right column (Google emulator)
// The API client and messages are core.js's (shared with admin.html / employee.html), the texts
// i18n.js's: the page's static texts are registered here, each module registers its own, and a
// switch of the language (DE | EN in the dev bar) re-renders the page in place.
// The page acts as the planner backend: its token (role planner) comes from POST /dev/token.

import {
  $, ROLE_TEXT, STATUS_TEXT, api, app, el, formatTime, onLanguage, seg, showError, showMessage,
} from "./core.js";
import { locale, register, t } from "./i18n.js";
import { loadEvents, renderEvents, resetPhoneForm, setupPhone } from "./sync-phone.js";
import { loadAppointments, renderAppointments, resetForm, setupPlanner, updateFormMode } from "./sync-planner.js";
import { demo } from "./sync-state.js";

register({
  // sync.html
  "sync.page_title": { de: "Terminplaner ⇄ Google-Kalender – Synchronisation", en: "Planner ⇄ Google calendar – sync" },
  "sync.devbar": { de: "Lokale Entwicklungsumgebung", en: "Local development environment" },
  "sync.signing_in": { de: "Anmeldung …", en: "Signing in …" },
  "sync.admin": { de: "Administration", en: "Administration" },
  "sync.overview": { de: "Übersicht", en: "Overview" },
  "sync.heading": { de: "Terminplaner ⇄ Google-Kalender · Synchronisation", en: "Planner ⇄ Google calendar · Sync" },
  "sync.branch_loading": { de: "Filiale wird geladen …", en: "Loading the branch …" },
  "sync.section": { de: "Ressource und Synchronisation", en: "Resource and sync" },
  "sync.reload": { de: "Beide Seiten neu laden", en: "Reload both sides" },
  "sync.branch_off": {
    de: "Die Synchronisation ist für diese Filiale ausgeschaltet: Verknüpfte Kalender bleiben verknüpft, aber " +
      "nichts wird synchronisiert, bis sie wieder eingeschaltet ist („Mit Google Kalender synchronisieren“ auf der",
    en: "Sync is switched off for this branch: linked calendars stay linked, but nothing is synced until it is " +
      "switched on again (“Sync with Google Calendar” on the",
  },
  "sync.admin_page": { de: "Administrationsseite", en: "admin page" },
  "sync.no_linked": {
    de: "Keine Ressource dieser Filiale ist mit einem Google-Kalender verknüpft. Verknüpfen Sie zuerst eine auf der",
    en: "No resource of this branch is linked to a Google calendar. First link one on the",
  },
  "sync.resource": { de: "Verknüpfte Ressource", en: "Linked resource" },
  "sync.status": { de: "Status", en: "Status" },
  "sync.account": { de: "Google-Konto", en: "Google account" },
  "sync.calendar": { de: "Kalender", en: "Calendar" },
  "sync.last_sync": { de: "Letzte Synchronisation", en: "Last sync" },
  "sync.last_error": { de: "Letzter Fehler:", en: "Last error:" },
  "sync.sync_now": { de: "Jetzt synchronisieren", en: "Sync now" },
  "sync.sync_hint": {
    de: "Synchronisiert die gewählte Ressource sofort in beide Richtungen. Von selbst geschieht das nach jeder " +
      "Änderung im Terminplaner und jeder auf dem Handy (Google meldet sie: in wenigen Sekunden), und zur " +
      "Sicherheit bei der regelmäßigen Prüfung; diese Seite aktualisiert sich alle 2 Sekunden.",
    en: "Syncs the chosen resource at once, in both directions. That also happens by itself after every change " +
      "in the planner and every one on the phone (Google reports them: within seconds), and, to be safe, at " +
      "the regular check; this page refreshes every 2 seconds.",
  },
  "sync.running": { de: "läuft …", en: "running …" },
  "sync.blocked": {
    de: "Massenänderung zurückgehalten (mass_change_blocked).", en: "Mass change held back (mass_change_blocked).",
  },
  "sync.force": { de: "Trotzdem synchronisieren", en: "Sync anyway" },
  "sync.loading": { de: "Wird geladen …", en: "Loading …" },
  "sync.form.title": { de: "Titel", en: "Title" },
  "sync.form.start": { de: "Beginn", en: "Start" },
  "sync.form.start_date": { de: "Beginn (Datum)", en: "Start (date)" },
  "sync.form.start_time": { de: "Beginn (Uhrzeit)", en: "Start (time)" },
  "sync.form.end": { de: "Ende", en: "End" },
  "sync.form.end_date": { de: "Ende (Datum)", en: "End (date)" },
  "sync.form.end_time": { de: "Ende (Uhrzeit)", en: "End (time)" },
  "sync.form.date": { de: "Datum", en: "Date" },
  "sync.form.all_day": { de: "ganztägig", en: "all day" },
  "sync.form.location": { de: "Ort", en: "Location" },
  "sync.form.notes": { de: "Notizen", en: "Notes" },
  // sync.js
  "sync.figure.links": { de: "Verknüpfungen", en: "Links" },
  "sync.figure.pushed": { de: "Zu Google übertragen", en: "Sent to Google" },
  "sync.figure.pulled": { de: "Vom Handy übernommen", en: "Taken from the phone" },
  "sync.figure.conflicts": { de: "Konflikte", en: "Conflicts" },
  "sync.figure.failed": { de: "Fehlgeschlagen", en: "Failed" },
  "sync.link_failed": {
    de: "Der Status der Verknüpfung konnte nicht gelesen werden", en: "The link's status could not be read",
  },
  "sync.blocked.some": {
    de: "Die Synchronisation würde sehr viele Termine auf einmal löschen und wurde deshalb angehalten.",
    en: "The sync would delete very many appointments at once, so it was stopped.",
  },
  "sync.blocked.counts": {
    de: "Die Synchronisation würde {google} Termin(e) im Google-Kalender und {planner} Termin(e) im " +
      "Terminplaner löschen (von {synced} synchronisierten) und wurde deshalb angehalten. Prüfen Sie beide " +
      "Seiten; erst „Trotzdem synchronisieren“ führt die Löschungen aus.",
    en: "The sync would delete {google} event(s) in the Google calendar and {planner} appointment(s) in the " +
      "planner (of {synced} synced), so it was stopped. Check both sides; only “Sync anyway” carries out " +
      "the deletions.",
  },
  "sync.paused": { de: "{status} · Synchronisation angehalten", en: "{status} · sync paused" },
  "sync.never": { de: "noch nie", en: "never" },
  "sync.resources_failed": {
    de: "Die Ressourcen der Filiale konnten nicht geladen werden", en: "The branch's resources could not be loaded",
  },
  "sync.not_linked": {
    de: "„{resource}“ ist nicht mit einem Google-Kalender verknüpft.",
    en: "“{resource}” is not linked to a Google calendar.",
  },
  "sync.only_linked": {
    de: "Hier stehen nur verknüpfte Ressourcen zur Wahl.", en: "Only linked resources can be chosen here.",
  },
  "sync.run_at": { de: "Lauf um {time}", en: "Run at {time}" },
  "sync.forced_run_at": { de: "Erzwungener Lauf um {time}", en: "Forced run at {time}" },
  "sync.nothing": {
    de: "Es wurde nichts synchronisiert: Die Verknüpfung dieser Ressource wird gerade nicht synchronisiert.",
    en: "Nothing was synced: this resource's link is not being synced at the moment.",
  },
  "sync.nothing.detail": {
    de: "Ist „Mit Google Kalender synchronisieren“ für die Filiale eingeschaltet und die Ressource verknüpft?",
    en: "Is “Sync with Google Calendar” switched on for the branch, and is the resource linked?",
  },
  "sync.failed": { de: "Die Synchronisation ist fehlgeschlagen", en: "The sync failed" },
  "sync.branch_title": { de: "{name} ({id}) · Zeitzone {zone}", en: "{name} ({id}) · time zone {zone}" },
  "sync.branch": { de: "Filiale „{id}“", en: "Branch “{id}”" },
  "sync.branch_failed": { de: "Filiale „{id}“ konnte nicht geladen werden", en: "Branch “{id}” could not be loaded" },
  "sync.identity": {
    de: "angemeldet als {role} (Backend) · Filiale {branch}", en: "signed in as {role} (backend) · branch {branch}",
  },
  "sync.sign_in_failed": {
    de: "Anmeldung am lokalen Server fehlgeschlagen", en: "Signing in at the local server failed",
  },
});

// Resources offered in the select: those whose link syncs.
const SYNCING = new Set(["linked"]);
const SUMMARY = ["links", "pushed", "pulled", "conflicts", "failed"];
let runs = 0;
let lastRun = null;       // {result, force, at} of the last sync on show
let branchTitle = null;   // gives the branch line once the branch is read (or failed)
let signedIn = false;

// --- the link and its status -------------------------------------------------------------------

async function loadLink() {
  if (!demo.resourceId) {
    demo.link = null;
  } else {
    try {
      demo.link = await api("GET", `/links/${seg(demo.branchId)}/${seg(demo.resourceId)}`);
    } catch (err) {
      demo.link = null;
      showError(() => t("sync.link_failed"), err);
    }
  }
  renderLink();
}

function isBlocked(link) {
  return Boolean(link && (link.blocked || link.last_error_code === "mass_change_blocked"
    || String(link.last_error || "").startsWith("mass_change_blocked")));
}

function blockedText(link) {
  const b = link.blocked || {};
  if (b.google_deletions === undefined) return t("sync.blocked.some");
  return t("sync.blocked.counts", { google: b.google_deletions, planner: b.planner_deletions, synced: b.synced_items });
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
  badge.textContent = demo.resourceId ? (paused ? t("sync.paused", { status: label }) : label) : "–";
  $("#link-account").textContent = (link && link.account_email) || "–";
  $("#link-calendar-name").textContent = (link && link.google_calendar_name) || "";
  $("#link-calendar").textContent = (link && link.google_calendar_id) || "–";
  $("#last-sync").textContent = link && link.last_sync_at ? formatTime(link.last_sync_at, demo.timezone) : t("sync.never");
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
    showError(() => t("sync.resources_failed"), err);
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
    showMessage("warning", () => t("sync.not_linked", { resource: wanted }), () => t("sync.only_linked"));
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

function renderSummary(result, force, at = new Date()) {
  lastRun = { result, force, at };
  const box = $("#sync-summary");
  box.hidden = false;
  box.dataset.state = "done";
  const items = SUMMARY.map((key) => el("div", { className: `figure figure-${key}` },
    el("dt", { text: t(`sync.figure.${key}`) }),
    el("dd", { dataset: { test: `sync-${key}` }, text: String(result[key] ?? 0) })));
  $("#sync-figures").replaceChildren(...items);
  const time = at.toLocaleTimeString(locale(), { timeZone: demo.timezone });
  $("#sync-when").textContent = t(force ? "sync.forced_run_at" : "sync.run_at", { time });
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
      showMessage("warning", () => t("sync.nothing"), () => t("sync.nothing.detail"));
    }
  } catch (err) {
    box.dataset.state = "error";
    showError(() => t("sync.failed"), err);
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
    branchTitle = () => t("sync.branch_title", { name: branch.name || branch.branch_id, id: branch.branch_id,
      zone: demo.timezone });
    $("#branch-off").hidden = Boolean(branch.google_sync_enabled);
    if (demo.link) renderLink();
  } catch (err) {
    const id = demo.branchId;
    branchTitle = () => t("sync.branch", { id });
    showError(() => t("sync.branch_failed", { id }), err);
  }
  renderBranchTitle();
}

function renderBranchTitle() {
  if (!branchTitle) return;
  const title = $("#branch-title");
  delete title.dataset.i18n;  // the loading text is done
  title.textContent = branchTitle();
}

async function signIn() {
  // Local only: the dev server signs the token the planner backend would use.
  const answer = await api("POST", "/dev/token", { role: "planner", sub: app.params.get("sub") || "sync-demo" });
  app.token = answer.token;
  signedIn = true;
  renderIdentity();
}

function renderIdentity() {
  if (!signedIn) return;
  const identity = $("#identity");
  delete identity.dataset.i18n;
  identity.textContent = t("sync.identity", { role: ROLE_TEXT.planner, branch: demo.branchId });
}

// A switch of the language: everything this page wrote is written again (the static texts are
// i18n.js's, the messages core.js's); a field being typed into keeps its value.
function renderLanguage() {
  renderIdentity();
  renderBranchTitle();
  renderLink();
  renderAppointments();
  updateFormMode();
  const renaming = document.querySelector('[data-test="rename-input"]');
  const typed = renaming && renaming.value;
  renderEvents();
  const again = document.querySelector('[data-test="rename-input"]');
  if (renaming && again) again.value = typed;
  if (lastRun) renderSummary(lastRun.result, lastRun.force, lastRun.at);
  for (const line of document.querySelectorAll(".last-action")) {
    if (line.rerender) line.rerender();
  }
}

async function start() {
  demo.branchId = app.branchId;
  for (const a of document.querySelectorAll("a[data-branch-link]")) {
    a.href = `${a.getAttribute("href").split("?")[0]}?branch=${encodeURIComponent(demo.branchId)}`;
  }
  setupPlanner();
  setupPhone();
  onLanguage(renderLanguage);
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
    showError(() => t("sync.sign_in_failed"), err);
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
