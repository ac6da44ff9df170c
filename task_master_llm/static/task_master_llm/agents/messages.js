// The flash texts of the agents page: pure, [message, kind] pairs for flash(...pair).

/** After create / save / retry: what happened to the sync with the Talon gateway. */
export function syncMessage(agent, verb, canManage) {
  const sync = agent.talonSync || {};
  if (sync.status === "synced") return [`Agent “${agent.name}” ${verb}. Synced to Talon.`, "success"];
  if (sync.status === "failed") {
    return [`Agent “${agent.name}” ${verb}, but syncing to Talon failed: ${sync.error || "unknown reason"}.`
      + (canManage ? " Use Retry sync in the list." : " An administrator can retry it."), "warning"];
  }
  if (sync.status === "disabled") return [`Agent “${agent.name}” ${verb}. Gateway sync is turned off on this server.`, "info"];
  return [`Agent “${agent.name}” ${verb}. Sync to Talon is pending.`, "info"];
}

/** After a delete: whether the gateway removed its copy too. */
export function deleteMessage(name, sync) {
  const status = (sync || {}).status;
  if (status === "synced") return [`Agent “${name}” deleted, here and at the Talon gateway.`, "success"];
  if (status === "disabled") return [`Agent “${name}” deleted. Gateway sync is turned off on this server.`, "info"];
  const reason = ((sync && sync.error) || "unknown reason").trim();
  return [`Agent “${name}” deleted. The gateway could not remove it: ${reason}${/[.!?]$/.test(reason) ? "" : "."} `
    + "It may still exist at the gateway.", "warning"];
}
