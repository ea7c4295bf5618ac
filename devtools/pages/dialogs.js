// The dialogs: the calendar choice (existing or new calendar, the wipe with its preview count, a
// consumer account's confirmation), a confirmation (relink, revoke), set up once.

import {
  $, ACCESS_TEXT, api, app, calendarLabel, el, errorDetail, errorText, linkPath, resourceName, seg, showMessage,
} from "./core.js";
import { applyStatic, register, t } from "./i18n.js";
import { confirmConsumer, consumerEmployeeText } from "./privacy.js";
import { refreshResource } from "./table.js";

// What Google's calendars.insert takes for a name, and POST /links with it (openapi.yaml,
// NewCalendar.summary maxLength).
const NAME_MAX = 100;

register({
  "cal.title": { de: "Google-Kalender auswählen", en: "Choose a Google calendar" },
  "cal.resource": { de: "Ressource", en: "Resource" },
  "cal.account": { de: "Google-Konto", en: "Google account" },
  "cal.hint": {
    de: "Wählen Sie einen vorhandenen Kalender aus oder erstellen Sie einen neuen Google-Kalender. Nur sekundäre " +
      "Kalender können verknüpft werden – Ihr Hauptkalender bleibt unberührt.",
    en: "Choose an existing calendar or create a new Google calendar. Only secondary calendars can be linked – " +
      "your primary calendar stays untouched.",
  },
  "cal.noSecondary": {
    de: "In diesem Google-Konto gibt es keinen sekundären Kalender, nur den Hauptkalender. Bitte erstellen Sie " +
      "einen neuen Google-Kalender.",
    en: "This Google account has no secondary calendar, only the primary one. Please create a new Google calendar.",
  },
  "cal.legend": { de: "Kalender", en: "Calendar" },
  "cal.new": { de: "Neuen Google-Kalender erstellen", en: "Create a new Google calendar" },
  "cal.newName": { de: "Name des neuen Kalenders", en: "Name of the new calendar" },
  "cal.defaultName": { de: "Terminplaner – {name}", en: "Planner – {name}" },
  "cal.count": { de: "{length} von höchstens {max} Zeichen", en: "{length} of at most {max} characters" },
  "cal.clearAll": { de: "Alle Termine in diesem Kalender löschen", en: "Delete all events in this calendar" },
  "cal.clearUnknown": {
    de: "Alle Termine in diesem Kalender löschen (Anzahl unbekannt)",
    en: "Delete all events in this calendar (number unknown)",
  },
  "cal.clearOne": { de: "Den 1 Termin in diesem Kalender löschen", en: "Delete the 1 event in this calendar" },
  "cal.clearMany": { de: "Alle {count} Termine in diesem Kalender löschen", en: "Delete all {count} events in this calendar" },
  "cal.counting": { de: "Termine in diesem Kalender werden gezählt …", en: "Counting the events in this calendar …" },
  "cal.nothingToClear": {
    de: "Dieser Kalender enthält keine Termine – es muss nichts gelöscht werden.",
    en: "This calendar holds no events – nothing needs deleting.",
  },
  "cal.clearAccount": { de: "Kalender des Google-Kontos", en: "Calendar of the Google account" },
  "cal.clearHint": {
    de: "Sinnvoll, wenn Sie einen vorhandenen Kalender erst zurücksetzen möchten. Gelöscht werden alle Termine " +
      "des Kalenders, vergangene wie zukünftige.",
    en: "Useful when you want to reset an existing calendar first. Every event of the calendar is deleted, past " +
      "and future.",
  },
  "cal.cancel": { de: "Abbrechen", en: "Cancel" },
  "cal.save": { de: "Speichern", en: "Save" },
  "cal.loading": { de: "Kalender werden geladen …", en: "Loading calendars …" },
  "cal.linked": {
    de: "„{name}“ ist mit dem Google-Kalender „{calendar}“ verknüpft.",
    en: "“{name}” is linked to the Google calendar “{calendar}”.",
  },
  "cal.clearedOne": { de: " 1 Termin im Kalender gelöscht.", en: " 1 event deleted in the calendar." },
  "cal.clearedMany": { de: " {count} Termine im Kalender gelöscht.", en: " {count} events deleted in the calendar." },
  "cal.linkedDetail": {
    de: "Google-Konto: {account} · Google-Kalender-Id: {id}", en: "Google account: {account} · Google calendar id: {id}",
  },
  "cal.tooLong": {
    de: "Der Name des neuen Kalenders ist zu lang: höchstens {max} Zeichen (jetzt {length}). Bitte kürzen Sie ihn.",
    en: "The new calendar's name is too long: at most {max} characters (now {length}). Please shorten it.",
  },
  "cal.notChosen": {
    de: "Für „{name}“ ist noch kein Kalender gewählt. „Kalender auswählen“ setzt die Einrichtung fort.",
    en: "No calendar is chosen for “{name}” yet. “Choose calendar” continues the set-up.",
  },
  "cal.consumerDeclined": {
    de: "Nicht verknüpft: das private Google-Konto wurde nicht bestätigt. Bestätigen Sie es beim Speichern, oder " +
      "stellen Sie unter „In Google sichtbar“ auf nur belegt um.",
    en: "Not linked: the consumer Google account was not confirmed. Confirm it when saving, or set “Visible in " +
      "Google” to busy only.",
  },
  "confirm.cancel": { de: "Abbrechen", en: "Cancel" },
  "relink.title": { de: "Neu verknüpfen?", en: "Link again?" },
  "relink.text": {
    de: "„{name}“ ist bereits mit dem Kalender „{calendar}“ verknüpft. Neu verknüpfen? Die Synchronisation mit " +
      "„{calendar}“ endet; die Termine darin bleiben erhalten.",
    en: "“{name}” is already linked to the calendar “{calendar}”. Link again? Syncing with “{calendar}” ends; " +
      "its events stay.",
  },
  "relink.textAccount": {
    de: "„{name}“ ist bereits mit dem Kalender „{calendar}“ (Google-Konto {email}) verknüpft. Neu verknüpfen? " +
      "Die Synchronisation mit „{calendar}“ endet; die Termine darin bleiben erhalten.",
    en: "“{name}” is already linked to the calendar “{calendar}” (Google account {email}). Link again? Syncing " +
      "with “{calendar}” ends; its events stay.",
  },
  "relink.ok": { de: "Neu verknüpfen", en: "Link again" },
});

const DIALOGS = `
<dialog id="calendar-dialog" aria-labelledby="calendar-dialog-title" data-test="calendar-dialog">
  <form method="dialog" id="calendar-form" novalidate>
    <h2 id="calendar-dialog-title" data-i18n="cal.title"></h2>
    <p class="dialog-sub"><span data-i18n="cal.resource"></span> <strong id="dialog-resource"
      data-test="dialog-resource"></strong> · <span data-i18n="cal.account"></span>
      <strong id="dialog-account" data-test="dialog-account">–</strong></p>
    <p class="hint" data-i18n="cal.hint"></p>
    <div id="dialog-error" class="inline-error" role="alert" data-test="dialog-error" hidden></div>
    <p id="no-secondary" class="notice" data-test="no-secondary" data-i18n="cal.noSecondary" hidden></p>
    <fieldset id="calendar-choices">
      <legend data-i18n="cal.legend"></legend>
      <div id="calendar-options" data-test="calendar-options"></div>
      <label class="choice">
        <input type="radio" name="calendar" value="" id="choice-new" data-test="choice-new">
        <span data-i18n="cal.new"></span>
      </label>
      <div class="new-name" id="new-name-box" hidden>
        <label for="new-calendar-name" data-i18n="cal.newName"></label>
        <input type="text" id="new-calendar-name" data-test="new-calendar-name" maxlength="${NAME_MAX}"
          autocomplete="off" aria-describedby="new-calendar-count">
        <small class="field-note" id="new-calendar-count" data-test="new-calendar-count"></small>
      </div>
    </fieldset>
    <div class="clear-box" id="clear-box" hidden>
      <label class="check">
        <input type="checkbox" id="clear-existing" data-test="clear-existing">
        <span id="clear-label" data-test="clear-label"></span>
      </label>
      <p class="clear-account"><span data-i18n="cal.clearAccount"></span>
        <strong id="clear-account" data-test="clear-account">–</strong></p>
      <p class="hint" data-i18n="cal.clearHint"></p>
    </div>
    <div class="dialog-actions">
      <button type="button" class="secondary" id="calendar-cancel" data-test="calendar-cancel" data-i18n="cal.cancel"></button>
      <button type="submit" class="primary" id="calendar-save" data-test="calendar-save" data-i18n="cal.save" disabled></button>
    </div>
  </form>
</dialog>
<dialog id="confirm-dialog" aria-labelledby="confirm-title" data-test="confirm-dialog">
  <form method="dialog">
    <h2 id="confirm-title"></h2>
    <p id="confirm-text"></p>
    <div id="confirm-option" class="confirm-option" hidden>
      <label class="check">
        <input type="checkbox" id="confirm-check" data-test="confirm-check">
        <span id="confirm-check-label" data-test="confirm-check-label"></span>
      </label>
      <p class="hint" id="confirm-check-hint"></p>
    </div>
    <div class="dialog-actions">
      <button type="submit" value="cancel" class="secondary" data-test="confirm-cancel" data-i18n="confirm.cancel"></button>
      <button type="submit" value="confirm" class="danger" id="confirm-ok" data-test="confirm-ok"></button>
    </div>
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
  $("#new-calendar-count").textContent = t("cal.count", { length: name.length, max: NAME_MAX });
  $("#calendar-save").disabled = !choice || (choice.isNew && !nameOk) || $("#calendar-form").dataset.busy === "1";
}

function clearLabel(count) {
  if (count === null) return t("cal.clearUnknown");
  if (count === 1) return t("cal.clearOne");
  return t("cal.clearMany", { count });
}

async function loadPreview(resourceId, calendarId) {
  const seq = ++app.previewSeq;
  const box = $("#clear-existing");
  const label = $("#clear-label");
  box.checked = false;
  box.disabled = true;
  label.textContent = t("cal.counting");
  delete label.dataset.count;
  try {
    const answer = await api("GET", `${linkPath(resourceId)}/preview?calendar_id=${seg(calendarId)}`);
    if (seq !== app.previewSeq) return;
    const count = Number(answer.events);
    label.dataset.count = String(count);
    if (count === 0) {
      label.textContent = t("cal.nothingToClear");
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

function accessText(role) {
  return ACCESS_TEXT[role] || role || "";
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
    el("small", { className: "muted", text: accessText(calendar.access_role) }));
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
  $("#clear-label").textContent = t("cal.clearAll");
  $("#new-calendar-name").value = t("cal.defaultName", { name: resourceName(resourceId) });
  const options = $("#calendar-options");
  options.replaceChildren(el("p", { className: "empty", text: t("cal.loading") }));
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

/** POST /links; a consumer account and a level above busy: the admin confirms and it is sent
 *  again with `confirm_consumer_account` (an employee is told the administration confirms). */
async function linkCalendar(resourceId, body) {
  try {
    return await api("POST", linkPath(resourceId), body);
  } catch (err) {
    if (err.code !== "consumer_account_confirmation") throw err;
    const email = $("#dialog-account").textContent;
    if (app.page !== "admin") {
      dialogError(err, consumerEmployeeText(resourceId, email));
      return null;
    }
    if (!(await confirmConsumer(resourceId, email, resourceLevel(resourceId)))) {
      dialogError(err, t("cal.consumerDeclined"));
      return null;
    }
    return api("POST", linkPath(resourceId), { ...body, confirm_consumer_account: true });
  }
}

function resourceLevel(resourceId) {
  const resource = app.resources.find((r) => r.resource_id === resourceId);
  return (resource && resource.privacy) || "busy";
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
    const answer = await linkCalendar(resourceId, body);
    if (!answer) return;
    $("#calendar-dialog").close("saved");
    const cleared = Number(answer.cleared || 0);
    const account = $("#dialog-account").textContent;
    const calendar = calendarLabel(answer);
    const name = resourceName(resourceId);
    const clearedText = () => (!cleared ? "" : cleared === 1 ? t("cal.clearedOne") : t("cal.clearedMany", { count: cleared }));
    showMessage("success", () => t("cal.linked", { name, calendar }) + clearedText(),
      () => t("cal.linkedDetail", { account, id: answer.google_calendar_id }));
    await refreshResource(resourceId);
  } catch (err) {
    // The API's refusal in words: a name longer than Google takes (the field stops typing at
    // NAME_MAX, but a pasted or scripted value may still get there).
    const tooLong = choice.isNew && err.code === "invalid_field" && summary.length > NAME_MAX;
    dialogError(err, tooLong ? t("cal.tooLong", { max: NAME_MAX, length: summary.length }) : null);
  } finally {
    form.dataset.busy = "";
    updateCalendarForm();
  }
}

// --- confirmations ------------------------------------------------------------------------

/** A confirmation, optionally with one choice (a checkbox): {ok, checked}. */
function confirmDialog(title, text, confirmLabel, option = null) {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = confirmLabel;
  $("#confirm-option").hidden = !option;
  $("#confirm-check").checked = false;
  $("#confirm-check-label").textContent = option ? option.label : "";
  $("#confirm-check-hint").textContent = option ? option.hint || "" : "";
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve({ ok: dialog.returnValue === "confirm",
      checked: Boolean(option) && $("#confirm-check").checked }), { once: true });
  });
}

/** "Google-Kalender verknüpfen" on a resource whose link has a calendar: a new consent ends
 *  that link, so ask first. True when the consent may start (nothing linked, or confirmed). */
async function confirmRelink(resourceId) {
  const link = app.links.get(resourceId) || {};
  if (!link.google_calendar_id || !["linked", "throttled", "calendar_missing", "needs_reconsent"]
    .includes(link.status)) return true;
  const params = { name: resourceName(resourceId), calendar: calendarLabel(link), email: link.account_email };
  const answer = await confirmDialog(t("relink.title"),
    t(link.account_email ? "relink.textAccount" : "relink.text", params), t("relink.ok"));
  return answer.ok;
}

/** Put the dialogs into the page and wire them up (once, at start). */
function setupDialogs() {
  document.body.insertAdjacentHTML("beforeend", DIALOGS);
  applyStatic($("#calendar-dialog"));
  applyStatic($("#confirm-dialog"));
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
      showMessage("info", () => t("cal.notChosen", { name: resourceName(resourceId) }));
    }
  });
  document.addEventListener("langchange", updateCalendarForm);
}

export { confirmDialog, confirmRelink, openCalendarDialog, setupDialogs };
