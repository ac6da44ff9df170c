// The flash texts of the Models tab: pure, [message, kind] pairs for flash(...pair).

const names = (agents) => (agents || []).map((a) => a.name).filter(Boolean);
const list = (items) => `${items.join(", ")}`;

/** After the enabled switch saved: what it means, and for whom (PATCH answers usedBy). */
export function toggleMessage(model) {
  const name = model.displayName || model.providerModelId;
  if (model.enabled) return [`${name} is now enabled: members can pick it for their agents.`, "success"];
  const used = names(model.usedBy);
  const dropped = names(model.droppedFallbacks);
  let text = `${name} is now disabled: members can no longer pick it for new agents.`;
  if (used.length) {
    text += ` ${used.length === 1 ? "1 agent uses" : `${used.length} agents use`} it (${list(used)}): `
      + `${used.length === 1 ? "it keeps" : "they keep"} running on it until given another model.`;
  } else {
    text += " No agent uses it.";
  }
  if (dropped.length) text += ` It is no longer a fallback model of ${list(dropped)} (re-synced).`;
  return [text, used.length || dropped.length ? "warning" : "success"];
}
