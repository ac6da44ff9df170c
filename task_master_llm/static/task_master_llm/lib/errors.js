// Field errors in a form built with the field() macro (templates/task_master_llm/_macros.html):
// each field is a .llm-field wrapper holding its control and a
// <p class="llm-field-error" id="${prefix}-${field}-error">.

import { byId } from "./dom.js";
import { flattenFields } from "./format.js";

/** Clear the field and form errors of a form whose error ids are `${prefix}-${field}-error`. */
export function clearErrors(form, formError) {
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
export function showErrors(form, prefix, formError, error, aliases = {}) {
  const leftovers = [];
  let first = null;
  let placed = 0;
  for (const [key, value] of Object.entries(error.fields || {})) {
    const name = aliases[key] || key;
    const target = byId(`${prefix}-${name}-error`, form);
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
