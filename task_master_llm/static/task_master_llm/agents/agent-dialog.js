// The Create / Edit agent dialog: provider and model from the enabled registered models,
// and fallback models of any provider (./fallbacks.js).
//
// Announces on root:
//   llm:agents-changed {reason: "created" | "saved", agent}   (the dialog is closed)
//   llm:agents-changed {reason: "gone", agent}                 (someone deleted it meanwhile)

import { allPages, ApiError } from "../lib/api.js";
import { announce, el, finder } from "../lib/dom.js";
import { openDialog, setBusy } from "../lib/dialog.js";
import { clearErrors, showErrors } from "../lib/errors.js";
import { formatContext } from "../lib/format.js";
import { mount as mountFallbacks, sameIds } from "./fallbacks.js";
import { syncMessage } from "./messages.js";

const ALIASES = { model: "modelId", llmModel: "modelId" };

/** The agent's current registered model as an option source (it may be disabled now). */
function currentModelOf(agent) {
  const m = agent && agent.modelId && agent.llmModel;
  if (!m || !m.provider || !m.provider.id) return null;
  return { ...m, id: m.id || agent.modelId, current: true };
}

/** The providers of these models, each once, by name. */
function providersOf(models) {
  const seen = new Map();
  for (const m of models) {
    const p = m.provider || { id: m.providerId, name: m.providerId };
    if (p && p.id && !seen.has(p.id)) seen.set(p.id, p);
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The PATCH body: only what differs from the agent as it was loaded. */
function changedFields(agent, values) {
  const body = {};
  if (values.name !== (agent.name || "")) body.name = values.name;
  for (const key of ["role", "soul", "guardrails"]) {
    if (values[key] !== (agent[key] || "")) body[key] = values[key] || null;
  }
  if (values.modelId && values.modelId !== (agent.modelId || "")) body.modelId = values.modelId;
  const fallbacks = values.fallbackModelIds;
  if (fallbacks && !sameIds(fallbacks, agent.fallbackModelIds || [])) body.fallbackModelIds = fallbacks;
  return body;
}

/** Mount the agent dialog and its Create Agent button; returns {open(agent | null)}. */
export function mount(root, ctx) {
  const $ = finder(root);
  const { api, flash, isAdmin, canManage } = ctx;
  const AGENTS_API = ctx.urls.agentsApi;
  const dialog = $("agent-dialog");
  const form = $("agent-form");
  const formError = $("agent-form-error");
  const providerSelect = $("af-provider");
  const modelSelect = $("af-model");
  const modelHint = $("af-model-hint");
  const legacyNote = $("af-model-legacy");
  const saveButton = $("agent-save");
  const fallbacks = mountFallbacks(root);
  let editing = null; // the agent being edited, or null when creating
  let enabledModels = [];

  async function loadEnabledModels() {
    const all = await allPages(ctx.api, `${ctx.urls.llmApi}/models?enabled=true`);
    return all.filter((m) => m.enabled !== false);
  }

  function setHint(text, link) {
    modelHint.replaceChildren(el("span", { text }));
    if (link && isAdmin) {
      modelHint.append(" ", el("a", { href: ctx.urls.registry + "#models", text: "Open the LLM Registry" }), ".");
    }
    modelHint.hidden = !text;
  }

  function fillModels() {
    const providerId = providerSelect.value;
    if (!providerId) {
      modelSelect.replaceChildren(el("option", { value: "", text: "Choose a provider first" }));
      modelSelect.disabled = true;
      setHint("", false);
      return;
    }
    const models = enabledModels.filter((m) => (m.provider ? m.provider.id : m.providerId) === providerId);
    if (!models.length) {
      modelSelect.replaceChildren(el("option", { value: "", text: "No enabled models" }));
      modelSelect.disabled = true;
      setHint("This provider has no enabled models. An administrator enables models in the LLM Registry.", true);
      return;
    }
    modelSelect.disabled = false;
    modelSelect.replaceChildren(
      ...(models.length > 1 ? [el("option", { value: "", text: "Choose a model" })] : []),
      ...models.map((m) => {
        const context = formatContext(m.contextWindow);
        let name = m.displayName || m.providerModelId;
        if (context !== "unknown") name += ` (${context} context)`;
        if (m.current && m.enabled === false) name += " (current, now disabled)";
        return el("option", { value: m.id, text: name });
      }),
    );
    setHint("", false);
  }
  providerSelect.addEventListener("change", () => {
    fillModels();
    fallbacks.setPrimary(modelSelect.value);
  });
  modelSelect.addEventListener("change", () => fallbacks.setPrimary(modelSelect.value));

  /** Open the dialog to create an agent (agent null) or to edit `agent`, prefilled. */
  async function open(agent) {
    editing = agent || null;
    form.reset();
    clearErrors(form, formError);
    $("agent-dialog-title").textContent = editing ? `Edit ${editing.name}` : "Create Agent";
    saveButton.textContent = editing ? "Save changes" : "Create Agent";
    delete saveButton.dataset.label;
    saveButton.disabled = false;
    providerSelect.replaceChildren(el("option", { value: "", text: "Loading providers…" }));
    providerSelect.disabled = true;
    modelSelect.replaceChildren();
    modelSelect.disabled = true;
    fallbacks.loading();
    setHint("", false);
    const legacy = editing && !currentModelOf(editing) ? editing.model : null;
    legacyNote.replaceChildren(...(legacy
      ? [el("span", { text: "This agent runs on the legacy model string " }), el("code", { class: "llm-mono", text: legacy }),
        el("span", { text: ", outside the registry. Leave Provider empty to keep it, or choose a registered model to move the agent onto it." })]
      : []));
    legacyNote.hidden = !legacy;
    if (editing) {
      $("af-name").value = editing.name || "";
      $("af-role").value = editing.role || "";
      $("af-soul").value = editing.soul || "";
      $("af-guardrails").value = editing.guardrails || "";
    }
    openDialog(dialog, $("af-name"));
    const opened = editing;
    let models;
    try {
      models = await loadEnabledModels();
    } catch (error) {
      if (opened !== editing) return;
      formError.textContent = `Could not load the enabled models: ${error.message}`;
      formError.hidden = false;
      providerSelect.replaceChildren(el("option", { value: "", text: "Unavailable" }));
      return;
    }
    if (opened !== editing) return; // the dialog was reopened meanwhile
    const current = currentModelOf(editing);
    enabledModels = current && !models.some((m) => m.id === current.id) ? [...models, current] : models;
    // the agent's fallbacks stay offered even if the list missed one
    const kept = ((editing && editing.fallbackModels) || []).filter((f) => !enabledModels.some((m) => m.id === f.id));
    fallbacks.reset([...enabledModels, ...kept], editing ? editing.fallbackModelIds : [], current ? current.id : "");
    const providers = providersOf(enabledModels);
    if (!providers.length) {
      providerSelect.replaceChildren(el("option", { value: "", text: "No providers with enabled models" }));
      providerSelect.disabled = true;
      modelSelect.replaceChildren(el("option", { value: "", text: "No enabled models" }));
      setHint(isAdmin
        ? "No models are enabled yet. Register a provider and enable some of its models first."
        : "No models are enabled yet. Ask an administrator to enable models in the LLM Registry.", true);
      // a legacy agent can still be renamed and so on without a registered model
      saveButton.disabled = !editing;
      return;
    }
    providerSelect.disabled = false;
    providerSelect.replaceChildren(
      el("option", { value: "", text: legacy ? "Keep the legacy model string" : "Choose a provider" }),
      ...providers.map((p) => el("option", { value: p.id, text: p.providerType ? `${p.name} (${ctx.typeLabel(p.providerType)})` : p.name })),
    );
    if (current) providerSelect.value = current.provider.id;
    else if (providers.length === 1 && !editing) providerSelect.value = providers[0].id;
    fillModels();
    if (current) modelSelect.value = current.id;
    fallbacks.setPrimary(modelSelect.value);
  }
  $("open-create-agent").addEventListener("click", () => open(null));

  /** Close the dialog, tell the page, say what happened to the sync. */
  function done(reason, agent) {
    dialog.close(reason);
    announce(root, "llm:agents-changed", { reason, agent });
    flash(...syncMessage(agent, reason, canManage));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, formError);
    const agent = editing;
    const values = {
      name: $("af-name").value.trim(),
      role: $("af-role").value.trim(),
      modelId: modelSelect.value,
      soul: $("af-soul").value.trim(),
      guardrails: $("af-guardrails").value.trim(),
      fallbackModelIds: fallbacks.value(),
    };
    const keepsLegacy = agent && !currentModelOf(agent) && !providerSelect.value;
    const missing = {};
    if (!values.name) missing.name = ["Give the agent a name."];
    if (!values.role && !(agent && !agent.role)) missing.role = ["Say what the agent does."];
    if (!keepsLegacy) {
      if (!providerSelect.value) missing.providerId = ["Choose a provider."];
      else if (!values.modelId) missing.modelId = ["Choose one of the provider's enabled models."];
    }
    if (fallbacks.problem()) missing.fallbackModelIds = [fallbacks.problem()];
    if (Object.keys(missing).length) {
      showErrors(form, "af", formError, new ApiError(400, "validation", "Fill in the marked fields.", missing));
      return;
    }
    if (agent) {
      await saveEdit(agent, changedFields(agent, values));
      return;
    }
    const body = { ...values };
    for (const key of ["soul", "guardrails"]) if (!body[key]) delete body[key];
    if (!(body.fallbackModelIds || []).length) delete body.fallbackModelIds;
    setBusy(saveButton, true, "Creating…");
    try {
      done("created", await api("POST", AGENTS_API, body));
    } catch (error) {
      showErrors(form, "af", formError, fallbacks.explain(error, body.fallbackModelIds), ALIASES);
    } finally {
      setBusy(saveButton, false);
    }
  });

  async function saveEdit(agent, body) {
    if (!Object.keys(body).length) {
      dialog.close("unchanged");
      flash(`No changes to save for “${agent.name}”.`, "info");
      return;
    }
    setBusy(saveButton, true, "Saving…");
    try {
      done("saved", await api("PATCH", `${AGENTS_API}/${encodeURIComponent(agent.id)}`, body));
    } catch (error) {
      if (error.status === 404) {
        dialog.close("gone");
        flash(`“${agent.name}” no longer exists; someone deleted it.`, "warning");
        announce(root, "llm:agents-changed", { reason: "gone", agent });
        return;
      }
      showErrors(form, "af", formError, fallbacks.explain(error, body.fallbackModelIds), ALIASES);
    } finally {
      setBusy(saveButton, false);
    }
  }

  return { open };
}
