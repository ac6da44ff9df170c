// Entry module of the agents page (agents.html): the list and the Create / Edit dialog.
// Features announce changes with CustomEvents on the root; this module decides who reloads.
//
//   llm:edit-agent      from list.js: opens the dialog for that agent.
//   llm:agents-changed  from agent-dialog.js (created, saved, gone) and list.js (deleted):
//                       a created agent goes to the top and the list reloads; a saved one
//                       replaces its row; a gone one reloads the list.

import { createContext, startPage } from "../lib/context.js";
import { wireCloseButtons } from "../lib/dialog.js";
import { mount as mountDialog } from "./agent-dialog.js";
import { mount as mountList } from "./list.js";

/** Mount the agents page on its root (#llm-app); ctx defaults to one built from root. */
export function mount(root, ctx = createContext(root)) {
  wireCloseButtons(root);
  const list = mountList(root, ctx);
  const dialog = mountDialog(root, ctx);

  root.addEventListener("llm:edit-agent", (event) => dialog.open(event.detail.agent));

  root.addEventListener("llm:agents-changed", ({ detail }) => {
    if (detail.reason === "created") {
      list.add(detail.agent);
      list.load();
    } else if (detail.reason === "saved") {
      list.replace(detail.agent);
    } else if (detail.reason === "gone") {
      list.load();
    }
  });

  list.load();
}

startPage(document.getElementById("llm-app"), mount);
