// What every feature gets: the ctx built from a page root, and the page start-up.

import { api } from "./api.js";
import { byId } from "./dom.js";
import { createConfirm } from "./dialog.js";
import { createFlash } from "./flash.js";

/** The provider types the page was rendered with (<script id="llm-provider-types">). */
export function readProviderTypes(root) {
  try {
    return JSON.parse(byId("llm-provider-types", root).textContent);
  } catch {
    return [];
  }
}

/**
 * The ctx passed to each feature's mount(root, ctx): the API client, the URLs from the
 * root's data attributes, flash, confirm, the provider types and their labels.
 */
export function createContext(root) {
  const data = root.dataset;
  const providerTypes = readProviderTypes(root);
  return {
    api,
    urls: {
      llmApi: data.llmApi,
      agentsApi: data.agentsApi,
      registry: data.registryUrl,
      agents: data.agentsUrl,
    },
    isAdmin: data.isAdmin === "true",
    canManage: data.canManage === "true",
    flash: createFlash(byId("llm-flash", root)),
    confirm: createConfirm(root),
    providerTypes,
    typeLabel: (value) => (providerTypes.find((t) => t.value === value) || {}).label || value,
  };
}

/**
 * Start a page: run mount(root, ctx); when it throws, say so in the flash box and rethrow.
 * Marks the root data-ready="true" once mount returned.
 */
export function startPage(root, mount) {
  if (!root) return;
  const ctx = createContext(root);
  try {
    mount(root, ctx);
  } catch (error) {
    ctx.flash(`The page could not start: ${error.message}`, "error");
    throw error;
  }
  root.dataset.ready = "true";
}
