// A provider's health on the Providers tab: success rate and latency p50/p95 of the
// scheduled checks (`flask llm check-providers`) with a small inline SVG chart.

import { el } from "../lib/dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 120;
const HEIGHT = 24;
const BARS = 40;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

/** A bar per check (newest right): height = latency, red = failed. */
export function healthChart(checks) {
  const recent = checks.slice(-BARS);
  const top = Math.max(1, ...recent.map((c) => c.latencyMs || 0));
  const step = WIDTH / BARS;
  const bars = recent.map((c, i) => {
    const failed = c.outcome !== "valid";
    const h = failed ? HEIGHT : Math.max(2, Math.round(((c.latencyMs || 0) / top) * HEIGHT));
    return svg("rect", { x: (BARS - recent.length + i) * step, y: HEIGHT - h, width: Math.max(1, step - 1),
      height: h, class: failed ? "llm-health-fail" : "llm-health-ok" },
    svg("title", {}, `${c.at}: ${failed ? `failed (${c.errorKind || "error"})` : `${c.latencyMs} ms`}`));
  });
  return svg("svg", { class: "llm-health-chart", width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img", "aria-label": `Last ${recent.length} checks` }, ...bars);
}

/** "24 h: 100% ok · p50 12 ms · p95 40 ms" (or that there were no checks). */
export function healthText(window, label) {
  if (!window || !window.checks) return `${label}: no checks`;
  const rate = Math.round((window.successRate || 0) * 1000) / 10;
  const latency = window.p50LatencyMs === null || window.p50LatencyMs === undefined ? ""
    : ` · p50 ${window.p50LatencyMs} ms · p95 ${window.p95LatencyMs} ms`;
  return `${label}: ${rate}% ok of ${window.checks}${latency}`;
}

/** A node that loads and shows one provider's health. */
export function healthNode(ctx, provider) {
  const node = el("div", { class: "llm-sub llm-health", dataset: { healthFor: provider.id } });
  const url = `${ctx.urls.llmApi}/providers/${encodeURIComponent(provider.id)}/health`;
  ctx.api("GET", url).then((health) => {
    if (!health || !health.last7d || !health.last7d.checks) {
      node.textContent = "No scheduled checks yet";
      node.title = "Run `flask llm check-providers` from cron to record health.";
      return;
    }
    node.replaceChildren(healthChart(health.checks || []),
      el("span", { class: "llm-health-24h", text: healthText(health.last24h, "24 h") }),
      el("span", { class: "llm-health-7d", text: ` · ${healthText(health.last7d, "7 d")}` }));
  }).catch(() => { node.textContent = ""; });
  return node;
}
