// The Activity tab: recent audit events (GET /audit, newest first) with filters by action
// and target, and a pager. A target's name filters the list to that record. Events never
// hold key material: a key shows as its fingerprint (a keyed hash), nothing else.

import { itemsOf } from "../lib/api.js";
import { el, finder } from "../lib/dom.js";
import { timeElement } from "../lib/render.js";

/** Every audited action and its words (kept equal to core/audit.py ACTIONS by a test). */
export const ACTION_LABELS = {
  "provider.created": "Provider created",
  "provider.updated": "Provider edited",
  "provider.key_set": "Key set",
  "provider.key_replaced": "Key replaced",
  "provider.key_cleared": "Key cleared",
  "provider.tested": "Provider tested",
  "provider.deleted": "Provider deleted",
  "gateway_credential.pushed": "Gateway credential pushed",
  "gateway_credential.removed": "Gateway credential removed",
  "key_rotation.run": "Key rotation run",
  "model.registered": "Model registered",
  "model.updated": "Model edited",
  "model.enabled": "Model enabled",
  "model.disabled": "Model disabled",
  "model.deleted": "Model deleted",
  "agent.created": "Agent created",
  "agent.updated": "Agent edited",
  "agent.deleted": "Agent deleted",
  "agent.synced": "Agent synced",
  "agent_sync.run": "Gateway sync run",
};

const KIND_LABELS = {
  provider: "Providers", gateway_credential: "Gateway credentials", key_rotation: "Key rotation",
  model: "Models", agent: "Agents", agent_sync: "Gateway sync",
};

const TARGET_LABELS = {
  provider: "Provider", model: "Model", agent: "Agent", gateway_credential: "Gateway credential",
  registry: "Registry",
};

/** How many of an event's related records the Target cell names (the rest are counted). */
const RELATED_SHOWN = 5;

/** The details of an event as short text: "fields: name, role · talonSync: synced". */
export function detailsText(details) {
  const parts = [];
  for (const [key, value] of Object.entries(details || {})) {
    if (value === null || value === undefined || typeof value === "object" && !Array.isArray(value)) continue;
    parts.push(`${key}: ${Array.isArray(value) ? value.join(", ") : value}`);
  }
  return parts.join(" · ");
}

/** Mount the Activity tab; returns {load}. */
export function mount(root, ctx) {
  const $ = finder(root);
  const { api, flash } = ctx;
  const API = ctx.urls.llmApi;
  const actionFilter = $("activity-action");
  const typeFilter = $("activity-target-type");
  // total is null when the API did not count (then hasMore says whether more follow)
  const state = { items: [], total: 0, hasMore: false, offset: 0, limit: 25, target: null };

  // the action filter: every action of a kind, then each action, grouped by kind
  const groups = {};
  for (const action of Object.keys(ACTION_LABELS)) (groups[action.split(".")[0]] ||= []).push(action);
  for (const [kind, actions] of Object.entries(groups)) {
    actionFilter.append(el("optgroup", { label: KIND_LABELS[kind] || kind },
      el("option", { value: kind, text: `All: ${(KIND_LABELS[kind] || kind).toLowerCase()}` }),
      ...actions.map((a) => el("option", { value: a, text: ACTION_LABELS[a] }))));
  }

  let request = 0;
  async function load() {
    const ticket = ++request;
    $("activity-loading").hidden = false;
    const params = new URLSearchParams({ limit: String(state.limit), offset: String(state.offset) });
    if (actionFilter.value) params.set("action", actionFilter.value);
    if (typeFilter.value) params.set("targetType", typeFilter.value);
    if (state.target) params.set("targetId", state.target.id);
    try {
      const data = await api("GET", `${API}/audit?${params}`);
      if (ticket !== request) return;
      const { items, total, hasMore } = itemsOf(data);
      state.items = items;
      state.total = total;
      state.hasMore = hasMore;
      render();
    } catch (error) {
      if (ticket === request) flash(`Could not load the activity: ${error.message}`, "error");
    } finally {
      if (ticket === request) $("activity-loading").hidden = true;
    }
  }

  function showTarget(target) {
    state.target = target;
    state.offset = 0;
    load();
  }

  function targetButton(target) {
    const name = target.name || target.id;
    return el("button", { type: "button", class: "llm-link", text: name,
      title: `Show only the activity of ${name}`, onclick: () => showTarget(target) });
  }

  /** The event's target, then the other records it touched (a registration's models):
   * the first few by name, each a filter, and how many more. */
  function targetCell(event) {
    const target = event.target || {};
    const related = (event.targets || []).slice(1);
    const shown = related.slice(0, RELATED_SHOWN);
    const more = related.length - shown.length;
    return el("td", { "data-label": "Target" },
      el("span", { class: "llm-muted", text: `${TARGET_LABELS[target.type] || target.type} ` }),
      targetButton(target),
      related.length ? el("div", { class: "llm-sub llm-related" },
        `${related.length} ${plural(related)}: `,
        ...shown.flatMap((t, i) => [i ? ", " : "", targetButton(t)]),
        more > 0 ? ` and ${more} more` : "") : null);
  }

  function plural(related) {
    const types = new Set(related.map((t) => t.type));
    const label = types.size === 1 ? (TARGET_LABELS[related[0].type] || related[0].type).toLowerCase() : "record";
    return related.length === 1 ? label : `${label}s`;
  }

  function outcomeCell(event) {
    const ok = event.outcome === "ok";
    const error = event.error || {};
    return el("td", { "data-label": "Outcome" },
      el("span", { class: `llm-status llm-status-${ok ? "valid" : "invalid"}` },
        el("span", { class: "llm-dot", "aria-hidden": "true" }), ok ? "OK" : "Failed"),
      ok ? null : el("div", { class: "llm-sub", text: [error.kind, error.message].filter(Boolean).join(": ") }));
  }

  function row(event) {
    const details = detailsText(event.details);
    return el("tr", { dataset: { eventId: event.id, action: event.action, outcome: event.outcome } },
      el("td", { "data-label": "When" }, timeElement(event.at)),
      el("td", { "data-label": "Who", class: "llm-mono", text: event.actor }),
      el("td", { "data-label": "Action" },
        el("strong", { text: ACTION_LABELS[event.action] || event.action }),
        details ? el("div", { class: "llm-sub", text: details }) : null,
        event.fingerprint ? el("div", { class: "llm-sub llm-mono", title: "Key fingerprint (a keyed hash, not the key)",
          text: `key fingerprint ${event.fingerprint}` }) : null),
      targetCell(event),
      outcomeCell(event));
  }

  function render() {
    $("activity-body").replaceChildren(...state.items.map(row));
    const empty = state.items.length === 0;
    const filtered = Boolean(actionFilter.value || typeFilter.value || state.target);
    $("activity-empty").hidden = !empty;
    $("activity-empty").textContent = filtered ? "No activity matches this filter." : "No activity yet.";
    $("activity-table").hidden = empty;
    $("activity-target").hidden = !state.target;
    if (state.target) {
      const label = TARGET_LABELS[state.target.type] || state.target.type;
      $("activity-target-text").textContent = `Showing the activity of ${label.toLowerCase()} ${state.target.name || state.target.id}.`;
    }
    $("activity-pager").hidden = state.offset === 0 && !state.hasMore;
    $("activity-prev").disabled = state.offset === 0;
    $("activity-next").disabled = !state.hasMore;
    // the total only when the API gave it (it counts only when that is cheap)
    const shown = `${state.offset + 1}–${state.offset + state.items.length}`;
    $("activity-page-info").textContent = state.total === null ? shown : `${shown} of ${state.total}`;
  }

  $("activity-prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - state.limit);
    load();
  });
  $("activity-next").addEventListener("click", () => {
    state.offset += state.limit;
    load();
  });
  for (const filter of [actionFilter, typeFilter]) {
    filter.addEventListener("change", () => { state.offset = 0; load(); });
  }
  $("activity-refresh").addEventListener("click", () => load());
  $("activity-target-clear").addEventListener("click", () => showTarget(null));

  return { load };
}
