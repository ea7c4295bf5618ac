// Withdrawing consent (optionally removing every event the bridge wrote into the calendar first,
// issue 13, item 8: POST /revoke `remove_events`) and a link's history (the audit log).

import { $, ACTION_TEXT, api, app, el, errorDetail, errorText, formatTime, linkPath, resourceName, showError, showMessage } from "./core.js";
import { confirmDialog } from "./dialogs.js";
import { applyStatic, has, register, t } from "./i18n.js";
import { refreshResource } from "./table.js";

register({
  "revoke.title": { de: "Bestehende Zustimmung zurückziehen?", en: "Withdraw the existing consent?" },
  "revoke.text": {
    de: "Die Freigabe des Google-Kalenders für „{name}“ wird bei Google widerrufen und die Synchronisation endet. " +
      "Ohne die Auswahl unten bleiben die Termine im Google-Kalender erhalten.",
    en: "The consent for the Google calendar of “{name}” is revoked at Google and syncing ends. Without the " +
      "choice below, the events in the Google calendar stay.",
  },
  "revoke.textNoCalendar": {
    de: "Die Freigabe des Google-Kalenders für „{name}“ wird bei Google widerrufen und die Synchronisation endet. " +
      "Die Termine im Google-Kalender bleiben erhalten.",
    en: "The consent for the Google calendar of “{name}” is revoked at Google and syncing ends. The events in " +
      "the Google calendar stay.",
  },
  "revoke.remove": {
    de: "Auch alle Termine aus dem Google-Kalender „{calendar}“ entfernen, die der Terminplaner dort eingetragen hat",
    en: "Also remove every event the planner wrote into the Google calendar “{calendar}”",
  },
  "revoke.removeHint": {
    de: "Termine, die auf dem Handy angelegt wurden, bleiben. Im Terminplaner bleibt alles erhalten.",
    en: "Events created on the phone stay. Everything stays in the planner.",
  },
  "revoke.ok": { de: "Zustimmung zurückziehen", en: "Withdraw consent" },
  "revoke.done": { de: "Die Zustimmung für „{name}“ wurde zurückgezogen.", en: "The consent for “{name}” was withdrawn." },
  "revoke.removedNone": {
    de: " Im Google-Kalender gab es keine Termine des Terminplaners zu entfernen.",
    en: " There were no events of the planner to remove from the Google calendar.",
  },
  "revoke.removedOne": {
    de: " 1 Termin wurde aus dem Google-Kalender entfernt.", en: " 1 event was removed from the Google calendar.",
  },
  "revoke.removedMany": {
    de: " {count} Termine wurden aus dem Google-Kalender entfernt.",
    en: " {count} events were removed from the Google calendar.",
  },
  "revoke.failed": {
    de: "Die Zustimmung für „{name}“ konnte nicht zurückgezogen werden",
    en: "The consent for “{name}” could not be withdrawn",
  },
  "revoke.notRemoved": {
    de: "Google hat nicht alle Termine gelöscht. Die Zustimmung bleibt bestehen und die Synchronisation läuft " +
      "weiter; bitte versuchen Sie es erneut.",
    en: "Google did not delete every event. The consent stays and syncing goes on; please try again.",
  },
  "revoke.cannotRemove": {
    de: "Google nimmt die Zustimmung nicht mehr an, deshalb lassen sich die Termine nicht entfernen. Ziehen Sie die " +
      "Zustimmung ohne Entfernen zurück, oder stimmen Sie erst erneut zu.",
    en: "Google no longer accepts the consent, so the events cannot be removed. Withdraw the consent without " +
      "removing, or consent again first.",
  },
  "audit.title": { de: "Verlauf – {name}", en: "History – {name}" },
  "audit.heading": { de: "Verlauf", en: "History" },
  "audit.loading": { de: "Wird geladen …", en: "Loading …" },
  "audit.empty": { de: "Noch keine Einträge.", en: "No entries yet." },
  "audit.close": { de: "Schließen", en: "Close" },
  "audit.col.time": { de: "Zeit", en: "Time" },
  "audit.col.action": { de: "Aktion", en: "Action" },
  "audit.col.who": { de: "Wer", en: "Who" },
  "audit.col.details": { de: "Details", en: "Details" },
  "audit.action.events_removed": { de: "Termine des Terminplaners entfernt", en: "The planner's events removed" },
  "audit.action.events_removal_failed": {
    de: "Entfernen der Termine fehlgeschlagen", en: "Removing the events failed",
  },
  "audit.action.consumer_account_confirmed": {
    de: "Privates Google-Konto bestätigt", en: "Consumer Google account confirmed",
  },
  "audit.action.mass_change_blocked": { de: "Massenänderung zurückgehalten", en: "Mass change held back" },
  "audit.action.mass_change_decided": { de: "Massenänderung entschieden", en: "Mass change decided" },
});

const DIALOG = `
<dialog id="audit-dialog" aria-labelledby="audit-title" data-test="audit-dialog">
  <form method="dialog">
    <h2 id="audit-title" data-i18n="audit.heading"></h2>
    <div id="audit-body" class="audit-body"></div>
    <div class="dialog-actions"><button type="submit" class="secondary" data-i18n="audit.close"></button></div>
  </form>
</dialog>`;

// Where the bridge's events can still be reached to remove them (with the consent Google accepts).
const REMOVABLE = new Set(["linked", "throttled"]);

function removedText(count) {
  if (count === 0) return t("revoke.removedNone");
  return count === 1 ? t("revoke.removedOne") : t("revoke.removedMany", { count });
}

async function revoke(resourceId) {
  const name = resourceName(resourceId);
  const link = app.links.get(resourceId) || {};
  const removable = Boolean(link.google_calendar_id) && REMOVABLE.has(link.status);
  const option = removable ? {
    label: t("revoke.remove", { calendar: link.google_calendar_name || link.google_calendar_id }),
    hint: t("revoke.removeHint"),
  } : null;
  const answer = await confirmDialog(t("revoke.title"),
    t(removable ? "revoke.text" : "revoke.textNoCalendar", { name }), t("revoke.ok"), option);
  if (!answer.ok) return;
  const body = { branch_id: app.branchId, resource_id: resourceId };
  if (answer.checked) body.remove_events = true;
  try {
    const result = await api("POST", "/revoke", body);
    const removed = () => (answer.checked ? removedText(Number(result.events_removed || 0)) : "");
    showMessage("success", () => t("revoke.done", { name }) + removed(), null, null,
      answer.checked ? "events_removed" : "revoked");
  } catch (err) {
    const words = { events_not_removed: "revoke.notRemoved", needs_reconsent: "revoke.cannotRemove",
      already_revoked: "revoke.cannotRemove" }[err.code];
    if (words) {
      showMessage("error", () => `${t("revoke.failed", { name })}: ${t(words)}`, () => errorDetail(err), null,
        err.code);
    } else {
      showError(() => t("revoke.failed", { name }), err);
    }
  }
  await refreshResource(resourceId);
}

// core.js names the consent's steps; the actions of issue 13 are named here
function actionText(action) {
  return ACTION_TEXT[action] || (has(`audit.action.${action}`) ? t(`audit.action.${action}`) : action);
}

async function showAudit(resourceId) {
  const dialog = $("#audit-dialog");
  const body = $("#audit-body");
  $("#audit-title").textContent = t("audit.title", { name: resourceName(resourceId) });
  body.replaceChildren(el("p", { className: "empty", text: t("audit.loading") }));
  dialog.showModal();
  try {
    const entries = (await api("GET", `${linkPath(resourceId)}/audit`)).entries || [];
    if (!entries.length) {
      body.replaceChildren(el("p", { className: "empty", text: t("audit.empty") }));
      return;
    }
    const rows = entries.map((e) => el("tr", { dataset: { test: "audit-entry" } },
      el("td", { text: formatTime(e.at) }),
      el("td", { title: e.action, text: actionText(e.action) }),
      el("td", { text: e.actor || "" }),
      el("td", {}, el("code", { text: e.details && Object.keys(e.details).length ? JSON.stringify(e.details) : "" }))));
    const heads = ["time", "action", "who", "details"].map((h) => el("th", { scope: "col", text: t(`audit.col.${h}`) }));
    body.replaceChildren(el("table", { className: "audit" }, el("thead", {}, el("tr", {}, heads)), el("tbody", {}, rows)));
  } catch (err) {
    body.replaceChildren(el("p", { className: "inline-error", role: "alert",
      text: `${errorText(err)} (${errorDetail(err)})` }));
  }
}

function setupRevoke() {
  document.body.insertAdjacentHTML("beforeend", DIALOG);
  applyStatic($("#audit-dialog"));
}

export { revoke, setupRevoke, showAudit };
