// The LLM Registry page and the agents page: one plain ES module, no build step.
//
// It talks only to the app's own JSON API (same origin, session cookie). API data is put
// into the page with textContent and DOM APIs, never innerHTML. The page never sees key
// material: the API answers hasApiKey and apiKeyMasked ("****abcd") only.

const root = document.getElementById("llm-app");

// --- small helpers ---------------------------------------------------------------------

/** Build an element: el("td", {class: "x", text: "y", title: "z"}, child, ...). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "checked" || key === "disabled" || key === "selected") {
      node[key] = Boolean(value);
    } else if (key === "value") node.value = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const byId = (id) => document.getElementById(id);

/** "1 model", "3 models". */
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** An error answered by the API ({"error": {code, message, fields}}) or the network. */
class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

/** Call the JSON API; resolves to the "data" member, rejects with ApiError. */
async function api(method, url, body) {
  const options = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    cache: "no-store",
  };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check the connection and try again.");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const err = (payload && payload.error) || {};
    let message = err.message;
    if (response.status === 401) message = "Your session has ended. Reload the page and log in again.";
    if (!message) message = `The server answered ${response.status} ${response.statusText}.`.trim();
    throw new ApiError(response.status, err.code || `http_${response.status}`, message, err.fields);
  }
  if (payload === null || typeof payload !== "object") {
    throw new ApiError(response.status, "bad_response", "The server sent an answer that is not JSON.");
  }
  return payload.data;
}

/** A list from a paginated ({items,total}) or plain ([...]) answer. */
function itemsOf(data) {
  if (Array.isArray(data)) return { items: data, total: data.length };
  if (data && Array.isArray(data.items)) return { items: data.items, total: data.total ?? data.items.length };
  return { items: [], total: 0 };
}

/** "128k", "1M", "200k"; binary sizes (131072) read as their usual names (128k). */
export function formatContext(n) {
  if (n === null || n === undefined || n === "" || !Number.isFinite(Number(n))) return "—";
  n = Number(n);
  const trim = (x) => (Math.round(x * 10) / 10).toString();
  if (n >= 1_000_000) return (n % 1_048_576 === 0 ? trim(n / 1_048_576) : trim(n / 1_000_000)) + "M";
  if (n >= 1000) return (n % 1024 === 0 ? trim(n / 1024) : String(Math.round(n / 1000))) + "k";
  return String(n);
}

function formatPrice(value) {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return null;
  if (n === 0) return "$0";
  return "$" + (n < 0.01 ? n.toPrecision(2) : n.toFixed(n < 1 ? 4 : 2)).replace(/0+$/, "").replace(/\.$/, "");
}

function priceText(model) {
  const input = formatPrice(model.inputCostPer1k);
  const output = formatPrice(model.outputCostPer1k);
  if (!input && !output) return "price not published";
  return `in ${input || "?"} · out ${output || "?"} per 1K tokens`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function relativeTime(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return d === 1 ? "yesterday" : `${d} days ago`;
  return new Date(t).toLocaleDateString();
}

function timeElement(iso, fallback = "Never") {
  if (!iso) return el("span", { class: "llm-muted", text: fallback });
  const exact = new Date(iso);
  return el("time", {
    datetime: iso,
    title: `${exact.toLocaleString()} (${exact.toISOString()})`,
    text: relativeTime(iso),
  });
}

// --- flash messages and errors ---------------------------------------------------------

const flashBox = byId("llm-flash");
let flashTimer = null;

/** Show a message at the top of the page; kind: info | success | error | warning. */
function flash(message, kind = "info") {
  if (!flashBox) return;
  clearTimeout(flashTimer);
  flashBox.replaceChildren(
    el("span", { class: "llm-flash-text", text: message }),
    el("button", {
      type: "button",
      class: "llm-btn llm-btn-quiet llm-flash-close",
      "aria-label": "Dismiss message",
      text: "×",
      onclick: () => { flashBox.hidden = true; },
    }),
  );
  flashBox.className = `llm-flash llm-flash-${kind}`;
  flashBox.setAttribute("role", kind === "error" ? "alert" : "status");
  flashBox.hidden = false;
  if (kind === "success" || kind === "info") flashTimer = setTimeout(() => { flashBox.hidden = true; }, 12000);
}

/** Flatten {"models": {"0": {"contextWindow": ["..."]}}} into readable lines. */
function flattenFields(fields, prefix = "") {
  const out = [];
  for (const [key, value] of Object.entries(fields || {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) out.push(`${name}: ${value.join(" ")}`);
    else if (value && typeof value === "object") out.push(...flattenFields(value, name));
    else if (value) out.push(`${name}: ${value}`);
  }
  return out;
}

/** Clear the field and form errors of a form whose error ids are `${prefix}-${field}-error`. */
function clearErrors(form, formError) {
  for (const p of form.querySelectorAll(".llm-field-error")) {
    p.hidden = true;
    p.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  if (formError) {
    formError.hidden = true;
    formError.textContent = "";
  }
}

/**
 * Show an ApiError: messages next to the fields it names, the rest in the form's error box.
 * `aliases` maps an API field name to the form's field name. Focuses the first bad field.
 */
function showErrors(form, prefix, formError, error, aliases = {}) {
  const leftovers = [];
  let first = null;
  let placed = 0;
  for (const [key, value] of Object.entries(error.fields || {})) {
    const name = aliases[key] || key;
    const target = byId(`${prefix}-${name}-error`);
    const text = Array.isArray(value) ? value.join(" ") : flattenFields({ [key]: value }).join(" ");
    const wrapper = target && target.closest(".llm-field");
    if (target && wrapper && !wrapper.hidden) {
      target.textContent = text;
      target.hidden = false;
      placed += 1;
      const input = wrapper.querySelector("input, select, textarea");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
    } else {
      leftovers.push(...flattenFields({ [key]: value }));
    }
  }
  if (formError) {
    // When every problem is shown next to its field, the API's summary ("Invalid fields:
    // baseUrl.", "A provider named 'x' already exists.") only repeats it: say where to look.
    const summary = placed && !leftovers.length
      ? (placed === 1 ? "Check the marked field." : `Check the ${placed} marked fields.`)
      : error.message;
    const lines = [summary, ...leftovers].filter(Boolean);
    formError.textContent = lines.join(" ");
    formError.hidden = lines.length === 0;
  }
  (first || formError)?.focus?.();
}

// --- dialogs ---------------------------------------------------------------------------

/** Open a modal <dialog>, focus its first control; focus returns to the opener on close. */
function openDialog(dialog, focusTarget) {
  const opener = document.activeElement;
  dialog.addEventListener(
    "close",
    () => { if (opener && document.contains(opener)) opener.focus(); },
    { once: true },
  );
  dialog.showModal();
  const target = focusTarget || dialog.querySelector("input:not([hidden]):not([disabled]), select:not([disabled]), textarea, button");
  target?.focus();
}

for (const dialog of document.querySelectorAll("dialog.llm-dialog")) {
  dialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-close]")) dialog.close("cancel");
  });
}

function setBusy(button, busy, busyText) {
  if (busy) {
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = busyText;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  } else {
    if (button.dataset.label) button.textContent = button.dataset.label;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/**
 * Ask for confirmation in the shared confirm dialog. `run` performs the action; its error
 * is shown in the dialog (which stays open) so nothing fails silently. An error carrying
 * `next` ({title, text, items, okLabel, run}) turns the dialog into a second question
 * (e.g. "in use, delete anyway?"). Resolves to run's result, or undefined when cancelled.
 */
function confirmAction(options) {
  const dialog = byId("confirm-dialog");
  const okButton = byId("confirm-ok");
  const errorBox = byId("confirm-error");
  let run = null;
  function configure({ title, text, items = [], okLabel = "Delete", run: action }) {
    byId("confirm-title").textContent = title;
    byId("confirm-text").textContent = text;
    byId("confirm-list").replaceChildren(...items.map((item) => el("li", { text: item })));
    byId("confirm-list").hidden = items.length === 0;
    errorBox.hidden = true;
    errorBox.textContent = "";
    okButton.textContent = okLabel;
    delete okButton.dataset.label;
    okButton.disabled = false;
    run = action;
  }
  configure(options);
  return new Promise((resolve) => {
    const form = byId("confirm-form");
    const onSubmit = async (event) => {
      event.preventDefault();
      setBusy(okButton, true, "Working…");
      try {
        const result = await run();
        cleanup();
        dialog.close("ok");
        resolve(result);
      } catch (error) {
        setBusy(okButton, false);
        if (error && error.next) {
          // A second, more destructive question: focus Cancel again, so a second Enter
          // never confirms what the first one did not show.
          configure(error.next);
          okButton.previousElementSibling.focus();
          return;
        }
        errorBox.textContent = error.message || String(error);
        errorBox.hidden = false;
      }
    };
    const onClose = () => { cleanup(); resolve(undefined); };
    function cleanup() {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("close", onClose);
    }
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("close", onClose);
    openDialog(dialog, okButton.previousElementSibling);
  });
}

// --- shared rendering ------------------------------------------------------------------

let PROVIDER_TYPES = [];
const typeLabel = (value) => (PROVIDER_TYPES.find((t) => t.value === value) || {}).label || value;

function typeBadge(providerType) {
  return el("span", { class: `llm-badge llm-type llm-type-${providerType}`, text: typeLabel(providerType) });
}

const STATUS_TEXT = { valid: "Valid", invalid: "Invalid", unknown: "Not tested" };

function statusBadge(status, title) {
  const s = STATUS_TEXT[status] ? status : "unknown";
  return el("span", { class: `llm-status llm-status-${s}`, title: title || undefined },
    el("span", { class: "llm-dot", "aria-hidden": "true" }), STATUS_TEXT[s]);
}

function chips(values) {
  const list = el("ul", { class: "llm-chips", "aria-label": "Modality" });
  for (const value of values || []) list.append(el("li", { class: `llm-chip llm-chip-${value}`, text: value }));
  return list;
}

// =======================================================================================
// Registry page
// =======================================================================================

function readProviderTypes() {
  try {
    PROVIDER_TYPES = JSON.parse(byId("llm-provider-types").textContent);
  } catch {
    PROVIDER_TYPES = [];
  }
}

function initRegistry() {
  const API = root.dataset.llmApi;
  const AGENTS_API = root.dataset.agentsApi;
  readProviderTypes();
  const state = {
    providers: [],
    testResults: new Map(), // provider id -> {status, message, latencyMs} | {error}
    models: [],
    modelsTotal: 0,
    modelsOffset: 0,
    modelsLimit: 50,
    justAdded: null, // providerModelIds the Discover dialog just added (marked "New")
    justAddedProvider: null,
  };

  // --- tabs ----------------------------------------------------------------------------
  const tabs = [byId("tab-providers"), byId("tab-models")];
  function selectTab(tab, focus = false) {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute("aria-selected", String(selected));
      t.tabIndex = selected ? 0 : -1;
      byId(t.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    const hash = tab.id === "tab-models" ? "#models" : "#providers";
    if (location.hash !== hash) history.replaceState(null, "", hash);
    if (tab.id === "tab-models") loadModels();
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const i = tabs.indexOf(tab);
      let next = null;
      if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) {
        event.preventDefault();
        selectTab(next, true);
      }
    });
  }

  // --- providers -----------------------------------------------------------------------
  async function loadProviders() {
    byId("providers-loading").hidden = false;
    try {
      state.providers = await api("GET", `${API}/providers`);
      renderProviders();
      renderProviderFilter();
    } catch (error) {
      flash(`Could not load providers: ${error.message}`, "error");
    } finally {
      byId("providers-loading").hidden = true;
    }
  }

  /** The Test result under the buttons; `shownMessage` is already in the Status cell. */
  function testResultNode(id, shownMessage) {
    const result = state.testResults.get(id);
    if (!result) return null;
    if (result.pending) {
      return el("output", { class: "llm-test-result llm-muted", text: "Testing the key with the provider…" });
    }
    if (result.error) {
      return el("output", { class: "llm-test-result llm-test-invalid", text: `Test failed: ${result.error}` });
    }
    const parts = [STATUS_TEXT[result.status] || result.status];
    if (result.latencyMs !== null && result.latencyMs !== undefined) parts.push(`${result.latencyMs} ms`);
    const message = result.message && result.message !== shownMessage ? result.message : "";
    return el("output", { class: `llm-test-result llm-test-${result.status}` },
      el("strong", { text: parts.join(" · ") }), message ? [" ", el("span", { text: message })] : null);
  }

  function renderProviders() {
    const body = byId("providers-body");
    body.replaceChildren(...state.providers.map((p) => {
      const nameCell = el("td", { class: "llm-cell-name", "data-label": "Name" },
        el("strong", { text: p.name }),
        el("div", { class: "llm-sub" },
          p.effectiveBaseUrl ? el("span", { class: "llm-mono", text: p.effectiveBaseUrl }) : null,
          p.hasApiKey ? el("span", { class: "llm-mono", text: ` key ${p.apiKeyMasked || "set"}` }) : el("span", { text: " no key" })));
      const statusCell = el("td", { "data-label": "Status" }, statusBadge(p.status, p.statusMessage));
      const inStatus = p.status === "invalid" && p.statusMessage ? p.statusMessage : null;
      if (inStatus) statusCell.append(el("div", { class: "llm-sub llm-status-msg", text: inStatus }));
      const actions = el("td", { class: "llm-actions", "data-label": "Actions" },
        el("div", { class: "llm-btn-row" },
          el("button", { type: "button", class: "llm-btn", "aria-label": `Test ${p.name}`, text: "Test",
            dataset: { action: "test", id: p.id }, onclick: (e) => testProvider(p, e.currentTarget) }),
          el("button", { type: "button", class: "llm-btn", "aria-label": `Edit ${p.name}`, text: "Edit",
            onclick: () => openProviderDialog(p) }),
          el("button", { type: "button", class: "llm-btn llm-btn-danger-quiet", "aria-label": `Delete ${p.name}`,
            text: "Delete", onclick: () => deleteProvider(p) })),
        testResultNode(p.id, inStatus));
      return el("tr", { dataset: { providerId: p.id, providerName: p.name } },
        nameCell,
        el("td", { "data-label": "Type" }, typeBadge(p.providerType)),
        statusCell,
        el("td", { "data-label": "Last validated" }, timeElement(p.lastValidatedAt)),
        el("td", { "data-label": "Models", text: String(p.modelCount ?? 0) }),
        actions);
    }));
    byId("providers-empty").hidden = state.providers.length > 0;
    byId("providers-table").hidden = state.providers.length === 0;
  }

  function replaceProvider(updated) {
    const i = state.providers.findIndex((p) => p.id === updated.id);
    if (i >= 0) state.providers[i] = updated;
    else state.providers.push(updated);
  }

  async function testProvider(provider, button) {
    state.testResults.set(provider.id, { pending: true });
    renderProviders();
    const fresh = byId("providers-body").querySelector(`tr[data-provider-id="${CSS.escape(provider.id)}"] [data-action="test"]`);
    if (fresh) setBusy(fresh, true, "Testing…");
    try {
      const result = await api("POST", `${API}/providers/${encodeURIComponent(provider.id)}/test`);
      state.testResults.set(provider.id, result);
      try {
        replaceProvider(await api("GET", `${API}/providers/${encodeURIComponent(provider.id)}`));
      } catch (error) {
        flash(`The test ran, but the provider could not be reloaded: ${error.message}`, "warning");
      }
    } catch (error) {
      state.testResults.set(provider.id, { error: error.message });
    }
    renderProviders();
    const again = byId("providers-body").querySelector(`tr[data-provider-id="${CSS.escape(provider.id)}"] [data-action="test"]`);
    (again || button)?.focus();
  }

  // --- add / edit dialog ---------------------------------------------------------------
  const pDialog = byId("provider-dialog");
  const pForm = byId("provider-form");
  const pError = byId("provider-form-error");
  const typeSelect = byId("pf-providerType");
  const FIELD_NAMES = ["apiKey", "baseUrl", "orgId", "deploymentId"];
  let editing = null; // provider being edited, or null when adding
  let lastPrefill = {};

  typeSelect.replaceChildren(...PROVIDER_TYPES.map((t) => el("option", { value: t.value, text: t.label })));

  function applyType(typeValue) {
    const type = PROVIDER_TYPES.find((t) => t.value === typeValue) || { fields: {}, prefill: {} };
    for (const name of FIELD_NAMES) {
      const wrapper = pForm.querySelector(`.llm-field[data-field="${name}"]`);
      const input = byId(`pf-${name}`);
      const rule = type.fields[name];
      wrapper.hidden = !rule;
      const required = rule === "required" && !(editing && name === "apiKey");
      input.required = required;
      wrapper.querySelector(".llm-optional").hidden = rule !== "optional";
      if (!editing) {
        const prefill = (type.prefill || {})[name];
        if (input.value === "" || input.value === lastPrefill[name]) input.value = prefill || "";
      }
    }
    lastPrefill = editing ? {} : { ...(type.prefill || {}) };
    const baseUrl = byId("pf-baseUrl");
    baseUrl.placeholder = type.defaultBaseUrl || "https://…";
    byId("pf-baseUrl-hint").textContent = type.fields.baseUrl === "optional" && type.defaultBaseUrl
      ? `Leave empty to use ${type.defaultBaseUrl}.`
      : type.fields.baseUrl === "required" ? "The server's address, e.g. https://my-endpoint.example.com" : "";
    const keyHint = byId("pf-apiKey-hint");
    if (editing && editing.hasApiKey) {
      byId("pf-apiKey").placeholder = editing.apiKeyMasked || "****";
      keyHint.textContent = `Current key ${editing.apiKeyMasked || "(set)"}. Leave empty to keep it; type a new key to replace it.`;
    } else {
      byId("pf-apiKey").placeholder = "";
      keyHint.textContent = "Stored encrypted. It is never shown again, only its last four characters.";
    }
  }
  typeSelect.addEventListener("change", () => applyType(typeSelect.value));

  function openProviderDialog(provider) {
    editing = provider || null;
    lastPrefill = {};
    pForm.reset();
    clearErrors(pForm, pError);
    byId("provider-dialog-title").textContent = editing ? `Edit ${editing.name}` : "Add provider";
    byId("provider-save").textContent = editing ? "Save changes" : "Add provider";
    delete byId("provider-save").dataset.label;
    typeSelect.disabled = Boolean(editing);
    typeSelect.title = editing ? "A provider's type cannot be changed; add a new provider instead." : "";
    if (editing) {
      byId("pf-name").value = editing.name;
      typeSelect.value = editing.providerType;
      byId("pf-baseUrl").value = editing.baseUrl || "";
      byId("pf-orgId").value = editing.orgId || "";
      byId("pf-deploymentId").value = editing.deploymentId || "";
      byId("pf-apiKey").value = "";
    } else {
      typeSelect.value = PROVIDER_TYPES[0]?.value || "";
    }
    applyType(typeSelect.value);
    openDialog(pDialog, byId("pf-name"));
  }
  byId("add-provider").addEventListener("click", () => openProviderDialog(null));

  pForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(pForm, pError);
    const type = PROVIDER_TYPES.find((t) => t.value === typeSelect.value);
    const body = {};
    const missing = {};
    const name = byId("pf-name").value.trim();
    if (!name) missing.name = ["Give the provider a name."];
    if (!editing || name !== editing.name) body.name = name;
    if (!editing) body.providerType = typeSelect.value;
    for (const field of FIELD_NAMES) {
      if (!type || !type.fields[field]) continue;
      const value = byId(`pf-${field}`).value.trim();
      const rule = type.fields[field];
      if (field === "apiKey") {
        if (value) body.apiKey = value;
        else if (rule === "required" && !(editing && editing.hasApiKey)) missing.apiKey = ["Required for this type."];
        continue;
      }
      if (rule === "required" && !value) missing[field] = ["Required for this type."];
      if (!editing) {
        if (value) body[field] = value;
      } else if (value !== (editing[field] || "")) {
        body[field] = value || null;
      }
    }
    if (Object.keys(missing).length) {
      showErrors(pForm, "pf", pError, new ApiError(400, "validation", "Fill in the marked fields.", missing));
      return;
    }
    const save = byId("provider-save");
    setBusy(save, true, "Saving…");
    try {
      let saved;
      if (editing) {
        saved = Object.keys(body).length
          ? await api("PATCH", `${API}/providers/${encodeURIComponent(editing.id)}`, body)
          : editing;
      } else {
        saved = await api("POST", `${API}/providers`, body);
      }
      replaceProvider(saved);
      state.testResults.delete(saved.id);
      renderProviders();
      renderProviderFilter();
      pDialog.close("saved");
      flash(editing ? `Saved ${saved.name}.` : `Added ${saved.name}. Use Test to check its key.`, "success");
    } catch (error) {
      showErrors(pForm, "pf", pError, error);
    } finally {
      setBusy(save, false);
    }
  });

  // --- delete provider -----------------------------------------------------------------
  async function agentsOfProvider(providerId) {
    try {
      const { items } = itemsOf(await api("GET", `${AGENTS_API}?limit=500`));
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
    if (agents === null) text += "Agents using those models will lose their model.";
    else if (agents.length === 0) text += "No agents use these models.";
    else text += `${agents.length} agent${agents.length === 1 ? "" : "s"} will lose their model and be re-synced:`;
    const result = await confirmAction({
      title: `Delete ${provider.name}?`,
      text,
      items: (agents || []).map((a) => a.name),
      okLabel: "Delete provider",
      run: () => api("DELETE", `${API}/providers/${encodeURIComponent(provider.id)}`),
    });
    if (!result) return;
    state.providers = state.providers.filter((p) => p.id !== provider.id);
    state.testResults.delete(provider.id);
    renderProviders();
    renderProviderFilter();
    const detached = (result.detachedAgents || []).map((a) => a.name);
    flash(`Deleted ${provider.name}: ${plural(result.deletedModels ?? 0, "model")} removed`
      + (detached.length ? `; agents detached: ${detached.join(", ")}.` : "."), "success");
  }

  // --- models --------------------------------------------------------------------------
  const providerFilter = byId("models-provider-filter");
  const searchBox = byId("models-search");

  function renderProviderFilter() {
    const current = providerFilter.value;
    providerFilter.replaceChildren(
      el("option", { value: "", text: "All providers" }),
      ...state.providers.map((p) => el("option", { value: p.id, text: p.name })),
    );
    if (state.providers.some((p) => p.id === current)) providerFilter.value = current;
  }

  let modelsRequest = 0;
  async function loadModels() {
    const ticket = ++modelsRequest;
    byId("models-loading").hidden = false;
    const params = new URLSearchParams({ limit: String(state.modelsLimit), offset: String(state.modelsOffset) });
    if (providerFilter.value) params.set("providerId", providerFilter.value);
    if (searchBox.value.trim()) params.set("q", searchBox.value.trim());
    try {
      const data = await api("GET", `${API}/models?${params}`);
      if (ticket !== modelsRequest) return;
      const { items, total } = itemsOf(data);
      state.models = items;
      state.modelsTotal = total;
      renderModels();
    } catch (error) {
      if (ticket === modelsRequest) flash(`Could not load models: ${error.message}`, "error");
    } finally {
      if (ticket === modelsRequest) byId("models-loading").hidden = true;
    }
  }

  function providerOf(model) {
    if (model.provider && model.provider.name) return model.provider;
    return state.providers.find((p) => p.id === model.providerId) || { name: "?", providerType: "" };
  }

  function isJustAdded(model) {
    const providerId = model.provider ? model.provider.id : model.providerId;
    return Boolean(state.justAdded && providerId === state.justAddedProvider && state.justAdded.has(model.providerModelId));
  }

  function renderModels() {
    const body = byId("models-body");
    body.replaceChildren(...state.models.map((m) => {
      const provider = providerOf(m);
      const toggle = el("input", {
        type: "checkbox",
        role: "switch",
        class: "llm-switch",
        checked: m.enabled,
        "aria-label": `Enabled: ${m.displayName || m.providerModelId}`,
        dataset: { modelId: m.id },
      });
      toggle.addEventListener("change", () => toggleModel(m, toggle));
      return el("tr", { dataset: { modelId: m.id, providerModelId: m.providerModelId } },
        el("td", { class: "llm-cell-name", "data-label": "Model" },
          el("strong", { text: m.displayName || m.providerModelId }),
          isJustAdded(m) ? el("span", { class: "llm-badge llm-badge-new", text: "New" }) : null,
          el("div", { class: "llm-sub llm-mono", text: m.providerModelId })),
        el("td", { "data-label": "Provider" }, el("span", { text: provider.name }), " ",
          provider.providerType ? typeBadge(provider.providerType) : null),
        el("td", { "data-label": "Modality" }, chips(m.modality)),
        el("td", { "data-label": "Context", title: m.contextWindow ? `${Number(m.contextWindow).toLocaleString()} tokens` : "unknown",
          text: formatContext(m.contextWindow) }),
        el("td", { "data-label": "Enabled" }, el("label", { class: "llm-switch-label" }, toggle,
          el("span", { class: "llm-switch-text", text: m.enabled ? "On" : "Off" }))),
        el("td", { class: "llm-actions", "data-label": "Actions" },
          el("button", { type: "button", class: "llm-btn llm-btn-danger-quiet", text: "Delete",
            "aria-label": `Delete ${m.displayName || m.providerModelId}`, onclick: () => deleteModel(m) })));
    }));
    const empty = state.models.length === 0;
    byId("models-empty").hidden = !empty;
    byId("models-empty").textContent = empty && (providerFilter.value || searchBox.value.trim())
      ? "No registered models match this filter."
      : "No models registered. Use Discover models to list a provider's models and add the ones agents may use.";
    byId("models-table").hidden = empty;
    const pager = byId("models-pager");
    pager.hidden = state.modelsTotal <= state.modelsLimit;
    byId("models-prev").disabled = state.modelsOffset === 0;
    byId("models-next").disabled = state.modelsOffset + state.modelsLimit >= state.modelsTotal;
    byId("models-page-info").textContent = `${state.modelsOffset + 1}–${Math.min(state.modelsOffset + state.modelsLimit, state.modelsTotal)} of ${state.modelsTotal}`;
  }

  byId("models-prev").addEventListener("click", () => {
    state.modelsOffset = Math.max(0, state.modelsOffset - state.modelsLimit);
    loadModels();
  });
  byId("models-next").addEventListener("click", () => {
    state.modelsOffset += state.modelsLimit;
    loadModels();
  });
  providerFilter.addEventListener("change", () => { state.modelsOffset = 0; loadModels(); });
  let searchTimer = null;
  searchBox.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { state.modelsOffset = 0; loadModels(); }, 250);
  });

  async function toggleModel(model, toggle) {
    const wanted = toggle.checked;
    const label = toggle.parentElement.querySelector(".llm-switch-text");
    toggle.disabled = true;
    label.textContent = wanted ? "On" : "Off";
    try {
      const updated = await api("PATCH", `${API}/models/${encodeURIComponent(model.id)}`, { enabled: wanted });
      Object.assign(model, updated || { enabled: wanted });
      model.enabled = updated && typeof updated.enabled === "boolean" ? updated.enabled : wanted;
      toggle.checked = model.enabled;
      label.textContent = model.enabled ? "On" : "Off";
      flash(`${model.displayName || model.providerModelId} is now ${model.enabled ? "enabled" : "disabled"}.`, "success");
    } catch (error) {
      toggle.checked = !wanted;
      label.textContent = toggle.checked ? "On" : "Off";
      flash(`Could not ${wanted ? "enable" : "disable"} ${model.displayName || model.providerModelId}: ${error.message}`, "error");
    } finally {
      toggle.disabled = false;
      toggle.focus();
    }
  }

  /** The "providerType/providerModelId" string a detached agent keeps. */
  function modelString(model) {
    const type = providerOf(model).providerType;
    return type ? `${type}/${model.providerModelId}` : model.providerModelId;
  }

  function agentNamesFromConflict(error) {
    const fields = error.fields || {};
    const agents = fields.agents || fields.agentNames || [];
    return agents.map((a) => (typeof a === "string" ? a : a.name || a.id)).filter(Boolean);
  }

  async function deleteModel(model) {
    const name = model.displayName || model.providerModelId;
    const url = `${API}/models/${encodeURIComponent(model.id)}`;
    const result = await confirmAction({
      title: `Delete ${name}?`,
      text: `Remove ${model.providerModelId} from the registry? Members can no longer pick it for new agents.`,
      okLabel: "Delete model",
      run: async () => {
        try {
          await api("DELETE", url);
          return { done: true };
        } catch (error) {
          if (error.status !== 409) throw error;
          const names = agentNamesFromConflict(error);
          const count = names.length;
          const used = count === 1 ? "1 agent uses it" : count ? `${count} agents use it` : "Agents use it";
          error.next = {
            title: `${name} is in use`,
            text: `${used}. Delete it anyway? ${count === 1 ? "The agent keeps" : "They keep"} `
              + `“${modelString(model)}” as a model string outside the registry and `
              + `${count === 1 ? "is" : "are"} re-synced without the provider's key.`,
            items: names,
            okLabel: "Delete and detach agents",
            run: async () => {
              await api("DELETE", `${url}?force=true`);
              return { done: true };
            },
          };
          throw error;
        }
      },
    });
    if (!result) return;
    flash(`Deleted ${name}.`, "success");
    await Promise.all([loadModels(), loadProviders()]);
  }

  // --- discover dialog -----------------------------------------------------------------
  const dDialog = byId("discover-dialog");
  const dProvider = byId("discover-provider");
  const dList = byId("discover-list");
  const dFilter = byId("discover-filter");
  const dAdd = byId("discover-add");
  const dError = byId("discover-error");
  let discovered = [];
  let discoverTicket = 0;

  function updateDiscoverCount() {
    const boxes = [...dList.querySelectorAll("input[type=checkbox]")];
    const selected = boxes.filter((b) => b.checked && !b.disabled).length;
    const shown = [...dList.children].filter((li) => !li.hidden).length;
    const registered = boxes.filter((b) => b.disabled).length;
    byId("discover-count").textContent = `${plural(discovered.length, "model")}, ${shown} shown, `
      + `${registered} already registered, ${selected} selected to add.`;
    dAdd.disabled = selected === 0;
    dAdd.textContent = selected ? `Add ${selected} to Registry` : "Add to Registry";
  }

  function renderDiscovered() {
    dList.replaceChildren(...discovered.map((m, index) => {
      const id = `discover-item-${index}`;
      const box = el("input", { type: "checkbox", id, value: String(index), checked: m.registered, disabled: m.registered });
      const context = formatContext(m.contextWindow);
      const details = [context === "—" ? "context window unknown" : `${context} context`, priceText(m)];
      return el("li", { class: m.registered ? "llm-registered" : "", dataset: { search: `${m.providerModelId} ${m.displayName}`.toLowerCase() } },
        box,
        el("label", { for: id },
          el("span", { class: "llm-check-title" }, el("strong", { text: m.displayName || m.providerModelId }),
            m.registered ? el("span", { class: "llm-badge llm-badge-muted", text: "Already in registry" }) : null),
          el("span", { class: "llm-sub llm-mono", text: m.providerModelId }),
          el("span", { class: "llm-sub", text: details.join(" · ") }),
          (m.modality || []).length ? chips(m.modality) : null));
    }));
    applyDiscoverFilter();
  }

  function applyDiscoverFilter() {
    const q = dFilter.value.trim().toLowerCase();
    for (const li of dList.children) li.hidden = Boolean(q) && !li.dataset.search.includes(q);
    updateDiscoverCount();
  }

  function resetDiscover() {
    discovered = [];
    dList.replaceChildren();
    dFilter.value = "";
    byId("discover-results").hidden = true;
    dError.hidden = true;
    byId("discover-progress").hidden = true;
    byId("discover-count").textContent = "";
    dAdd.disabled = true;
    dAdd.textContent = "Add to Registry";
  }

  byId("open-discover").addEventListener("click", async () => {
    if (!state.providers.length) await loadProviders();
    resetDiscover();
    dProvider.replaceChildren(...state.providers.map((p) =>
      el("option", { value: p.id, text: `${p.name} (${typeLabel(p.providerType)}${p.status === "invalid" ? ", invalid key" : ""})` })));
    if (providerFilter.value) dProvider.value = providerFilter.value;
    const none = state.providers.length === 0;
    byId("discover-fetch").disabled = none;
    if (none) {
      dError.textContent = "Add a provider on the Providers tab first.";
      dError.hidden = false;
    }
    openDialog(dDialog, none ? dDialog.querySelector("[data-close]") : dProvider);
  });
  dProvider.addEventListener("change", resetDiscover);

  byId("discover-fetch").addEventListener("click", async () => {
    const fetchButton = byId("discover-fetch");
    const providerId = dProvider.value;
    const ticket = ++discoverTicket;
    resetDiscover();
    byId("discover-progress").hidden = false;
    const started = performance.now();
    const timer = setInterval(() => {
      const s = Math.round((performance.now() - started) / 1000);
      byId("discover-progress-text").textContent = `Asking the provider for its models… ${s} s`;
    }, 1000);
    byId("discover-progress-text").textContent = "Asking the provider for its models…";
    setBusy(fetchButton, true, "Fetching…");
    try {
      const data = await api("GET", `${API}/providers/${encodeURIComponent(providerId)}/discover`);
      if (ticket !== discoverTicket) return;
      discovered = itemsOf(data).items;
      byId("discover-results").hidden = false;
      renderDiscovered();
      if (!discovered.length) {
        dError.textContent = "The provider answered, but offers no chat models.";
        dError.hidden = false;
      } else {
        dFilter.focus();
      }
    } catch (error) {
      if (ticket !== discoverTicket) return;
      dError.textContent = `Could not fetch models: ${error.message}`;
      dError.hidden = false;
    } finally {
      clearInterval(timer);
      if (ticket === discoverTicket) byId("discover-progress").hidden = true;
      setBusy(fetchButton, false);
    }
  });

  dFilter.addEventListener("input", applyDiscoverFilter);
  dList.addEventListener("change", updateDiscoverCount);
  byId("discover-all").addEventListener("click", () => {
    for (const li of dList.children) {
      const box = li.querySelector("input");
      if (!li.hidden && !box.disabled) box.checked = true;
    }
    updateDiscoverCount();
  });
  byId("discover-none").addEventListener("click", () => {
    for (const li of dList.children) {
      const box = li.querySelector("input");
      if (!li.hidden && !box.disabled) box.checked = false;
    }
    updateDiscoverCount();
  });

  byId("discover-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const selected = [...dList.querySelectorAll("input[type=checkbox]:checked:not(:disabled)")]
      .map((box) => discovered[Number(box.value)]);
    if (!selected.length) return;
    const providerId = dProvider.value;
    const models = selected.map((m) => {
      const out = { providerModelId: m.providerModelId, displayName: m.displayName, modality: m.modality || [] };
      for (const key of ["contextWindow", "inputCostPer1k", "outputCostPer1k"]) {
        if (m[key] !== null && m[key] !== undefined) out[key] = m[key];
      }
      if (m.meta && typeof m.meta === "object") out.meta = m.meta;
      return out;
    });
    dError.hidden = true;
    setBusy(dAdd, true, "Adding…");
    try {
      const result = await api("POST", `${API}/models`, { providerId, models });
      dDialog.close("added");
      const created = result && (result.created ?? result.createdCount);
      const providerName = (state.providers.find((p) => p.id === providerId) || {}).name || "this provider";
      // Show what was just added: this provider's models, no search text, first page, the
      // added rows marked "New" (a search typed earlier could hide every one of them).
      state.justAdded = new Set(((result && result.models) || models).map((m) => m.providerModelId));
      state.justAddedProvider = providerId;
      const hadSearch = Boolean(searchBox.value.trim());
      searchBox.value = "";
      clearTimeout(searchTimer);
      providerFilter.value = providerId;
      state.modelsOffset = 0;
      await loadProviders();
      providerFilter.value = providerId;
      selectTab(byId("tab-models"));
      flash(`Added ${plural(created ?? models.length, "model")} to the registry; they are marked New `
        + `below. The list now shows only ${providerName}’s models`
        + `${hadSearch ? " (search cleared)" : ""}; choose All providers to see every model. `
        + "New models start enabled; turn off the ones members should not use.", "success");
    } catch (error) {
      const lines = [error.message, ...flattenFields(error.fields)];
      dError.textContent = `Could not add the models: ${lines.join(" ")}`;
      dError.hidden = false;
    } finally {
      setBusy(dAdd, false);
      updateDiscoverCount();
    }
  });

  // --- start ---------------------------------------------------------------------------
  loadProviders().then(() => {
    if (location.hash === "#models") selectTab(byId("tab-models"));
  });
  window.addEventListener("hashchange", () => {
    selectTab(byId(location.hash === "#models" ? "tab-models" : "tab-providers"));
  });
}

// =======================================================================================
// Agents page
// =======================================================================================

function initAgents() {
  const API = root.dataset.llmApi;
  const AGENTS_API = root.dataset.agentsApi;
  readProviderTypes();
  const isAdmin = root.dataset.isAdmin === "true";
  const canManage = root.dataset.canManage === "true";
  const registryUrl = root.dataset.registryUrl;
  let agents = [];
  let enabledModels = [];

  const SYNC_TEXT = { synced: "Synced", failed: "Failed", pending: "Pending", disabled: "Sync off" };

  function syncCell(agent) {
    const sync = agent.talonSync || { status: agent.talonSyncStatus, error: agent.talonSyncError, syncedAt: agent.talonSyncedAt };
    const status = sync.status || "pending";
    const cell = el("td", { "data-label": "Gateway sync" },
      el("span", { class: `llm-status llm-sync-${status}`, title: sync.syncedAt ? `Synced ${new Date(sync.syncedAt).toLocaleString()}` : undefined },
        el("span", { class: "llm-dot", "aria-hidden": "true" }), SYNC_TEXT[status] || status));
    if (status === "synced" && sync.syncedAt) cell.append(el("div", { class: "llm-sub" }, timeElement(sync.syncedAt)));
    if (sync.error) cell.append(el("div", { class: "llm-sub llm-status-msg", text: sync.error }));
    if (status === "disabled") cell.append(el("div", { class: "llm-sub", text: "No gateway is configured." }));
    return cell;
  }

  function modelCell(agent) {
    const m = agent.llmModel;
    if (m) {
      return el("td", { "data-label": "Model" },
        el("strong", { text: m.displayName || m.providerModelId }),
        el("div", { class: "llm-sub llm-mono", text: m.providerModelId }));
    }
    if (agent.model) {
      return el("td", { "data-label": "Model" }, el("span", { class: "llm-mono", text: agent.model }), " ",
        el("span", { class: "llm-badge llm-badge-muted", text: "not in registry", title: "A model string from before the registry; it keeps working." }));
    }
    return el("td", { "data-label": "Model" }, el("span", { class: "llm-muted", text: "No model" }));
  }

  function renderAgents() {
    byId("agents-body").replaceChildren(...agents.map((a) => {
      const provider = (a.llmModel && a.llmModel.provider) || null;
      const sync = a.talonSync || { status: a.talonSyncStatus };
      const actions = el("td", { class: "llm-actions", "data-label": "Actions" });
      if (canManage) {
        const row = el("div", { class: "llm-btn-row" });
        if (sync.status === "failed" || sync.status === "pending") {
          row.append(el("button", { type: "button", class: "llm-btn", text: "Retry sync",
            "aria-label": `Retry sync of ${a.name}`, onclick: (e) => retrySync(a, e.currentTarget) }));
        }
        row.append(
          el("button", { type: "button", class: "llm-btn", text: "Edit", "aria-label": `Edit ${a.name}`,
            onclick: () => openAgentDialog(a) }),
          el("button", { type: "button", class: "llm-btn llm-btn-danger-quiet", text: "Delete",
            "aria-label": `Delete ${a.name}`, onclick: () => deleteAgent(a) }));
        actions.append(row);
      }
      return el("tr", { dataset: { agentId: a.id, agentName: a.name } },
        el("td", { class: "llm-cell-name", "data-label": "Name" }, el("strong", { text: a.name })),
        el("td", { "data-label": "Role", text: a.role || "" }),
        modelCell(a),
        el("td", { "data-label": "Provider" }, provider ? el("span", { text: provider.name }) : el("span", { class: "llm-muted", text: "—" }),
          provider && provider.providerType ? [" ", typeBadge(provider.providerType)] : null),
        syncCell(a),
        actions);
    }));
    byId("agents-empty").hidden = agents.length > 0;
    byId("agents-table").hidden = agents.length === 0;
  }

  async function loadAgents() {
    byId("agents-loading").hidden = false;
    try {
      agents = itemsOf(await api("GET", `${AGENTS_API}?limit=500`)).items;
      renderAgents();
    } catch (error) {
      flash(`Could not load agents: ${error.message}`, "error");
    } finally {
      byId("agents-loading").hidden = true;
    }
  }

  function syncMessage(agent, verb) {
    const sync = agent.talonSync || {};
    if (sync.status === "synced") return [`Agent “${agent.name}” ${verb}. Synced to Talon.`, "success"];
    if (sync.status === "failed") {
      return [`Agent “${agent.name}” ${verb}, but syncing to Talon failed: ${sync.error || "unknown reason"}.`
        + (canManage ? " Use Retry sync in the list." : " An administrator can retry it."), "warning"];
    }
    if (sync.status === "disabled") return [`Agent “${agent.name}” ${verb}. Gateway sync is turned off on this server.`, "info"];
    return [`Agent “${agent.name}” ${verb}. Sync to Talon is pending.`, "info"];
  }

  async function retrySync(agent, button) {
    setBusy(button, true, "Retrying…");
    try {
      const updated = await api("POST", `${AGENTS_API}/${encodeURIComponent(agent.id)}/sync`);
      const i = agents.findIndex((a) => a.id === agent.id);
      if (updated && i >= 0) agents[i] = { ...agents[i], ...updated };
      renderAgents();
      flash(...syncMessage(updated || agent, "re-synced"));
    } catch (error) {
      setBusy(button, false);
      flash(`Could not retry the sync of ${agent.name}: ${error.message}`, "error");
      await loadAgents();
    }
  }

  // --- create / edit agent -------------------------------------------------------------
  const dialog = byId("agent-dialog");
  const form = byId("agent-form");
  const formError = byId("agent-form-error");
  const providerSelect = byId("af-provider");
  const modelSelect = byId("af-model");
  const modelHint = byId("af-model-hint");
  const legacyNote = byId("af-model-legacy");
  const saveButton = byId("agent-save");
  let editing = null; // the agent being edited, or null when creating

  async function loadEnabledModels() {
    const all = [];
    for (let offset = 0; offset < 5000; offset += 200) {
      const { items, total } = itemsOf(await api("GET", `${API}/models?enabled=true&limit=200&offset=${offset}`));
      all.push(...items);
      if (!items.length || all.length >= total) break;
    }
    return all.filter((m) => m.enabled !== false);
  }

  function providersOf(models) {
    const seen = new Map();
    for (const m of models) {
      const p = m.provider || { id: m.providerId, name: m.providerId };
      if (p && p.id && !seen.has(p.id)) seen.set(p.id, p);
    }
    return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  function setHint(text, link) {
    modelHint.replaceChildren(el("span", { text }));
    if (link && isAdmin) {
      modelHint.append(" ", el("a", { href: registryUrl + "#models", text: "Open the LLM Registry" }), ".");
    }
    modelHint.hidden = !text;
  }

  /** The agent's current registered model as an option source (it may be disabled now). */
  function currentModelOf(agent) {
    const m = agent && agent.modelId && agent.llmModel;
    if (!m || !m.provider || !m.provider.id) return null;
    return { ...m, id: m.id || agent.modelId, current: true };
  }

  function fillModels() {
    const providerId = providerSelect.value;
    if (!providerId) {
      modelSelect.replaceChildren(el("option", { value: "", text: "Choose a provider first" }));
      modelSelect.disabled = true;
      setHint("", false);
      return;
    }
    const models = enabledModels.filter((m) => (m.provider ? m.provider.id : m.providerId) === providerId);
    if (!models.length) {
      modelSelect.replaceChildren(el("option", { value: "", text: "No enabled models" }));
      modelSelect.disabled = true;
      setHint("This provider has no enabled models. An administrator enables models in the LLM Registry.", true);
      return;
    }
    modelSelect.disabled = false;
    modelSelect.replaceChildren(
      ...(models.length > 1 ? [el("option", { value: "", text: "Choose a model" })] : []),
      ...models.map((m) => {
        const context = formatContext(m.contextWindow);
        let name = m.displayName || m.providerModelId;
        if (context !== "—") name += ` (${context} context)`;
        if (m.current && m.enabled === false) name += " (current, now disabled)";
        return el("option", { value: m.id, text: name });
      }),
    );
    setHint("", false);
  }
  providerSelect.addEventListener("change", fillModels);

  /** Open the dialog to create an agent (agent null) or to edit `agent`, prefilled. */
  async function openAgentDialog(agent) {
    editing = agent || null;
    form.reset();
    clearErrors(form, formError);
    const title = editing ? `Edit ${editing.name}` : "Create Agent";
    byId("agent-dialog-title").textContent = title;
    saveButton.textContent = editing ? "Save changes" : "Create Agent";
    delete saveButton.dataset.label;
    saveButton.disabled = false;
    providerSelect.replaceChildren(el("option", { value: "", text: "Loading providers…" }));
    providerSelect.disabled = true;
    modelSelect.replaceChildren();
    modelSelect.disabled = true;
    setHint("", false);
    const legacy = editing && !currentModelOf(editing) ? editing.model : null;
    legacyNote.replaceChildren(...(legacy
      ? [el("span", { text: "This agent runs on the legacy model string " }), el("code", { class: "llm-mono", text: legacy }),
        el("span", { text: ", outside the registry. Leave Provider empty to keep it, or choose a registered model to move the agent onto it." })]
      : []));
    legacyNote.hidden = !legacy;
    if (editing) {
      byId("af-name").value = editing.name || "";
      byId("af-role").value = editing.role || "";
      byId("af-soul").value = editing.soul || "";
      byId("af-guardrails").value = editing.guardrails || "";
    }
    openDialog(dialog, byId("af-name"));
    const opened = editing;
    let models;
    try {
      models = await loadEnabledModels();
    } catch (error) {
      if (opened !== editing) return;
      formError.textContent = `Could not load the enabled models: ${error.message}`;
      formError.hidden = false;
      providerSelect.replaceChildren(el("option", { value: "", text: "Unavailable" }));
      return;
    }
    if (opened !== editing) return; // the dialog was reopened meanwhile
    const current = currentModelOf(editing);
    enabledModels = current && !models.some((m) => m.id === current.id) ? [...models, current] : models;
    const providers = providersOf(enabledModels);
    if (!providers.length) {
      providerSelect.replaceChildren(el("option", { value: "", text: "No providers with enabled models" }));
      providerSelect.disabled = true;
      modelSelect.replaceChildren(el("option", { value: "", text: "No enabled models" }));
      setHint(isAdmin
        ? "No models are enabled yet. Register a provider and enable some of its models first."
        : "No models are enabled yet. Ask an administrator to enable models in the LLM Registry.", true);
      // a legacy agent can still be renamed and so on without a registered model
      saveButton.disabled = !editing;
      return;
    }
    providerSelect.disabled = false;
    providerSelect.replaceChildren(
      el("option", { value: "", text: legacy ? "Keep the legacy model string" : "Choose a provider" }),
      ...providers.map((p) => el("option", { value: p.id, text: p.providerType ? `${p.name} (${typeLabel(p.providerType)})` : p.name })),
    );
    if (current) providerSelect.value = current.provider.id;
    else if (providers.length === 1 && !editing) providerSelect.value = providers[0].id;
    fillModels();
    if (current) modelSelect.value = current.id;
  }

  byId("open-create-agent").addEventListener("click", () => openAgentDialog(null));

  /** The PATCH body: only what differs from the agent as it was loaded. */
  function changedFields(agent, values) {
    const body = {};
    if (values.name !== (agent.name || "")) body.name = values.name;
    for (const key of ["role", "soul", "guardrails"]) {
      if (values[key] !== (agent[key] || "")) body[key] = values[key] || null;
    }
    if (values.modelId && values.modelId !== (agent.modelId || "")) body.modelId = values.modelId;
    return body;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, formError);
    const agent = editing;
    const values = {
      name: byId("af-name").value.trim(),
      role: byId("af-role").value.trim(),
      modelId: modelSelect.value,
      soul: byId("af-soul").value.trim(),
      guardrails: byId("af-guardrails").value.trim(),
    };
    const keepsLegacy = agent && !currentModelOf(agent) && !providerSelect.value;
    const missing = {};
    if (!values.name) missing.name = ["Give the agent a name."];
    if (!values.role && !(agent && !agent.role)) missing.role = ["Say what the agent does."];
    if (!keepsLegacy) {
      if (!providerSelect.value) missing.providerId = ["Choose a provider."];
      else if (!values.modelId) missing.modelId = ["Choose one of the provider's enabled models."];
    }
    if (Object.keys(missing).length) {
      showErrors(form, "af", formError, new ApiError(400, "validation", "Fill in the marked fields.", missing));
      return;
    }
    if (agent) {
      await saveEdit(agent, changedFields(agent, values));
      return;
    }
    const body = { ...values };
    for (const key of ["soul", "guardrails"]) if (!body[key]) delete body[key];
    setBusy(saveButton, true, "Creating…");
    try {
      const created = await api("POST", AGENTS_API, body);
      dialog.close("created");
      agents = agents.filter((a) => a.id !== created.id);
      agents.unshift(created);
      renderAgents();
      flash(...syncMessage(created, "created"));
      loadAgents();
    } catch (error) {
      showErrors(form, "af", formError, error, { model: "modelId", llmModel: "modelId" });
    } finally {
      setBusy(saveButton, false);
    }
  });

  async function saveEdit(agent, body) {
    if (!Object.keys(body).length) {
      dialog.close("unchanged");
      flash(`No changes to save for “${agent.name}”.`, "info");
      return;
    }
    setBusy(saveButton, true, "Saving…");
    try {
      const saved = await api("PATCH", `${AGENTS_API}/${encodeURIComponent(agent.id)}`, body);
      dialog.close("saved");
      const i = agents.findIndex((a) => a.id === agent.id);
      if (i >= 0) agents[i] = saved;
      else agents.unshift(saved);
      renderAgents();
      flash(...syncMessage(saved, "saved"));
    } catch (error) {
      if (error.status === 404) {
        dialog.close("gone");
        flash(`“${agent.name}” no longer exists; someone deleted it.`, "warning");
        await loadAgents();
        return;
      }
      showErrors(form, "af", formError, error, { model: "modelId", llmModel: "modelId" });
    } finally {
      setBusy(saveButton, false);
    }
  }

  // --- delete agent --------------------------------------------------------------------
  function deleteMessage(name, sync) {
    const status = (sync || {}).status;
    if (status === "synced") return [`Agent “${name}” deleted, here and at the Talon gateway.`, "success"];
    if (status === "disabled") return [`Agent “${name}” deleted. Gateway sync is turned off on this server.`, "info"];
    const reason = ((sync && sync.error) || "unknown reason").trim();
    return [`Agent “${name}” deleted. The gateway could not remove it: ${reason}${/[.!?]$/.test(reason) ? "" : "."} `
      + "It may still exist at the gateway.", "warning"];
  }

  async function deleteAgent(agent) {
    const result = await confirmAction({
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
    renderAgents();
    if (result.gone) flash(`“${agent.name}” was already deleted.`, "info");
    else flash(...deleteMessage(result.name || agent.name, result.talonSync));
  }

  loadAgents();
}

// --- start -----------------------------------------------------------------------------
if (root) {
  const page = root.dataset.llmPage;
  try {
    if (page === "registry") initRegistry();
    else if (page === "agents") initAgents();
  } catch (error) {
    flash(`The page could not start: ${error.message}`, "error");
    throw error;
  }
  root.dataset.ready = "true";
}
