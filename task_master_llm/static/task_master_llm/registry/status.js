// What the Providers tab says about a provider's key: the outcome of its last check in
// words that say what failed (from the API's error kind), when it was checked, and the
// provider's message. One place per row: the Status cell.

import { el } from "../lib/dom.js";
import { timeElement } from "../lib/render.js";

/** The status words per error kind (ConnectionResult.errorKind / lastErrorKind). */
export const KIND_TEXT = {
  auth: "Key rejected",
  permission: "No permission",
  network: "Not reachable",
  timeout: "Not reachable",
  not_found: "Wrong URL or deployment",
  rate_limited: "Rate-limited or out of quota",
  quota: "Rate-limited or out of quota",
  region: "Not available in this region",
  bad_response: "Provider error",
};

/** The words for a provider's status: "Valid", "Not tested", or what failed. */
export function statusText(status, errorKind) {
  if (status === "valid") return "Valid";
  if (status === "invalid") return KIND_TEXT[errorKind] || "Provider error";
  return "Not tested";
}

/** The short form the Discover dropdown appends to a provider's name ("key rejected"). */
export function statusNote(provider) {
  return provider.status === "invalid" ? statusText("invalid", provider.lastErrorKind).toLowerCase() : "";
}

/** The coloured status badge of a provider (or of a test result). */
export function providerBadge(status, errorKind, title) {
  const s = status === "valid" || status === "invalid" ? status : "unknown";
  return el("span", { class: `llm-status llm-status-${s}`, title: title || undefined },
    el("span", { class: "llm-dot", "aria-hidden": "true" }), statusText(s, errorKind));
}

/**
 * The Status cell's content for provider `p`; `running` is a Test in progress and
 * `failure` the message of a Test that could not run at all (the API call failed).
 */
export function statusNodes(p, { running = false, failure = null } = {}) {
  const nodes = [providerBadge(p.status, p.lastErrorKind)];
  if (running) {
    nodes.push(el("output", { class: "llm-test-result llm-muted", text: "Testing the key with the provider…" }));
  } else if (failure) {
    nodes.push(el("output", { class: "llm-test-result llm-test-invalid", text: `Test failed: ${failure}` }));
  } else if (p.lastCheckedAt && p.status !== "unknown") {
    const passed = p.status === "valid";
    const latency = p.lastLatencyMs !== null && p.lastLatencyMs !== undefined ? ` · ${p.lastLatencyMs} ms` : "";
    nodes.push(el("output", { class: `llm-test-result llm-test-${p.status}` },
      el("strong", { text: passed ? "Check passed" : "Check failed" }), " ",
      timeElement(p.lastCheckedAt), latency));
  }
  if (p.statusMessage && p.status !== "unknown" && !running) {
    nodes.push(el("div", { class: "llm-sub llm-status-msg", text: p.statusMessage }));
  }
  return nodes;
}
