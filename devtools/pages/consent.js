// Consent: the Google window, opened as the planner does, and waiting for its answer.

import {
  ApiError, FLOW_TIMEOUT_MS, POLL_MS, api, app, el, linkPath, resourceName, showError, showMessage, statusOf,
} from "./core.js";
import { openCalendarDialog } from "./dialogs.js";
import { register, t } from "./i18n.js";
import { loadBranch, refreshResource, replaceRow } from "./table.js";

register({
  "consent.window.title": { de: "Google-Anmeldung", en: "Google sign-in" },
  "consent.window.preparing": { de: "Die Google-Anmeldung wird vorbereitet …", en: "Preparing the Google sign-in …" },
  "consent.no_url": { de: "oauth_start lieferte keine authorization_url.", en: "oauth_start gave no authorization_url." },
  "consent.start_failed": {
    de: "Die Google-Freigabe für „{name}“ konnte nicht gestartet werden",
    en: "The Google consent for “{name}” could not be started",
  },
  "consent.blocked": { de: "Der Browser hat das Google-Fenster blockiert.", en: "The browser blocked the Google window." },
  "consent.blocked.detail": { de: "Öffnen Sie es über diesen Link:", en: "Open it with this link:" },
  "consent.blocked.link": { de: "Google-Anmeldung öffnen", en: "Open the Google sign-in" },
  "consent.status_failed": {
    de: "Der Status der Freigabe von „{name}“ ist nicht abrufbar",
    en: "The status of the consent for “{name}” cannot be read",
  },
  "consent.not_given": {
    de: "Google hat die Zustimmung für „{name}“ nicht erteilt.",
    en: "Google did not give the consent for “{name}”.",
  },
  "consent.window_said": { de: "Google-Fenster: {text}", en: "Google window: {text}" },
  "consent.closed": {
    de: "Das Google-Fenster wurde geschlossen, ohne dass die Zustimmung für „{name}“ erteilt wurde.",
    en: "The Google window was closed without the consent for “{name}” being given.",
  },
  "consent.timeout": {
    de: "Keine Zustimmung für „{name}“ innerhalb von 10 Minuten. Bitte erneut starten.",
    en: "No consent for “{name}” within 10 minutes. Please start again.",
  },
});

function openConsentWindow() {
  // Opened at once, inside the click, so that no popup blocker stops it; pointed, when
  // oauth_start has answered, at its authorization_url: our own begin step, which binds the
  // consent to this browser (a cookie) and sends the window on to Google. Its `opener` stays:
  // without it Chromium lets this page neither close the window ("Abbrechen") nor see it again
  // once it has been at Google.
  const win = window.open("", "_blank", "popup,width=540,height=760");
  if (!win) return null;
  try {
    win.document.documentElement.lang = document.documentElement.lang;
    win.document.title = t("consent.window.title");
    win.document.body.style.font = "16px system-ui, sans-serif";
    win.document.body.textContent = t("consent.window.preparing");
  } catch {
    // Not ours to write into: fine, it is only a placeholder.
  }
  return win;
}

function consentWindowResult(win) {
  // Our own oauth_callback page (same origin) ends the consent, successful or not, and so does
  // an error page of its begin step: the heading says what happened (and
  // `#result[data-result]`, where the page has it, says it for machines).
  if (!win || win.closed) return null;
  try {
    if (win.location.origin !== location.origin || !/\/oauth_callback(\/begin)?$/.test(win.location.pathname)) {
      return null;
    }
    if (win.document.readyState !== "complete") return null;
    const doc = win.document;
    const heading = doc.querySelector("h1");
    const paragraph = doc.querySelector("p");
    const text = [heading, paragraph].filter(Boolean).map((n) => n.textContent.trim()).join(" – ");
    const marked = doc.querySelector("[data-result]");
    if (marked && marked.dataset.result === "in_progress") return null;  // it reloads itself until done
    return { text: (text || doc.body.innerText || "").trim().slice(0, 400),
      result: marked ? marked.dataset.result : null };
  } catch {
    return null; // still at Google (another origin)
  }
}

async function startConsent(resourceId) {
  if (app.flows.has(resourceId)) return;
  const name = resourceName(resourceId);
  const before = statusOf(app.resources.find((r) => r.resource_id === resourceId) || {});
  const win = openConsentWindow();
  let url;
  try {
    ({ authorization_url: url } = await api("POST", "/oauth_start",
      { branch_id: app.branchId, resource_id: resourceId }));
    if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
      throw new ApiError(200, "invalid_response", t("consent.no_url"));
    }
  } catch (err) {
    if (win) win.close();
    showError(() => t("consent.start_failed", { name }), err);
    if (err.code === "sync_disabled") {
      // switched off meanwhile: the page shows the switch as it is now (and a paused link)
      if (app.branch) await loadBranch();
      await refreshResource(resourceId);
    }
    return;
  }
  if (win && !win.closed) {
    win.location.href = url;
  } else {
    showMessage("warning", () => t("consent.blocked"), () => t("consent.blocked.detail"),
      el("a", { href: url, target: "_blank", rel: "noopener", dataset: { test: "consent-link" },
        "data-i18n": "consent.blocked.link", text: t("consent.blocked.link") }));
  }
  app.flows.set(resourceId, { win, before, started: Date.now(), failures: 0, timer: null });
  replaceRow(resourceId);
  scheduleCheck(resourceId);
}

function scheduleCheck(resourceId) {
  const flow = app.flows.get(resourceId);
  if (flow) flow.timer = setTimeout(() => checkConsent(resourceId), POLL_MS);
}

function endConsent(resourceId) {
  const flow = app.flows.get(resourceId);
  if (flow) clearTimeout(flow.timer);
  app.flows.delete(resourceId);
  replaceRow(resourceId);
}

async function checkConsent(resourceId) {
  const flow = app.flows.get(resourceId);
  if (!flow) return;
  const name = resourceName(resourceId);
  const answered = consentWindowResult(flow.win);  // read before the status: the callback wrote first
  const closed = Boolean(flow.win && flow.win.closed);
  let link;
  try {
    link = await api("GET", linkPath(resourceId));
  } catch (err) {
    flow.failures += 1;
    if (flow.failures >= 3 || err.status === 401 || err.status === 403) {
      endConsent(resourceId);
      showError(() => t("consent.status_failed", { name }), err);
    } else {
      scheduleCheck(resourceId);
    }
    return;
  }
  if (!app.flows.has(resourceId)) return;  // cancelled meanwhile
  app.links.set(resourceId, link);
  const failed = answered !== null && answered.result !== null && answered.result !== "success";
  const isNew = flow.before !== "consented" || answered !== null || closed;
  if (link.status === "consented" && isNew && !failed) {
    endConsent(resourceId);
    await refreshResource(resourceId);
    openCalendarDialog(resourceId);
  } else if (answered !== null) {
    endConsent(resourceId);
    showMessage("error", () => t("consent.not_given", { name }),
      () => t("consent.window_said", { text: answered.text }), null, answered.result || "consent_failed");
  } else if (closed) {
    endConsent(resourceId);
    showMessage("warning", () => t("consent.closed", { name }));
  } else if (Date.now() - flow.started > FLOW_TIMEOUT_MS) {
    endConsent(resourceId);
    showMessage("warning", () => t("consent.timeout", { name }));
  } else {
    scheduleCheck(resourceId);
  }
}

function cancelConsent(resourceId) {
  const flow = app.flows.get(resourceId);
  if (flow && flow.win && !flow.win.closed) flow.win.close();
  endConsent(resourceId);
}

export { cancelConsent, startConsent };
