// The agent dialog's "Fallback models" picker (#af-fallbacks, a <select multiple>):
// enabled models of any provider except the chosen primary model, which the gateway tries
// in order when the primary fails. The order is the order the user chose them in; a plain
// multi-select cannot show that, so #af-fallbacks-order spells it out.

import { ApiError } from "../lib/api.js";
import { el, finder } from "../lib/dom.js";

/** The most fallback models an agent may list (the API's limit). */
export const MAX_FALLBACKS = 5;

const providerName = (m) => (m.provider && m.provider.name) || "";
const modelName = (m) => m.displayName || m.providerModelId || m.id;

/** "Anthropic · Claude Sonnet 4": a model as the picker names it. */
export function fallbackLabel(m) {
  const provider = providerName(m);
  return provider ? `${provider} · ${modelName(m)}` : modelName(m);
}

const byProviderThenName = (a, b) =>
  providerName(a).localeCompare(providerName(b)) || modelName(a).localeCompare(modelName(b));

/** Whether two id lists hold the same ids in the same order. */
export const sameIds = (a, b) => a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * Mount the picker of the agent dialog under root; returns
 * {loading(), reset(models, ids, primaryId), setPrimary(id), value(), problem(), explain(error, sent)}.
 */
export function mount(root) {
  const $ = finder(root);
  const select = $("af-fallbacks");
  const order = $("af-fallbacks-order");
  order.setAttribute("aria-live", "polite");
  let models = []; // what may be offered: the enabled models, of any provider
  let chosen = []; // the chosen model ids, in the order the gateway tries them
  let primary = "";
  let ready = false; // false until the models are loaded: value() is then null

  const find = (id) => models.find((m) => m.id === id);

  function showOrder(text) {
    const names = chosen.map(find).filter(Boolean).map(fallbackLabel);
    order.textContent = text || (names.length
      ? `Tried in this order: ${names.map((name, i) => `${i + 1}. ${name}`).join(", ")}.`
      : "None chosen: only the model is tried.");
  }

  function render() {
    const offered = models.filter((m) => m.id !== primary && m.enabled !== false).sort(byProviderThenName);
    chosen = chosen.filter((id) => offered.some((m) => m.id === id));
    select.replaceChildren(...offered.map((m) =>
      el("option", { value: m.id, text: fallbackLabel(m), selected: chosen.includes(m.id) })));
    select.disabled = !offered.length;
    showOrder(offered.length ? "" : "No other enabled models to fall back to.");
  }

  select.addEventListener("change", () => {
    const picked = [...select.selectedOptions].map((o) => o.value);
    // keep the earlier choices in their order; the new ones go last
    chosen = [...chosen.filter((id) => picked.includes(id)), ...picked.filter((id) => !chosen.includes(id))];
    showOrder();
  });

  return {
    /** Empty and disabled while the dialog loads the enabled models. */
    loading() {
      ready = false;
      models = [];
      chosen = [];
      select.replaceChildren();
      select.disabled = true;
      showOrder("Loading models…");
    },
    /** Offer `list` (minus the primary), with `ids` chosen in that order. */
    reset(list, ids, primaryId) {
      models = [...list];
      chosen = [...(ids || [])];
      primary = primaryId || "";
      ready = true;
      render();
    },
    /** The primary model changed: offer every other model, keep the choices still offered. */
    setPrimary(primaryId) {
      primary = primaryId || "";
      if (ready) render();
    },
    /** The chosen ids in order, or null when the models never loaded (nothing to send). */
    value() {
      return ready ? [...chosen] : null;
    },
    /** Why the choice cannot be saved (too many), or null. */
    problem() {
      return chosen.length > MAX_FALLBACKS ? `Choose at most ${MAX_FALLBACKS} fallback models.` : null;
    },
    /** The error with its per-entry fallback messages ({"1": ["why"]}) naming the models in `sent`. */
    explain(error, sent) {
      const entries = error && error.fields && error.fields.fallbackModelIds;
      if (!entries || Array.isArray(entries) || typeof entries !== "object") return error;
      const lines = Object.entries(entries).map(([index, why]) => {
        const model = find((sent || [])[Number(index)]);
        const name = model ? fallbackLabel(model) : `Fallback ${Number(index) + 1}`;
        return `${name}: ${Array.isArray(why) ? why.join(" ") : why}`;
      });
      return new ApiError(error.status, error.code, error.message, { ...error.fields, fallbackModelIds: lines });
    },
  };
}
