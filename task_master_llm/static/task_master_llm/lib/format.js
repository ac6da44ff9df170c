// Pure formatting: strings in, strings out. No DOM.

/** "1 model", "3 models". */
export const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * A context window in tokens, in decimal as model catalogs write it: 128000 -> "128k",
 * 131072 -> "131k", 1048576 -> "1M", 2000000 -> "2M"; "unknown" when there is no number.
 */
export function formatContext(n) {
  if (n === null || n === undefined || n === "" || !Number.isFinite(Number(n))) return "unknown";
  n = Number(n);
  const trim = (x) => (Math.round(x * 10) / 10).toString();
  if (n >= 1_000_000) return trim(n / 1_000_000) + "M";
  if (n >= 1000) {
    const k = Math.round(n / 1000);
    return k >= 1000 ? "1M" : `${k}k`;
  }
  return String(n);
}

/** "$0", "$0.0025", "$15"; null when there is no usable number. */
export function formatPrice(value) {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return null;
  if (n === 0) return "$0";
  return "$" + (n < 0.01 ? n.toPrecision(2) : n.toFixed(n < 1 ? 4 : 2)).replace(/0+$/, "").replace(/\.$/, "");
}

/** "in $0.001 · out $0.002 per 1K tokens", or "price not published". */
export function priceText(model) {
  const input = formatPrice(model.inputCostPer1k);
  const output = formatPrice(model.outputCostPer1k);
  if (!input && !output) return "price not published";
  return `in ${input || "?"} · out ${output || "?"} per 1K tokens`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function relativeTime(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return d === 1 ? "yesterday" : `${d} days ago`;
  return new Date(t).toLocaleDateString();
}

/** Flatten {"models": {"0": {"contextWindow": ["..."]}}} into readable lines. */
export function flattenFields(fields, prefix = "") {
  const out = [];
  for (const [key, value] of Object.entries(fields || {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) out.push(`${name}: ${value.join(" ")}`);
    else if (value && typeof value === "object") out.push(...flattenFields(value, name));
    else if (value) out.push(`${name}: ${value}`);
  }
  return out;
}

