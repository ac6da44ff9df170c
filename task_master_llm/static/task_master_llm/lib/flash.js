// The message box at the top of a page.

import { el } from "./dom.js";

/**
 * A flash(message, kind) function writing into `box`; kind: info | success | error | warning.
 * Success and info messages hide after 12 s. Without a box, flash does nothing.
 */
export function createFlash(box) {
  let timer = null;
  return function flash(message, kind = "info") {
    if (!box) return;
    clearTimeout(timer);
    box.replaceChildren(
      el("span", { class: "llm-flash-text", text: message }),
      el("button", {
        type: "button",
        class: "llm-btn llm-btn-quiet llm-flash-close",
        "aria-label": "Dismiss message",
        text: "×",
        onclick: () => { box.hidden = true; },
      }),
    );
    box.className = `llm-flash llm-flash-${kind}`;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.hidden = false;
    if (kind === "success" || kind === "info") timer = setTimeout(() => { box.hidden = true; }, 12000);
  };
}
