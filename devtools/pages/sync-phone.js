// The right column: the linked Google calendar as "the phone" sees it, through the Google
// emulator's control API (same origin: the dev server passes /google/_emulator/... on). Every
// edit here is one a person would make in the Google Calendar app; only a sync brings it over.

import { $, api, el, seg, showError, showMessage } from "./core.js";
import { demo, lastAction, noContent } from "./sync-state.js";
import { addDays, formatSpan, isoInZone, parseInstant, wallFields, zonedIso } from "./sync-time.js";

const HOUR_MS = 3600 * 1000;
const eventsPath = () => `/google/_emulator/calendars/${seg(demo.link.google_calendar_id)}/events`;
const calendarId = () => demo.link && demo.link.google_calendar_id;

// --- reading ---------------------------------------------------------------------------------

async function loadEvents() {
  if (!calendarId()) {
    demo.events = [];
    renderEvents();
    return;
  }
  try {
    demo.events = (await api("GET", eventsPath())).events || [];
  } catch (err) {
    demo.events = [];
    showError("Der Google-Kalender (Emulator) konnte nicht gelesen werden", err);
  }
  renderEvents();
}

function timeOf(moment) {
  if (!moment) return null;
  if (moment.date) return { date: moment.date };
  if (moment.dateTime) return { instant: parseInstant(moment.dateTime, moment.timeZone || demo.timezone) };
  return null;
}

function sortKey(event) {
  const start = timeOf(event.start);
  if (!start) return Number.MAX_SAFE_INTEGER;
  return start.date ? Date.parse(`${start.date}T00:00:00Z`) : start.instant;
}

const fromPlanner = (event) => ((event.extendedProperties || {}).private || {}).plannerSync === "1";

function eventItem(event) {
  const cancelled = event.status === "cancelled";
  const start = timeOf(event.start);
  const end = timeOf(event.end);
  const allDay = Boolean(start && start.date);
  const button = (action, text, className, disabled = false) => el("button", {
    type: "button", className, text, disabled: disabled || cancelled,
    dataset: { action, test: `phone-${action}` } });
  const renaming = demo.renaming === event.id;
  return el("li", {
    className: `item${cancelled ? " item-cancelled" : ""}`,
    dataset: { test: "event", eventId: event.id, status: event.status || "confirmed" },
  },
  el("div", { className: "item-main" },
    el("div", { className: "item-time", dataset: { test: "event-time" },
      text: start ? formatSpan(start, end, demo.timezone) : "(ohne Zeit)" }),
    renaming
      ? el("form", { className: "rename", dataset: { test: "rename-form" } },
        el("label", { className: "sr-only", for: `rename-${event.id}`, text: "Neuer Titel" }),
        el("input", { type: "text", id: `rename-${event.id}`, value: event.summary || "", maxlength: 500,
          dataset: { test: "rename-input" }, autocomplete: "off" }),
        el("button", { type: "submit", className: "primary", text: "OK", dataset: { test: "rename-ok" } }),
        el("button", { type: "button", className: "secondary", text: "Abbrechen",
          dataset: { action: "rename-cancel", test: "rename-cancel" } }))
      : el("div", { className: "item-title" },
        el("span", { dataset: { test: "event-title" }, text: event.summary || "(ohne Titel)" }), " ",
        cancelled ? el("span", { className: "badge badge-cancelled", text: "gelöscht" }) : null,
        el("span", { className: `badge ${fromPlanner(event) ? "origin-planner" : "origin-phone"}`,
          dataset: { test: "event-origin", origin: fromPlanner(event) ? "planner" : "phone" },
          text: fromPlanner(event) ? "vom Terminplaner" : "auf dem Handy angelegt" }),
        event.recurrence ? el("span", { className: "badge", text: "Serie" }) : null),
    event.location ? el("div", { className: "item-sub", text: `Ort: ${event.location}` }) : null,
    el("div", { className: "item-id", text: event.id })),
  el("div", { className: "item-actions" },
    button("later", "+1 Std.", "secondary", allDay),
    button("next-day", "Nächster Tag", "secondary"),
    button("rename", "Umbenennen", "secondary"),
    button("delete", "Löschen", "danger-outline")));
}

function renderEvents() {
  const list = $("#event-list");
  const showCancelled = $("#show-cancelled").checked;
  const all = [...demo.events].sort((x, y) => sortKey(x) - sortKey(y) || String(x.id).localeCompare(y.id));
  const shown = all.filter((e) => showCancelled || e.status !== "cancelled");
  const live = all.filter((e) => e.status !== "cancelled").length;
  $("#event-count").textContent = calendarId() ? `${live} Termin(e)` : "";
  $("#phone-calendar").textContent = calendarId()
    ? `${demo.link.account_email || "Google-Konto"} · ${demo.link.google_calendar_name
      ? `„${demo.link.google_calendar_name}“ (${calendarId()})` : calendarId()}` : "kein Kalender verknüpft";
  $("#phone-create").disabled = !calendarId();
  if (!shown.length) {
    list.replaceChildren(el("li", { className: "empty", dataset: { test: "no-events" },
      text: calendarId() ? "Keine Termine in diesem Google-Kalender." : "Kein Google-Kalender verknüpft." }));
    return;
  }
  list.replaceChildren(...shown.map(eventItem));
}

// --- "the phone" edits -------------------------------------------------------------------------

async function phone(method, path, body, done) {
  try {
    const answer = await api(method, path, body);
    lastAction("phone", done, "Google meldet die Änderung; der Terminplaner hat sie in wenigen Sekunden (ohne Meldung bei der nächsten Prüfung des Kalenders) oder sofort mit „Jetzt synchronisieren“.");
    return answer;
  } catch (err) {
    if (noContent(err)) {
      lastAction("phone", done, "Google meldet die Änderung; der Terminplaner hat sie in wenigen Sekunden (ohne Meldung bei der nächsten Prüfung des Kalenders) oder sofort mit „Jetzt synchronisieren“.");
      return {};
    }
    showError("Die Änderung auf dem Handy ist fehlgeschlagen", err);
    return null;
  } finally {
    await loadEvents();
  }
}

function movedTime(moment, how) {
  if (moment.date) return { date: addDays(moment.date, 1) };
  const instant = parseInstant(moment.dateTime, moment.timeZone || demo.timezone);
  const zone = moment.timeZone || demo.timezone;
  if (how === "later") return { dateTime: isoInZone(instant + HOUR_MS, zone), timeZone: zone };
  const wall = wallFields(instant, zone);  // same wall time on the next day (also across DST)
  return { dateTime: zonedIso(addDays(wall.date, 1), wall.time, zone), timeZone: zone };
}

async function moveEvent(event, how) {
  if (!event.start || !event.end) return;
  const body = { start: movedTime(event.start, how), end: movedTime(event.end, how) };
  const what = how === "later" ? "eine Stunde später gelegt" : "auf den nächsten Tag verschoben";
  await phone("PATCH", `${eventsPath()}/${seg(event.id)}`, body, `„${event.summary || event.id}“ ${what}.`);
}

async function renameEvent(event, summary) {
  demo.renaming = null;
  if (!summary || summary === event.summary) {
    renderEvents();
    return;
  }
  await phone("PATCH", `${eventsPath()}/${seg(event.id)}`, { summary },
    `„${event.summary || event.id}“ in „${summary}“ umbenannt.`);
}

async function deleteEvent(event) {
  await phone("DELETE", `${eventsPath()}/${seg(event.id)}`, undefined,
    `„${event.summary || event.id}“ auf dem Handy gelöscht.`);
}

async function createEvent(submit) {
  submit.preventDefault();
  const summary = $("#phone-title").value.trim();
  const date = $("#phone-date").value;
  if (!summary || !date) {
    showMessage("error", "Für einen Termin auf dem Handy bitte Titel und Datum eingeben.");
    return;
  }
  const zone = demo.timezone;
  const body = $("#phone-all-day").checked
    ? { summary, start: { date }, end: { date: addDays(date, 1) } }
    : {
      summary,
      start: { dateTime: zonedIso(date, $("#phone-start").value, zone), timeZone: zone },
      end: { dateTime: zonedIso(date, $("#phone-end").value, zone), timeZone: zone },
    };
  const created = await phone("POST", eventsPath(), body, `„${summary}“ auf dem Handy angelegt.`);
  if (created) $("#phone-title").value = "";
}

function eventOf(item) {
  return demo.events.find((e) => e.id === item.dataset.eventId);
}

function onListClick(click) {
  const button = click.target.closest("button[data-action]");
  const item = click.target.closest("li[data-event-id]");
  if (!button || !item) return;
  const event = eventOf(item);
  if (!event) return;
  const action = button.dataset.action;
  if (action === "later" || action === "next-day") moveEvent(event, action);
  else if (action === "delete") deleteEvent(event);
  else if (action === "rename") {
    demo.renaming = event.id;
    renderEvents();
    const input = document.getElementById(`rename-${event.id}`);
    input.focus();
    input.select();
  } else if (action === "rename-cancel") {
    demo.renaming = null;
    renderEvents();
  }
}

function onListSubmit(submit) {
  const form = submit.target.closest('form[data-test="rename-form"]');
  const item = submit.target.closest("li[data-event-id]");
  if (!form || !item) return;
  submit.preventDefault();
  const event = eventOf(item);
  if (event) renameEvent(event, form.querySelector("input").value.trim());
}

function onListKey(key) {
  if (key.key === "Escape" && demo.renaming) {
    demo.renaming = null;
    renderEvents();
  }
}

function updatePhoneForm() {
  const allDay = $("#phone-all-day").checked;
  $("#phone-start").hidden = allDay;
  $("#phone-end").hidden = allDay;
}

function resetPhoneForm() {
  $("#phone-date").value = addDays(wallFields(Date.now(), demo.timezone).date, 2);
  $("#phone-start").value = "14:00";
  $("#phone-end").value = "15:00";
  updatePhoneForm();
}

function setupPhone() {
  $("#phone-form").addEventListener("submit", createEvent);
  $("#phone-all-day").addEventListener("change", updatePhoneForm);
  $("#show-cancelled").addEventListener("change", renderEvents);
  const list = $("#event-list");
  list.addEventListener("click", onListClick);
  list.addEventListener("submit", onListSubmit);
  list.addEventListener("keydown", onListKey);
}

export { loadEvents, renderEvents, resetPhoneForm, setupPhone };
