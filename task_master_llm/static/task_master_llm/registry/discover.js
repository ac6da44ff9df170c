// The Discover models dialog: ask a provider for its models, pick some, add them.
// The page supplies ctx.providers(), ctx.loadProviders() and ctx.preferredProviderId().
//
// Announces on root:
//   llm:models-changed {reason: "added", providerId, providerName, providerModelIds, count}

import { itemsOf } from "../lib/api.js";
import { announce, el, finder } from "../lib/dom.js";
import { openDialog, setBusy } from "../lib/dialog.js";
import { flattenFields, formatContext, plural, priceText } from "../lib/format.js";
import { chips } from "../lib/render.js";
import { diffSummary, itemNotes } from "./discover-diff.js";
import { statusNote } from "./status.js";

/** The flash text after an add; `cleared` says whether a filter hiding them was cleared. */
export function addedMessage({ count, providerName }, cleared) {
  return `Added ${plural(count, "model")} from ${providerName}; ${count === 1 ? "it is" : "they are"} marked New in the list`
    + `${cleared ? " (the filter that hid them was cleared)" : ""}. `
    + "New models start enabled; turn off the ones members should not use.";
}

/** What POST /models takes for one discovered model. */
function modelBody(m) {
  const out = { providerModelId: m.providerModelId, displayName: m.displayName, modality: m.modality || [] };
  for (const key of ["contextWindow", "maxOutputTokens", "inputCostPer1k", "outputCostPer1k", "lifecycle"]) {
    if (m[key] !== null && m[key] !== undefined) out[key] = m[key];
  }
  if (m.meta && typeof m.meta === "object") out.meta = m.meta;
  return out;
}

/** Mount the Discover dialog and its opener button; returns {}. */
export function mount(root, ctx) {
  const $ = finder(root);
  const { api } = ctx;
  const API = ctx.urls.llmApi;
  const dialog = $("discover-dialog");
  const providerSelect = $("discover-provider");
  const list = $("discover-list");
  const filter = $("discover-filter");
  const addButton = $("discover-add");
  const errorBox = $("discover-error");
  const fetchButton = $("discover-fetch");
  let discovered = [];
  let ticketCounter = 0;
  const diffBox = el("div", { id: "discover-diff", class: "llm-discover-diff" });
  list.before(diffBox);

  const showError = (text) => {
    errorBox.textContent = text;
    errorBox.hidden = false;
  };

  function updateCount() {
    const boxes = [...list.querySelectorAll("input[type=checkbox]")];
    const selected = boxes.filter((b) => b.checked && !b.disabled).length;
    const shown = [...list.children].filter((li) => !li.hidden).length;
    const registered = boxes.filter((b) => b.disabled).length;
    $("discover-count").textContent = `${plural(discovered.length, "model")}, ${shown} shown, `
      + `${registered} already registered, ${selected} selected to add.`;
    addButton.disabled = selected === 0;
    addButton.textContent = selected ? `Add ${selected} to Registry` : "Add to Registry";
  }

  function item(m, index) {
    const id = `discover-item-${index}`;
    const box = el("input", { type: "checkbox", id, value: String(index), checked: m.registered, disabled: m.registered });
    const context = formatContext(m.contextWindow);
    const details = [context === "unknown" ? "context window unknown" : `${context} context`, priceText(m)];
    return el("li", { class: m.registered ? "llm-registered" : "", dataset: { search: `${m.providerModelId} ${m.displayName}`.toLowerCase() } },
      box,
      el("label", { for: id },
        el("span", { class: "llm-check-title" }, el("strong", { text: m.displayName || m.providerModelId }),
          m.registered ? el("span", { class: "llm-badge llm-badge-muted", text: "Already in registry" }) : null),
        el("span", { class: "llm-sub llm-mono", text: m.providerModelId }),
        el("span", { class: "llm-sub", text: details.join(" · ") }),
        m.detailsMissing ? el("span", { class: "llm-sub llm-details-missing", text: m.note || "Listed without its details." }) : null,
        (m.modality || []).length ? chips(m.modality) : null,
        ...itemNotes(m)));
  }

  function render() {
    list.replaceChildren(...discovered.map(item));
    applyFilter();
  }

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    for (const li of list.children) li.hidden = Boolean(q) && !li.dataset.search.includes(q);
    updateCount();
  }

  function reset() {
    discovered = [];
    list.replaceChildren();
    diffBox.replaceChildren();
    filter.value = "";
    $("discover-results").hidden = true;
    errorBox.hidden = true;
    $("discover-progress").hidden = true;
    $("discover-count").textContent = "";
    addButton.disabled = true;
    addButton.textContent = "Add to Registry";
  }

  $("open-discover").addEventListener("click", async () => {
    if (!ctx.providers().length) await ctx.loadProviders();
    const providers = ctx.providers();
    reset();
    providerSelect.replaceChildren(...providers.map((p) =>
      el("option", { value: p.id, text: `${p.name} (${[ctx.typeLabel(p.providerType), statusNote(p)].filter(Boolean).join(", ")})` })));
    const preferred = ctx.preferredProviderId();
    if (preferred) providerSelect.value = preferred;
    const none = providers.length === 0;
    fetchButton.disabled = none;
    if (none) showError("Add a provider on the Providers tab first.");
    openDialog(dialog, none ? dialog.querySelector("[data-close]") : providerSelect);
  });
  providerSelect.addEventListener("change", reset);

  fetchButton.addEventListener("click", async () => {
    const providerId = providerSelect.value;
    const ticket = ++ticketCounter;
    reset();
    $("discover-progress").hidden = false;
    const started = performance.now();
    const timer = setInterval(() => {
      const s = Math.round((performance.now() - started) / 1000);
      $("discover-progress-text").textContent = `Asking the provider for its models… ${s} s`;
    }, 1000);
    $("discover-progress-text").textContent = "Asking the provider for its models…";
    setBusy(fetchButton, true, "Fetching…");
    try {
      const data = await api("GET", `${API}/providers/${encodeURIComponent(providerId)}/discover`);
      if (ticket !== ticketCounter) return;
      discovered = itemsOf(data).items;
      diffBox.replaceChildren(...diffSummary(data));
      $("discover-results").hidden = false;
      render();
      if (!discovered.length) showError("The provider answered, but offers no chat models.");
      else filter.focus();
    } catch (error) {
      if (ticket !== ticketCounter) return;
      showError(`Could not fetch models: ${error.message}`);
    } finally {
      clearInterval(timer);
      if (ticket === ticketCounter) $("discover-progress").hidden = true;
      setBusy(fetchButton, false);
    }
  });

  filter.addEventListener("input", applyFilter);
  list.addEventListener("change", updateCount);
  const tickShown = (checked) => {
    for (const li of list.children) {
      const box = li.querySelector("input");
      if (!li.hidden && !box.disabled) box.checked = checked;
    }
    updateCount();
  };
  $("discover-all").addEventListener("click", () => tickShown(true));
  $("discover-none").addEventListener("click", () => tickShown(false));

  $("discover-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const selected = [...list.querySelectorAll("input[type=checkbox]:checked:not(:disabled)")]
      .map((box) => discovered[Number(box.value)]);
    if (!selected.length) return;
    const providerId = providerSelect.value;
    const models = selected.map(modelBody);
    errorBox.hidden = true;
    setBusy(addButton, true, "Adding…");
    try {
      const result = await api("POST", `${API}/models`, { providerId, models });
      dialog.close("added");
      const created = result && (result.created ?? result.createdCount);
      announce(root, "llm:models-changed", {
        reason: "added",
        providerId,
        providerName: (ctx.providers().find((p) => p.id === providerId) || {}).name || "this provider",
        providerModelIds: ((result && result.models) || models).map((m) => m.providerModelId),
        count: created ?? models.length,
      });
    } catch (error) {
      const lines = [error.message, ...flattenFields(error.fields)];
      showError(`Could not add the models: ${lines.join(" ")}`);
    } finally {
      setBusy(addButton, false);
      updateCount();
    }
  });

  return {};
}
