// The message box at the top of a page.

import { el } from "./dom.js";

/** How long a success or info message stays up, in ms (errors and warnings stay). */
export const FLASH_MS = 10000;

/**
 * A flash(message, kind, {topic}) function writing into `box`; kind: info | success |
 * error | warning. Each message replaces the one before; success and info messages hide
 * after FLASH_MS. flash.clear() hides the message, flash.clear(topic) only one flashed with
 * that topic (e.g. "provider:<id>": "Added X. Use Test..." is over once X was tested).
 * Without a box, flash does nothing.
 */
export function createFlash(box) {
  let timer = null;
  let current = null;
  function hide() {
    clearTimeout(timer);
    current = null;
    if (box) box.hidden = true;
  }
  function flash(message, kind = "info", { topic = null } = {}) {
    if (!box) return;
    clearTimeout(timer);
    current = topic;
    box.replaceChildren(
      el("span", { class: "llm-flash-text", text: message }),
      el("button", {
        type: "button",
        class: "llm-btn llm-btn-quiet llm-flash-close",
        "aria-label": "Dismiss message",
        text: "×",
        onclick: hide,
      }),
    );
    box.className = `llm-flash llm-flash-${kind}`;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.hidden = false;
    if (kind === "success" || kind === "info") timer = setTimeout(hide, FLASH_MS);
  }
  flash.clear = (topic) => {
    if (topic === undefined || topic === current) hide();
  };
  return flash;
}
