// The sync demo's own state (the API client, texts and messages are core.js's).

import { $, el } from "./core.js";

const demo = {
  branchId: "berlin",
  timezone: "Europe/Berlin",  // the branch's, read on load
  resourceId: null,           // the linked resource on show
  link: null,                 // GET /links answer of that resource
  appointments: new Map(),    // appointment_id -> latest change {origin, deleted, appointment}
  cursor: "0",                // of the changes feed, branch-wide
  events: [],                 // the linked calendar's events as the emulator stores them
  editing: null,              // appointment_id in the planner form, null for a new one
  renaming: null,             // event id being renamed on "the phone"
};

const ORIGIN_TEXT = { planner: "Terminplaner", google: "Google" };

// What was just done in a column (successes stay there; errors go to the page's messages).
function lastAction(column, text, detail) {
  const line = $(`#${column}-last-action`);
  line.hidden = false;
  line.replaceChildren(el("span", { text }), detail ? el("small", { text: detail }) : null);
}

// core.js's api() wants a JSON answer; a 204 (DELETE) is a success without one.
function noContent(err) {
  return err && err.status >= 200 && err.status < 300;
}

export { ORIGIN_TEXT, demo, lastAction, noContent };
