// The right column: the linked Google calendar as "the phone" sees it, through the Google
// emulator's control API (same origin: the dev server passes /google/_emulator/... on). Every
// edit here is one a person would make in the Google Calendar app; only a sync brings it over.

import { $, api, el, seg, showError, showMessage } from "./core.js";
import { register, t } from "./i18n.js";
import { demo, lastAction, noContent } from "./sync-state.js";
import { addDays, formatSpan, isoInZone, parseInstant, wallFields, zonedIso } from "./sync-time.js";

register({
  "sync.phone.heading": { de: "Google-Kalender (Handy)", en: "Google calendar (phone)" },
  "sync.phone.hint": {
    de: "Der verknüpfte Kalender im (lokalen) Google, wie ihn das Handy zeigt:",
    en: "The linked calendar in the (local) Google, as the phone shows it:",
  },
  "sync.phone.show_cancelled": { de: "Gelöschte Termine (ausgegraut) anzeigen", en: "Show deleted events (greyed out)" },
  "sync.phone.new": { de: "Auf dem Handy bearbeiten: neuer Termin", en: "Edit on the phone: new event" },
  "sync.phone.title_example": { de: "z. B. Zahnarzt (privat)", en: "e.g. Dentist (private)" },
  "sync.phone.when": { de: "Datum und Uhrzeit", en: "Date and time" },
  "sync.phone.create": { de: "Auf dem Handy anlegen", en: "Create on the phone" },
  "sync.phone.load_failed": {
    de: "Der Google-Kalender (Emulator) konnte nicht gelesen werden",
    en: "The Google calendar (emulator) could not be read",
  },
  "sync.phone.no_time": { de: "(ohne Zeit)", en: "(no time)" },
  "sync.phone.untitled": { de: "(ohne Titel)", en: "(no title)" },
  "sync.phone.new_title": { de: "Neuer Titel", en: "New title" },
  "sync.phone.ok": { de: "OK", en: "OK" },
  "sync.phone.cancel": { de: "Abbrechen", en: "Cancel" },
  "sync.phone.cancelled": { de: "gelöscht", en: "deleted" },
  "sync.phone.from_planner": { de: "vom Terminplaner", en: "from the planner" },
  "sync.phone.from_phone": { de: "auf dem Handy angelegt", en: "created on the phone" },
  "sync.phone.series": { de: "Serie", en: "Series" },
  "sync.phone.location": { de: "Ort: {location}", en: "Location: {location}" },
  "sync.phone.later": { de: "+1 Std.", en: "+1 h" },
  "sync.phone.next_day": { de: "Nächster Tag", en: "Next day" },
  "sync.phone.rename": { de: "Umbenennen", en: "Rename" },
  "sync.phone.delete": { de: "Löschen", en: "Delete" },
  "sync.phone.count": { de: "{count} Termin(e)", en: "{count} event(s)" },
  "sync.phone.account": { de: "Google-Konto", en: "Google account" },
  "sync.phone.named": { de: "„{name}“ ({id})", en: "“{name}” ({id})" },
  "sync.phone.no_calendar": { de: "kein Kalender verknüpft", en: "no calendar linked" },
  "sync.phone.none": { de: "Keine Termine in diesem Google-Kalender.", en: "No events in this Google calendar." },
  "sync.phone.not_linked": { de: "Kein Google-Kalender verknüpft.", en: "No Google calendar linked." },
  "sync.phone.planner_follows": {
    de: "Google meldet die Änderung; der Terminplaner hat sie in wenigen Sekunden (ohne Meldung bei der " +
      "nächsten Prüfung des Kalenders) oder sofort mit „Jetzt synchronisieren“.",
    en: "Google reports the change; the planner has it within seconds (without a report, at the next " +
      "check of the calendar) or at once with “Sync now”.",
  },
  "sync.phone.failed": { de: "Die Änderung auf dem Handy ist fehlgeschlagen", en: "The change on the phone failed" },
  "sync.phone.moved_later": { de: "„{title}“ eine Stunde später gelegt.", en: "“{title}” moved one hour later." },
  "sync.phone.moved_next_day": {
    de: "„{title}“ auf den nächsten Tag verschoben.", en: "“{title}” moved to the next day.",
  },
  "sync.phone.renamed": { de: "„{title}“ in „{summary}“ umbenannt.", en: "“{title}” renamed to “{summary}”." },
  "sync.phone.deleted": { de: "„{title}“ auf dem Handy gelöscht.", en: "“{title}” deleted on the phone." },
  "sync.phone.created": { de: "„{title}“ auf dem Handy angelegt.", en: "“{title}” created on the phone." },
  "sync.phone.need_fields": {
    de: "Für einen Termin auf dem Handy bitte Titel und Datum eingeben.",
    en: "For an event on the phone please enter a title and a date.",
  },
});

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
    showError(() => t("sync.phone.load_failed"), err);
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
      text: start ? formatSpan(start, end, demo.timezone) : t("sync.phone.no_time") }),
    renaming
      ? el("form", { className: "rename", dataset: { test: "rename-form" } },
        el("label", { className: "sr-only", for: `rename-${event.id}`, text: t("sync.phone.new_title") }),
        el("input", { type: "text", id: `rename-${event.id}`, value: event.summary || "", maxlength: 500,
          dataset: { test: "rename-input" }, autocomplete: "off" }),
        el("button", { type: "submit", className: "primary", text: t("sync.phone.ok"), dataset: { test: "rename-ok" } }),
        el("button", { type: "button", className: "secondary", text: t("sync.phone.cancel"),
          dataset: { action: "rename-cancel", test: "rename-cancel" } }))
      : el("div", { className: "item-title" },
        el("span", { dataset: { test: "event-title" }, text: event.summary || t("sync.phone.untitled") }), " ",
        cancelled ? el("span", { className: "badge badge-cancelled", text: t("sync.phone.cancelled") }) : null,
        el("span", { className: `badge ${fromPlanner(event) ? "origin-planner" : "origin-phone"}`,
          dataset: { test: "event-origin", origin: fromPlanner(event) ? "planner" : "phone" },
          text: t(fromPlanner(event) ? "sync.phone.from_planner" : "sync.phone.from_phone") }),
        event.recurrence ? el("span", { className: "badge", text: t("sync.phone.series") }) : null),
    event.location ? el("div", { className: "item-sub", text: t("sync.phone.location", { location: event.location }) })
      : null,
    el("div", { className: "item-id", text: event.id })),
  el("div", { className: "item-actions" },
    button("later", t("sync.phone.later"), "secondary", allDay),
    button("next-day", t("sync.phone.next_day"), "secondary"),
    button("rename", t("sync.phone.rename"), "secondary"),
    button("delete", t("sync.phone.delete"), "danger-outline")));
}

function renderEvents() {
  const list = $("#event-list");
  const showCancelled = $("#show-cancelled").checked;
  const all = [...demo.events].sort((x, y) => sortKey(x) - sortKey(y) || String(x.id).localeCompare(y.id));
  const shown = all.filter((e) => showCancelled || e.status !== "cancelled");
  const live = all.filter((e) => e.status !== "cancelled").length;
  $("#event-count").textContent = calendarId() ? t("sync.phone.count", { count: live }) : "";
  $("#phone-calendar").textContent = calendarId()
    ? `${demo.link.account_email || t("sync.phone.account")} · ${demo.link.google_calendar_name
      ? t("sync.phone.named", { name: demo.link.google_calendar_name, id: calendarId() }) : calendarId()}`
    : t("sync.phone.no_calendar");
  $("#phone-create").disabled = !calendarId();
  if (!shown.length) {
    list.replaceChildren(el("li", { className: "empty", dataset: { test: "no-events" },
      text: t(calendarId() ? "sync.phone.none" : "sync.phone.not_linked") }));
    return;
  }
  list.replaceChildren(...shown.map(eventItem));
}

// --- "the phone" edits -------------------------------------------------------------------------

// `done` gives the line that says what was done (in the language of the moment).
async function phone(method, path, body, done) {
  const follows = () => t("sync.phone.planner_follows");
  try {
    const answer = await api(method, path, body);
    lastAction("phone", done, follows);
    return answer;
  } catch (err) {
    if (noContent(err)) {
      lastAction("phone", done, follows);
      return {};
    }
    showError(() => t("sync.phone.failed"), err);
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
  const what = how === "later" ? "sync.phone.moved_later" : "sync.phone.moved_next_day";
  const title = event.summary || event.id;
  await phone("PATCH", `${eventsPath()}/${seg(event.id)}`, body, () => t(what, { title }));
}

async function renameEvent(event, summary) {
  demo.renaming = null;
  if (!summary || summary === event.summary) {
    renderEvents();
    return;
  }
  const title = event.summary || event.id;
  await phone("PATCH", `${eventsPath()}/${seg(event.id)}`, { summary },
    () => t("sync.phone.renamed", { title, summary }));
}

async function deleteEvent(event) {
  const title = event.summary || event.id;
  await phone("DELETE", `${eventsPath()}/${seg(event.id)}`, undefined, () => t("sync.phone.deleted", { title }));
}

async function createEvent(submit) {
  submit.preventDefault();
  const summary = $("#phone-title").value.trim();
  const date = $("#phone-date").value;
  if (!summary || !date) {
    showMessage("error", () => t("sync.phone.need_fields"));
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
  const created = await phone("POST", eventsPath(), body, () => t("sync.phone.created", { title: summary }));
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
