"""Agent service: agents bound to registered models, and their sync to the Talon gateway.

Every change is saved first with ``talonSyncStatus: "pending"``; then the gateway is
called (POST on create, PUT on update and retries, DELETE on delete) and the outcome
(``synced``, ``failed`` with the reason, or ``disabled``) is stored on the agent and
returned as ``talonSync``. Only this package's fields are ever written (``$set``/``$unset``),
so host fields survive. The gateway calls live in :mod:`task_master_llm.core.agent_sync`.

The service is also the providers' and models' :class:`~task_master_llm.core.links.AgentLinks`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from itertools import islice
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from task_master_llm.adapters import adapter_types
from task_master_llm.core.agent_sync import AgentSync, request_deadline, talon_sync
from task_master_llm.core.audit import NO_AUDIT, AuditLog, Target, agent_target, problem
from task_master_llm.core.lifecycle import lifecycle_of
from task_master_llm.errors import Conflict, GatewayError, ValidationError
from task_master_llm.store import (
    AgentStore,
    ModelStore,
    ProviderStore,
    iso,
    model_string,
    parse_object_id,
    provider_summary,
    utcnow,
)
from task_master_llm.store.tombstones import TombstoneStore
from task_master_llm.talon import SyncOutcome
from task_master_llm.talon_ids import TALON_ID_PATTERN, talon_id_batches

log = logging.getLogger(__name__)

SYNC_WORKERS = 8
EVENTS = ("created", "updated", "deleted")
_TALON_ID_ATTEMPTS = 20
#: candidate batches checked per try: the readable ids (slug, -2 ... -10), then random ones
_ID_ROUNDS = 3
#: fields every agent response has, null when the document lacks them
_BLANK = dict.fromkeys(("role", "modelId", "model", "talonId", "soul", "guardrails"))


def needs_model_text(doc: Mapping[str, Any]) -> str:
    """Why an agent without a registered model is not in working order (its model or
    provider was deleted, or it predates the registry)."""
    model = doc.get("model")
    if model:
        return (f"Needs a model: {model!r} is not a registered model, so the gateway gets no "
                "key or base URL for it from the registry; it runs without a key until it "
                "is given a registered model.")
    return "Needs a model: choose a registered model for it."


class AgentService:
    """Everything the agent routes, the host hook and the commands do."""

    audit: AuditLog = NO_AUDIT

    def __init__(
        self,
        store: AgentStore,
        models: ModelStore,
        providers: ProviderStore,
        tombstones: TombstoneStore,
        gateway: AgentSync,
    ) -> None:
        self.store = store
        self.models = models
        self.providers = providers
        self.tombstones = tombstones
        self.gateway = gateway

    # --- reads -----------------------------------------------------------------------
    def all(self) -> list[dict[str, Any]]:
        """Every agent with its ``llmModel`` relation (three queries in all)."""
        return self.with_models(self.store.all())

    def page(self, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
        """One page of agents by name with their ``llmModel`` relations (a fixed number of
        queries): ``hasMore`` from reading ``limit + 1``; ``total`` only when the page
        reaches the end (no count of the whole collection)."""
        docs, more, total = self.store.page(offset=offset, limit=limit)
        return {"items": self.with_models(docs), "hasMore": more, "total": total,
                "limit": limit, "offset": offset}

    def get(self, agent_id: Any) -> dict[str, Any]:
        """One agent with its ``llmModel`` relation."""
        return self.with_models([self.store.get(agent_id)])[0]

    def with_models(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Attach model + provider summary to each agent: one query per collection."""
        wanted = [d["modelId"] for d in docs if d.get("modelId")]
        wanted += [m for d in docs for m in _fallback_ids(d)]
        models = self.models.by_ids(wanted)
        providers = self.providers.summaries([m["providerId"] for m in models.values()])
        warnings = self._runtime_warnings(providers)
        out = []
        for doc in docs:
            model = models.get(doc.get("modelId")) if doc.get("modelId") else None
            relation = None
            sync = talon_sync(doc)
            if model is not None:
                provider = providers.get(model["providerId"])
                relation = {**model, "provider": provider_summary(provider),
                            "lifecycle": lifecycle_of(model)}
                sync = self._behind(doc, provider, sync)
                if provider is not None and provider["_id"] in warnings:
                    sync = {**sync, "warning": warnings[provider["_id"]]}
            fallbacks = [
                {**models[m], "provider": provider_summary(providers.get(models[m]["providerId"]))}
                for m in _fallback_ids(doc) if m in models
            ]
            out.append({**_BLANK, **doc, "llmModel": relation, "talonSync": sync,
                        "fallbackModelIds": [f["_id"] for f in fallbacks],
                        "fallbackModels": fallbacks,
                        "needsModel": relation is None,
                        "modelWarning": None if relation is not None else needs_model_text(doc)})
        return out

    def _runtime_warnings(self, providers: Mapping[Any, Mapping[str, Any]]) -> dict[Any, str]:
        """Provider id -> why its agents do not run with its key at the gateway (which
        uses its own credential store, one key per type), naming the key they do run with.
        One more query, only when some provider is not its type's gateway credential."""
        if not self.gateway.settings.keys_in_store:
            return {}
        out: dict[Any, str] = {}
        standby = []
        for pid, provider in providers.items():
            cls = adapter_types().get(provider.get("providerType", ""))
            if cls is None or provider.get("gatewayCredential"):
                continue
            if cls.gateway_credential is None:
                out[pid] = (f"The Talon gateway has no place for {cls.display_name} keys: this "
                            "agent runs with whatever credentials the gateway itself has.")
            else:
                standby.append((pid, provider, cls))
        if standby:
            holders = {d["providerType"]: d for d in self.providers.gateway_holders()}
            for pid, provider, cls in standby:
                holder = holders.get(provider["providerType"])
                who = (f"the key of provider {holder.get('name')!r}" if holder is not None
                       else "no key (no provider of this type is the gateway's)")
                out[pid] = (f"Provider {provider.get('name')!r} is not the gateway's "
                            f"{cls.gateway_credential} credential: this agent runs with {who}.")
        return out

    def _behind(
        self, doc: Mapping[str, Any], provider: Mapping[str, Any] | None, sync: dict[str, Any]
    ) -> dict[str, Any]:
        """A "synced" agent whose provider's key changed since its last push is owed one
        (say so, rather than "synced", until ``sync-agents`` pushes it)."""
        if provider is None or sync["status"] != "synced" or not self.gateway.settings.keys_in_body:
            return sync
        if doc.get("talonSyncedVersion") == int(provider.get("credentialsVersion") or 0):
            return sync
        return {**sync, "status": "pending",
                "error": "The provider's key or base URL changed since the last push; "
                         "`flask llm sync-agents` pushes it."}

    # --- writes ----------------------------------------------------------------------
    def create(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Save a new agent (409 on a duplicate name), then POST it to the gateway."""
        now = utcnow()
        doc: dict[str, Any] = {"_id": ObjectId(), "name": data["name"]}
        for field in ("role", "soul", "guardrails"):
            if data.get(field) is not None:
                doc[field] = data[field]
        doc.update(self._model_fields(data, required=True))
        if data.get("fallbackModelIds"):
            doc["fallbackModelIds"] = self._usable_fallbacks(data["fallbackModelIds"],
                                                             doc.get("modelId"))
        doc.update(talonSyncStatus="pending", createdAt=now, updatedAt=now)
        taken: set[str] = set()
        for candidate in self._free_talon_ids(doc["name"], taken):
            doc["talonId"] = candidate
            try:
                self.store.insert(doc)
                break
            except DuplicateKeyError:  # another agent took this talonId just now
                taken.add(candidate)
        else:
            raise Conflict("Could not give the agent a unique Talon id; try again.")
        doc = self._detach_if_model_going(doc)
        log.info("agent created id=%s talonId=%s", doc["_id"], doc["talonId"])
        state = self.gateway.push(doc, "POST")
        self.audit.record("agent.created", agent_target(doc), details={
            "talonId": doc["talonId"], "talonSync": state["status"]})
        return self.get(doc["_id"])

    def update(self, agent_id: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """Apply a PATCH (never touching ``talonId``), then PUT the agent to the gateway."""
        doc = self.store.get(agent_id)
        set_fields: dict[str, Any] = {}
        unset: list[str] = []
        if "name" in data and data["name"] != doc.get("name"):
            set_fields["name"] = data["name"]
        for field in ("role", "soul", "guardrails"):
            if field in data and data[field] != doc.get(field):
                if data[field] is None:
                    unset.append(field)
                else:
                    set_fields[field] = data[field]
        model_changed = ("modelId" in data and str(data["modelId"]) != str(doc.get("modelId"))) or (
            "model" in data and "modelId" not in data and data["model"] != doc.get("model")
        )
        if model_changed:
            fields = self._model_fields({"model": doc.get("model"), **data}, required=True)
            set_fields.update(fields)
            if "modelId" not in fields:
                unset.append("modelId")
        primary = set_fields.get("modelId", doc.get("modelId"))
        if "fallbackModelIds" in data or primary in _fallback_ids(doc):
            # a new primary that was a fallback stops being one
            given = ((data["fallbackModelIds"] or []) if "fallbackModelIds" in data
                     else [str(m) for m in _fallback_ids(doc)])
            wanted = self._usable_fallbacks(given, primary)
            if wanted != _fallback_ids(doc):
                if wanted:
                    set_fields["fallbackModelIds"] = wanted
                else:
                    unset.append("fallbackModelIds")
        if not set_fields and not unset:
            return self.get(doc["_id"])
        set_fields.update(talonSyncStatus="pending", updatedAt=utcnow())
        new = self.store.update(doc["_id"], set_fields, tuple(unset))
        if new is None:  # deleted meanwhile
            new = self.store.get(doc["_id"])
        new = self._detach_if_model_going(new)
        state = self.gateway.push(self._with_talon_id(new), "PUT")
        changed = sorted({*set_fields, *unset} - {"talonSyncStatus", "updatedAt"})
        self.audit.record("agent.updated", agent_target(new), details={
            "fields": changed, "talonSync": state["status"]})
        return self.get(new["_id"])

    def delete(self, agent_id: Any) -> dict[str, Any]:
        """Delete the agent, then at the gateway; a gateway failure never blocks this.

        A tombstone is written first and removed only when the gateway confirmed the
        delete, so a crash or outage leaves the delete owed (``flask llm sync-agents``
        finishes it) instead of an agent the gateway keeps forever."""
        oid = parse_object_id(agent_id, "agent")
        existing = self.store.get(oid)  # the 404
        talon_id = existing.get("talonId")
        if talon_id:
            self.tombstones.add("agent", talon_id, agent_id=oid, reason="agent deleted")
        doc = self.store.remove(oid)
        outcome = self.finish_delete(talon_id)
        log.info("agent deleted id=%s talon=%s", oid, outcome.status)
        self.audit.record("agent.deleted", agent_target(doc or existing), details={
            "talonId": talon_id, "talonSync": outcome.status})
        return {
            "id": str(oid),
            "name": (doc or existing).get("name"),
            "talonSync": _delete_state(outcome),
        }

    def finish_delete(self, talon_id: Any) -> SyncOutcome:
        """DELETE at the gateway and settle the tombstone (kept, with the error, when the
        gateway did not confirm)."""
        outcome = self.gateway.remove(talon_id)
        if talon_id and outcome.ok:
            self.tombstones.done("agent", talon_id)
        elif talon_id:
            self.tombstones.failed("agent", talon_id, outcome.error)
        return outcome

    # --- sync ------------------------------------------------------------------------
    def sync(self, agent_id: Any) -> dict[str, Any]:
        """Push one agent again (PUT). A gateway failure is recorded and is a 502."""
        doc = self._with_talon_id(self.store.get(agent_id))
        state = self.gateway.push(doc, "PUT")
        failed = state["status"] == "failed"
        self.audit.record("agent.synced", agent_target(doc), outcome="failed" if failed else "ok",
                          error=problem("gateway", state["error"]) if failed else None,
                          details={"talonSync": state["status"]})
        if state["status"] == "failed":
            raise GatewayError(
                f"Sync of agent {doc.get('name')!r} failed: {state['error']}",
                fields={"talonSync": {**state, "syncedAt": iso(state["syncedAt"])}},
            )
        return self.get(doc["_id"])

    def sync_many(
        self, docs: list[dict[str, Any]], *, deadline: float | None = None
    ) -> list[dict[str, Any]]:
        """PUT several agents (``SYNC_WORKERS`` at a time); returns each one's ``talonSync``.

        The payloads read their models and providers in one lookup, and the outcomes are
        stored in one bulk write, so the round trips do not grow with ``len(docs)``. With a
        ``deadline`` (a :func:`time.monotonic` instant) the pushes not finished by then are
        left as they are, ``pending`` (owed: ``flask llm sync-agents`` pushes them), and
        their ``talonSync`` says so; a request then answers in time however many agents a
        change touched."""
        if not docs:
            return []
        docs = [self._with_talon_id(doc) for doc in docs]
        lookup = self.gateway.lookup(docs)

        def one(doc: dict[str, Any]) -> tuple[SyncOutcome, int | None]:
            return self.gateway.call(doc, "PUT", lookup)

        done: dict[int, tuple[SyncOutcome, int | None]] = {}
        if len(docs) == 1 and deadline is None:
            done[0] = one(docs[0])
        else:
            pool = ThreadPoolExecutor(max_workers=min(SYNC_WORKERS, len(docs)))
            futures = {pool.submit(one, doc): i for i, doc in enumerate(docs)}
            try:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                finished, _late = wait(futures, timeout=timeout)
                done = {futures[f]: f.result() for f in finished}
            finally:
                # pushes still queued are dropped; one already under way ends by its own
                # timeout and is not recorded (the agent stays pending, owed)
                pool.shutdown(wait=deadline is None, cancel_futures=True)
        states = self.gateway.record_many(
            [(docs[i], outcome, version) for i, (outcome, version) in sorted(done.items())]
        )
        by_index = dict(zip(sorted(done), states, strict=True))
        owed = {"status": "pending", "syncedAt": None,
                "error": "Not pushed before the request's deadline; `flask llm sync-agents` "
                         "pushes it."}
        return [by_index.get(i) or {**talon_sync(docs[i]), **owed} for i in range(len(docs))]

    # --- AgentLinks (called by the provider and model services) ----------------------
    def request_deadline(self) -> float:
        """The instant by which a request's re-syncs stop (see :func:`request_deadline`)."""
        return request_deadline(self.gateway.settings)

    def agents_using(self, model_ids: list[ObjectId]) -> list[dict[str, Any]]:
        """The agents bound to any of these models."""
        return self.store.by_model_ids(model_ids)

    def drop_fallbacks(
        self, model_ids: list[ObjectId], deadline: float | None = None
    ) -> list[dict[str, str]]:
        """Models are being disabled or deleted: take them off every agent's fallback list
        and re-sync those agents (until ``deadline``; the rest stay owed); returns
        ``[{"id", "name"}]`` of each."""
        agents = self.store.by_fallback_ids(list(model_ids))
        if not agents:
            return []
        self.store.pull_fallbacks(list(model_ids))
        changed = self.store.by_ids([a["_id"] for a in agents])
        self._mark_pending(changed)
        self.sync_many(changed, deadline=deadline)
        log.info("dropped %d model(s) from the fallbacks of %d agent(s)", len(model_ids),
                 len(changed))
        return [{"id": str(a["_id"]), "name": a.get("name", "")} for a in changed]

    def resync_provider(self, provider_id: ObjectId, deadline: float | None = None) -> None:
        """A provider's key or base URL changed: re-sync every agent on its models (when
        agent bodies carry keys; otherwise the gateway's credential store has them), until
        ``deadline``; the rest stay owed."""
        if not self.gateway.settings.keys_in_body:
            return
        agents = self.store.by_model_ids(self.models.ids_by_provider(provider_id))
        self._mark_pending(agents)
        results = self.sync_many(agents, deadline=deadline)
        log.info("provider %s credentials changed: %d agent(s) re-synced, %d failed",
                 provider_id, len(results), sum(r["status"] == "failed" for r in results))

    def count_by_model(self, model_ids: list[ObjectId]) -> dict[ObjectId, int]:
        """How many agents use each model, as primary or fallback (two indexed queries,
        reading only the agents' model fields)."""
        counts: dict[ObjectId, int] = {}
        wanted = set(model_ids)
        for agent in self.store.uses_of(list(wanted)):
            used = {m for m in (agent.get("modelId"), *_fallback_ids(agent)) if m in wanted}
            for model_id in used:
                counts[model_id] = counts.get(model_id, 0) + 1
        return counts

    def move_model(
        self, from_model: dict[str, Any], to_model: dict[str, Any], provider: dict[str, Any]
    ) -> dict[str, Any]:
        """Re-bind the agents of ``from_model`` to ``to_model``: a primary becomes the new
        model, a fallback is replaced by it (dropped when it is the agent's primary or
        already a fallback). Every changed agent is synced; returns who moved."""
        old, new = from_model["_id"], to_model["_id"]
        agents = self.store.using_models([old])
        now = utcnow()
        operations = []
        for agent in agents:
            fields: dict[str, Any] = {"talonSyncStatus": "pending", "updatedAt": now}
            primary = agent.get("modelId")
            if primary == old:
                primary = new
                fields.update(modelId=new, model=model_string(to_model, provider))
            fallbacks: list[ObjectId] = []
            for model_id in _fallback_ids(agent):
                candidate = new if model_id == old else model_id
                if candidate != primary and candidate not in fallbacks:
                    fallbacks.append(candidate)
            if fallbacks != _fallback_ids(agent):
                fields["fallbackModelIds"] = fallbacks
            operations.append(UpdateOne({"_id": agent["_id"]}, {"$set": fields}))
        if operations:
            self.store.bulk_write(operations)
        moved = self.store.by_ids([a["_id"] for a in agents])
        results = self.sync_many(moved, deadline=self.request_deadline())
        failed = sum(r.get("status") == "failed" for r in results)
        log.info("moved %d agent(s) from model %s to %s (%d sync failed)", len(moved), old,
                 new, failed)
        return {"agents": [{"id": str(a["_id"]), "name": a.get("name", "")} for a in moved],
                "failed": failed}

    def detach_from_models(
        self, model_ids: list[ObjectId], deadline: float | None = None
    ) -> list[dict[str, str]]:
        """Models are about to go: detach their agents (keeping the ``providerType/model``
        string, so they keep working as legacy agents), re-sync them (until ``deadline``;
        the rest stay owed), list them."""
        agents = self.store.by_model_ids(list(model_ids))
        if not agents:
            return []
        models = self.models.by_ids([a["modelId"] for a in agents])
        providers = self.providers.by_ids([m["providerId"] for m in models.values()])
        now = utcnow()
        operations = []
        for agent in agents:
            model = models.get(agent["modelId"])
            fields: dict[str, Any] = {"talonSyncStatus": "pending", "updatedAt": now}
            if model is not None:
                fields["model"] = model_string(model, providers.get(model["providerId"]))
            operations.append(UpdateOne(
                {"_id": agent["_id"], "modelId": agent["modelId"]},
                {"$set": fields, "$unset": {"modelId": ""}},
            ))
        self.store.bulk_write(operations)
        detached = self.store.by_ids([a["_id"] for a in agents])
        self.sync_many(detached, deadline=deadline)
        log.info("detached %d agent(s) from %d model(s)", len(detached), len(model_ids))
        return [{"id": str(a["_id"]), "name": a.get("name", "")} for a in detached]

    # --- the host hook ---------------------------------------------------------------
    def agent_changed(self, event: str, agent: Any) -> dict[str, Any]:
        """The host's own code changed an agent: sync it like the package's routes do.

        ``agent`` is the agent's id (or document) for ``created``/``updated``, and the
        deleted document (or its ``talonId``) for ``deleted``. Returns ``talonSync``.
        """
        if event not in EVENTS:
            raise ValueError(f"event must be one of {', '.join(EVENTS)}, not {event!r}")
        if event == "deleted":
            doc = agent if isinstance(agent, Mapping) else {"talonId": agent}
            talon_id = doc.get("talonId")
            if isinstance(talon_id, str) and talon_id:
                self.tombstones.add("agent", talon_id, reason="deleted by the host")
            state = _delete_state(self.finish_delete(talon_id))
            target = Target("agent", str(doc.get("_id") or talon_id), doc.get("name"))
        else:
            agent_id = agent.get("_id") if isinstance(agent, Mapping) else agent
            doc = self.store.get(agent_id)
            if not self.store.refresh_name_key(doc):
                log.warning("agent %s: its name differs only in case from another agent's",
                            doc["_id"])
            self.store.update(doc["_id"], {"talonSyncStatus": "pending"})
            state = self.gateway.push(self._with_talon_id(doc),
                                      "POST" if event == "created" else "PUT")
            target = agent_target(doc)
        self.audit.record(f"agent.{event}", target,
                          details={"via": "host hook", "talonSync": state["status"]})
        return state

    # --- internals -------------------------------------------------------------------
    def _model_fields(self, data: Mapping[str, Any], *, required: bool) -> dict[str, Any]:
        """``modelId`` + ``model`` for a registered model, or ``model`` alone (legacy)."""
        if data.get("modelId") is not None:
            model, provider = self._usable_model(data["modelId"])
            return {"modelId": model["_id"], "model": model_string(model, provider)}
        if data.get("model"):
            return {"model": data["model"]}
        if required:
            message = "Choose a model: send modelId (a registered, enabled model)."
            raise ValidationError(message, fields={"modelId": [message]})
        return {}

    def _usable_model(self, model_id: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A registered, enabled model of an existing provider; else 400 saying why."""
        def refuse(why: str) -> ValidationError:
            return ValidationError(f"modelId: {why}", fields={"modelId": [why]})

        model = self.models.find(model_id)
        if model is None or model.get("deleting"):
            raise refuse("No registered model has this id.")
        provider = self.providers.find(model["providerId"])
        if provider is None or provider.get("deleting"):
            raise refuse(f"The provider of model {model['providerModelId']!r} was deleted.")
        if not model.get("enabled"):
            raise refuse(
                f"Model {model.get('displayName') or model['providerModelId']!r} is disabled; "
                "an admin can enable it in the registry."
            )
        return model, provider

    def _usable_fallbacks(self, model_ids: list[Any], primary: Any) -> list[ObjectId]:
        """The fallback ids, each a registered, enabled model of an existing provider,
        without duplicates or the primary model; else a 400 on ``fallbackModelIds``."""
        out: list[ObjectId] = []
        for index, model_id in enumerate(model_ids):
            try:
                model, _provider = self._usable_model(model_id)
            except ValidationError as exc:
                why = exc.fields.get("modelId", [exc.message])[0]
                message = f"fallbackModelIds[{index}]: {why}"
                raise ValidationError(message, fields={"fallbackModelIds": {
                    str(index): [why]}}) from None
            if model["_id"] != primary and model["_id"] not in out:
                out.append(model["_id"])
        return out

    def _detach_if_model_going(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Check again after writing a ``modelId``: a model or provider delete that ran
        between :meth:`_usable_model` and the write found no agent to detach. Deletes mark
        the model or provider ``deleting`` before looking for agents, so the check sees it;
        the agent is detached like the delete does it (keeping its model string)."""
        model_id = doc.get("modelId")
        if model_id is None:
            return doc
        model = self.models.find(model_id)
        provider = self.providers.find(model["providerId"]) if model else None
        if model and not model.get("deleting") and provider and not provider.get("deleting"):
            return doc
        new = self.store.update(doc["_id"], {"updatedAt": utcnow()}, ("modelId",),
                                only_if={"modelId": model_id})
        log.info("agent %s detached: its model was deleted while it was saved", doc["_id"])
        return new or self.store.get(doc["_id"])

    @property
    def _reserved(self) -> frozenset[str]:
        return self.gateway.client.reserved

    def _free_talon_ids(self, name: str, taken: set[str]) -> Iterator[str]:
        """Free gateway ids for ``name``, one per try (at most ``_TALON_ID_ATTEMPTS``): the
        caller adds to ``taken`` an id it then lost to a race (the unique index settles
        those). Each try checks at most ``_ID_ROUNDS`` batches of candidates
        (:func:`~task_master_llm.talon_ids.talon_id_batches`) with two queries per batch, so
        the cost does not grow with the number of agents whose names slug alike."""
        for _ in range(_TALON_ID_ATTEMPTS):
            candidate = self._free_talon_id(name, taken)
            if candidate is None:
                return
            yield candidate

    def _free_talon_id(self, name: str, taken: set[str]) -> str | None:
        """The first candidate id for ``name`` that is not in use, or None when
        ``_ID_ROUNDS`` batches were all taken; the ids found in use join ``taken``."""
        for batch in islice(talon_id_batches(name, self._reserved), _ID_ROUNDS):
            unknown = [c for c in batch if c not in taken]
            if not unknown:
                continue
            taken |= self._taken_among(unknown)
            free = [c for c in unknown if c not in taken]
            if free:
                return free[0]
        return None

    def _taken_among(self, candidates: list[str]) -> set[str]:
        """Which of these ids are in use: by an agent, or by a delete still owed at the
        gateway (reusing it would let that delete remove the new agent). One query per
        collection (the owed deletes are not asked when agents hold every candidate)."""
        taken = self.store.taken_ids(candidates)
        rest = [c for c in candidates if c not in taken]
        if rest:
            taken |= self.tombstones.owed("agent", rest)
        return taken

    def _with_talon_id(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Give an agent without a gateway id (made by the host, or by the JavaScript
        Task Master) one. A JavaScript-era agent keeps the id the gateway already knows
        (``talonAgentId``, else its name, as that app sent ``talonAgentId || name``) when
        it is a usable id; otherwise it gets a new one and the old id is queued for
        deletion, so the gateway is not left with two copies."""
        if doc.get("talonId"):
            return doc
        old = _js_id(doc)
        taken: set[str] = set()
        if old is not None and self._usable(old, taken):
            new = self._set_talon_id(doc, old)
            if new is not None:
                return new
            taken.add(old)
        for candidate in self._free_talon_ids(doc.get("name") or "agent", taken):
            new = self._set_talon_id(doc, candidate)
            if new is None:
                taken.add(candidate)
                continue
            if old is not None and old != candidate and not self.store.talon_id_taken(old):
                # the old copy is ours alone: no other agent holds that id now
                self.tombstones.add("agent", old, reason="replaced by a new gateway id")
            return new
        return doc  # the sync then fails, saying the id is missing

    def _usable(self, talon_id: str, taken: set[str]) -> bool:
        if TALON_ID_PATTERN.fullmatch(talon_id) is None or talon_id in self._reserved:
            return False
        taken |= self._taken_among([talon_id])
        return talon_id not in taken

    def _set_talon_id(self, doc: dict[str, Any], talon_id: str) -> dict[str, Any] | None:
        """Store ``talon_id`` unless the agent got one meanwhile; None when it is taken."""
        try:
            new = self.store.update(doc["_id"], {"talonId": talon_id},
                                    only_if={"talonId": None})
        except DuplicateKeyError:
            return None
        return new or self.store.get(doc["_id"])

    def _mark_pending(self, docs: list[dict[str, Any]]) -> None:
        self.store.bulk_write([
            UpdateOne({"_id": d["_id"]}, {"$set": {"talonSyncStatus": "pending"}}) for d in docs
        ])


def _js_id(doc: Mapping[str, Any]) -> str | None:
    """The id the JavaScript Task Master gave the agent at the gateway, if any."""
    for field in ("talonAgentId", "name"):
        value = doc.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _delete_state(outcome: SyncOutcome) -> dict[str, Any]:
    """``talonSync`` of a delete: a failure says the delete is owed and retried."""
    error = outcome.error
    if outcome.status == "failed":
        error = f"{error} The delete is owed: `flask llm sync-agents` retries it."
    return {"status": outcome.status, "error": error, "syncedAt": None}


def _fallback_ids(doc: Mapping[str, Any]) -> list[ObjectId]:
    """The agent's registered fallback model ids (a stored list of ObjectIds)."""
    value = doc.get("fallbackModelIds")
    return [v for v in value if isinstance(v, ObjectId)] if isinstance(value, list) else []
