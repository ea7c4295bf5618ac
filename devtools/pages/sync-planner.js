// The left column: the resource's appointments as the planner sees them (the changes feed,
// latest state per appointment), and a form that puts/deletes appointments via the planner API.

import { $, api, el, seg, showError, showMessage } from "./core.js";
import { register, t } from "./i18n.js";
import { ORIGIN_TEXT, demo, lastAction, noContent, say } from "./sync-state.js";
import { addDays, formatSpan, instantOf, parseInstant, wallFields, zonedIso } from "./sync-time.js";

register({
  "sync.planner.heading": { de: "Terminplaner", en: "Planner" },
  "sync.planner.hint": {
    de: "Die Termine der Ressource, wie der Terminplaner sie kennt (Änderungs-Feed). „Herkunft“ sagt, wer " +
      "den Termin zuletzt geändert hat: der Terminplaner oder Google.",
    en: "The resource's appointments as the planner knows them (changes feed). “Origin” says who changed " +
      "an appointment last: the planner or Google.",
  },
  "sync.planner.new": { de: "Neuer Termin", en: "New appointment" },
  "sync.planner.title_example": { de: "z. B. Hörtest Frau Müller", en: "e.g. Hearing test Mrs Miller" },
  "sync.planner.reset": { de: "Zurücksetzen", en: "Reset" },
  "sync.planner.create": { de: "Termin anlegen", en: "Create appointment" },
  "sync.planner.load_failed": {
    de: "Die Termine des Terminplaners konnten nicht geladen werden",
    en: "The planner's appointments could not be loaded",
  },
  "sync.planner.untitled": { de: "(ohne Titel)", en: "(no title)" },
  "sync.planner.origin_hint": { de: "Wer den Termin zuletzt geändert hat", en: "Who changed the appointment last" },
  "sync.planner.location": { de: "Ort: {location}", en: "Location: {location}" },
  "sync.planner.edit": { de: "Bearbeiten", en: "Edit" },
  "sync.planner.delete": { de: "Löschen", en: "Delete" },
  "sync.planner.count": { de: "{count} Termin(e)", en: "{count} appointment(s)" },
  "sync.planner.none": { de: "Keine Termine für diese Ressource.", en: "No appointments for this resource." },
  "sync.planner.no_resource": { de: "Keine verknüpfte Ressource gewählt.", en: "No linked resource chosen." },
  "sync.planner.last_day": { de: "Letzter Tag", en: "Last day" },
  "sync.planner.editing": { de: "Termin bearbeiten ({id})", en: "Edit appointment ({id})" },
  "sync.planner.save_edit": { de: "Änderung speichern", en: "Save changes" },
  "sync.planner.cancel": { de: "Abbrechen", en: "Cancel" },
  "sync.planner.need_title": { de: "Bitte einen Titel eingeben.", en: "Please enter a title." },
  "sync.planner.need_date": { de: "Bitte ein Datum eingeben.", en: "Please enter a date." },
  "sync.planner.changed": {
    de: "Termin „{title}“ im Terminplaner geändert.", en: "Appointment “{title}” changed in the planner.",
  },
  "sync.planner.created": {
    de: "Termin „{title}“ im Terminplaner angelegt.", en: "Appointment “{title}” created in the planner.",
  },
  "sync.planner.deleted": {
    de: "Termin „{title}“ im Terminplaner gelöscht.", en: "Appointment “{title}” deleted in the planner.",
  },
  "sync.planner.google_follows": {
    de: "Google erfährt es in wenigen Sekunden von selbst (Cloud Tasks).",
    en: "Google learns of it by itself within seconds (Cloud Tasks).",
  },
  "sync.planner.save_failed": { de: "Der Termin konnte nicht gespeichert werden", en: "The appointment could not be saved" },
  "sync.planner.delete_failed": {
    de: "Der Termin „{title}“ konnte nicht gelöscht werden", en: "The appointment “{title}” could not be deleted",
  },
});

const FEED_LIMIT = 1000;
const branchPath = () => `/planner/branches/${seg(demo.branchId)}`;

// --- reading: the changes feed -------------------------------------------------------------

async function loadAppointments() {
  try {
    for (;;) {
      const answer = await api("GET", `${branchPath()}/changes?cursor=${seg(demo.cursor)}&limit=${FEED_LIMIT}`);
      for (const change of answer.changes || []) demo.appointments.set(change.appointment_id, change);
      demo.cursor = answer.cursor || demo.cursor;
      if (!answer.changes || answer.changes.length < FEED_LIMIT) break;
    }
  } catch (err) {
    showError(() => t("sync.planner.load_failed"), err);
  }
  renderAppointments();
}

function spanOf(a) {
  return a.all_day
    ? { start: { date: a.start }, end: { date: a.end } }
    : { start: { instant: parseInstant(a.start, demo.timezone) }, end: { instant: parseInstant(a.end, demo.timezone) } };
}

function sortKey(a) {
  return a.all_day ? instantOf(a.start, "00:00", demo.timezone) : parseInstant(a.start, demo.timezone);
}

function liveAppointments() {
  return [...demo.appointments.values()]
    .filter((c) => !c.deleted && c.appointment && c.appointment.resource_id === demo.resourceId)
    .sort((x, y) => sortKey(x.appointment) - sortKey(y.appointment)
      || x.appointment_id.localeCompare(y.appointment_id));
}

function appointmentItem(change) {
  const a = change.appointment;
  const span = spanOf(a);
  const button = (action, text, className) => el("button", {
    type: "button", className, text, dataset: { action, test: `appointment-${action}` } });
  return el("li", {
    className: `item${demo.editing === a.appointment_id ? " item-editing" : ""}`,
    dataset: { test: "appointment", appointmentId: a.appointment_id, origin: change.origin },
  },
  el("div", { className: "item-main" },
    el("div", { className: "item-time", dataset: { test: "appointment-time" },
      text: formatSpan(span.start, span.end, demo.timezone) }),
    el("div", { className: "item-title" },
      el("span", { dataset: { test: "appointment-title" }, text: a.title || t("sync.planner.untitled") }), " ",
      el("span", { className: `badge origin-${change.origin}`, dataset: { test: "origin", origin: change.origin },
        title: t("sync.planner.origin_hint"), text: ORIGIN_TEXT[change.origin] || change.origin })),
    a.location ? el("div", { className: "item-sub", text: t("sync.planner.location", { location: a.location }) }) : null,
    a.notes ? el("div", { className: "item-sub", text: a.notes }) : null,
    el("div", { className: "item-id", text: a.appointment_id })),
  el("div", { className: "item-actions" },
    button("edit", t("sync.planner.edit"), "secondary"), button("delete", t("sync.planner.delete"), "danger-outline")));
}

function renderAppointments() {
  const list = $("#appointment-list");
  const items = demo.resourceId ? liveAppointments() : [];
  $("#appointment-count").textContent = demo.resourceId ? t("sync.planner.count", { count: items.length }) : "";
  if (!items.length) {
    list.replaceChildren(el("li", { className: "empty", dataset: { test: "no-appointments" },
      text: t(demo.resourceId ? "sync.planner.none" : "sync.planner.no_resource") }));
    return;
  }
  list.replaceChildren(...items.map(appointmentItem));
}

// --- writing: the form ---------------------------------------------------------------------

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return "demo-" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function setForm(values) {
  $("#appt-title").value = values.title || "";
  $("#appt-start-date").value = values.startDate;
  $("#appt-start-time").value = values.startTime || "10:00";
  $("#appt-end-date").value = values.endDate;
  $("#appt-end-time").value = values.endTime || "11:00";
  $("#appt-all-day").checked = Boolean(values.allDay);
  $("#appt-location").value = values.location || "";
  $("#appt-notes").value = values.notes || "";
  $("#appointment-form").dataset.startDate = values.startDate;
  updateFormMode();
}

function updateFormMode() {
  const allDay = $("#appt-all-day").checked;
  for (const id of ["#appt-start-time", "#appt-end-time"]) $(id).hidden = allDay;
  say($("#appt-end-label"), allDay ? "sync.planner.last_day" : "sync.form.end");
  const editing = demo.editing !== null;
  if (editing) say($("#appointment-form-title"), "sync.planner.editing", { id: demo.editing });
  else say($("#appointment-form-title"), "sync.planner.new");
  say($("#appt-save"), editing ? "sync.planner.save_edit" : "sync.planner.create");
  say($("#appt-new"), editing ? "sync.planner.cancel" : "sync.planner.reset");
  $("#appt-save").disabled = !demo.resourceId;
}

function resetForm() {
  demo.editing = null;
  const tomorrow = addDays(wallFields(Date.now(), demo.timezone).date, 1);
  setForm({ startDate: tomorrow, endDate: tomorrow });
  renderAppointments();
}

function editAppointment(appointmentId) {
  const change = demo.appointments.get(appointmentId);
  if (!change || !change.appointment) return;
  const a = change.appointment;
  demo.editing = appointmentId;
  if (a.all_day) {
    setForm({ title: a.title, startDate: a.start, endDate: addDays(a.end, -1), allDay: true,
      location: a.location, notes: a.notes });
  } else {
    const start = wallFields(parseInstant(a.start, demo.timezone), demo.timezone);
    const end = wallFields(parseInstant(a.end, demo.timezone), demo.timezone);
    setForm({ title: a.title, startDate: start.date, startTime: start.time, endDate: end.date,
      endTime: end.time, location: a.location, notes: a.notes });
  }
  renderAppointments();
  $("#appt-title").focus();
}

// The end date follows the start date (same span) unless someone set it on purpose.
function onStartDateChange() {
  const form = $("#appointment-form");
  const before = form.dataset.startDate;
  const now = $("#appt-start-date").value;
  const end = $("#appt-end-date");
  if (before && now && end.value) {
    const span = (Date.parse(end.value) - Date.parse(before)) / 86400000;
    end.value = addDays(now, Math.max(0, Math.round(span)));
  } else if (now) {
    end.value = now;
  }
  form.dataset.startDate = now;
}

function formBody() {
  const title = $("#appt-title").value.trim();
  const startDate = $("#appt-start-date").value;
  const endDate = $("#appt-end-date").value || startDate;
  const missing = (key) => Object.assign(new Error(t(key)), { key });
  if (!title) throw missing("sync.planner.need_title");
  if (!startDate) throw missing("sync.planner.need_date");
  const body = { resource_id: demo.resourceId, title };
  if ($("#appt-all-day").checked) {
    Object.assign(body, { all_day: true, start: startDate, end: addDays(endDate, 1) });
  } else {
    Object.assign(body, {
      start: zonedIso(startDate, $("#appt-start-time").value, demo.timezone),
      end: zonedIso(endDate, $("#appt-end-time").value, demo.timezone),
    });
  }
  const location = $("#appt-location").value.trim();
  const notes = $("#appt-notes").value.trim();
  if (location) body.location = location;
  if (notes) body.notes = notes;
  return body;
}

async function saveAppointment(event) {
  event.preventDefault();
  let body;
  try {
    body = formBody();
  } catch (err) {
    showMessage("error", () => t(err.key));
    return;
  }
  const id = demo.editing || newId();
  const button = $("#appt-save");
  button.disabled = true;
  try {
    await api("PUT", `${branchPath()}/appointments/${seg(id)}`, body);
    const done = demo.editing ? "sync.planner.changed" : "sync.planner.created";
    lastAction("planner", () => t(done, { title: body.title }), () => t("sync.planner.google_follows"));
    demo.editing = null;
    await loadAppointments();
    resetForm();
  } catch (err) {
    showError(() => t("sync.planner.save_failed"), err);
  } finally {
    button.disabled = !demo.resourceId;
  }
}

async function deleteAppointment(appointmentId) {
  const change = demo.appointments.get(appointmentId);
  const title = (change && change.appointment && change.appointment.title) || appointmentId;
  let deleted = false;
  try {
    await api("DELETE", `${branchPath()}/appointments/${seg(appointmentId)}`);
    deleted = true;
  } catch (err) {
    if (noContent(err)) deleted = true;
    else showError(() => t("sync.planner.delete_failed", { title }), err);
  }
  if (deleted) {
    lastAction("planner", () => t("sync.planner.deleted", { title }), () => t("sync.planner.google_follows"));
    if (demo.editing === appointmentId) resetForm();
  }
  await loadAppointments();
}

function onListClick(event) {
  const button = event.target.closest("button[data-action]");
  const item = event.target.closest("li[data-appointment-id]");
  if (!button || !item) return;
  const id = item.dataset.appointmentId;
  if (button.dataset.action === "edit") editAppointment(id);
  if (button.dataset.action === "delete") deleteAppointment(id);
}

function setupPlanner() {
  $("#appointment-form").addEventListener("submit", saveAppointment);
  $("#appt-new").addEventListener("click", resetForm);
  $("#appt-all-day").addEventListener("change", updateFormMode);
  $("#appt-start-date").addEventListener("change", onStartDateChange);
  $("#appointment-list").addEventListener("click", onListClick);
}

export { loadAppointments, renderAppointments, resetForm, setupPlanner, updateFormMode };
