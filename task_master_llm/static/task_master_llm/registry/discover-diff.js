// Discovery as a diff in the Discover dialog: what changed for registered models, which
// registered models the provider no longer lists, and whether the listing was complete.

import { el } from "../lib/dom.js";
import { lifecycleText } from "../lib/lifecycle.js";
import { plural } from "../lib/format.js";

/** Badges and notes of one discovered model: changed facts, lifecycle, warnings. */
export function itemNotes(m) {
  const notes = [];
  if (m.change === "changed") {
    notes.push(el("span", { class: "llm-badge llm-badge-changed", text: "Changed",
      title: `Changed since registration: ${(m.changedFields || []).join(", ")}` }),
    el("span", { class: "llm-sub llm-changed-fields", text: `changed: ${(m.changedFields || []).join(", ")}` }));
  }
  const text = lifecycleText(m.lifecycle);
  if (text) notes.push(el("span", { class: `llm-badge llm-badge-${m.lifecycle.status}`, text }));
  for (const warning of m.warnings || []) {
    notes.push(el("span", { class: "llm-sub llm-warn llm-discover-warning", role: "note", text: warning }));
  }
  return notes;
}

/** The summary above the list: counts, gone models, an incomplete listing's note. */
export function diffSummary(data) {
  const items = (data && data.items) || [];
  const count = (change) => items.filter((m) => m.change === change).length;
  const parts = [el("p", { class: "llm-sub llm-diff-counts",
    text: `${count("new")} new, ${count("changed")} changed, ${count("unchanged")} unchanged, `
      + `${plural(((data && data.gone) || []).length, "registered model")} no longer listed.` })];
  const gone = (data && data.gone) || [];
  if (gone.length) {
    parts.push(el("div", { class: "llm-diff-gone", role: "note" },
      el("strong", { text: "No longer listed by the provider:" }),
      el("ul", {}, ...gone.map((g) => el("li", { dataset: { modelId: g.modelId } },
        el("span", { text: g.displayName }), " ",
        el("span", { class: "llm-sub llm-mono", text: g.providerModelId })))),
      el("span", { class: "llm-sub", text: "They stay registered and their agents keep them; "
        + "`flask llm discover --apply` marks them gone." })));
  }
  const listing = data && data.listing;
  if (listing && !listing.complete && listing.note) {
    parts.push(el("p", { class: "llm-sub llm-warn llm-diff-incomplete", role: "note", text: listing.note }));
  }
  return parts;
}
