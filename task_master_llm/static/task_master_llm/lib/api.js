// The JSON API client: same origin, session cookie, answers shaped {data} or {error}.

/** An error answered by the API ({"error": {code, message, fields}}) or the network. */
export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

/** Call the JSON API; resolves to the "data" member, rejects with ApiError. */
export async function api(method, url, body) {
  const options = {
    method,
    credentials: "same-origin",
    // X-Requested-With: the API refuses state-changing requests that carry neither it nor
    // a JSON body (what a cross-site form or no-cors fetch could send)
    headers: { Accept: "application/json", "X-Requested-With": "fetch" },
    cache: "no-store",
  };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check the connection and try again.");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const err = (payload && payload.error) || {};
    let message = err.message;
    if (response.status === 401) message = "Your session has ended. Reload the page and log in again.";
    if (!message) message = `The server answered ${response.status} ${response.statusText}.`.trim();
    throw new ApiError(response.status, err.code || `http_${response.status}`, message, err.fields);
  }
  if (payload === null || typeof payload !== "object") {
    throw new ApiError(response.status, "bad_response", "The server sent an answer that is not JSON.");
  }
  return payload.data;
}

/** A list from a paginated ({items,total}) or plain ([...]) answer. */
export function itemsOf(data) {
  if (Array.isArray(data)) return { items: data, total: data.length, hasMore: false };
  if (data && Array.isArray(data.items)) {
    // total is null when the API did not count (hasMore then says whether more follow)
    const total = data.total === undefined ? data.items.length : data.total;
    return { items: data.items, total, hasMore: Boolean(data.hasMore) };
  }
  return { items: [], total: 0, hasMore: false };
}

/** Every item of a paginated list, page after page (following hasMore), fetched with
 * ``call`` (the page's api function). */
export async function allPages(call, url, pageSize = 200) {
  const all = [];
  const sep = url.includes("?") ? "&" : "?";
  for (let offset = 0; ; offset += pageSize) {
    const { items, hasMore } = itemsOf(await call("GET", `${url}${sep}limit=${pageSize}&offset=${offset}`));
    all.push(...items);
    if (!hasMore || !items.length) return all;
  }
}
