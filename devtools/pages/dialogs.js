// The dialogs: the calendar choice (existing or new calendar, the wipe with its preview count),
// the confirmation of a revoke, and the history (audit log).

import {
  $, ACCESS_TEXT, ACTION_TEXT, api, app, calendarLabel, el, errorDetail, errorText, formatTime, linkPath,
  resourceName, seg, showError, showMessage,
} from "./core.js";

// What Google's calendars.insert takes for a name, and POST /links with it (openapi.yaml,
// NewCalendar.summary maxLength).
const NAME_MAX = 100;
import { refreshResource } from "./table.js";

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
        <input type="text" id="new-calendar-name" data-test="new-calendar-name" maxlength="${NAME_MAX}"
          autocomplete="off" aria-describedby="new-calendar-count">
        <small class="field-note" id="new-calendar-count" data-test="new-calendar-count"></small>
      </div>
    </fieldset>
    <div class="clear-box" id="clear-box" hidden>
      <label class="check">
        <input type="checkbox" id="clear-existing" data-test="clear-existing">
        <span id="clear-label" data-test="clear-label">Alle Termine in diesem Kalender löschen</span>
      </label>
      <p class="clear-account">Kalender des Google-Kontos
        <strong id="clear-account" data-test="clear-account">–</strong></p>
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

function dialogError(err, text) {
  const box = $("#dialog-error");
  box.hidden = !err;
  box.textContent = err ? `${text || errorText(err)} (${errorDetail(err)})` : "";
}

function selectedCalendar() {
  const choice = document.querySelector('#calendar-form input[name="calendar"]:checked');
  return choice ? { isNew: choice.value === "", id: choice.value } : null;
}

function updateCalendarForm() {
  const choice = selectedCalendar();
  $("#new-name-box").hidden = !(choice && choice.isNew);
  $("#clear-box").hidden = !choice || choice.isNew;
  const name = $("#new-calendar-name").value;
  const nameOk = name.trim() !== "";
  $("#new-calendar-count").textContent = `${name.length} von höchstens ${NAME_MAX} Zeichen`;
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

function showAccount(email) {
  // Whose calendars these are, read fresh from GET /links when the dialog opens (never a status
  // the page held from before: a consent given meanwhile may have put another account there),
  // in the heading and again next to "alle Termine löschen".
  $("#dialog-account").textContent = email || "–";
  $("#clear-account").textContent = email || "–";
}

async function openCalendarDialog(resourceId) {
  const dialog = $("#calendar-dialog");
  const form = $("#calendar-form");
  form.reset();
  form.dataset.resourceId = resourceId;
  form.dataset.busy = "";
  dialogError(null);
  $("#dialog-resource").textContent = resourceName(resourceId);
  showAccount(null);
  $("#no-secondary").hidden = true;
  $("#new-calendar-name").value = `Terminplaner – ${resourceName(resourceId)}`;
  const options = $("#calendar-options");
  options.replaceChildren(el("p", { className: "empty", text: "Kalender werden geladen …" }));
  updateCalendarForm();
  if (!dialog.open) dialog.showModal();
  let calendars;
  try {
    const link = await api("GET", linkPath(resourceId));
    app.links.set(resourceId, link);
    showAccount(link.account_email);
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
  const summary = $("#new-calendar-name").value.trim();
  const body = choice.isNew
    ? { new_calendar: { summary } }
    : { calendar_id: choice.id, clear_existing: $("#clear-existing").checked };
  form.dataset.busy = "1";
  updateCalendarForm();
  dialogError(null);
  try {
    const answer = await api("POST", linkPath(resourceId), body);
    $("#calendar-dialog").close("saved");
    const cleared = Number(answer.cleared || 0);
    const account = $("#dialog-account").textContent;
    const calendar = calendarLabel(answer);
    showMessage("success", `„${resourceName(resourceId)}“ ist mit dem Google-Kalender „${calendar}“ verknüpft.` +
      (cleared ? ` ${cleared} ${cleared === 1 ? "Termin" : "Termine"} im Kalender gelöscht.` : ""),
      `Google-Konto: ${account} · Google-Kalender-Id: ${answer.google_calendar_id}`);
    await refreshResource(resourceId);
  } catch (err) {
    // The API's refusal in words: a name longer than Google takes (the field stops typing at
    // NAME_MAX, but a pasted or scripted value may still get there).
    const tooLong = choice.isNew && err.code === "invalid_field" && summary.length > NAME_MAX;
    dialogError(err, tooLong ? `Der Name des neuen Kalenders ist zu lang: höchstens ${NAME_MAX} Zeichen ` +
      `(jetzt ${summary.length}). Bitte kürzen Sie ihn.` : null);
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

/** "Google-Kalender verknüpfen" on a resource whose link has a calendar: a new consent ends
 *  that link, so ask first. True when the consent may start (nothing linked, or confirmed). */
async function confirmRelink(resourceId) {
  const link = app.links.get(resourceId) || {};
  if (!link.google_calendar_id || !["linked", "throttled", "calendar_missing", "needs_reconsent"]
    .includes(link.status)) return true;
  const calendar = calendarLabel(link);
  return confirmDialog("Neu verknüpfen?",
    `„${resourceName(resourceId)}“ ist bereits mit dem Kalender „${calendar}“` +
    (link.account_email ? ` (Google-Konto ${link.account_email})` : "") + " verknüpft. Neu verknüpfen? " +
    `Die Synchronisation mit „${calendar}“ endet; die Termine darin bleiben erhalten.`, "Neu verknüpfen");
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
      el("td", { text: formatTime(e.at) }),
      el("td", { title: e.action, text: ACTION_TEXT[e.action] || e.action }),
      el("td", { text: e.actor || "" }),
      el("td", {}, el("code", { text: e.details && Object.keys(e.details).length ? JSON.stringify(e.details) : "" }))));
    body.replaceChildren(el("table", { className: "audit" },
      el("thead", {}, el("tr", {}, ["Zeit", "Aktion", "Wer", "Details"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows)));
  } catch (err) {
    body.replaceChildren(el("p", { className: "inline-error", role: "alert",
      text: `${errorText(err)} (${errorDetail(err)})` }));
  }
}

/** Put the dialogs into the page and wire them up (once, at start). */
function setupDialogs() {
  document.body.insertAdjacentHTML("beforeend", DIALOGS);
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
}

export { confirmRelink, openCalendarDialog, revoke, setupDialogs, showAudit };
