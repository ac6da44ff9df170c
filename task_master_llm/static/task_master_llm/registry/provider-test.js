// The provider dialog's Test button: tests the values typed, unsaved, with
// POST /providers/test (the same URL policy, timeouts and error kinds as a saved
// provider's Test; nothing is stored). Editing without retyping the key tests the stored key.

import { el } from "../lib/dom.js";
import { setBusy } from "../lib/dialog.js";
import { clearErrors, showErrors } from "../lib/errors.js";
import { providerBadge } from "./status.js";

/**
 * Wire the Test button of `form`. `values()` returns {body, editing}: the typed values as
 * POST /providers/test takes them and the provider being edited (or null). Returns
 * {reset()} to forget a shown result (the dialog calls it when it opens).
 */
export function mountDialogTest(form, ctx, { button, output, formError, values }) {
  let ticket = 0;

  function reset() {
    ticket += 1;
    output.hidden = true;
    output.replaceChildren();
    setBusy(button, false);
  }

  // a result is about the values it tested: typing anything makes it stale
  form.addEventListener("input", () => { if (!output.hidden) reset(); });
  form.addEventListener("change", () => { if (!output.hidden) reset(); });

  button.addEventListener("click", async () => {
    const { body, editing } = values();
    const mine = ++ticket;
    clearErrors(form, formError);
    output.hidden = false;
    output.className = "llm-dialog-result llm-muted";
    output.replaceChildren(editing && !body.apiKey && editing.hasApiKey
      ? `Testing with the saved key ${editing.apiKeyMasked || ""}…` : "Testing these values with the provider…");
    setBusy(button, true, "Testing…");
    try {
      const result = await ctx.api("POST", `${ctx.urls.llmApi}/providers/test`, body);
      if (mine !== ticket) return;
      const latency = result.latencyMs !== null && result.latencyMs !== undefined ? ` · ${result.latencyMs} ms` : "";
      output.className = `llm-dialog-result llm-test-${result.status}`;
      output.replaceChildren(providerBadge(result.status, result.errorKind), latency, " ",
        el("span", { class: "llm-test-message", text: result.message }),
        el("span", { class: "llm-sub", text: " Not saved yet." }));
    } catch (error) {
      if (mine !== ticket) return;
      output.hidden = true;
      showErrors(form, "pf", formError, error);
    } finally {
      if (mine === ticket) setBusy(button, false);
    }
  });

  return { reset };
}
