// The agents table: load, Retry sync and Delete. Edit asks the page to open the dialog.
//
// Announces on root:
//   llm:edit-agent     {agent}                       (the row's Edit button)
//   llm:agents-changed {reason: "deleted", agent}    (the row is already gone)

import { allPages } from "../lib/api.js";
import { agentModelWarning } from "../lib/lifecycle.js";
import { announce, el, finder } from "../lib/dom.js";
import { setBusy } from "../lib/dialog.js";
import { timeElement, typeBadge } from "../lib/render.js";
import { fallbackLabel } from "./fallbacks.js";
import { deleteMessage, syncMessage } from "./messages.js";

const SYNC_TEXT = { synced: "Synced", failed: "Failed", pending: "Pending", disabled: "Sync off" };
const VERIFY_TEXT = { in_sync: "Read back: in sync", drifted: "Read back: differs", missing: "Read back: missing" };

/** Mount the agents table; returns {load, add, replace}. */
export function mount(root, ctx) {
  const $ = finder(root);
  const { api, flash, canManage } = ctx;
  const AGENTS_API = ctx.urls.agentsApi;
  let agents = [];

  function syncCell(agent) {
    const sync = agent.talonSync || { status: agent.talonSyncStatus, error: agent.talonSyncError, syncedAt: agent.talonSyncedAt };
    const status = sync.status || "pending";
    // an agent without a registered model is not in working order, however it synced
    const shown = agent.needsModel ? "needs-model" : status;
    const cell = el("td", { "data-label": "Gateway sync" },
      el("span", { class: `llm-status llm-sync-${shown}`, title: sync.syncedAt ? `Synced ${new Date(sync.syncedAt).toLocaleString()}` : undefined },
        el("span", { class: "llm-dot", "aria-hidden": "true" }), agent.needsModel ? "Needs a model" : SYNC_TEXT[status] || status));
    if (agent.needsModel) {
      cell.append(el("div", { class: "llm-sub llm-warn llm-model-warning", text: agent.modelWarning || "Needs a registered model." }));
      if (status === "synced") cell.append(el("div", { class: "llm-sub", text: "Pushed to Talon without a registry key." }));
    }
    if (status === "synced" && sync.syncedAt && !agent.needsModel) cell.append(el("div", { class: "llm-sub" }, timeElement(sync.syncedAt)));
    if (sync.error) cell.append(el("div", { class: "llm-sub llm-status-msg", text: sync.error }));
    if (status === "disabled") cell.append(el("div", { class: "llm-sub", text: "No gateway is configured." }));
    if (sync.warning) cell.append(el("div", { class: "llm-sub llm-warn", text: sync.warning }));
    if (sync.verified && sync.verifiedAt) {
      cell.append(el("div", { class: "llm-sub" }, `${VERIFY_TEXT[sync.verified] || sync.verified}, checked `,
        timeElement(sync.verifiedAt)));
    }
    return cell;
  }

  function modelCell(agent) {
    const cell = el("td", { "data-label": "Model" });
    const m = agent.llmModel;
    if (m) {
      cell.append(el("strong", { text: m.displayName || m.providerModelId }),
        el("div", { class: "llm-sub llm-mono", text: m.providerModelId }));
      const warning = agentModelWarning(m);
      if (warning) cell.append(warning);
    } else if (agent.model) {
      cell.append(el("span", { class: "llm-mono", text: agent.model }), " ",
        el("span", { class: "llm-badge llm-badge-warn", text: "not in registry",
          title: "Not a registered model: the gateway gets no key for it from the registry. Edit the agent to give it one." }));
    } else {
      cell.append(el("span", { class: "llm-muted", text: "No model" }));
    }
    const fallbacks = agent.fallbackModels || [];
    if (fallbacks.length) {
      cell.append(el("div", { class: "llm-sub llm-fallbacks",
        title: `Fallback models, tried in order: ${fallbacks.map(fallbackLabel).join(", ")}`,
        text: `then: ${fallbacks.map((f) => f.displayName || f.providerModelId).join(", ")}` }));
    }
    return cell;
  }

  function row(a) {
    const provider = (a.llmModel && a.llmModel.provider) || null;
    const sync = a.talonSync || { status: a.talonSyncStatus };
    const actions = el("td", { class: "llm-actions", "data-label": "Actions" });
    if (canManage) {
      const buttons = el("div", { class: "llm-btn-row" });
      if (sync.status === "failed" || sync.status === "pending") {
        buttons.append(el("button", { type: "button", class: "llm-btn", text: "Retry sync",
          "aria-label": `Retry sync of ${a.name}`, onclick: (e) => retrySync(a, e.currentTarget) }));
      }
      buttons.append(
        el("button", { type: "button", class: "llm-btn", text: "Edit", "aria-label": `Edit ${a.name}`,
          onclick: () => announce(root, "llm:edit-agent", { agent: a }) }),
        el("button", { type: "button", class: "llm-btn llm-btn-danger-quiet", text: "Delete",
          "aria-label": `Delete ${a.name}`, onclick: () => deleteAgent(a) }));
      actions.append(buttons);
    }
    return el("tr", { dataset: { agentId: a.id, agentName: a.name } },
      el("td", { class: "llm-cell-name", "data-label": "Name" }, el("strong", { text: a.name })),
      el("td", { "data-label": "Role", text: a.role || "" }),
      modelCell(a),
      el("td", { "data-label": "Provider" }, provider ? el("span", { text: provider.name }) : el("span", { class: "llm-muted", text: "—" }),
        provider && provider.providerType ? [" ", typeBadge(provider.providerType, ctx.typeLabel)] : null),
      syncCell(a),
      actions);
  }

  function render() {
    $("agents-body").replaceChildren(...agents.map(row));
    $("agents-empty").hidden = agents.length > 0;
    $("agents-table").hidden = agents.length === 0;
  }

  async function load() {
    $("agents-loading").hidden = false;
    try {
      agents = await allPages(api, AGENTS_API);  // the API pages its list
      render();
    } catch (error) {
      flash(`Could not load agents: ${error.message}`, "error");
    } finally {
      $("agents-loading").hidden = true;
    }
  }

  /** Put a new agent at the top of the list. */
  function add(agent) {
    agents = agents.filter((a) => a.id !== agent.id);
    agents.unshift(agent);
    render();
  }

  /** Put a saved agent in its row (at the top when the list did not have it). */
  function replace(agent) {
    const i = agents.findIndex((a) => a.id === agent.id);
    if (i >= 0) agents[i] = agent;
    else agents.unshift(agent);
    render();
  }

  async function retrySync(agent, button) {
    setBusy(button, true, "Retrying…");
    try {
      const updated = await api("POST", `${AGENTS_API}/${encodeURIComponent(agent.id)}/sync`);
      const i = agents.findIndex((a) => a.id === agent.id);
      if (updated && i >= 0) agents[i] = { ...agents[i], ...updated };
      render();
      flash(...syncMessage(updated || agent, "re-synced", canManage));
    } catch (error) {
      setBusy(button, false);
      flash(`Could not retry the sync of ${agent.name}: ${error.message}`, "error");
      await load();
    }
  }

  async function deleteAgent(agent) {
    const result = await ctx.confirm({
      title: `Delete ${agent.name}?`,
      text: `Delete the agent “${agent.name}”? It is removed here and from the Talon gateway; this cannot be undone.`,
      okLabel: "Delete agent",
      run: async () => {
        try {
          return await api("DELETE", `${AGENTS_API}/${encodeURIComponent(agent.id)}`);
        } catch (error) {
          if (error.status === 404) return { gone: true };
          throw error;
        }
      },
    });
    if (!result) return;
    agents = agents.filter((a) => a.id !== agent.id);
    render();
    announce(root, "llm:agents-changed", { reason: "deleted", agent });
    if (result.gone) flash(`“${agent.name}” was already deleted.`, "info");
    else flash(...deleteMessage(result.name || agent.name, result.talonSync));
  }

  return { load, add, replace };
}
