// Small pieces of table markup shared by the registry and the agents pages.

import { el } from "./dom.js";
import { relativeTime } from "./format.js";

/** A <time> with relative text and the exact time on hover; `fallback` when iso is empty. */
export function timeElement(iso, fallback = "Never") {
  if (!iso) return el("span", { class: "llm-muted", text: fallback });
  const exact = new Date(iso);
  return el("time", {
    datetime: iso,
    title: `${exact.toLocaleString()} (${exact.toISOString()})`,
    text: relativeTime(iso),
  });
}

/** The provider type badge; `typeLabel` turns the type value into its label. */
export function typeBadge(providerType, typeLabel) {
  return el("span", { class: `llm-badge llm-type llm-type-${providerType}`, text: typeLabel(providerType) });
}

/** The modality chips ("text", "image", ...) of a model. */
export function chips(values) {
  const list = el("ul", { class: "llm-chips", "aria-label": "Modality" });
  for (const value of values || []) list.append(el("li", { class: `llm-chip llm-chip-${value}`, text: value }));
  return list;
}
