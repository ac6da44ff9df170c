// A model's lifecycle as both pages show it: deprecated or gone, with the retirement date.

import { el } from "./dom.js";

/** "2026-02-19" from an ISO date-time, or "" when none. */
export function dayOf(iso) {
  return typeof iso === "string" && iso.length >= 10 ? iso.slice(0, 10) : "";
}

/** A short text for a deprecated or gone model ("" while it is active). */
export function lifecycleText(lifecycle) {
  if (!lifecycle || lifecycle.status === "active" || !lifecycle.status) return "";
  const retires = dayOf(lifecycle.retiresAt);
  if (lifecycle.status === "gone") {
    const seen = dayOf(lifecycle.lastSeenAt);
    return `Gone from the provider${seen ? ` (last listed ${seen})` : ""}`
      + `${retires ? `, retired ${retires}` : ""}`;
  }
  return `Deprecated${retires ? `, retires ${retires}` : ""}`;
}

/** The warning an agent shows when its model is deprecated or gone (null otherwise). */
export function agentModelWarning(model) {
  const text = lifecycleText(model && model.lifecycle);
  if (!text) return null;
  return el("div", { class: "llm-sub llm-warn llm-lifecycle-warning", role: "note",
    text: `${text}: ask an admin to move this agent to another model.` });
}
