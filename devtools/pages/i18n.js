// The pages' texts in German and English (issue 13, items 1 and 6). Every text a person reads
// comes from here: each module registers its own entries, {key: {de, en}}, and shows them with
// t(key, params). Static HTML carries data-i18n="key" (its text) or data-i18n-<attr>="key" (an
// attribute: placeholder, title, aria-label); applyStatic() fills them in. Placeholders are
// {name}, replaced as text (data from the API is never HTML).
//
// The language: ?lang=de|en, else the one chosen earlier (localStorage), else the browser's
// preference when it is English, else German (the practice staff's language).

export const LANGUAGES = ["de", "en"];
const CATALOG = new Map();
const STORE_KEY = "planner-lang";

export function register(entries) {
  for (const [key, entry] of Object.entries(entries)) {
    if (CATALOG.has(key)) throw new Error(`i18n: ${key} is registered twice`);  // i18n-ignore: for developers
    CATALOG.set(key, entry);
  }
}

function chosen() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGUAGES.includes(asked)) return asked;
  try {
    const kept = localStorage.getItem(STORE_KEY);
    if (LANGUAGES.includes(kept)) return kept;
  } catch { /* storage switched off: fall through */ }
  return (navigator.language || "").toLowerCase().startsWith("en") ? "en" : "de";
}

let current = chosen();

export function lang() {
  return current;
}

// The locale for dates and times of the current language.
export function locale() {
  return current === "en" ? "en-GB" : "de-DE";
}

export function setLang(next) {
  if (!LANGUAGES.includes(next) || next === current) return;
  current = next;
  try {
    localStorage.setItem(STORE_KEY, next);
  } catch { /* not kept: this page still switches */ }
  document.documentElement.lang = next;
  applyStatic();
  document.dispatchEvent(new CustomEvent("langchange", { detail: next }));
}

export function t(key, params = {}) {
  const entry = CATALOG.get(key);
  if (!entry) throw new Error(`i18n: no text ${key}`);
  const text = entry[current] ?? entry.de;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// Whether a key exists (for texts chosen by an API code that may be unknown to the page).
export function has(key) {
  return CATALOG.has(key);
}

const ATTRIBUTES = ["placeholder", "title", "aria-label"];

// A key the page uses but nobody registered leaves its node as the HTML has it (problems() names it).
export function applyStatic(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    if (CATALOG.has(node.dataset.i18n)) node.textContent = t(node.dataset.i18n);
  }
  for (const attr of ATTRIBUTES) {
    for (const node of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      const key = node.getAttribute(`data-i18n-${attr}`);
      if (CATALOG.has(key)) node.setAttribute(attr, t(key));
    }
  }
}

// For the check test: every entry with both languages and the same placeholders.
export function problems() {
  const found = [];
  const names = (text) => [...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(",");
  for (const [key, entry] of CATALOG) {
    for (const language of LANGUAGES) {
      if (typeof entry[language] !== "string" || !entry[language].trim()) found.push(`${key}: no ${language}`);
    }
    if (typeof entry.de === "string" && typeof entry.en === "string" && names(entry.de) !== names(entry.en)) {
      found.push(`${key}: placeholders differ`);
    }
  }
  const used = [...document.querySelectorAll("[data-i18n]")].map((node) => node.dataset.i18n);
  for (const attr of ATTRIBUTES) {
    for (const node of document.querySelectorAll(`[data-i18n-${attr}]`)) used.push(node.getAttribute(`data-i18n-${attr}`));
  }
  for (const key of new Set(used)) {
    if (!CATALOG.has(key)) found.push(`${key}: used in the page, not registered`);
  }
  return found;
}

// Every entry, [key, {de, en}] (for the browser tests: which words are German, which English).
export function entries() {
  return [...CATALOG].map(([key, entry]) => [key, { ...entry }]);
}

document.documentElement.lang = current;
window.i18n = { lang, setLang, t, has, problems, entries };  // for the browser tests and the curious
