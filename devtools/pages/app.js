// The local demo pages (admin.html, employee.html): the planner's side of the Google link.
// Plain browser JavaScript modules, no build step, no libraries; ids and data-test attributes
// are stable for the browser tests (tests/e2e/test_setup_flow.py).
//   core.js     page state, API client, texts, messages
//   table.js    the resource table and the branch switch
//   consent.js  the Google window and waiting for the consent
//   dialogs.js  calendar choice, revoke confirmation, history

import { cancelConsent, startConsent } from "./consent.js";
import { $, ROLE_TEXT, api, app, clearTransient, showError } from "./core.js";
import { confirmRelink, openCalendarDialog, revoke, setupDialogs, showAudit } from "./dialogs.js";
import { loadBranch, loadResources, toggleSync } from "./table.js";

function onTableClick(event) {
  const button = event.target.closest("button[data-action]");
  const row = event.target.closest("tr[data-resource-id]");
  if (!button || !row) return;
  const resourceId = row.dataset.resourceId;
  clearTransient();  // the last action's success is no news any more
  const actions = {
    link: async () => {
      if (await confirmRelink(resourceId)) startConsent(resourceId);
    },
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
  const who = app.page === "employee" ? ` ${app.resourceId}` : "";
  $("#identity").textContent = `angemeldet als ${ROLE_TEXT[request.role]}${who} der Filiale ${app.branchId}`;
}

async function start() {
  setupDialogs();
  $("#resource-rows").addEventListener("click", onTableClick);
  $("#reload").addEventListener("click", () => {
    clearTransient();
    loadResources();
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
