// Times of the sync demo, always in the branch's time zone (not the browser's): wall time ⇄
// instant, RFC 3339 with the zone's offset, and the display of appointments and events in the
// page's language.

import { locale, register, t } from "./i18n.js";

register({
  "sync.time.all_day": { de: "ganztägig", en: "all day" },
});

const DAY_MS = 24 * 3600 * 1000;
const partsCache = new Map();

function wallFormatter(timeZone) {
  if (!partsCache.has(timeZone)) {
    partsCache.set(timeZone, new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }));
  }
  return partsCache.get(timeZone);
}

// The wall clock of `instant` (ms) in `timeZone`: {year, month, day, hour, minute, second}.
function wallParts(instant, timeZone) {
  const out = {};
  for (const part of wallFormatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") out[part.type] = Number(part.value);
  }
  return out;
}

// The zone's offset from UTC at `instant`, in ms (Berlin in winter: +3 600 000).
function offsetAt(instant, timeZone) {
  const w = wallParts(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

// RFC 3339 with the zone's offset at that instant, e.g. 2030-03-01T09:00:00+01:00.
function isoInZone(instant, timeZone) {
  const w = wallParts(instant, timeZone);
  const offset = offsetAt(instant, timeZone) / 60000;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// The instant of a wall time ("YYYY-MM-DD", "HH:MM") in `timeZone` (a time in a DST gap moves on).
function instantOf(dateText, timeText, timeZone) {
  const [y, m, d] = dateText.split("-").map(Number);
  const [hh, mm] = (timeText || "00:00").split(":").map(Number);
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  const first = guess - offsetAt(guess, timeZone);
  return guess - offsetAt(first, timeZone);
}

function zonedIso(dateText, timeText, timeZone) {
  return isoInZone(instantOf(dateText, timeText, timeZone), timeZone);
}

// "YYYY-MM-DD" plus `days` (calendar arithmetic, no zone involved).
function addDays(dateText, days) {
  const [y, m, d] = dateText.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d) + days * DAY_MS);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

// The date and time fields of an instant in the zone: {date: "YYYY-MM-DD", time: "HH:MM"}.
function wallFields(instant, timeZone) {
  const w = wallParts(instant, timeZone);
  return { date: `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`, time: `${pad(w.hour)}:${pad(w.minute)}` };
}

// Parse RFC 3339; without an offset the wall time is read in `timeZone`.
function parseInstant(text, timeZone) {
  if (/[zZ]|[+-]\d\d:\d\d$/.test(text)) return Date.parse(text);
  const [date, time] = text.split("T");
  return instantOf(date, (time || "00:00").slice(0, 5), timeZone);
}

const dayFormat = new Map();
function formatDay(instant, timeZone) {
  const key = `${locale()} ${timeZone}`;
  if (!dayFormat.has(key)) {
    dayFormat.set(key, new Intl.DateTimeFormat(locale(), {
      timeZone, weekday: "short", day: "2-digit", month: "2-digit", year: "numeric" }));
  }
  return dayFormat.get(key).format(new Date(instant));
}

function formatClock(instant, timeZone) {
  return wallFields(instant, timeZone).time;
}

// A span for people: "Sa., 28.11.2026 · 10:00–11:00", all-day "Sa., 28.11.2026 · ganztägig"
// (in English "Sat, 28/11/2026 · 10:00–11:00", "Sat, 28/11/2026 · all day").
// `start`/`end` are {instant} for timed spans, or {date} (end exclusive) for all-day ones.
function formatSpan(start, end, timeZone) {
  if (start.date) {
    const first = Date.UTC(...start.date.split("-").map((v, i) => Number(v) - (i === 1 ? 1 : 0)));
    const lastDate = end && end.date ? addDays(end.date, -1) : start.date;
    const day = formatDay(first, "UTC");
    if (lastDate <= start.date) return `${day} · ${t("sync.time.all_day")}`;
    const last = Date.UTC(...lastDate.split("-").map((v, i) => Number(v) - (i === 1 ? 1 : 0)));
    return `${day} – ${formatDay(last, "UTC")} · ${t("sync.time.all_day")}`;
  }
  const day = formatDay(start.instant, timeZone);
  if (!end) return `${day} · ${formatClock(start.instant, timeZone)}`;
  const sameDay = wallFields(start.instant, timeZone).date === wallFields(end.instant, timeZone).date;
  return sameDay
    ? `${day} · ${formatClock(start.instant, timeZone)}–${formatClock(end.instant, timeZone)}`
    : `${day} ${formatClock(start.instant, timeZone)} – ${formatDay(end.instant, timeZone)} ` +
      `${formatClock(end.instant, timeZone)}`;
}

export {
  DAY_MS, addDays, formatSpan, instantOf, isoInZone, offsetAt, parseInstant, wallFields, zonedIso,
};
