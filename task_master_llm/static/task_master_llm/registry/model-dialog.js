// The Edit model dialog: each fact with where it came from (the provider, the models.dev
// catalog, an admin). Typing a value overrides it (admin-owned: re-discovery keeps it);
// Reset gives an admin-owned fact back to discovery. Saves with PATCH /models/<id>.
//
// Announces on root:
//   llm:models-changed {reason: "edited", model}

import { ApiError } from "../lib/api.js";
import { announce, finder } from "../lib/dom.js";
import { openDialog, setBusy } from "../lib/dialog.js";
import { clearErrors, showErrors } from "../lib/errors.js";

const FIELDS = ["displayName", "contextWindow", "inputCostPer1k", "outputCostPer1k", "modality"];
const NUMBERS = new Set(["contextWindow", "inputCostPer1k", "outputCostPer1k"]);
export const SOURCE_TEXT = {
  provider: "From the provider",
  "models.dev": "From the models.dev catalog",
  admin: "Set by an admin (kept when models are discovered again)",
};

/** A fact as the input shows it. */
const shown = (field, value) =>
  value === null || value === undefined ? "" : field === "modality" ? value.join(", ") : String(value);

/** Mount the dialog; returns {open(model)}. */
export function mount(root, ctx) {
  const $ = finder(root);
  const dialog = $("model-dialog");
  const form = $("model-form");
  const formError = $("model-form-error");
  const saveButton = $("model-save");
  let model = null;
  const resets = new Set();

  const meta = () => (model && model.meta) || {};
  const sourceOf = (field) => (meta().sources || {})[field];
  const discoveredOf = (field) => (meta().discovered || {})[field];

  function showField(field) {
    const hint = $(`mf-${field}-source`);
    const reset = form.querySelector(`[data-reset="${field}"]`);
    const source = sourceOf(field);
    if (resets.has(field)) {
      const kept = discoveredOf(field);
      hint.textContent = kept
        ? `Reset: back to ${SOURCE_TEXT[kept.source] ? SOURCE_TEXT[kept.source].toLowerCase() : "the discovered value"} when saved.`
        : "Reset: the next Discover / Add to Registry fills it in again.";
    } else {
      hint.textContent = SOURCE_TEXT[source] || (source ? `From ${source}` : "Not given by the provider or the catalog");
    }
    reset.hidden = source !== "admin" || resets.has(field);
  }

  function open(m) {
    model = m;
    resets.clear();
    form.reset();
    clearErrors(form, formError);
    $("model-dialog-title").textContent = `Edit ${m.displayName || m.providerModelId}`;
    $("model-dialog-id").textContent = m.providerModelId;
    for (const field of FIELDS) {
      $(`mf-${field}`).value = shown(field, m[field]);
      showField(field);
    }
    openDialog(dialog, $("mf-displayName"));
  }

  for (const button of form.querySelectorAll("[data-reset]")) {
    button.addEventListener("click", () => {
      const field = button.dataset.reset;
      resets.add(field);
      const kept = discoveredOf(field);
      $(`mf-${field}`).value = kept ? shown(field, kept.value) : "";
      showField(field);
      $(`mf-${field}`).focus();
    });
  }
  form.addEventListener("input", (event) => {
    const field = event.target.name;
    if (resets.delete(field)) showField(field); // typed over a reset: an override again
  });

  /** The PATCH body (changed fields and resets) and the fields that do not parse. */
  function readForm() {
    const body = {};
    const bad = {};
    for (const field of FIELDS) {
      if (resets.has(field)) continue;
      const text = $(`mf-${field}`).value.trim();
      if (text === shown(field, model[field])) continue;
      if (field === "modality") body.modality = text.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
      else if (field === "displayName") {
        if (!text) bad.displayName = ["Give the model a name."];
        else body.displayName = text;
      } else if (NUMBERS.has(field)) {
        const n = text === "" ? null : Number(text);
        if (n !== null && (!Number.isFinite(n) || n < 0)) bad[field] = ["A number of 0 or more."];
        else body[field] = field === "contextWindow" && n !== null ? Math.round(n) : n;
      }
    }
    if (resets.size) body.reset = [...resets];
    return { body, bad };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, formError);
    const { body, bad } = readForm();
    if (Object.keys(bad).length) {
      showErrors(form, "mf", formError, new ApiError(400, "validation", "Check the marked fields.", bad));
      return;
    }
    if (!Object.keys(body).length) {
      dialog.close("unchanged");
      return;
    }
    setBusy(saveButton, true, "Saving…");
    try {
      const saved = await ctx.api("PATCH", `${ctx.urls.llmApi}/models/${encodeURIComponent(model.id)}`, body);
      dialog.close("saved");
      ctx.flash(`Saved ${saved.displayName || saved.providerModelId}.`, "success");
      announce(root, "llm:models-changed", { reason: "edited", model: saved });
    } catch (error) {
      showErrors(form, "mf", formError, error);
    } finally {
      setBusy(saveButton, false);
    }
  });

  return { open };
}
