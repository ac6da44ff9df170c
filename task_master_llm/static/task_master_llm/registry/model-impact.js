// What a model's lifecycle means for its agents, on the Models tab: the warnings, and
// "Move agents to ..." (the suggested successor) confirmed in the shared dialog.
//
// Announces on root:
//   llm:models-changed {reason: "agents-moved", model, toModelId}

import { announce, el } from "../lib/dom.js";
import { lifecycleText } from "../lib/lifecycle.js";
import { plural } from "../lib/format.js";

/** The notes under a model's name: lifecycle badge, warnings, the move button. */
export function impactNotes(model, onMove) {
  const notes = [];
  const text = lifecycleText(model.lifecycle);
  if (text) {
    notes.push(el("span", { class: `llm-badge llm-badge-${model.lifecycle.status}`, text }));
  }
  if (model.agentCount) {
    notes.push(el("div", { class: "llm-sub", text: `Used by ${plural(model.agentCount, "agent")}` }));
  }
  for (const warning of model.warnings || []) {
    notes.push(el("div", { class: "llm-sub llm-warn llm-model-warning", role: "note", text: warning }));
  }
  const successor = model.suggestedSuccessor;
  if (model.agentCount && text && successor) {
    notes.push(el("button", { type: "button", class: "llm-btn llm-move-agents",
      text: `Move agents to ${successor.displayName}…`,
      "aria-label": `Move the agents of ${model.displayName || model.providerModelId} to ${successor.displayName}`,
      onclick: () => onMove(model, successor) }));
  } else if (model.agentCount && text) {
    notes.push(el("div", { class: "llm-sub",
      text: "No successor is known: pick another model for these agents on the Agents page." }));
  }
  return notes;
}

/** Confirm, then POST move-agents; resolves to the result (null when cancelled). */
export async function moveAgents(root, ctx, model, successor) {
  const name = model.displayName || model.providerModelId;
  const url = `${ctx.urls.llmApi}/models/${encodeURIComponent(model.id)}/move-agents`;
  const result = await ctx.confirm({
    title: `Move agents to ${successor.displayName}?`,
    text: `${plural(model.agentCount, "agent")} using ${name} (as primary or fallback model) `
      + `will use ${successor.displayName} (${successor.providerModelId}) instead, and be `
      + "synced to the gateway.",
    okLabel: "Move agents",
    run: async () => ctx.api("POST", url, { toModelId: successor.id }),
  });
  if (!result) return null;
  const moved = (result.moved || []).length;
  const failed = result.syncFailed ? ` (${result.syncFailed} not yet synced: owed)` : "";
  ctx.flash(`Moved ${plural(moved, "agent")} to ${successor.displayName}${failed}.`,
    result.syncFailed ? "error" : "success");
  announce(root, "llm:models-changed", { reason: "agents-moved", model, toModelId: successor.id });
  return result;
}
