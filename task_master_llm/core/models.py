"""Model registry service: list, register (upsert from discovery), edit, delete.

Each model's ``meta.sources`` records where every fact came from: ``provider`` or
``models.dev`` from discovery, ``admin`` after an admin edited it. Re-registering a model
refreshes the facts that are not admin-owned, ``lastSyncedAt`` and its ``lifecycle`` (a
gone model that is listed again is active again), and never touches ``enabled`` (an
admin's choice).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo import InsertOne, UpdateOne

from task_master_llm.core.audit import NO_AUDIT, AuditLog, model_target, provider_target
from task_master_llm.core.impact import Impact
from task_master_llm.core.lifecycle import lifecycle_of, lifecycle_update
from task_master_llm.core.links import AgentLinks
from task_master_llm.errors import Conflict, NotFound, ValidationError
from task_master_llm.store import (
    ModelStore,
    ProviderStore,
    parse_object_id,
    provider_summary,
    utcnow,
)
from task_master_llm.store.models import FACT_FIELDS
from task_master_llm.store.providers import MODEL_COUNT

log = logging.getLogger(__name__)

ADMIN = "admin"
PROVIDER = "provider"


def _deleting(provider: Mapping[str, Any] | None) -> bool:
    """Whether a provider (a summary) is being deleted: its models are hidden."""
    return bool(provider is not None and provider.get("deleting"))


def _page(
    items: list[dict[str, Any]], more: bool, total: int | None, limit: int, offset: int
) -> dict[str, Any]:
    """The body of ``GET /models``."""
    return {"items": items, "hasMore": more, "total": total, "limit": limit, "offset": offset}


def _dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a dict, else an empty one (stored data may be odd)."""
    return value if isinstance(value, dict) else {}


class ModelService:
    """Everything the model routes do, independent of Flask."""

    audit: AuditLog = NO_AUDIT

    def __init__(self, store: ModelStore, providers: ProviderStore, agents: AgentLinks) -> None:
        self.store = store
        self.providers = providers
        self.agents = agents
        self.impact = Impact(store, agents)

    # --- reads -----------------------------------------------------------------------
    def page(
        self,
        *,
        provider_id: str | None = None,
        enabled: bool | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
        count: bool = False,
    ) -> dict[str, Any]:
        """One page of models with their provider summaries and impact; the models of a
        provider being deleted never show. ``hasMore`` says whether another page follows;
        ``total`` is exact, and null unless ``count`` asked for it (one more query) or the
        page reaches the end.

        Four queries: the page (``limit + 1``), its providers' summaries (which say
        whether a provider is being deleted), the agent counts (two). The list of deleting
        providers is read when it can change the answer: the first page holds a model of
        such a provider, more models follow it (hidden ones among them would make
        ``hasMore`` and ``total`` count what never shows), or the page starts past the
        first model (hidden models may come before it); the page is read again without
        their models when there are any. One provider's page reads that provider's
        summary first instead."""
        query: dict[str, Any] = {}
        found: dict[Any, dict[str, Any]]
        if enabled is not None:
            query["enabled"] = enabled
        if q:
            pattern = {"$regex": re.escape(q), "$options": "i"}
            query["$or"] = [{"providerModelId": pattern}, {"displayName": pattern}]

        def read(extra: dict[str, Any]) -> tuple[list[dict[str, Any]], bool, int | None]:
            return self.store.page({**query, **extra}, offset=offset, limit=limit, count=count)

        if provider_id is not None:
            oid = parse_object_id(provider_id, "provider")
            found = self.providers.summaries([oid])
            if _deleting(found.get(oid)):
                return _page([], False, 0, limit, offset)
            docs, more, total = read({"providerId": oid})
            return _page(self._decorated(docs, found), more, total, limit, offset)
        found = {}
        hidden: list[ObjectId] | None = None
        if offset == 0:
            docs, more, total = read({})
            found = self._summaries_of(docs, found)
            if not any(_deleting(p) for p in found.values()):
                # no hidden model on the page; hasMore and a count may still count hidden
                # models after it, unless every match is on the page or none is hidden
                if more:
                    hidden = self.providers.deleting_ids()
                if not more or not hidden:
                    return _page(self._decorated(docs, found), more, total, limit, offset)
        if hidden is None:
            hidden = self.providers.deleting_ids()
        docs, more, total = read({"providerId": {"$nin": hidden}} if hidden else {})
        found = self._summaries_of(docs, found)
        return _page(self._decorated(docs, found), more, total, limit, offset)

    def with_providers(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Attach each model's provider summary (one query for all of them) and its impact:
        agent count, lifecycle, warnings, suggested successor (see :mod:`core.impact`)."""
        return self._decorated(docs, self._summaries_of(docs, {}))

    def _summaries_of(
        self, docs: list[dict[str, Any]], known: dict[Any, dict[str, Any]]
    ) -> dict[Any, dict[str, Any]]:
        """``known`` plus the summaries of the providers of ``docs`` it lacks (one query,
        none when it lacks none)."""
        missing = {d["providerId"] for d in docs if d.get("providerId") is not None} - set(known)
        return {**known, **self.providers.summaries(list(missing))} if missing else known

    def _decorated(
        self, docs: list[dict[str, Any]], providers: Mapping[Any, Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """``docs`` with their provider summaries and impact fields."""
        out = self.impact.decorate(docs)  # new dictionaries: adding to them is safe
        for doc in out:
            doc["provider"] = provider_summary(providers.get(doc.get("providerId")))
        return out

    # --- writes ----------------------------------------------------------------------
    def register(self, provider_id: str, entries: list[Mapping[str, Any]]) -> dict[str, Any]:
        """Upsert a selection of a provider's models in one bulk write.

        New models are enabled unless the entry says otherwise. Existing ones get the
        facts discovery reports (except admin-owned ones) and a new ``lastSyncedAt``.
        """
        # the write is marked on the provider until its count follows (a recount meanwhile
        # would count the new models before the $inc below counts them again)
        provider = self.providers.begin_model_writes(provider_id)
        assert provider is not None
        pid = provider["_id"]
        wanted = [e["providerModelId"] for e in entries]
        try:
            existing, models, (operations, upserts) = self._prepare(pid, entries, wanted)
            created, updated, lost, revived = self.store.bulk_upsert(operations, upserts)
        except BaseException:
            self._end_writes_quietly(pid)  # what was written is counted by a recount
            raise
        # count what was created on the provider and end the mark; its document also says
        # whether a delete began meanwhile
        current = self._end_writes(pid, created)
        if current is None or current.get("deleting"):
            # the provider was deleted meanwhile: finish its cascade for what we wrote
            self.store.delete_by_provider(pid)
            raise NotFound(f"Provider {provider.get('name')!r} was deleted meanwhile.")
        log.info("models registered provider=%s created=%d updated=%d", pid, created, updated)
        reread = lost | revived
        if reread:  # another registration created these first, or they were deleted
            # meanwhile and created anew (a race): read them
            found = self.store.by_provider_model_ids(pid, [wanted[i] for i in reread])
            models = [found.get(m) if i in reread else doc
                      for i, (m, doc) in enumerate(zip(wanted, models, strict=True))]
        written = [doc for doc in models if doc is not None]
        # what this call created (a model another writer created first it refreshed)
        made = {doc["_id"] for i, (m, doc) in enumerate(zip(wanted, models, strict=True))
                if doc is not None and (m not in existing and i not in lost or i in revived)}
        for new in (True, False):  # one event for the new models, one for the refreshed
            touched = [model_target(d) for d in written if (d["_id"] in made) == new]
            if touched:
                self.audit.record(
                    "model.registered", provider_target(current), related=touched,
                    details={"providerId": str(pid), "provider": provider.get("name"),
                             "new": new, "models": len(touched)},
                )
        summary = provider_summary(current)
        decorated = self.impact.decorate(written, unused=made)
        return {"created": created, "updated": updated,
                "models": [{**doc, "provider": summary} for doc in decorated]}

    def update(self, model_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Apply an admin's edit; edited facts are marked admin-owned in ``meta.sources``
        (the value they replace is kept in ``meta.discovered``); ``reset`` gives fields
        back to discovery (the kept value, or the next re-registration's)."""
        doc = self.store.get(model_id)
        reset = list(data.get("reset") or [])
        both = sorted(set(reset) & set(data))
        if both:
            message = "A field cannot be set and reset at once: " + ", ".join(both) + "."
            raise ValidationError(message, fields={"reset": [message]})
        meta = _dict(doc.get("meta"))
        sources, discovered = _dict(meta.get("sources")), _dict(meta.get("discovered"))
        set_fields: dict[str, Any] = {}
        unset: list[str] = []
        for field, value in data.items():
            if field == "reset":
                continue
            set_fields[field] = value
            if field in FACT_FIELDS:
                if sources.get(field) != ADMIN:  # keep what discovery said, for a reset
                    set_fields[f"meta.discovered.{field}"] = {
                        "value": doc.get(field), "source": sources.get(field)}
                set_fields[f"meta.sources.{field}"] = ADMIN
        for field in reset:
            kept = discovered.get(field)
            if isinstance(kept, dict) and "value" in kept:
                set_fields[field] = kept["value"]
                if kept.get("source"):
                    set_fields[f"meta.sources.{field}"] = kept["source"]
                else:
                    unset.append(f"meta.sources.{field}")
            else:  # edited before values were kept: the next registration refreshes it
                unset.append(f"meta.sources.{field}")
            unset.append(f"meta.discovered.{field}")
        if not set_fields and not unset:
            return self.with_providers([doc])[0]
        new = self.store.update(doc["_id"], set_fields, tuple(unset))
        if "enabled" in data and data["enabled"] != doc.get("enabled"):
            self.audit.record("model.enabled" if data["enabled"] else "model.disabled",
                              model_target(doc))
        edited = sorted(f for f in data
                        if f not in ("enabled", "reset") and data[f] != doc.get(f)) + reset
        if edited:
            self.audit.record("model.updated", model_target(doc), details={"fields": edited})
        dropped: list[dict[str, str]] = []
        if data.get("enabled") is False and doc.get("enabled"):
            # a disabled model is no fallback
            dropped = self.agents.drop_fallbacks([doc["_id"]], self.agents.request_deadline())
        out = self.with_providers([new])[0]
        if "enabled" in data:  # who is affected, for the admin's message
            out["usedBy"] = [{"id": str(a["_id"]), "name": a.get("name", "")}
                             for a in self.agents.agents_using([doc["_id"]])]
            out["droppedFallbacks"] = dropped
        return out

    def move_agents(self, model_id: str, to_model_id: Any) -> dict[str, Any]:
        """Re-bind every agent of a model (primary or fallback) to another registered,
        enabled, not gone model of any provider, and sync them (one step an admin confirms
        on the page)."""
        doc = self.store.get(model_id)
        target = self.store.find(to_model_id)

        def refuse(why: str) -> ValidationError:
            return ValidationError(f"toModelId: {why}", fields={"toModelId": [why]})

        if target is None or target.get("deleting"):
            raise refuse("No registered model has this id.")
        if target["_id"] == doc["_id"]:
            raise refuse("Choose another model than the one the agents leave.")
        if not target.get("enabled"):
            raise refuse(f"Model {target.get('displayName')!r} is disabled; enable it first.")
        if lifecycle_of(target)["status"] == "gone":
            raise refuse(f"Model {target.get('displayName')!r} is gone from its provider.")
        provider = self.providers.find(target["providerId"])
        if provider is None or provider.get("deleting"):
            raise refuse("The target model's provider was deleted.")
        moved = self.agents.move_model(doc, target, provider)
        return {"fromModelId": str(doc["_id"]), "toModelId": str(target["_id"]),
                "moved": moved["agents"], "syncFailed": moved["failed"]}

    def suggested_successor(self, model_id: str) -> dict[str, Any] | None:
        """The model the page suggests moving agents to (None: no suggestion)."""
        return self.impact.successor_of(self.store.get(model_id))

    def delete(self, model_id: str, *, force: bool = False) -> dict[str, Any]:
        """Delete a model. Agents using it make this a 409 unless ``force``, which detaches
        them first (they keep the legacy model string and are re-synced)."""
        deadline = self.agents.request_deadline()
        doc = self.store.get(model_id)
        # Mark first: an agent bound to the model after the query below sees the mark and
        # detaches itself (AgentService), so no agent is left with a dangling modelId.
        self.store.set_deleting(doc["_id"], True)
        users = self.agents.agents_using([doc["_id"]])
        if users and not force:
            self.store.set_deleting(doc["_id"], False)
            names = ", ".join(a.get("name", "?") for a in users)
            raise Conflict(
                f"The model is used by {len(users)} agent(s): {names}. Choose another model "
                "for them, or delete with ?force=true to detach them (they keep the model "
                "string).",
                fields={"agents": [{"id": str(a["_id"]), "name": a.get("name")} for a in users]},
            )
        detached = self.agents.detach_from_models([doc["_id"]], deadline) if users else []
        self.agents.drop_fallbacks([doc["_id"]], deadline)
        pid = doc.get("providerId")
        if not isinstance(pid, ObjectId):
            self.store.remove(doc["_id"])
        elif self.providers.begin_model_writes(pid, deleting_ok=True) is None:
            self.store.remove(doc["_id"])  # its provider is gone: no count to keep
        else:
            try:
                removed = self.store.remove(doc["_id"])
            except BaseException:
                self._end_writes_quietly(pid)
                raise
            self._end_writes(pid, -1 if removed else 0)
        log.info("model deleted id=%s agents=%d", doc["_id"], len(detached))
        self.audit.record("model.deleted", model_target(doc),
                          details={"force": force, "detachedAgents": len(detached)})
        return {"id": str(doc["_id"]), "detachedAgents": detached}

    # --- helpers ---------------------------------------------------------------------
    def _prepare(
        self, pid: ObjectId, entries: list[Mapping[str, Any]], wanted: list[str]
    ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any] | None],
               tuple[list[InsertOne | UpdateOne], list[UpdateOne]]]:
        """A registration's writes: the models found before it, what each entry's model
        will be once written (known without reading it back: a new model's whole
        document, inserted as it is; an existing one's as read with the update applied),
        and the bulk operations (inserts for the new, upserts for the found) with each
        one's upsert (what a lost insert race runs instead)."""
        existing = self.store.by_provider_model_ids(pid, wanted)
        now = utcnow()
        specs = [
            self._upsert(pid, entry, existing.get(entry["providerModelId"]), now)
            for entry in entries
        ]
        upserts = [UpdateOne(match, update, upsert=True) for match, update in specs]
        models: list[dict[str, Any] | None] = [
            _written(spec, existing.get(m), None if m in existing else ObjectId())
            for spec, m in zip(specs, wanted, strict=True)
        ]
        operations: list[InsertOne | UpdateOne] = [
            upsert if m in existing else InsertOne(doc)
            for upsert, m, doc in zip(upserts, wanted, models, strict=True)
        ]
        return existing, models, (operations, upserts)

    def _end_writes(self, provider_id: ObjectId, n: int) -> dict[str, Any] | None:
        """End a write of a provider's models, counting ``n`` models more (or fewer); its
        document as it is now (None: gone). A stored count that is missing or odd (written
        by other code) is not added to but replaced by the provider's models counted now."""
        doc, counted_n = self.providers.end_model_writes(provider_id, n)
        if doc is None or counted_n:
            return doc
        counted = self.store.count_by_provider([provider_id]).get(provider_id, 0)
        if self.providers.set_model_count(doc, counted):
            return {**doc, MODEL_COUNT: counted}
        return doc  # another write is under way: a later read or recount corrects it

    def _end_writes_quietly(self, provider_id: ObjectId) -> None:
        """End a write that failed (its count is corrected by a later recount); an error
        here (the database down) leaves the mark to go stale."""
        try:
            self.providers.end_model_writes(provider_id, 0)
        except Exception:  # noqa: BLE001 - the write's own error is the one to raise
            log.warning("could not end the model write mark of provider %s", provider_id)

    def _upsert(
        self,
        provider_id: ObjectId,
        entry: Mapping[str, Any],
        existing: Mapping[str, Any] | None,
        now: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The upsert of one entry (filter, update), keeping admin-owned facts and
        ``enabled``."""
        meta = dict(entry.get("meta") or {})
        given_sources = meta.pop("sources", None)
        sources = given_sources if isinstance(given_sources, dict) else {}
        old_sources = ((existing or {}).get("meta") or {}).get("sources") or {}
        values = {f: entry.get(f) for f in FACT_FIELDS}
        if not values["displayName"]:
            values["displayName"] = entry["providerModelId"]
        if values["modality"] is None:
            values["modality"] = ["text"]
        set_fields: dict[str, Any] = {"lastSyncedAt": now, "updatedAt": now}
        on_insert: dict[str, Any] = {
            "enabled": entry.get("enabled") if entry.get("enabled") is not None else True,
            "createdAt": now,
        }
        for field, value in values.items():
            if old_sources.get(field) == ADMIN:
                # an admin's edit survives re-discovery; what discovery says now is kept
                # for a reset
                if value is not None:
                    source = sources.get(field)
                    set_fields[f"meta.discovered.{field}"] = {
                        "value": value,
                        "source": source if isinstance(source, str) and source != ADMIN
                        else PROVIDER}
                continue
            if value is None:
                if existing is None:
                    on_insert[field] = None
                continue
            source = sources.get(field)
            set_fields[field] = value
            set_fields[f"meta.sources.{field}"] = (
                source if isinstance(source, str) and source != ADMIN else PROVIDER
            )
        for key, value in meta.items():
            set_fields[f"meta.{key}"] = value
        set_fields.update(lifecycle_update(entry.get("lifecycle"), now))
        return (
            {"providerId": provider_id, "providerModelId": entry["providerModelId"]},
            {"$set": set_fields, "$setOnInsert": on_insert, "$unset": {"lifecycle.goneAt": ""}},
        )


def _written(
    spec: tuple[dict[str, Any], dict[str, Any]], before: Mapping[str, Any] | None, new_id: Any
) -> dict[str, Any] | None:
    """The document an upsert ``(filter, update)`` left: ``before`` (or, for an insert,
    the filter and ``$setOnInsert`` under ``new_id``) with its ``$set`` applied; None when
    neither is known (another writer inserted it first)."""
    match, update = spec
    if before is not None:
        doc = dict(before)
    elif new_id is not None:
        doc = {"_id": new_id, **match, **update["$setOnInsert"]}
    else:
        return None
    for path, value in update["$set"].items():
        target = doc
        *parents, last = path.split(".")
        for name in parents:
            child = target.get(name)
            target[name] = child = dict(child) if isinstance(child, dict) else {}
            target = child
        target[last] = value
    for path in update.get("$unset", {}):
        target = doc
        *parents, last = path.split(".")
        for name in parents:
            child = target.get(name)
            if not isinstance(child, dict):
                break
            target[name] = target = dict(child)
        else:
            target.pop(last, None)
    return doc
