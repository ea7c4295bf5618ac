// A held-back mass change is the admin's decision (issue 13, item 4): which appointments would
// be deleted on which side (GET /links/{b}/{r}/mass-change), then "Übernehmen" (apply) or "Aus
// dem Terminplaner wiederherstellen" (restore: the events the phone deleted come back), POST
// with the decision, and the outcome. 409 `not_blocked`: someone decided meanwhile.

import { $, api, app, el, errorDetail, errorText, linkPath, onLanguage, resourceName, showMessage } from "./core.js";
import { applyStatic, locale, register, t } from "./i18n.js";
import { refreshResource } from "./table.js";

register({
  "mass.title": { de: "Massenänderung prüfen – {name}", en: "Review the mass change – {name}" },
  "mass.loading": { de: "Wird geladen …", en: "Loading …" },
  "mass.summary": {
    de: "Die Synchronisation würde {total} Termine auf einmal löschen: {google} im Google-Kalender und {planner} " +
      "im Terminplaner (von {synced} synchronisierten Terminen). Sie ist angehalten, bis Sie entscheiden.",
    en: "The sync would delete {total} appointments at once: {google} in the Google calendar and {planner} in " +
      "the planner (of {synced} synced appointments). It is held until you decide.",
  },
  "mass.side.google": {
    de: "Im Google-Kalender löschen ({count}) – im Terminplaner gelöscht",
    en: "Delete in the Google calendar ({count}) – deleted in the planner",
  },
  "mass.side.planner": {
    de: "Im Terminplaner löschen ({count}) – auf dem Handy gelöscht",
    en: "Delete in the planner ({count}) – deleted on the phone",
  },
  "mass.noTitle": { de: "(ohne Titel)", en: "(no title)" },
  "mass.goneFromPlanner": { de: "(im Terminplaner gelöscht)", en: "(deleted in the planner)" },
  "mass.allDay": { de: "ganztägig", en: "all day" },
  "mass.more": {
    de: "Gezeigt werden die ersten {shown} von {total} Löschungen.",
    en: "Showing the first {shown} of {total} deletions.",
  },
  "mass.apply": { de: "Übernehmen", en: "Apply" },
  "mass.applyHint": {
    de: "Übernehmen: die Termine werden auf beiden Seiten gelöscht, wie oben aufgeführt.",
    en: "Apply: the appointments are deleted on both sides as listed above.",
  },
  "mass.restore": { de: "Aus dem Terminplaner wiederherstellen", en: "Restore from the planner" },
  "mass.restoreHint": {
    de: "Wiederherstellen: die auf dem Handy gelöschten Termine werden im Google-Kalender neu angelegt; " +
      "was im Terminplaner gelöscht wurde, wird auch in Google gelöscht.",
    en: "Restore: the appointments deleted on the phone are created again in the Google calendar; what was " +
      "deleted in the planner is deleted in Google too.",
  },
  "mass.cancel": { de: "Später entscheiden", en: "Decide later" },
  "mass.running": { de: "Wird ausgeführt …", en: "Running …" },
  "mass.applied": {
    de: "„{name}“: die Massenänderung ist übernommen. {pushed} Änderungen an Google, {pulled} an den Terminplaner.",
    en: "“{name}”: the mass change is applied. {pushed} changes to Google, {pulled} to the planner.",
  },
  "mass.restored": {
    de: "„{name}“: aus dem Terminplaner wiederhergestellt. {pushed} Änderungen an Google, {pulled} an den Terminplaner.",
    en: "“{name}”: restored from the planner. {pushed} changes to Google, {pulled} to the planner.",
  },
  "mass.partly": {
    de: "Nicht alles ließ sich synchronisieren; der nächste Abgleich versucht es erneut. Status: {status}.",
    en: "Not everything could be synced; the next check tries again. Status: {status}.",
  },
  "mass.notBlocked": {
    de: "Für „{name}“ wartet keine Massenänderung mehr: sie wurde inzwischen entschieden oder synchronisiert.",
    en: "For “{name}” no mass change waits any more: it was decided or synced meanwhile.",
  },
  "mass.busy": {
    de: "Die Verknüpfung wird gerade synchronisiert. Bitte versuchen Sie es in einigen Sekunden erneut.",
    en: "The link is being synced right now. Please try again in a few seconds.",
  },
  "mass.failed": {
    de: "Die Entscheidung für „{name}“ konnte nicht ausgeführt werden",
    en: "The decision for “{name}” could not be carried out",
  },
});

const DIALOG = `
<dialog id="mass-dialog" aria-labelledby="mass-title" data-test="mass-dialog">
  <form method="dialog" id="mass-form">
    <h2 id="mass-title"></h2>
    <p id="mass-summary" data-test="mass-summary"></p>
    <div id="mass-error" class="inline-error" role="alert" data-test="mass-error" hidden></div>
    <div id="mass-body" class="mass-body" data-test="mass-body"></div>
    <ul class="mass-hints">
      <li data-i18n="mass.applyHint"></li>
      <li data-i18n="mass.restoreHint"></li>
    </ul>
    <div class="dialog-actions mass-actions">
      <button type="button" class="secondary" id="mass-cancel" data-test="mass-cancel" data-i18n="mass.cancel"></button>
      <button type="button" class="primary" id="mass-restore" data-test="mass-restore" data-i18n="mass.restore"
        disabled></button>
      <button type="button" class="danger" id="mass-apply" data-test="mass-apply" data-i18n="mass.apply" disabled></button>
    </div>
  </form>
</dialog>`;

function massError(err, text) {
  const box = $("#mass-error");
  box.hidden = !err;
  box.textContent = err ? `${text || errorText(err)} (${errorDetail(err)})` : "";
}

// "Mo., 07.12.2026 · 08:00–08:25" in the branch's zone (the date twice only when it changes).
function span(row) {
  if (!row.start) return "–";
  if (row.all_day) return `${String(row.start).slice(0, 10)} · ${t("mass.allDay")}`;
  const zone = (app.branch && app.branch.timezone) || undefined;
  const day = (value) => new Date(value).toLocaleDateString(locale(), { timeZone: zone, weekday: "short",
    day: "2-digit", month: "2-digit", year: "numeric" });
  const time = (value) => new Date(value).toLocaleTimeString(locale(), { timeZone: zone, hour: "2-digit",
    minute: "2-digit" });
  if (Number.isNaN(new Date(row.start).getTime())) return String(row.start);
  if (!row.end || Number.isNaN(new Date(row.end).getTime())) return `${day(row.start)} · ${time(row.start)}`;
  const end = day(row.end) === day(row.start) ? time(row.end) : `${day(row.end)} · ${time(row.end)}`;
  return `${day(row.start)} · ${time(row.start)}–${end}`;
}

function sideList(side, rows) {
  if (!rows.length) return null;
  return el("section", { className: `mass-side mass-side-${side}`, dataset: { test: "mass-side", side } },
    el("h3", { text: t(`mass.side.${side}`, { count: rows.length }) }),
    el("ul", {}, rows.map((row) => el("li", { dataset: { test: "mass-deletion", side, appointmentId: row.appointment_id } },
      el("span", { className: "mass-when", text: span(row) }),
      el("span", { className: row.title ? "mass-what" : "mass-what muted",
        text: row.title || t(side === "google" ? "mass.goneFromPlanner" : "mass.noTitle") })))));
}

function setBusy(busy) {
  const form = $("#mass-form");
  form.dataset.busy = busy ? "1" : "";
  const ready = form.dataset.ready === "1";
  $("#mass-apply").disabled = busy || !ready;
  $("#mass-restore").disabled = busy || !ready;
}

// the change on show, for a switch of the language while the dialog is open
let shown = null;

function renderChange() {
  const { resourceId, change } = shown;
  const deletions = change.deletions || [];
  const google = Number(change.google_deletions || 0);
  const planner = Number(change.planner_deletions || 0);
  $("#mass-title").textContent = t("mass.title", { name: resourceName(resourceId) });
  $("#mass-summary").textContent = t("mass.summary", { total: google + planner, google, planner,
    synced: Number(change.synced_items || 0) });
  $("#mass-body").replaceChildren(...[
    sideList("planner", deletions.filter((d) => d.side === "planner")),
    sideList("google", deletions.filter((d) => d.side === "google")),
    deletions.length < google + planner
      ? el("p", { className: "hint", text: t("mass.more", { shown: deletions.length, total: google + planner }) }) : null,
  ].filter(Boolean));
}

async function openMassChange(resourceId) {
  const dialog = $("#mass-dialog");
  const form = $("#mass-form");
  const name = resourceName(resourceId);
  form.dataset.resourceId = resourceId;
  form.dataset.ready = "";
  shown = null;
  $("#mass-title").textContent = t("mass.title", { name });
  $("#mass-summary").textContent = t("mass.loading");
  $("#mass-body").replaceChildren();
  massError(null);
  setBusy(false);
  if (!dialog.open) dialog.showModal();
  let change;
  try {
    change = await api("GET", `${linkPath(resourceId)}/mass-change`);
  } catch (err) {
    if (err.code === "not_blocked") {
      dialog.close();
      showMessage("info", () => t("mass.notBlocked", { name }));
      await refreshResource(resourceId);
    } else {
      $("#mass-summary").textContent = "";
      massError(err);
    }
    return;
  }
  shown = { resourceId, change };
  renderChange();
  form.dataset.ready = "1";
  setBusy(false);
}

async function decide(decision) {
  const form = $("#mass-form");
  const resourceId = form.dataset.resourceId;
  const name = resourceName(resourceId);
  setBusy(true);
  massError(null);
  const button = decision === "apply" ? $("#mass-apply") : $("#mass-restore");
  const label = button.textContent;
  button.textContent = t("mass.running");
  try {
    const outcome = await api("POST", `${linkPath(resourceId)}/mass-change`, { decision });
    $("#mass-dialog").close("decided");
    const counts = { name, pushed: outcome.pushed, pulled: outcome.pulled };
    showMessage(outcome.failed ? "warning" : "success",
      () => t(decision === "apply" ? "mass.applied" : "mass.restored", counts),
      outcome.failed ? () => t("mass.partly", { status: outcome.status }) : null, null, `mass_change_${decision}`);
    await refreshResource(resourceId);
  } catch (err) {
    if (err.code === "not_blocked") {
      $("#mass-dialog").close("gone");
      showMessage("info", () => t("mass.notBlocked", { name }), null, null, "not_blocked");
      await refreshResource(resourceId);
    } else if (err.code === "busy") {
      massError(err, t("mass.busy"));
    } else {
      massError(err, `${t("mass.failed", { name })}: ${errorText(err)}`);
    }
  } finally {
    button.textContent = label;
    setBusy(false);
  }
}

function setupMassChange() {
  document.body.insertAdjacentHTML("beforeend", DIALOG);
  applyStatic($("#mass-dialog"));
  $("#mass-cancel").addEventListener("click", () => $("#mass-dialog").close("cancel"));
  $("#mass-apply").addEventListener("click", () => decide("apply"));
  $("#mass-restore").addEventListener("click", () => decide("restore"));
  onLanguage(() => {
    if ($("#mass-dialog").open && shown) renderChange();
  });
}

export { openMassChange, setupMassChange };
