// DOM helpers shared by both pages. Nothing here runs at import time.

/** Build an element: el("td", {class: "x", text: "y", title: "z"}, child, ...). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "checked" || key === "disabled" || key === "selected") {
      node[key] = Boolean(value);
    } else if (key === "value") node.value = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The element with this id, looked up inside `scope` (the document by default). */
export function byId(id, scope = document) {
  if (scope === document) return document.getElementById(id);
  return scope.querySelector(`#${CSS.escape(id)}`);
}

/** A byId bound to one scope: const $ = finder(root); $("providers-body"). */
export function finder(scope) {
  return (id) => byId(id, scope);
}

/** Dispatch a CustomEvent with `detail` on `target` (a page root); it bubbles. */
export function announce(target, type, detail = {}) {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true }));
}
