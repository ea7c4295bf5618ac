// The sync demo's own state (the API client and messages are core.js's, the texts i18n.js's).

import { $, el } from "./core.js";
import { register, t } from "./i18n.js";

register({
  "sync.origin.planner": { de: "Terminplaner", en: "Planner" },
  "sync.origin.google": { de: "Google", en: "Google" },
});

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

const ORIGIN_TEXT = Object.freeze(Object.defineProperties({}, {
  planner: { enumerable: true, get: () => t("sync.origin.planner") },
  google: { enumerable: true, get: () => t("sync.origin.google") },
}));

// A node's text from the catalog: a text without parameters stays marked (data-i18n), so that a
// switch of the language redoes it; one with parameters is redone by its module's re-render.
function say(node, key, params) {
  node.textContent = t(key, params);
  if (params) delete node.dataset.i18n;
  else node.dataset.i18n = key;
}

// What was just done in a column (successes stay there; errors go to the page's messages):
// `text` and `detail` are functions that give the text in the language of the moment.
function lastAction(column, text, detail) {
  const line = $(`#${column}-last-action`);
  line.hidden = false;
  line.rerender = () => line.replaceChildren(el("span", { text: text() }), detail ? el("small", { text: detail() }) : null);
  line.rerender();
}

// core.js's api() wants a JSON answer; a 204 (DELETE) is a success without one.
function noContent(err) {
  return err && err.status >= 200 && err.status < 300;
}

export { ORIGIN_TEXT, demo, lastAction, noContent, say };
