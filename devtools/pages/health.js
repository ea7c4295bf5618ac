// admin.html: every resource's link at a glance (issue 13, item 3, GET /links/{branch}): its
// state in words, when it was last checked and last changed, its last error, whether Google's
// push is active, and the one action the state needs (a button; "wait" and "all fine" are words).

import { $, api, app, el, formatTime, seg, showError } from "./core.js";
import { register, t } from "./i18n.js";
import { actionText, kindText, stateAbout, stateText } from "./states.js";

register({
  "health.heading": { de: "Verknüpfungen im Überblick", en: "Links at a glance" },
  "health.hint": {
    de: "Jede Ressource der Filiale mit dem Zustand ihrer Google-Verknüpfung und dem, was zu tun ist.",
    en: "Every resource of the branch with the state of its Google link and what needs doing.",
  },
  "health.col.resource": { de: "Ressource", en: "Resource" },
  "health.col.state": { de: "Zustand", en: "State" },
  "health.col.times": { de: "Geprüft / geändert", en: "Checked / changed" },
  "health.col.push": { de: "Push", en: "Push" },
  "health.col.action": { de: "Zu tun", en: "To do" },
  "health.checked": { de: "geprüft: {time}", en: "checked: {time}" },
  "health.changed": { de: "geändert: {time}", en: "changed: {time}" },
  "health.never": { de: "noch nie", en: "never" },
  "health.checkedHint": {
    de: "Zuletzt geprüft. Ohne Änderungen wird das höchstens einmal pro Stunde vermerkt.",
    en: "Last checked. Without changes this is noted at most once an hour.",
  },
  "health.changedHint": {
    de: "Die letzte Synchronisation, die Änderungen übertragen konnte.",
    en: "The last sync that could carry changes.",
  },
  "health.push.label": { de: "Push: ", en: "Push: " },
  "health.push.on": { de: "aktiv", en: "active" },
  "health.push.off": { de: "nicht aktiv", en: "not active" },
  "health.push.onHint": {
    de: "Google meldet Änderungen vom Handy sofort; sie kommen in Sekunden an.",
    en: "Google reports changes from the phone at once; they arrive within seconds.",
  },
  "health.push.offHint": {
    de: "Änderungen vom Handy kommen mit dem regelmäßigen Abgleich alle paar Minuten an.",
    en: "Changes from the phone arrive with the regular check every few minutes.",
  },
  "health.lastError": { de: "Letzter Fehler: {error}", en: "Last error: {error}" },
  "health.summary.ok": {
    de: "Nichts zu tun: {count} von {total} Ressourcen sind verknüpft und synchronisieren.",
    en: "Nothing to do: {count} of {total} resources are linked and syncing.",
  },
  "health.summary.todo.one": {
    de: "1 Ressource braucht Ihre Aufmerksamkeit.", en: "1 resource needs your attention.",
  },
  "health.summary.todo.many": {
    de: "{count} Ressourcen brauchen Ihre Aufmerksamkeit.", en: "{count} resources need your attention.",
  },
  "health.empty": { de: "Keine Ressourcen vorhanden.", en: "No resources." },
  "health.loading": { de: "Wird geladen …", en: "Loading …" },
  "health.failed": {
    de: "Der Überblick über die Verknüpfungen konnte nicht geladen werden",
    en: "The overview of the links could not be loaded",
  },
});

// the actions that are a button, and the page's action for each (app.js dispatches them)
const BUTTONS = {
  link: "link", choose_calendar: "choose", reconsent: "reconsent", review_mass_change: "review",
  enable_sync: "enable-sync",
};
// the states that need nothing of anyone
const FINE = new Set(["linked"]);
// the states that ask nobody to act: not linked (or withdrawn) is the practice's choice, and a
// throttled link resumes by itself; the rest want someone's attention
const CALM = new Set(["linked", "none", "revoked", "throttled"]);
const COLUMNS = 5;

function timesCell(row) {
  const when = (value) => (value ? formatTime(value) : t("health.never"));
  return el("td", { className: "health-times" },
    el("div", { title: t("health.checkedHint"), dataset: { test: "health-checked" } },
      t("health.checked", { time: when(row.last_checked_at) })),
    el("div", { className: "sub", title: t("health.changedHint"), dataset: { test: "health-changed" } },
      t("health.changed", { time: when(row.last_sync_at) })));
}

function pushCell(row) {
  const syncing = ["linked", "throttled", "blocked", "sync_off"].includes(row.state);
  if (!syncing) return el("td", {}, el("span", { className: "muted", dataset: { test: "health-push" }, text: "–" }));
  const on = Boolean(row.push_active);
  return el("td", {}, el("span", { className: "cell-label", text: t("health.push.label") }), el("span", {
    className: `push push-${on ? "on" : "off"}`, title: t(on ? "health.push.onHint" : "health.push.offHint"),
    dataset: { test: "health-push", active: on ? "1" : "0" }, text: t(on ? "health.push.on" : "health.push.off"),
  }));
}

function actionCell(row) {
  const action = BUTTONS[row.action];
  if (!action) {
    return el("td", {}, el("span", { className: `health-done${FINE.has(row.state) ? " ok" : ""}`,
      dataset: { test: "health-action", action: row.action }, text: actionText(row.action) }));
  }
  return el("td", {}, el("button", { type: "button", className: row.action === "review_mass_change" ? "danger" : "primary",
    dataset: { action, test: "health-action" }, text: actionText(row.action), disabled: app.flows.has(row.resource_id) }));
}

// A held-back change is no error to the admin: the server's words for it (with its counts) say
// what the state means, in place of the general sentence.
function heldBackError(row) {
  return row.state === "blocked" && row.last_error_code === "mass_change_blocked" && Boolean(row.last_error);
}

function aboutOf(row) {
  return heldBackError(row) ? row.last_error : stateAbout(row.state);
}

function healthRow(row) {
  return el("tr", { className: `health-${row.state}`, dataset: { healthId: row.resource_id, test: "health-row",
    state: row.state } },
  el("th", { scope: "row" },
    el("span", { className: "name", text: row.name }),
    el("div", { className: "sub" }, [kindText(row.kind), row.google_calendar_name, row.account_email]
      .filter(Boolean).join(" · "))),
  el("td", {},
    el("span", { className: `status status-${row.state}`, title: row.state,
      dataset: { test: "health-state", state: row.state }, text: stateText(row.state) }),
    el("div", { className: "sub", dataset: { test: "health-about" }, text: aboutOf(row) }),
    row.last_error && !heldBackError(row) ? el("div", { className: "sub sub-error", dataset: { test: "health-error" } },
      t("health.lastError", { error: row.last_error })) : null),
  timesCell(row),
  pushCell(row),
  actionCell(row));
}

function renderHealth() {
  const rows = $("#health-rows");
  if (!rows || !app.health) return;
  const links = app.health.links || [];
  if (!links.length) {
    rows.replaceChildren(el("tr", {}, el("td", { colspan: COLUMNS, className: "empty", text: t("health.empty") })));
    $("#health-summary").textContent = "";
    return;
  }
  rows.replaceChildren(...links.map(healthRow));
  const todo = links.filter((r) => !CALM.has(r.state)).length;
  const syncing = links.filter((r) => FINE.has(r.state)).length;
  const summary = $("#health-summary");
  summary.dataset.todo = String(todo);
  summary.textContent = todo === 0
    ? t("health.summary.ok", { count: syncing, total: links.length })
    : t(todo === 1 ? "health.summary.todo.one" : "health.summary.todo.many", { count: todo });
  summary.className = `health-summary ${todo ? "todo" : "ok"}`;
}

/** GET /links/{branch} (admin page only; the employee page has no overview). */
async function loadHealth() {
  if (app.page !== "admin" || !$("#health-rows")) return;
  try {
    app.health = await api("GET", `/links/${seg(app.branchId)}`);
  } catch (err) {
    app.health = null;
    $("#health-rows").replaceChildren();
    showError(() => t("health.failed"), err);
    return;
  }
  renderHealth();
}

export { loadHealth, renderHealth };
