// The left column: the resource's appointments as the planner sees them (the changes feed,
// latest state per appointment), and a form that puts/deletes appointments via the planner API.

import { $, api, el, seg, showError, showMessage } from "./core.js";
import { ORIGIN_TEXT, demo, lastAction, noContent } from "./sync-state.js";
import { addDays, formatSpan, instantOf, parseInstant, wallFields, zonedIso } from "./sync-time.js";

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
    showError("Die Termine des Terminplaners konnten nicht geladen werden", err);
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
      el("span", { dataset: { test: "appointment-title" }, text: a.title || "(ohne Titel)" }), " ",
      el("span", { className: `badge origin-${change.origin}`, dataset: { test: "origin", origin: change.origin },
        title: "Wer den Termin zuletzt geändert hat", text: ORIGIN_TEXT[change.origin] || change.origin })),
    a.location ? el("div", { className: "item-sub", text: `Ort: ${a.location}` }) : null,
    a.notes ? el("div", { className: "item-sub", text: a.notes }) : null,
    el("div", { className: "item-id", text: a.appointment_id })),
  el("div", { className: "item-actions" },
    button("edit", "Bearbeiten", "secondary"), button("delete", "Löschen", "danger-outline")));
}

function renderAppointments() {
  const list = $("#appointment-list");
  const items = demo.resourceId ? liveAppointments() : [];
  $("#appointment-count").textContent = demo.resourceId ? `${items.length} Termin(e)` : "";
  if (!items.length) {
    list.replaceChildren(el("li", { className: "empty", dataset: { test: "no-appointments" },
      text: demo.resourceId ? "Keine Termine für diese Ressource." : "Keine verknüpfte Ressource gewählt." }));
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
  $("#appt-end-label").textContent = allDay ? "Letzter Tag" : "Ende";
  const editing = demo.editing !== null;
  $("#appointment-form-title").textContent = editing ? `Termin bearbeiten (${demo.editing})` : "Neuer Termin";
  $("#appt-save").textContent = editing ? "Änderung speichern" : "Termin anlegen";
  $("#appt-new").textContent = editing ? "Abbrechen" : "Zurücksetzen";
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
  if (!title) throw new Error("Bitte einen Titel eingeben.");
  if (!startDate) throw new Error("Bitte ein Datum eingeben.");
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
    showMessage("error", err.message);
    return;
  }
  const id = demo.editing || newId();
  const button = $("#appt-save");
  button.disabled = true;
  try {
    await api("PUT", `${branchPath()}/appointments/${seg(id)}`, body);
    lastAction("planner", demo.editing
      ? `Termin „${body.title}“ im Terminplaner geändert.`
      : `Termin „${body.title}“ im Terminplaner angelegt.`,
    "Google erfährt es in wenigen Sekunden von selbst (Cloud Tasks).");
    demo.editing = null;
    await loadAppointments();
    resetForm();
  } catch (err) {
    showError("Der Termin konnte nicht gespeichert werden", err);
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
    else showError(`Der Termin „${title}“ konnte nicht gelöscht werden`, err);
  }
  if (deleted) {
    lastAction("planner", `Termin „${title}“ im Terminplaner gelöscht.`,
      "Google erfährt es in wenigen Sekunden von selbst (Cloud Tasks).");
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
