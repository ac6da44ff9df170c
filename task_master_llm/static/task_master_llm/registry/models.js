// The Models tab: the registered models with provider filter, search, pager, the enable
// switch and Delete. Reads the providers through ctx.providers() (the page supplies it).
//
// Announces on root:
//   llm:models-changed {reason: "toggled" | "deleted", model} (and "agents-moved" from
//   model-impact.js)
//   llm:edit-model     {model}   (the row's Edit button)

import { itemsOf } from "../lib/api.js";
import { announce, el, finder } from "../lib/dom.js";
import { formatContext } from "../lib/format.js";
import { chips, typeBadge } from "../lib/render.js";
import { impactNotes, moveAgents } from "./model-impact.js";
import { toggleMessage } from "./model-messages.js";

/** Mount the Models tab; returns {load, renderProviderFilter, providerFilterValue, showAdded}. */
export function mount(root, ctx) {
  const $ = finder(root);
  const { api, flash } = ctx;
  const API = ctx.urls.llmApi;
  const providerFilter = $("models-provider-filter");
  const searchBox = $("models-search");
  const state = {
    models: [],
    total: 0, // null when the API did not count (then hasMore says if more follow)
    hasMore: false,
    offset: 0,
    limit: 50,
    justAdded: null, // providerModelIds the Discover dialog just added (marked "New")
    justAddedProvider: null,
  };

  function renderProviderFilter() {
    const current = providerFilter.value;
    const providers = ctx.providers();
    providerFilter.replaceChildren(
      el("option", { value: "", text: "All providers" }),
      ...providers.map((p) => el("option", { value: p.id, text: p.name })),
    );
    if (providers.some((p) => p.id === current)) providerFilter.value = current;
  }

  let request = 0;
  async function load() {
    const ticket = ++request;
    $("models-loading").hidden = false;
    const params = new URLSearchParams({ limit: String(state.limit), offset: String(state.offset) });
    if (providerFilter.value) params.set("providerId", providerFilter.value);
    if (searchBox.value.trim()) params.set("q", searchBox.value.trim());
    try {
      const data = await api("GET", `${API}/models?${params}`);
      if (ticket !== request) return;
      const { items, total, hasMore } = itemsOf(data);
      state.models = items;
      state.total = total;
      state.hasMore = hasMore;
      render();
    } catch (error) {
      if (ticket === request) flash(`Could not load models: ${error.message}`, "error");
    } finally {
      if (ticket === request) $("models-loading").hidden = true;
    }
  }

  function providerOf(model) {
    if (model.provider && model.provider.name) return model.provider;
    return ctx.providers().find((p) => p.id === model.providerId) || { name: "?", providerType: "" };
  }

  function isJustAdded(model) {
    const providerId = model.provider ? model.provider.id : model.providerId;
    return Boolean(state.justAdded && providerId === state.justAddedProvider && state.justAdded.has(model.providerModelId));
  }

  function row(m) {
    const provider = providerOf(m);
    const toggle = el("input", {
      type: "checkbox",
      role: "switch",
      class: "llm-switch",
      checked: m.enabled,
      "aria-label": `Enabled: ${m.displayName || m.providerModelId}`,
      dataset: { modelId: m.id },
    });
    toggle.addEventListener("change", () => toggleModel(m, toggle));
    return el("tr", { dataset: { modelId: m.id, providerModelId: m.providerModelId } },
      el("td", { class: "llm-cell-name", "data-label": "Model" },
        el("strong", { text: m.displayName || m.providerModelId }),
        isJustAdded(m) ? el("span", { class: "llm-badge llm-badge-new", text: "New" }) : null,
        el("div", { class: "llm-sub llm-mono", text: m.providerModelId }),
        ...impactNotes(m, (model, successor) => moveAgents(root, ctx, model, successor))),
      el("td", { "data-label": "Provider" }, el("span", { text: provider.name }), " ",
        provider.providerType ? typeBadge(provider.providerType, ctx.typeLabel) : null),
      el("td", { "data-label": "Modality" }, chips(m.modality)),
      el("td", { "data-label": "Context", title: m.contextWindow ? `${Number(m.contextWindow).toLocaleString()} tokens` : "unknown",
        text: formatContext(m.contextWindow) }),
      el("td", { "data-label": "Enabled" }, el("label", { class: "llm-switch-label" }, toggle,
        el("span", { class: "llm-switch-text", text: m.enabled ? "On" : "Off" }))),
      el("td", { class: "llm-actions", "data-label": "Actions" }, el("div", { class: "llm-btn-row" },
        el("button", { type: "button", class: "llm-btn", text: "Edit",
          "aria-label": `Edit ${m.displayName || m.providerModelId}`, onclick: () => announce(root, "llm:edit-model", { model: m }) }),
        el("button", { type: "button", class: "llm-btn llm-btn-danger-quiet", text: "Delete",
          "aria-label": `Delete ${m.displayName || m.providerModelId}`, onclick: () => deleteModel(m) }))));
  }

  function render() {
    $("models-body").replaceChildren(...state.models.map(row));
    const empty = state.models.length === 0;
    $("models-empty").hidden = !empty;
    $("models-empty").textContent = empty && (providerFilter.value || searchBox.value.trim())
      ? "No registered models match this filter."
      : "No models registered. Use Discover models to list a provider's models and add the ones agents may use.";
    $("models-table").hidden = empty;
    $("models-pager").hidden = state.offset === 0 && !state.hasMore;
    $("models-prev").disabled = state.offset === 0;
    $("models-next").disabled = !state.hasMore;
    // the total only when the API gave it (it counts only when that is cheap)
    const shown = `${state.offset + 1}–${state.offset + state.models.length}`;
    $("models-page-info").textContent = state.total === null ? shown : `${shown} of ${state.total}`;
  }

  $("models-prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - state.limit);
    load();
  });
  $("models-next").addEventListener("click", () => {
    state.offset += state.limit;
    load();
  });
  providerFilter.addEventListener("change", () => { state.offset = 0; load(); });
  let searchTimer = null;
  searchBox.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { state.offset = 0; load(); }, 250);
  });

  async function toggleModel(model, toggle) {
    const wanted = toggle.checked;
    const label = toggle.parentElement.querySelector(".llm-switch-text");
    toggle.disabled = true;
    label.textContent = wanted ? "On" : "Off";
    try {
      const updated = await api("PATCH", `${API}/models/${encodeURIComponent(model.id)}`, { enabled: wanted });
      Object.assign(model, updated || { enabled: wanted });
      model.enabled = updated && typeof updated.enabled === "boolean" ? updated.enabled : wanted;
      toggle.checked = model.enabled;
      label.textContent = model.enabled ? "On" : "Off";
      flash(...toggleMessage({ ...model, ...(updated || {}) }));
      announce(root, "llm:models-changed", { reason: "toggled", model });
    } catch (error) {
      toggle.checked = !wanted;
      label.textContent = toggle.checked ? "On" : "Off";
      flash(`Could not ${wanted ? "enable" : "disable"} ${model.displayName || model.providerModelId}: ${error.message}`, "error");
    } finally {
      toggle.disabled = false;
      toggle.focus();
    }
  }

  /** The "providerType/providerModelId" string a detached agent keeps. */
  function modelString(model) {
    const type = providerOf(model).providerType;
    return type ? `${type}/${model.providerModelId}` : model.providerModelId;
  }

  function agentNamesFromConflict(error) {
    const fields = error.fields || {};
    const agents = fields.agents || fields.agentNames || [];
    return agents.map((a) => (typeof a === "string" ? a : a.name || a.id)).filter(Boolean);
  }

  async function deleteModel(model) {
    const name = model.displayName || model.providerModelId;
    const url = `${API}/models/${encodeURIComponent(model.id)}`;
    const result = await ctx.confirm({
      title: `Delete ${name}?`,
      text: `Remove ${model.providerModelId} from the registry? Members can no longer pick it for new agents.`,
      okLabel: "Delete model",
      run: async () => {
        try {
          await api("DELETE", url);
          return { done: true };
        } catch (error) {
          if (error.status !== 409) throw error;
          const names = agentNamesFromConflict(error);
          const count = names.length;
          const used = count === 1 ? "1 agent uses it" : count ? `${count} agents use it` : "Agents use it";
          error.next = {
            title: `${name} is in use`,
            text: `${used}. Delete it anyway? ${count === 1 ? "The agent keeps" : "They keep"} `
              + `“${modelString(model)}” as a model string outside the registry and `
              + `${count === 1 ? "is" : "are"} re-synced without the provider's key.`,
            items: names,
            okLabel: "Delete and detach agents",
            run: async () => {
              await api("DELETE", `${url}?force=true`);
              return { done: true };
            },
          };
          throw error;
        }
      },
    });
    if (!result) return;
    flash(`Deleted ${name}.`, "success");
    announce(root, "llm:models-changed", { reason: "deleted", model });
  }

  /**
   * Show the models just added, marked "New", without hiding the others: the filter stays
   * unless it would hide them (another provider chosen, or a search typed), then it is
   * cleared to All providers. Returns whether it was cleared. The caller loads.
   */
  function showAdded(providerId, providerModelIds) {
    state.justAdded = new Set(providerModelIds);
    state.justAddedProvider = providerId;
    const hides = Boolean(searchBox.value.trim()) || Boolean(providerFilter.value && providerFilter.value !== providerId);
    if (hides) {
      searchBox.value = "";
      clearTimeout(searchTimer);
      providerFilter.value = "";
    }
    state.offset = 0;
    return hides;
  }

  return {
    load,
    renderProviderFilter,
    showAdded,
    providerFilterValue: () => providerFilter.value,
  };
}
