// The local demo pages (admin.html, employee.html): the planner's side of the Google link.
// Plain browser JavaScript modules, no build step, no libraries; ids and data-test attributes
// are stable for the browser tests (tests/e2e/test_setup_flow.py).
//   core.js        page state, API client, messages
//   i18n.js        the texts in German and English
//   states.js      a link's state, what it means and the action it needs, in words
//   health.js      admin: every link at a glance (GET /links/{branch})
//   table.js       the resource table and the branch switch
//   privacy.js     what Google sees per resource, a consumer account's confirmation
//   consent.js     the Google window and waiting for the consent
//   dialogs.js     calendar choice, confirmations
//   revoke.js      withdrawing consent (and the bridge's events), the history
//   masschange.js  admin: the decision on a held-back mass change

import { cancelConsent, startConsent } from "./consent.js";
import { $, ROLE_TEXT, api, app, clearTransient, onLanguage, showError } from "./core.js";
import { confirmRelink, openCalendarDialog, setupDialogs } from "./dialogs.js";
import { renderHealth } from "./health.js";
import { applyStatic, register, t } from "./i18n.js";
import { openMassChange, setupMassChange } from "./masschange.js";
import { setupPrivacy } from "./privacy.js";
import { revoke, setupRevoke, showAudit } from "./revoke.js";
import { loadBranch, loadResources, rerender, setBranchSync, toggleSync } from "./table.js";

// The pages' own texts (admin.html, employee.html: data-i18n), and the sign-in line.
register({
  "page.admin.title": { de: "Terminplaner – Administration", en: "Planner – Administration" },
  "page.admin.h1": { de: "Terminplaner · Administration", en: "Planner · Administration" },
  "page.admin.branchLoading": { de: "Filiale wird geladen …", en: "Loading the branch …" },
  "page.employee.title": { de: "Mein Planer – Google-Kalender", en: "My planner – Google calendar" },
  "page.employee.h1": { de: "Mein Planer · Google-Kalender", en: "My planner · Google calendar" },
  "page.employee.subtitle": {
    de: "Ihre Termine aus dem Terminplaner in Ihrem Google-Kalender – und auf Ihrem Smartphone.",
    en: "Your appointments from the planner in your Google calendar – and on your smartphone.",
  },
  "page.devbar": { de: "Lokale Entwicklungsumgebung –", en: "Local development environment –" },
  "page.signingIn": { de: "Anmeldung …", en: "Signing in …" },
  "page.syncDemo": { de: "Synchronisation ansehen", en: "Watch the sync" },
  "page.branch.heading": { de: "Filialeinstellungen", en: "Branch settings" },
  "page.branch.switch": { de: "Mit Google Kalender synchronisieren", en: "Sync with Google Calendar" },
  "page.branch.hint": {
    de: "Erst wenn diese Option aktiviert ist, lässt sich für eine Ressource die Google-Kalender-Freigabe starten.",
    en: "Only with this option switched on can the Google calendar consent be started for a resource.",
  },
  "page.branch.timezone": { de: "Zeitzone der Filiale:", en: "The branch's time zone:" },
  "page.resources.heading": { de: "Ressourcen", en: "Resources" },
  "page.resources.hint": {
    de: "Wählen Sie die Ressource, die mit einem Google-Kalender synchronisiert werden soll, und starten Sie die " +
      "Freigabe. Es öffnet sich ein Fenster, in dem Sie sich bei Google anmelden und zustimmen.",
    en: "Choose the resource to sync with a Google calendar and start the consent. A window opens in which you " +
      "sign in to Google and agree.",
  },
  "page.employee.heading": { de: "Meine Google-Kalender-Freigabe", en: "My Google calendar consent" },
  "page.employee.hint": {
    de: "Starten Sie die Freigabe, melden Sie sich im neuen Fenster bei Google an und stimmen Sie zu. Danach " +
      "wählen Sie hier einen vorhandenen sekundären Kalender oder erstellen einen neuen. Alle zukünftigen Termine " +
      "werden dann in beide Richtungen synchronisiert.",
    en: "Start the consent, sign in to Google in the new window and agree. Then choose an existing secondary " +
      "calendar here or create a new one. All future appointments are then synced in both directions.",
  },
  "page.employee.branchOff": {
    de: "Die Synchronisation mit Google Kalender ist für Ihre Filiale ausgeschaltet. Ihre Administration muss die " +
      "Synchronisation für die Filiale einschalten; bis dahin lässt sich kein Google-Kalender verknüpfen und ein " +
      "verknüpfter wird nicht synchronisiert.",
    en: "Syncing with Google Calendar is switched off for your branch. Your administration has to switch syncing " +
      "on for the branch; until then no Google calendar can be linked and a linked one is not synced.",
  },
  "page.reload": { de: "Aktualisieren", en: "Refresh" },
  "page.col.resource": { de: "Ressource", en: "Resource" },
  "page.col.consent": { de: "Google-Freigabe", en: "Google consent" },
  "page.col.calendarAdmin": { de: "Google-Kalender (Id im ID-Feld)", en: "Google calendar (id in the ID field)" },
  "page.col.calendar": { de: "Google-Kalender", en: "Google calendar" },
  "page.col.actions": { de: "Aktionen", en: "Actions" },
  "app.signedIn": { de: "angemeldet als {role} der Filiale {branch}", en: "signed in as {role} of the branch {branch}" },
  "app.signedInAs": {
    de: "angemeldet als {role} {resource} der Filiale {branch}", en: "signed in as {role} {resource} of the branch {branch}",
  },
  "app.signInFailed": { de: "Anmeldung am lokalen Server fehlgeschlagen", en: "Signing in to the local server failed" },
});

function onTableClick(event) {
  const button = event.target.closest("button[data-action]");
  const row = event.target.closest("tr[data-resource-id], tr[data-health-id]");
  if (!button || !row) return;
  const resourceId = row.dataset.resourceId || row.dataset.healthId;
  clearTransient();  // the last action's success is no news any more
  const actions = {
    link: async () => {
      if (await confirmRelink(resourceId)) startConsent(resourceId);
    },
    reconsent: () => startConsent(resourceId),
    choose: () => openCalendarDialog(resourceId),
    review: () => openMassChange(resourceId),
    "enable-sync": () => setBranchSync(true),
    revoke: () => revoke(resourceId),
    audit: () => showAudit(resourceId),
    "cancel-wait": () => cancelConsent(resourceId),
  };
  (actions[button.dataset.action] || (() => {}))();
}

let signedIn = null;

function showIdentity() {
  if (!signedIn) return;
  const role = ROLE_TEXT[signedIn.role];
  $("#identity").textContent = app.page === "employee"
    ? t("app.signedInAs", { role, resource: app.resourceId, branch: app.branchId })
    : t("app.signedIn", { role, branch: app.branchId });
}

async function signIn() {
  // Local only: the dev server signs the token the planner would hand to this page.
  const request = app.page === "employee"
    ? { role: "employee", branch_id: app.branchId, resource_ids: [app.resourceId],
      sub: app.params.get("sub") || `employee-${app.resourceId}` }
    : { role: "admin", branch_id: app.branchId, sub: app.params.get("sub") || "admin-demo" };
  const answer = await api("POST", "/dev/token", request);
  app.token = answer.token;
  signedIn = request;
  showIdentity();
}

async function start() {
  applyStatic();
  $("#identity").textContent = t("page.signingIn");
  if ($("#branch-title")) $("#branch-title").textContent = t("page.admin.branchLoading");
  setupDialogs();
  setupPrivacy();
  setupRevoke();
  setupMassChange();
  for (const rows of [$("#resource-rows"), $("#health-rows")]) {
    if (rows) rows.addEventListener("click", onTableClick);
  }
  $("#reload").addEventListener("click", () => {
    clearTransient();
    loadResources();
  });
  const sync = $("#sync-enabled");
  if (sync) sync.addEventListener("change", toggleSync);
  // After a switch of the language (the static texts are done by then): the page in place.
  onLanguage(() => {
    showIdentity();
    if (app.resources.length) rerender();
    renderHealth();
  });
  try {
    await signIn();
  } catch (err) {
    showError(() => t("app.signInFailed"), err);
    $("#resource-rows").replaceChildren();
    return;
  }
  await Promise.all([app.page === "admin" ? loadBranch() : null, loadResources()]);
  document.body.dataset.ready = "1";
}

window.planner = { app, api };  // for the browser tests and the curious
start();
