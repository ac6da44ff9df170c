"""The ``LlmProvider`` collection."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from task_master_llm.errors import Conflict, NotFound
from task_master_llm.store.base import (
    NAME_KEY,
    ensure_index,
    ensure_name_key_index,
    name_key,
    name_taken,
    parse_object_id,
    utcnow,
)
from task_master_llm.store.summaries import PROVIDER_SUMMARY

#: how many models a provider has: kept by the registry's writes (``$inc``), recounted at
#: start-up and when one provider is read, so the providers list reads no model
MODEL_COUNT = "modelCount"
#: how many writes of its models are under way (a registration, a model delete), and when
#: the last began: a recount corrects no count while one is (their ``$inc`` is still to
#: come), unless the last began longer than :data:`STALE_WRITES` ago (a crashed writer)
MODEL_WRITES = "modelWrites"
MODEL_WRITES_AT = "modelWritesAt"
STALE_WRITES = timedelta(minutes=10)


def stored_model_count(doc: Mapping[str, Any]) -> int | None:
    """A provider's stored model count when it is one (an integer, not negative, not a
    flag); None when it is missing or odd (other code wrote it): it is counted instead."""
    value = doc.get(MODEL_COUNT)
    return value if type(value) is int and value >= 0 else None


def _correction(
    doc: Mapping[str, Any], counted: int
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The filter and update that set ``doc``'s stored count to ``counted`` only if the
    provider is as ``doc`` was read (same count, same writes under way); None when there
    is nothing to correct or a write of its models is under way (a stale one is ended)."""
    writes, began = doc.get(MODEL_WRITES), doc.get(MODEL_WRITES_AT)
    busy = type(writes) is int and writes > 0
    stale = busy and began is not None and began < utcnow() - STALE_WRITES
    if busy and not stale or stored_model_count(doc) == counted and not stale:
        return None
    match = {"_id": doc["_id"], MODEL_COUNT: doc.get(MODEL_COUNT), MODEL_WRITES: writes}
    update: dict[str, Any] = {MODEL_COUNT: counted}
    if stale:  # a writer that never ended (a crash): its models are in ``counted``
        match[MODEL_WRITES_AT] = began
        update[MODEL_WRITES] = 0
    return match, {"$set": update}


class ProviderStore:
    """CRUD on provider documents. Uniqueness of ``name`` comes from a unique index."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Create the indexes this store relies on (idempotent)."""
        ensure_index(self.collection, [("name", 1)], unique=True, name="name_unique")
        ensure_name_key_index(self.collection)  # "google ai" beside "Google AI": 409
        # the providers whose delete began (few or none): every models page asks for them
        ensure_index(self.collection, [("deleting", 1)], name="deleting",
                     partialFilterExpression={"deleting": True})
        # at most one provider per type is the gateway's credential for that type
        ensure_index(
            self.collection,
            [("providerType", 1)],
            unique=True,
            name="gateway_credential_unique",
            partialFilterExpression={"gatewayCredential": True},
        )

    def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Insert a new provider; a duplicate name is a 409."""
        now = utcnow()
        doc.setdefault("_id", ObjectId())
        doc.setdefault("status", "unknown")
        doc.setdefault("credentialsVersion", 1)
        doc.setdefault(MODEL_COUNT, 0)
        doc.setdefault("createdAt", now)
        doc.setdefault("updatedAt", now)
        doc[NAME_KEY] = name_key(doc.get("name"))
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            raise self._name_taken(doc.get("name")) from None
        return doc

    def _name_taken(self, name: Any) -> Conflict:
        """409 for a taken name; when its holder is a provider whose delete did not
        finish (hidden from lists), say so and how to finish it."""
        holder = self.collection.find_one({NAME_KEY: name_key(name)}, {"name": 1, "deleting": 1})
        if holder is not None and holder.get("deleting"):
            message = (f"A provider named {name!r} is still being deleted (an earlier delete "
                       f"did not finish): DELETE /api/llm/providers/{holder['_id']} again to "
                       "finish it, then use the name.")
            return Conflict(message, fields={"name": [message]})
        return name_taken("provider", name, holder)

    def get(self, provider_id: Any, *, include_deleting: bool = False) -> dict[str, Any]:
        """One provider by id; 404 when missing or malformed."""
        oid = parse_object_id(provider_id, "provider")
        query: dict[str, Any] = {"_id": oid}
        if not include_deleting:
            query["deleting"] = {"$ne": True}
        doc = self.collection.find_one(query)
        if doc is None:
            raise NotFound(f"No provider with id {str(provider_id)[:64]!r}.")
        return doc

    def find(self, provider_id: Any) -> dict[str, Any] | None:
        """One provider by id or None (no error), including those being deleted."""
        try:
            oid = parse_object_id(provider_id, "provider")
        except NotFound:
            return None
        return self.collection.find_one({"_id": oid})

    def all(self) -> list[dict[str, Any]]:
        """Every provider that is not being deleted, by name."""
        return list(self.collection.find({"deleting": {"$ne": True}}).sort("name", 1))

    def by_ids(self, ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        """Providers keyed by id, for joining onto models in one query."""
        if not ids:
            return {}
        return {d["_id"]: d for d in self.collection.find({"_id": {"$in": list(set(ids))}})}

    def summaries(self, ids: list[ObjectId]) -> dict[Any, dict[str, Any]]:
        """The summary fields of these providers (never key material), in one query."""
        if not ids:
            return {}
        cursor = self.collection.find({"_id": {"$in": list(set(ids))}}, PROVIDER_SUMMARY)
        return {d["_id"]: d for d in cursor}

    # --- the model count kept on each provider ----------------------------------------
    def begin_model_writes(self, provider_id: Any, *, deleting_ok: bool = False
                           ) -> dict[str, Any] | None:
        """Mark a write of a provider's models as under way (until :meth:`end_model_writes`)
        and return the provider. 404 when it is missing, malformed or being deleted;
        with ``deleting_ok`` (a model delete) a provider being deleted is marked too and
        a missing one is None."""
        oid = parse_object_id(provider_id, "provider")
        match: dict[str, Any] = {"_id": oid}
        if not deleting_ok:
            match["deleting"] = {"$ne": True}
        doc = self.collection.find_one_and_update(
            match, {"$inc": {MODEL_WRITES: 1}, "$set": {MODEL_WRITES_AT: utcnow()}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None and not deleting_ok:
            raise NotFound(f"No provider with id {str(provider_id)[:64]!r}.")
        return doc

    def end_model_writes(
        self, provider_id: ObjectId, n: int
    ) -> tuple[dict[str, Any] | None, bool]:
        """End a write begun by :meth:`begin_model_writes`, counting ``n`` models more (or
        fewer) in the same update. Returns the provider as it is now (being deleted or not;
        None when it is gone) and whether ``n`` was counted: not when the stored count is
        missing or odd (not an integer, or it would go below 0), which only a recount can
        tell."""
        doc = self.collection.find_one_and_update(
            {"_id": provider_id, MODEL_COUNT: {"$type": "int", "$gte": max(0, -n)}},
            {"$inc": {MODEL_COUNT: n, MODEL_WRITES: -1}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None:
            return doc, True
        return self.collection.find_one_and_update(
            {"_id": provider_id}, {"$inc": {MODEL_WRITES: -1}},
            return_document=ReturnDocument.AFTER,
        ), False

    def set_model_count(self, doc: Mapping[str, Any], counted: int) -> bool:
        """Correct a provider's stored count to ``counted`` (read from the models after
        ``doc`` was read). Not while a write of its models is under way, nor when one
        began or ended meanwhile (its ``$inc`` is then newer than what was counted). True
        when the count was corrected."""
        operation = _correction(doc, counted)
        if operation is None:
            return False
        return self.collection.update_one(*operation).modified_count == 1

    def set_model_counts(self, docs: list[dict[str, Any]], counts: Mapping[Any, int]) -> int:
        """:meth:`set_model_count` for many providers in one bulk write; how many changed."""
        operations = [UpdateOne(*op) for op in (
            _correction(d, counts.get(d["_id"], 0)) for d in docs) if op is not None]
        if not operations:
            return 0
        return self.collection.bulk_write(operations, ordered=False).modified_count

    def model_count_docs(self) -> list[dict[str, Any]]:
        """Every provider's id, stored model count and writes under way (the recount's
        starting point)."""
        return list(self.collection.find(
            {}, {MODEL_COUNT: 1, MODEL_WRITES: 1, MODEL_WRITES_AT: 1}))

    def deleting_ids(self) -> list[ObjectId]:
        """Ids of providers whose delete has begun (their models are hidden)."""
        return [d["_id"] for d in self.collection.find({"deleting": True}, {"_id": 1})]

    def update(
        self,
        provider_id: ObjectId,
        set_fields: Mapping[str, Any],
        unset_fields: tuple[str, ...] = (),
        *,
        touch: bool = True,
        bump_credentials: bool = False,
    ) -> dict[str, Any]:
        """Apply ``$set``/``$unset`` and return the new document; duplicate name is a 409.

        ``bump_credentials`` increments ``credentialsVersion`` in the same write: what the
        gateway holds of this provider (agents, its credential store) is then behind, and
        stays visibly owed until a push of the new version succeeds, even after a crash.
        """
        update: dict[str, Any] = {"$set": dict(set_fields)}
        if "name" in set_fields:
            update["$set"][NAME_KEY] = name_key(set_fields["name"])
        if touch:
            update["$set"]["updatedAt"] = utcnow()
        if unset_fields:
            update["$unset"] = {f: "" for f in unset_fields}
        if bump_credentials:
            update["$inc"] = {"credentialsVersion": 1}
        try:
            doc = self.collection.find_one_and_update(
                {"_id": provider_id, "deleting": {"$ne": True}},
                update,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            raise self._name_taken(set_fields.get("name")) from None
        if doc is None:
            raise NotFound(f"No provider with id {str(provider_id)!r}.")
        return doc

    # --- the gateway's credential for a type ----------------------------------------
    def gateway_holder(self, provider_type: str) -> dict[str, Any] | None:
        """The provider whose key the gateway's credential store holds for this type."""
        return self.collection.find_one({"providerType": provider_type, "gatewayCredential": True})

    def claim_gateway_credential(self, provider_id: ObjectId) -> bool:
        """Make the provider its type's gateway credential unless another one is; True when
        it is (the unique partial index settles a race)."""
        try:
            result = self.collection.update_one(
                {"_id": provider_id, "deleting": {"$ne": True}},
                {"$set": {"gatewayCredential": True, "gatewayCredentialVersion": None}},
            )
        except DuplicateKeyError:
            return False
        return result.matched_count == 1

    def release_gateway_credential(self, provider_id: ObjectId) -> None:
        """The provider no longer is its type's gateway credential."""
        self.collection.update_one(
            {"_id": provider_id},
            {"$unset": {"gatewayCredential": "", "gatewayCredentialVersion": "",
                        "gatewayCredentialError": ""}},
        )

    def next_gateway_candidate(self, provider_type: str) -> dict[str, Any] | None:
        """The oldest other provider of the type that could take the credential."""
        cursor = self.collection.find(
            {"providerType": provider_type, "deleting": {"$ne": True},
             "gatewayCredential": {"$ne": True}}
        ).sort([("createdAt", 1), ("_id", 1)]).limit(1)
        return next(iter(cursor), None)

    def record_gateway_push(
        self, provider_id: ObjectId, version: int, error: str | None
    ) -> None:
        """Store the outcome of a credential push of ``version``; the version only counts
        as pushed when it is still the provider's current one."""
        if error is None:
            self.collection.update_one(
                {"_id": provider_id, "gatewayCredential": True, "credentialsVersion": version}
                if version else
                {"_id": provider_id, "gatewayCredential": True,
                 "credentialsVersion": {"$in": [None, 0]}},
                {"$set": {"gatewayCredentialVersion": version, "gatewayCredentialError": None,
                          "gatewayCredentialAt": utcnow()}},
            )
        else:
            self.collection.update_one(
                {"_id": provider_id}, {"$set": {"gatewayCredentialError": error}}
            )

    def gateway_holders(self) -> list[dict[str, Any]]:
        """Every provider that is its type's gateway credential."""
        return list(self.collection.find({"gatewayCredential": True, "deleting": {"$ne": True}}))

    def record_test(self, tested: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
        """Store a test's outcome only if the provider still has the key, base URL,
        organization and deployment that were tested; False when it changed meanwhile."""
        match = {"_id": tested["_id"], "deleting": {"$ne": True}}
        for name in ("encryptedApiKey", "baseUrl", "orgId", "deploymentId"):
            match[name] = tested.get(name)  # None also matches a missing field
        return self.collection.update_one(match, {"$set": dict(fields)}).matched_count == 1

    def mark_deleting(self, provider_id: ObjectId) -> None:
        """First step of a delete: hide the provider so nothing new can use it."""
        self.collection.update_one(
            {"_id": provider_id}, {"$set": {"deleting": True, "updatedAt": utcnow()}}
        )

    def remove(self, provider_id: ObjectId) -> None:
        """Last step of a delete."""
        self.collection.delete_one({"_id": provider_id})
