// The Providers tab's table: load, Test, Delete. Edit asks the page to open the dialog.
// A row's Status cell is the one place for its key status and last Test (status.js).
//
// Announces on root:
//   llm:providers-changed {reason: "loaded" | "tested" | "deleted", providers, provider}
//   llm:edit-provider     {provider}   (the row's Edit button)

import { allPages } from "../lib/api.js";
import { announce, el, finder } from "../lib/dom.js";
import { setBusy } from "../lib/dialog.js";
import { plural } from "../lib/format.js";
import { timeElement, typeBadge } from "../lib/render.js";
import { statusNodes } from "./status.js";
import { healthNode } from "./health.js";

// What the Status column says of the gateway's credential store (title: the full message)
const GATEWAY_TEXT = {
  synced: "Gateway runs on this key",
  owed: "Gateway key owed",
  failed: "Gateway key push failed",
  standby: "Gateway uses another provider's key",
  unsupported: "Gateway has no place for this key",
};

/** Mount the providers table; returns {load, list, put}. */
export function mount(root, ctx) {
  const $ = finder(root);
  const { api, flash, urls } = ctx;
  const API = urls.llmApi;
  let providers = [];
  const testResults = new Map(); // provider id -> {pending} | {error}: a Test running or unable to run

  const changed = (reason, provider) => announce(root, "llm:providers-changed", { reason, providers, provider });

  async function load() {
    $("providers-loading").hidden = false;
    try {
      providers = await api("GET", `${API}/providers`);
      render();
      changed("loaded");
    } catch (error) {
      flash(`Could not load providers: ${error.message}`, "error");
    } finally {
      $("providers-loading").hidden = true;
    }
  }

  function row(p) {
    const nameCell = el("td", { class: "llm-cell-name", "data-label": "Name" },
      el("strong", { text: p.name }),
      el("div", { class: "llm-sub" },
        p.effectiveBaseUrl ? el("span", { class: "llm-mono", text: p.effectiveBaseUrl }) : null, " ",
        p.hasApiKey ? el("span", { class: "llm-mono llm-key", text: `key ${p.apiKeyMasked || "set"}` }) : el("span", { text: "no key" })));
    const test = testResults.get(p.id) || {};
    const statusCell = el("td", { class: "llm-cell-status", "data-label": "Status" },
      statusNodes(p, { running: test.pending, failure: test.error }));
    const store = p.gatewayStore;
    if (store && store.status !== "off") {
      const text = GATEWAY_TEXT[store.status] || store.message;
      statusCell.append(el("div", { class: `llm-sub llm-gateway-${store.status}`, title: store.message,
        text: store.error ? `${text}: ${store.error}` : text }));
    }
    const actions = el("td", { class: "llm-actions", "data-label": "Actions" },
      el("div", { class: "llm-btn-row" },
        el("button", { type: "button", class: "llm-btn", "aria-label": `Test ${p.name}`, text: "Test",
          dataset: { action: "test", id: p.id }, onclick: (e) => testProvider(p, e.currentTarget) }),
        el("button", { type: "button", class: "llm-btn", "aria-label": `Edit ${p.name}`, text: "Edit",
          onclick: () => announce(root, "llm:edit-provider", { provider: p }) }),
        el("button", { type: "button", class: "llm-btn llm-btn-danger-quiet", "aria-label": `Delete ${p.name}`,
          text: "Delete", onclick: () => deleteProvider(p) })));
    return el("tr", { dataset: { providerId: p.id, providerName: p.name } },
      nameCell,
      el("td", { "data-label": "Type" }, typeBadge(p.providerType, ctx.typeLabel)),
      statusCell,
      el("td", { "data-label": "Last validated" }, timeElement(p.lastValidatedAt), healthNode(ctx, p)),
      el("td", { "data-label": "Models", text: String(p.modelCount ?? 0) }),
      actions);
  }

  function render() {
    $("providers-body").replaceChildren(...providers.map(row));
    $("providers-empty").hidden = providers.length > 0;
    $("providers-table").hidden = providers.length === 0;
  }

  function replace(updated) {
    const i = providers.findIndex((p) => p.id === updated.id);
    if (i >= 0) providers[i] = updated;
    else providers.push(updated);
  }

  /** Put a saved (added or edited) provider into the table, forgetting its old Test result. */
  function put(saved) {
    replace(saved);
    testResults.delete(saved.id);
    render();
  }

  const testButtonOf = (id) =>
    $("providers-body").querySelector(`tr[data-provider-id="${CSS.escape(id)}"] [data-action="test"]`);

  async function testProvider(provider, button) {
    testResults.set(provider.id, { pending: true });
    render();
    const fresh = testButtonOf(provider.id);
    if (fresh) setBusy(fresh, true, "Testing…");
    try {
      const result = await api("POST", `${API}/providers/${encodeURIComponent(provider.id)}/test`);
      testResults.delete(provider.id);
      // shown at once from the answer; the stored provider (reloaded below) agrees
      replace({ ...provider, status: result.status, statusMessage: result.message,
        lastErrorKind: result.errorKind, lastLatencyMs: result.latencyMs, lastCheckedAt: new Date().toISOString() });
      try {
        replace(await api("GET", `${API}/providers/${encodeURIComponent(provider.id)}`));
      } catch (error) {
        flash(`The test ran, but the provider could not be reloaded: ${error.message}`, "warning");
      }
    } catch (error) {
      testResults.set(provider.id, { error: error.message });
    }
    render();
    changed("tested", provider);
    (testButtonOf(provider.id) || button)?.focus();
  }

  /** The agents whose model belongs to the provider; null when the agents API is absent. */
  async function agentsOfProvider(providerId) {
    try {
      const items = await allPages(api, urls.agentsApi);
      return items.filter((a) => {
        const m = a.llmModel || {};
        return (m.provider && m.provider.id === providerId) || m.providerId === providerId;
      });
    } catch (error) {
      if (error.status === 404) return null;
      throw error;
    }
  }

  async function deleteProvider(provider) {
    let agents;
    try {
      agents = await agentsOfProvider(provider.id);
    } catch (error) {
      flash(`Could not check which agents use ${provider.name}: ${error.message}`, "error");
      return;
    }
    const count = provider.modelCount ?? 0;
    let text = `Delete the provider “${provider.name}” and its encrypted key? `
      + `This also removes its ${count} registered model${count === 1 ? "" : "s"}. `;
    const without = "keep their model string but run without a key until given a new model";
    if (agents === null) text += `Agents using those models ${without}.`;
    else if (agents.length === 0) text += "No agents use these models.";
    else text += `${agents.length === 1 ? "1 agent uses" : `${agents.length} agents use`} them: `
      + `${agents.length === 1 ? "it will" : "they will"} ${without} (they show “Needs a model”):`;
    const result = await ctx.confirm({
      title: `Delete ${provider.name}?`,
      text,
      items: (agents || []).map((a) => a.name),
      okLabel: "Delete provider",
      run: () => api("DELETE", `${API}/providers/${encodeURIComponent(provider.id)}`),
    });
    if (!result) return;
    providers = providers.filter((p) => p.id !== provider.id);
    testResults.delete(provider.id);
    render();
    changed("deleted");
    const detached = (result.detachedAgents || []).map((a) => a.name);
    flash(`Deleted ${provider.name}: ${plural(result.deletedModels ?? 0, "model")} removed`
      + (detached.length ? `; agents detached: ${detached.join(", ")}.` : "."), "success");
  }

  return { load, put, list: () => providers };
}
