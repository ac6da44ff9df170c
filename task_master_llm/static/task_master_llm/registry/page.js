// Entry module of the LLM Registry page (registry.html): the Providers / Models / Activity
// tabs, and the wiring between the features. Features announce changes with CustomEvents
// on the root; this module decides who reloads.
//
//   llm:providers-changed  from providers.js (loaded, tested, deleted) and provider-dialog.js
//                          (saved): the table takes a saved provider, the Models filter
//                          lists the providers again.
//   llm:edit-provider      from providers.js: opens the provider dialog.
//   llm:models-changed     from models.js (toggled, deleted, agents-moved) and discover.js
//                          (added): after a delete or a move, models and providers reload;
//                          after an add, the Models tab shows what was added.

import { finder } from "../lib/dom.js";
import { createContext, startPage } from "../lib/context.js";
import { wireCloseButtons } from "../lib/dialog.js";
import { mount as mountActivity } from "./activity.js";
import { addedMessage, mount as mountDiscover } from "./discover.js";
import { mount as mountModels } from "./models.js";
import { mount as mountProviderDialog } from "./provider-dialog.js";
import { mount as mountProviders } from "./providers.js";

/** Wire the tablist (#tab-<name>, shown as #<name> in the URL); returns select(tab, focus),
 * which also runs onShow[tab.id] (the Models and Activity tabs load their lists). */
function mountTabs(root, onShow) {
  const $ = finder(root);
  const tabs = [...root.querySelectorAll('[role="tab"]')];
  function select(tab, focus = false) {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute("aria-selected", String(selected));
      t.tabIndex = selected ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
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
  mountDiscover(root, { ...shared, preferredProviderId: () => models.providerFilterValue() });
  const activity = mountActivity(root, ctx);
  const selectTab = mountTabs(root, { "tab-models": () => models.load(), "tab-activity": () => activity.load() });
  /** The tab the URL's hash names (#models, #activity), else Providers. */
  const tabOfHash = () => {
    const tab = $(`tab-${location.hash.slice(1)}`);
    return tab && tab.getAttribute("role") === "tab" ? tab : $("tab-providers");
  };

  root.addEventListener("llm:edit-provider", (event) => providerDialog.open(event.detail.provider));

  root.addEventListener("llm:providers-changed", ({ detail }) => {
    if (detail.reason === "saved") providers.put(detail.provider);
    // a Test changes a provider's status, never its name: the filter stays as it is
    if (detail.reason !== "tested") models.renderProviderFilter();
  });

  root.addEventListener("llm:models-changed", async ({ detail }) => {
    if (detail.reason === "deleted" || detail.reason === "agents-moved") {
      await Promise.all([models.load(), providers.load()]);
    } else if (detail.reason === "added") {
      // this provider's models, no search text, first page, the added rows marked "New"
      // (a search typed earlier could hide every one of them)
      const hadSearch = models.showAdded(detail.providerId, detail.providerModelIds);
      await providers.load();
      models.setProviderFilter(detail.providerId);
      selectTab($("tab-models"));
      ctx.flash(addedMessage(detail, hadSearch), "success");
    }
  });

  providers.load().then(() => {
    if (tabOfHash().id !== "tab-providers") selectTab(tabOfHash());
  });
  window.addEventListener("hashchange", () => selectTab(tabOfHash()));
}

startPage(document.getElementById("llm-app"), mount);
