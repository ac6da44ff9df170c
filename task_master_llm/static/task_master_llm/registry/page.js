// Entry module of the LLM Registry page (registry.html): the Providers / Models / Activity
// tabs, and the wiring between the features. Features announce changes with CustomEvents
// on the root; this module decides who reloads.
//
//   llm:providers-changed  from providers.js (loaded, tested, deleted) and provider-dialog.js
//                          (saved): the table takes a saved provider, the Models filter
//                          lists the providers again.
//   llm:edit-provider      from providers.js: opens the provider dialog.
//   llm:edit-model         from models.js: opens the model dialog (model-dialog.js).
//   llm:models-changed     from models.js (toggled, deleted, agents-moved), model-dialog.js
//                          (edited) and discover.js (added): after a delete or a move,
//                          models and providers reload;
//                          after an add, the Models tab shows what was added.

import { finder } from "../lib/dom.js";
import { createContext, startPage } from "../lib/context.js";
import { wireCloseButtons } from "../lib/dialog.js";
import { mount as mountActivity } from "./activity.js";
import { addedMessage, mount as mountDiscover } from "./discover.js";
import { mount as mountModelDialog } from "./model-dialog.js";
import { mount as mountModels } from "./models.js";
import { mount as mountProviderDialog } from "./provider-dialog.js";
import { mount as mountProviders } from "./providers.js";

/**
 * Wire the tablist (#tab-<name>, shown as #<name> in the URL); returns select(tab, focus),
 * which also runs onShow[tab.id] (the Models and Activity tabs load their lists).
 * onSwitch runs when another tab is chosen (the old tab's message no longer applies).
 */
function mountTabs(root, onShow, onSwitch) {
  const $ = finder(root);
  const tabs = [...root.querySelectorAll('[role="tab"]')];
  function select(tab, focus = false) {
    const previous = tab.getAttribute("aria-selected");
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute("aria-selected", String(selected));
      t.tabIndex = selected ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    if (tab.getAttribute("aria-selected") !== previous) onSwitch();
    const hash = `#${tab.id.replace(/^tab-/, "")}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    if (onShow[tab.id]) onShow[tab.id]();
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const i = tabs.indexOf(tab);
      let next = null;
      if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) {
        event.preventDefault();
        select(next, true);
      }
    });
  }
  return select;
}

/** Mount the registry page on its root (#llm-app); ctx defaults to one built from root. */
export function mount(root, ctx = createContext(root)) {
  const $ = finder(root);
  wireCloseButtons(root);
  const providers = mountProviders(root, ctx);
  const shared = {
    ...ctx,
    providers: () => providers.list(),
    loadProviders: () => providers.load(),
  };
  const models = mountModels(root, shared);
  const providerDialog = mountProviderDialog(root, ctx);
  const modelDialog = mountModelDialog(root, ctx);
  mountDiscover(root, { ...shared, preferredProviderId: () => models.providerFilterValue() });
  const activity = mountActivity(root, ctx);
  const selectTab = mountTabs(root, { "tab-models": () => models.load(), "tab-activity": () => activity.load() },
    () => ctx.flash.clear());
  /** The tab the URL's hash names (#models, #activity), else Providers. */
  const tabOfHash = () => {
    const tab = $(`tab-${location.hash.slice(1)}`);
    return tab && tab.getAttribute("role") === "tab" ? tab : $("tab-providers");
  };

  root.addEventListener("llm:edit-provider", (event) => providerDialog.open(event.detail.provider));
  root.addEventListener("llm:edit-model", (event) => modelDialog.open(event.detail.model));

  root.addEventListener("llm:providers-changed", ({ detail }) => {
    if (detail.reason === "saved") providers.put(detail.provider);
    // "Added X. Use Test to check its key." no longer holds once X was tested
    if (detail.reason === "tested" && detail.provider) ctx.flash.clear(`provider:${detail.provider.id}`);
    // a Test changes a provider's status, never its name: the filter stays as it is
    if (detail.reason !== "tested") models.renderProviderFilter();
  });

  root.addEventListener("llm:models-changed", async ({ detail }) => {
    if (detail.reason === "edited") {
      await models.load();
    } else if (detail.reason === "deleted" || detail.reason === "agents-moved") {
      await Promise.all([models.load(), providers.load()]);
    } else if (detail.reason === "added") {
      // the added rows marked "New" among the others (a filter that would hide them is cleared)
      const cleared = models.showAdded(detail.providerId, detail.providerModelIds);
      await providers.load();
      selectTab($("tab-models"));
      ctx.flash(addedMessage(detail, cleared), "success");
    }
  });

  providers.load().then(() => {
    if (tabOfHash().id !== "tab-providers") selectTab(tabOfHash());
  });
  window.addEventListener("hashchange", () => selectTab(tabOfHash()));
}

startPage(document.getElementById("llm-app"), mount);
