// Modal dialogs: open with focus, [data-close] buttons, busy buttons, the confirm dialog.

import { el, finder } from "./dom.js";

/** Open a modal <dialog>, focus its first control; focus returns to the opener on close. */
export function openDialog(dialog, focusTarget) {
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

/** Make every [data-close] button inside root's dialog.llm-dialog elements cancel its dialog. */
export function wireCloseButtons(root) {
  for (const dialog of root.querySelectorAll("dialog.llm-dialog")) {
    dialog.addEventListener("click", (event) => {
      if (event.target.closest("[data-close]")) dialog.close("cancel");
    });
  }
}

/** Show a button as working (its label replaced by busyText, disabled) or restore it. */
export function setBusy(button, busy, busyText) {
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
 * A confirm(options) function for the shared confirm dialog (_confirm_dialog.html) in root.
 * `run` performs the action; its error is shown in the dialog (which stays open) so nothing
 * fails silently. An error carrying `next` ({title, text, items, okLabel, run}) turns the
 * dialog into a second question (e.g. "in use, delete anyway?"). confirm resolves to run's
 * result, or undefined when cancelled.
 */
export function createConfirm(root) {
  const $ = finder(root);
  return function confirmAction(options) {
    const dialog = $("confirm-dialog");
    const okButton = $("confirm-ok");
    const errorBox = $("confirm-error");
    let run = null;
    function configure({ title, text, items = [], okLabel = "Delete", run: action }) {
      $("confirm-title").textContent = title;
      $("confirm-text").textContent = text;
      $("confirm-list").replaceChildren(...items.map((item) => el("li", { text: item })));
      $("confirm-list").hidden = items.length === 0;
      errorBox.hidden = true;
      errorBox.textContent = "";
      okButton.textContent = okLabel;
      delete okButton.dataset.label;
      okButton.disabled = false;
      run = action;
    }
    configure(options);
    return new Promise((resolve) => {
      const form = $("confirm-form");
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
  };
}
