// The Add / Edit provider dialog: the fields follow the provider type; Test (provider-test.js)
// tries the typed values before they are saved.
//
// Announces on root:
//   llm:providers-changed {reason: "saved", provider, created}   (after a successful save)

import { ApiError } from "../lib/api.js";
import { announce, el, finder } from "../lib/dom.js";
import { openDialog, setBusy } from "../lib/dialog.js";
import { clearErrors, showErrors } from "../lib/errors.js";
import { mountDialogTest } from "./provider-test.js";

const FIELD_NAMES = ["apiKey", "baseUrl", "orgId", "deploymentId"];

/** Mount the provider dialog and its Add provider button; returns {open(provider | null)}. */
export function mount(root, ctx) {
  const $ = finder(root);
  const { api, flash, providerTypes } = ctx;
  const API = ctx.urls.llmApi;
  const dialog = $("provider-dialog");
  const form = $("provider-form");
  const formError = $("provider-form-error");
  const typeSelect = $("pf-providerType");
  const saveButton = $("provider-save");
  let editing = null; // provider being edited, or null when adding
  let lastPrefill = {};

  typeSelect.replaceChildren(...providerTypes.map((t) => el("option", { value: t.value, text: t.label })));

  function applyType(typeValue) {
    const type = providerTypes.find((t) => t.value === typeValue) || { fields: {}, prefill: {} };
    for (const name of FIELD_NAMES) {
      const wrapper = form.querySelector(`.llm-field[data-field="${name}"]`);
      const input = $(`pf-${name}`);
      const rule = type.fields[name];
      wrapper.hidden = !rule;
      const required = rule === "required" && !(editing && name === "apiKey");
      input.required = required;
      wrapper.querySelector(".llm-optional").hidden = rule !== "optional";
      if (!editing) {
        const prefill = (type.prefill || {})[name];
        if (input.value === "" || input.value === lastPrefill[name]) input.value = prefill || "";
      }
    }
    lastPrefill = editing ? {} : { ...(type.prefill || {}) };
    $("pf-baseUrl").placeholder = type.defaultBaseUrl || "https://…";
    $("pf-baseUrl-hint").textContent = type.fields.baseUrl === "optional" && type.defaultBaseUrl
      ? `Leave empty to use ${type.defaultBaseUrl}.`
      : type.fields.baseUrl === "required" ? "The server's address, e.g. https://my-endpoint.example.com" : "";
    const keyHint = $("pf-apiKey-hint");
    if (editing && editing.hasApiKey) {
      $("pf-apiKey").placeholder = editing.apiKeyMasked || "****";
      keyHint.textContent = `Current key ${editing.apiKeyMasked || "(set)"}. Leave empty to keep it; type a new key to replace it.`;
    } else {
      $("pf-apiKey").placeholder = "";
      keyHint.textContent = "Stored encrypted. It is never shown again, only its last four characters.";
    }
  }
  typeSelect.addEventListener("change", () => applyType(typeSelect.value));

  /** Open the dialog to add a provider (null) or to edit `provider`, prefilled. */
  function open(provider) {
    editing = provider || null;
    lastPrefill = {};
    form.reset();
    clearErrors(form, formError);
    tester.reset();
    $("provider-dialog-title").textContent = editing ? `Edit ${editing.name}` : "Add provider";
    saveButton.textContent = editing ? "Save changes" : "Add provider";
    delete saveButton.dataset.label;
    typeSelect.disabled = Boolean(editing);
    typeSelect.title = editing ? "A provider's type cannot be changed; add a new provider instead." : "";
    if (editing) {
      $("pf-name").value = editing.name;
      typeSelect.value = editing.providerType;
      $("pf-baseUrl").value = editing.baseUrl || "";
      $("pf-orgId").value = editing.orgId || "";
      $("pf-deploymentId").value = editing.deploymentId || "";
      $("pf-apiKey").value = "";
    } else {
      typeSelect.value = providerTypes[0]?.value || "";
    }
    applyType(typeSelect.value);
    openDialog(dialog, $("pf-name"));
  }
  $("add-provider").addEventListener("click", () => open(null));

  /** The POST or PATCH body, and the required fields left empty. */
  function readForm() {
    const type = providerTypes.find((t) => t.value === typeSelect.value);
    const body = {};
    const missing = {};
    const name = $("pf-name").value.trim();
    if (!name) missing.name = ["Give the provider a name."];
    if (!editing || name !== editing.name) body.name = name;
    if (!editing) body.providerType = typeSelect.value;
    for (const field of FIELD_NAMES) {
      if (!type || !type.fields[field]) continue;
      const value = $(`pf-${field}`).value.trim();
      const rule = type.fields[field];
      if (field === "apiKey") {
        if (value) body.apiKey = value;
        else if (rule === "required" && !(editing && editing.hasApiKey)) missing.apiKey = ["Required for this type."];
        continue;
      }
      if (rule === "required" && !value) missing[field] = ["Required for this type."];
      if (!editing) {
        if (value) body[field] = value;
      } else if (value !== (editing[field] || "")) {
        body[field] = value || null;
      }
    }
    return { body, missing };
  }

  /** What POST /providers/test takes: the visible fields as typed (editing: over the saved provider). */
  function testBody() {
    const type = providerTypes.find((t) => t.value === typeSelect.value) || { fields: {} };
    const body = editing ? { providerId: editing.id } : { providerType: typeSelect.value };
    const name = $("pf-name").value.trim();
    if (name) body.name = name;
    for (const field of FIELD_NAMES) {
      if (!type.fields[field]) continue;
      const value = $(`pf-${field}`).value.trim();
      if (value) body[field] = value;
      else if (editing && field !== "apiKey") body[field] = null; // cleared: test without it
    }
    return body;
  }
  const tester = mountDialogTest(form, ctx, {
    button: $("provider-test"),
    output: $("provider-test-result"),
    formError,
    values: () => ({ body: testBody(), editing }),
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, formError);
    const { body, missing } = readForm();
    if (Object.keys(missing).length) {
      showErrors(form, "pf", formError, new ApiError(400, "validation", "Fill in the marked fields.", missing));
      return;
    }
    setBusy(saveButton, true, "Saving…");
    try {
      let saved;
      if (editing) {
        saved = Object.keys(body).length
          ? await api("PATCH", `${API}/providers/${encodeURIComponent(editing.id)}`, body)
          : editing;
      } else {
        saved = await api("POST", `${API}/providers`, body);
      }
      announce(root, "llm:providers-changed", { reason: "saved", provider: saved, created: !editing });
      dialog.close("saved");
      flash(editing ? `Saved ${saved.name}.` : `Added ${saved.name}. Use Test to check its key.`, "success",
        { topic: `provider:${saved.id}` });
    } catch (error) {
      showErrors(form, "pf", formError, error);
    } finally {
      setBusy(saveButton, false);
    }
  });

  return { open };
}
