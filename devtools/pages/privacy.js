// What Google sees of a resource's appointments (issue 13, item 7): the admin chooses the level
// per resource (PUT resource `privacy`), with one sentence on what Google sees; the employee
// reads it. A consumer Google account (gmail.com) shows more than "Belegt" only when the admin
// confirms it explicitly (409 `consumer_account_confirmation`, then `confirm_consumer_account`).

import {
  $, REVOCABLE, api, app, el, formatTime, onLanguage, resourceName, resourcePath, showError, showMessage,
} from "./core.js";
import { applyStatic, register, t } from "./i18n.js";
import { refreshResource } from "./table.js";

register({
  "privacy.heading": { de: "In Google sichtbar", en: "Visible in Google" },
  "privacy.cellLabel": { de: "In Google sichtbar:", en: "Visible in Google:" },
  "privacy.label": { de: "Was Google von den Terminen sieht", en: "What Google sees of the appointments" },
  "privacy.level.full": { de: "Alle Angaben", en: "Everything" },
  "privacy.level.title_only": { de: "Nur der Titel", en: "Title only" },
  "privacy.level.busy": { de: "Nur „Belegt“", en: "Only “Busy”" },
  "privacy.about.full": {
    de: "Google sieht Titel, Ort und Notizen jedes Termins.",
    en: "Google sees the title, location and notes of every appointment.",
  },
  "privacy.about.title_only": {
    de: "Google sieht den Titel und die Zeit jedes Termins, aber weder Ort noch Notizen.",
    en: "Google sees the title and time of every appointment, but neither location nor notes.",
  },
  "privacy.about.busy": {
    de: "Google sieht nur „Belegt“ und die Zeit – keinen Titel, keinen Ort, keine Notizen.",
    en: "Google sees only “Busy” and the time – no title, no location, no notes.",
  },
  "privacy.consumerPending": {
    de: "Privates Google-Konto ({email}): bis zur Bestätigung sieht Google nur „Belegt“.",
    en: "Consumer Google account ({email}): until it is confirmed, Google sees only “Busy”.",
  },
  "privacy.consumerPendingEmployee": {
    de: "Privates Google-Konto ({email}): Google sieht nur „Belegt“, bis Ihre Administration das Konto bestätigt.",
    en: "Consumer Google account ({email}): Google sees only “Busy” until your administration confirms the account.",
  },
  "privacy.consumerConfirmed": {
    de: "Privates Google-Konto, bestätigt am {time}.", en: "Consumer Google account, confirmed on {time}.",
  },
  "privacy.confirmNow": { de: "Konto bestätigen", en: "Confirm account" },
  "privacy.saved": {
    de: "„{name}“: {about}", en: "“{name}”: {about}",
  },
  "privacy.unchanged": {
    de: "Nichts geändert: Google sieht für „{name}“ weiterhin, was vorher eingestellt war.",
    en: "Nothing changed: for “{name}” Google keeps seeing what was set before.",
  },
  "privacy.failed": {
    de: "Die Sichtbarkeit für „{name}“ konnte nicht gespeichert werden",
    en: "What Google sees for “{name}” could not be saved",
  },
  // the consumer account's confirmation dialog
  "consumer.title": { de: "Privates Google-Konto bestätigen", en: "Confirm a consumer Google account" },
  "consumer.account": {
    de: "Der Kalender von „{name}“ gehört zum Google-Konto {email}. Das ist ein privates Google-Konto, kein " +
      "Google Workspace.",
    en: "The calendar of “{name}” belongs to the Google account {email}. That is a consumer Google account, " +
      "not Google Workspace.",
  },
  "consumer.terms": {
    de: "Google bietet Bedingungen zur Auftragsverarbeitung nur für Google-Workspace-Konten an. Für ein privates " +
      "Konto gibt es sie nicht: Termindaten Ihrer Patienten lägen ohne diese Vereinbarung bei Google.",
    en: "Google offers data processing terms only for Google Workspace accounts. There are none for a consumer " +
      "account: your patients' appointment data would be at Google without such an agreement.",
  },
  "consumer.level": { de: "Mit „{level}“: {about}", en: "With “{level}”: {about}" },
  "consumer.check": {
    de: "Ich bestätige für die Praxis, dass für dieses private Google-Konto mehr als „Belegt“ an Google " +
      "übertragen werden darf.",
    en: "I confirm for the practice that more than “Busy” may be sent to Google for this consumer account.",
  },
  "consumer.cancel": { de: "Abbrechen", en: "Cancel" },
  "consumer.ok": { de: "Bestätigen", en: "Confirm" },
  "consumer.employee": {
    de: "Das Google-Konto {email} ist ein privates Google-Konto. Damit Google für „{name}“ mehr als „Belegt“ " +
      "sieht, muss Ihre Administration das ausdrücklich bestätigen (Google bietet Bedingungen zur " +
      "Auftragsverarbeitung nur für Google-Workspace-Konten an). Bitten Sie Ihre Administration darum, oder " +
      "verknüpfen Sie den Kalender eines Workspace-Kontos.",
    en: "The Google account {email} is a consumer Google account. For Google to see more than “Busy” for " +
      "“{name}”, your administration has to confirm it explicitly (Google offers data processing terms only " +
      "for Google Workspace accounts). Ask your administration to do so, or link a Workspace account's calendar.",
  },
});

const LEVELS = ["full", "title_only", "busy"];

const DIALOG = `
<dialog id="consumer-dialog" aria-labelledby="consumer-title" data-test="consumer-dialog">
  <form method="dialog">
    <h2 id="consumer-title" data-i18n="consumer.title"></h2>
    <p id="consumer-account" data-test="consumer-account"></p>
    <p id="consumer-terms" data-i18n="consumer.terms"></p>
    <p id="consumer-level" class="notice" data-test="consumer-level"></p>
    <label class="check">
      <input type="checkbox" id="consumer-check" data-test="consumer-check">
      <span data-i18n="consumer.check"></span>
    </label>
    <div class="dialog-actions">
      <button type="submit" value="cancel" class="secondary" data-test="consumer-cancel" data-i18n="consumer.cancel"></button>
      <button type="submit" value="confirm" class="primary" id="consumer-ok" data-test="consumer-ok" disabled
        data-i18n="consumer.ok"></button>
    </div>
  </form>
</dialog>`;

function levelText(level) {
  return LEVELS.includes(level) ? t(`privacy.level.${level}`) : level;
}

function levelAbout(level) {
  return LEVELS.includes(level) ? t(`privacy.about.${level}`) : "";
}

// what the confirmation dialog asks about (its texts again after a switch of the language)
let asked = null;

function renderAsked() {
  const { resourceId, email, level } = asked;
  $("#consumer-account").textContent = t("consumer.account", { name: resourceName(resourceId), email: email || "–" });
  $("#consumer-level").textContent = t("consumer.level", { level: levelText(level), about: levelAbout(level) });
}

/** Ask the admin to confirm a consumer account for this level: true when confirmed. */
function confirmConsumer(resourceId, email, level) {
  const dialog = $("#consumer-dialog");
  asked = { resourceId, email, level };
  renderAsked();
  $("#consumer-check").checked = false;
  $("#consumer-ok").disabled = true;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm" && $("#consumer-check").checked),
      { once: true });
  });
}

/** What the employee reads when a link needs the administration's confirmation. */
function consumerEmployeeText(resourceId, email) {
  return t("consumer.employee", { name: resourceName(resourceId), email: email || "–" });
}

async function savePrivacy(resourceId, level, confirm) {
  const resource = app.resources.find((r) => r.resource_id === resourceId);
  const body = { name: resource.name, kind: resource.kind, privacy: level };
  if (confirm) body.confirm_consumer_account = true;
  return api("PUT", resourcePath(resourceId), body);
}

/** Save the level; a consumer account is confirmed in the dialog first when the API asks for
 *  it (or, `askFirst`, at once: the level stays, the account is to be confirmed for it). */
async function changePrivacy(resourceId, level, control, askFirst = false) {
  const name = resourceName(resourceId);
  if (control) control.disabled = true;
  const confirmed = async () => {
    const link = app.links.get(resourceId) || {};
    if (await confirmConsumer(resourceId, link.account_email, level)) {
      await savePrivacy(resourceId, level, true);
      return true;
    }
    showMessage("info", () => t("privacy.unchanged", { name }));
    return false;
  };
  try {
    let saved = false;
    if (askFirst) {
      saved = await confirmed();
    } else {
      try {
        await savePrivacy(resourceId, level, false);
        saved = true;
      } catch (err) {
        if (err.code !== "consumer_account_confirmation") throw err;
        saved = await confirmed();
      }
    }
    if (saved) showMessage("success", () => t("privacy.saved", { name, about: levelAbout(level) }));
  } catch (err) {
    showError(() => t("privacy.failed", { name }), err);
  }
  await refreshResource(resourceId);
}

function consumerNote(resource, link) {
  if (!link.consumer_account || !REVOCABLE.has(link.status)) return null;  // no consent held: nothing to confirm
  if (link.consumer_confirmation) {
    return el("div", { className: "sub", dataset: { test: "consumer-note", confirmed: "1" } },
      t("privacy.consumerConfirmed", { time: formatTime(link.consumer_confirmation.at) }));
  }
  if (resource.privacy === "busy") return null;
  const admin = app.page === "admin";
  return el("div", { className: "sub sub-warning", dataset: { test: "consumer-note" } },
    t(admin ? "privacy.consumerPending" : "privacy.consumerPendingEmployee", { email: link.account_email }),
    admin ? el("button", { type: "button", className: "link-button", dataset: { test: "consumer-confirm-now" },
      text: t("privacy.confirmNow"), onclick: () => changePrivacy(resource.resource_id, resource.privacy, null, true) }) : null);
}

/** The resource table's cell: a choice for the admin, the level in words for the employee. */
function privacyCell(resource) {
  const level = resource.privacy || "busy";
  const link = app.links.get(resource.resource_id) || {};
  const about = el("div", { className: "sub", dataset: { test: "privacy-about" }, text: levelAbout(level) });
  if (app.page !== "admin") {
    return el("td", { className: "privacy" },
      el("span", { className: "privacy-level", dataset: { test: "privacy-level", level }, text: levelText(level) }),
      about, consumerNote(resource, link));
  }
  const select = el("select", { "aria-label": t("privacy.label"), dataset: { test: "privacy-select" },
    onchange: (event) => changePrivacy(resource.resource_id, event.target.value, event.target) },
  LEVELS.map((l) => el("option", { value: l, text: levelText(l), selected: l === level })));
  return el("td", { className: "privacy" }, el("span", { className: "cell-label", text: t("privacy.cellLabel") }),
    select, about, consumerNote(resource, link));
}

function setupPrivacy() {
  document.body.insertAdjacentHTML("beforeend", DIALOG);
  applyStatic($("#consumer-dialog"));
  $("#consumer-check").addEventListener("change", (event) => {
    $("#consumer-ok").disabled = !event.target.checked;
  });
  onLanguage(() => {
    if ($("#consumer-dialog").open && asked) renderAsked();
  });
}

export { confirmConsumer, consumerEmployeeText, privacyCell, setupPrivacy };
