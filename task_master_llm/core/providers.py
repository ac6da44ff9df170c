"""Provider service: create, edit, delete, test and discover, on top of the stores.

Keys are encrypted and decrypted by :class:`~task_master_llm.core.credentials.Credentials`;
the plaintext exists only while an adapter uses it and is never returned, logged or put in
an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bson import ObjectId

from task_master_llm.adapters import (
    ConnectionResult,
    DiscoveredModel,
    ProviderAdapter,
    ProviderConfig,
    get_adapter_class,
)
from task_master_llm.core import lifecycle
from task_master_llm.core.audit import NO_AUDIT, AuditLog, failure, problem, provider_target
from task_master_llm.core.credentials import Credentials
from task_master_llm.core.gateway_credentials import GatewayCredentials
from task_master_llm.core.links import AgentLinks
from task_master_llm.errors import NotFound, ValidationError
from task_master_llm.net.policy import validate_base_url
from task_master_llm.store import (
    ModelStore,
    ProviderStore,
    keys,
    parse_object_id,
    utcnow,
)
from task_master_llm.store.health import HealthStore
from task_master_llm.store.providers import stored_model_count

log = logging.getLogger(__name__)


#: API field -> attribute of the adapter's FieldRule
_RULED_FIELDS = {
    "apiKey": "api_key",
    "baseUrl": "base_url",
    "orgId": "org_id",
    "deploymentId": "deployment_id",
}


class ProviderService:
    """Everything the provider routes do, independent of Flask."""

    audit: AuditLog = NO_AUDIT

    def __init__(
        self,
        store: ProviderStore,
        models: ModelStore,
        credentials: Credentials,
        agents: AgentLinks,
        gateway: GatewayCredentials,
        health: HealthStore | None = None,
    ) -> None:
        self.store = store
        self.models = models
        self.credentials = credentials
        self.agents = agents
        self.gateway = gateway
        self.health = health

    # --- reads -----------------------------------------------------------------------
    def all(self) -> list[dict[str, Any]]:
        """All providers as API objects with their model counts as each provider stores
        them (one query; a provider written without a count by other code has its models
        counted, and the count stored, once)."""
        docs = self.store.all()
        counts = self._model_counts(docs)
        return [self.to_api(d, counts[d["_id"]]) for d in docs]

    def get(self, provider_id: Any) -> dict[str, Any]:
        """One provider as an API object, its models counted (an indexed count of one
        provider's models); a stored count that differs is corrected."""
        doc = self.store.get(provider_id)
        count = self.models.count_by_provider([doc["_id"]]).get(doc["_id"], 0)
        self.store.set_model_count(doc, count)
        return self.to_api(doc, count)

    def _model_counts(self, docs: list[dict[str, Any]]) -> dict[Any, int]:
        """Each provider's stored model count; the providers without one (written by other
        code) have their models counted, in one query, and the counts stored."""
        missing = [d for d in docs if stored_model_count(d) is None]
        counted: dict[Any, int] = {}
        if missing:
            counted = self.models.count_by_provider([d["_id"] for d in missing])
            self.store.set_model_counts(missing, counted)
        return {d["_id"]: stored_model_count(d) or counted.get(d["_id"], 0) for d in docs}

    def recount_models(self) -> int:
        """Correct every provider's stored model count (at start-up: models written by a
        crashed registration or by other code are counted); how many changed."""
        docs = self.store.model_count_docs()
        if not docs:
            return 0
        changed = self.store.set_model_counts(docs, self.models.count_by_provider(None))
        if changed:
            log.info("model counts corrected providers=%d", changed)
        return changed

    def to_api(self, doc: Mapping[str, Any], model_count: int) -> dict[str, Any]:
        """A document plus derived fields; the schema drops everything else."""
        cls = get_adapter_class(doc["providerType"])
        has_key = keys.has_key(doc)
        tail = doc.get(keys.LAST4_FIELD) or ""
        optional = ("baseUrl", "orgId", "deploymentId", "statusMessage", "lastErrorKind",
                    "lastValidatedAt", "lastCheckedAt", "lastLatencyMs")
        return {
            **{k: None for k in optional},
            **doc,
            "effectiveBaseUrl": doc.get("baseUrl") or cls.default_base_url,
            "hasApiKey": has_key,
            "apiKeyLast4": tail or None,
            "apiKeyMasked": ("****" + tail) if has_key else None,
            "modelCount": model_count,
            "gatewayCredential": bool(doc.get("gatewayCredential")),
            "gatewayStore": self._gateway_state(doc, cls),
        }

    def _gateway_state(self, doc: Mapping[str, Any], cls: type[ProviderAdapter]) -> dict[str, Any]:
        """Whether the gateway's runtime uses this provider's key, and whether it has it."""
        kind = cls.gateway_credential
        if kind is None:
            return {"type": None, "status": "unsupported", "error": None, "message": (
                f"The Talon gateway's credential store has no place for {cls.display_name} "
                "keys: agents on this provider run with whatever credentials the gateway "
                "itself has."
            )}
        if not doc.get("gatewayCredential"):
            return {"type": kind, "status": "standby", "error": None, "message": (
                f"Not the gateway's {kind} credential: agents on this provider run with the "
                f"key of the {cls.display_name} provider that is (the gateway holds one)."
            )}
        settings = self.gateway.settings
        if not settings.keys_in_store or not self.gateway.client.enabled:
            return {"type": kind, "status": "off", "error": None,
                    "message": "Keys are not pushed to the gateway's credential store."}
        version = int(doc.get("credentialsVersion") or 0)
        if doc.get("gatewayCredentialVersion") == version:
            return {"type": kind, "status": "synced", "error": None,
                    "message": f"The gateway's runtime uses this key for {kind} agents."}
        error = doc.get("gatewayCredentialError")
        return {"type": kind, "status": "failed" if error else "owed", "error": error,
                "message": "The gateway does not have this key yet; `flask llm sync-agents` "
                           "pushes it."}

    # --- writes ----------------------------------------------------------------------
    def create(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the fields for the type, encrypt the key, insert (409 on a duplicate)."""
        cls = get_adapter_class(data["providerType"])
        values = {k: data.get(k) for k in _RULED_FIELDS}
        self._check_fields(cls, values, creating=True)
        doc: dict[str, Any] = {
            "_id": ObjectId(),
            "name": data["name"],
            "providerType": cls.type_name,
            "status": "unknown",
        }
        for field in ("baseUrl", "orgId", "deploymentId"):
            if values[field] is not None:
                doc[field] = values[field]
        if values["apiKey"]:
            doc.update(self.credentials.encrypt(doc["_id"], values["apiKey"]))
        doc = self.store.insert(doc)
        log.info("provider created id=%s type=%s", doc["_id"], doc["providerType"])
        self._audit_created(doc, values["apiKey"])
        self.gateway.adopt(doc)
        return self.to_api(self.store.get(doc["_id"]), 0)

    def update(self, provider_id: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """Apply a PATCH. A new key is re-encrypted and resets the status to unknown."""
        deadline = self.agents.request_deadline()
        doc = self.store.get(provider_id)
        cls = get_adapter_class(doc["providerType"])
        if "providerType" in data and data["providerType"] != doc["providerType"]:
            raise ValidationError(
                "A provider's type cannot change. Create a new provider of type "
                f"{data['providerType']!r} instead, then delete this one.",
                fields={"providerType": ["Cannot be changed; create a new provider instead."]},
            )
        merged = {
            # an unchanged stored key counts as present (its plaintext is not needed here)
            "apiKey": data["apiKey"] if "apiKey" in data else keys.has_key(doc),
            "baseUrl": data.get("baseUrl", doc.get("baseUrl")),
            "orgId": data.get("orgId", doc.get("orgId")),
            "deploymentId": data.get("deploymentId", doc.get("deploymentId")),
        }
        self._check_fields(cls, merged, creating=False, given=set(data))
        if "gatewayCredential" in data:
            self._check_gateway_move(cls, doc, data["gatewayCredential"])
        set_fields: dict[str, Any] = {}
        unset: list[str] = []
        if "name" in data:
            set_fields["name"] = data["name"]
        for field in ("baseUrl", "orgId", "deploymentId"):
            if field in data:
                if data[field] is None:
                    unset.append(field)
                else:
                    set_fields[field] = data[field]
        if "apiKey" in data:
            if data["apiKey"]:
                set_fields.update(self.credentials.encrypt(doc["_id"], data["apiKey"]))
            else:
                unset.extend(keys.KEY_FIELDS)
        # what the last test proved no longer holds; what the gateway holds is stale
        changed = {
            f for f in _RULED_FIELDS if f in data and (f == "apiKey" or data[f] != doc.get(f))
        }
        if changed:
            set_fields.update(status="unknown", statusMessage=None, lastErrorKind=None,
                              lastCheckedAt=None)
        credentials_changed = bool(changed & {"apiKey", "baseUrl", "deploymentId"})
        new = self.store.update(doc["_id"], set_fields, tuple(unset),
                                bump_credentials=credentials_changed)
        self._audit_update(doc, new, data)
        if data.get("gatewayCredential") is True and not doc.get("gatewayCredential"):
            self.gateway.make_holder(new["_id"])
        elif credentials_changed:
            self.gateway.push(new["_id"])
        if credentials_changed:
            self.agents.resync_provider(new["_id"], deadline)
        new = self.store.get(new["_id"])
        return self.to_api(new, self._model_counts([new])[new["_id"]])

    def delete(self, provider_id: Any) -> dict[str, Any]:
        """Delete a provider and its models, in an order that a crash cannot break.

        1. mark the provider ``deleting`` (hidden, unusable for new agents);
        2. detach the agents that use its models (they keep their legacy model string);
        3. hand its gateway credential on (or queue its removal from the gateway's store);
        4. delete its models; 5. delete the provider. Repeating the call resumes.
        """
        oid = parse_object_id(provider_id, "provider")
        doc = self.store.find(oid)
        if doc is None:
            raise NotFound(f"No provider with id {str(provider_id)[:64]!r}.")
        deadline = self.agents.request_deadline()
        self.store.mark_deleting(oid)
        model_ids = self.models.ids_by_provider(oid)
        detached = self.agents.detach_from_models(model_ids, deadline)
        self.agents.drop_fallbacks(model_ids, deadline)
        self.gateway.release(doc)
        deleted = self.models.delete_by_provider(oid)
        if self.health is not None:
            self.health.remove(oid)
        self.store.remove(oid)
        log.info("provider deleted id=%s models=%d agents=%d", oid, deleted, len(detached))
        self.audit.record("provider.deleted", provider_target(doc), details={
            "deletedModels": deleted, "detachedAgents": len(detached)})
        return {"id": str(oid), "deletedModels": deleted, "detachedAgents": detached}

    # --- upstream --------------------------------------------------------------------
    def adapter_for(self, doc: Mapping[str, Any]) -> ProviderAdapter:
        """An adapter with the decrypted key; a key that won't decrypt is a clean 409."""
        return self.credentials.adapter_for(doc)

    def test(self, provider_id: Any) -> ConnectionResult:
        """Run the adapter's connection test and store the outcome on the provider."""
        doc = self.store.get(provider_id)
        try:
            result = self.adapter_for(doc).test_connection()
        except Exception as exc:
            self.audit.record("provider.tested", provider_target(doc), outcome="failed",
                              error=failure(exc))
            raise
        fields: dict[str, Any] = {
            "status": result.status,
            "statusMessage": result.message,
            "lastErrorKind": result.error_kind,
            "lastLatencyMs": result.latency_ms,
            "lastCheckedAt": utcnow(),  # every test, passed or failed (lastValidatedAt: passed)
        }
        if result.status == "valid":
            fields["lastValidatedAt"] = utcnow()
        stored = self.store.record_test(doc, fields)
        if not stored:
            # an admin changed the key or URL while the test ran: what it proved is about
            # values the provider no longer has, so it is not stored (status stays unknown)
            log.info("provider %s changed during its test; the result was not stored",
                     doc["_id"])
        valid = result.status == "valid"
        self.audit.record(
            "provider.tested", provider_target(doc), outcome="ok" if valid else "failed",
            error=None if valid else problem(result.error_kind, result.message),
            details={"status": result.status, "latencyMs": result.latency_ms,
                     "stored": stored},
        )
        return result

    def test_values(self, data: Mapping[str, Any]) -> ConnectionResult:
        """Test typed, unsaved values (the provider dialog's Test button) with the same
        field rules, base-URL policy, timeouts and error kinds as a saved provider's Test.
        Nothing is stored. With ``providerId`` (editing), every field not given, the key
        above all, is the saved provider's, whose type is used."""
        stored: Mapping[str, Any] | None = None
        if data.get("providerId"):
            try:
                stored = self.store.get(data["providerId"])
            except NotFound as exc:
                raise ValidationError(exc.message, fields={"providerId": [exc.message]}) from None
            provider_type = stored["providerType"]
        elif data.get("providerType"):
            provider_type = data["providerType"]
        else:
            message = "Name the provider type to test (or the saved provider, providerId)."
            raise ValidationError(message, fields={"providerType": [message]})
        cls = get_adapter_class(provider_type)
        values: dict[str, Any] = {}
        for field in _RULED_FIELDS:  # a field sent as null or "" is cleared, not the saved one
            given = field in data or stored is None or field == "apiKey"
            values[field] = data.get(field) if given else (stored or {}).get(field)
        keep_stored_key = stored is not None and not data.get("apiKey")
        self._check_fields(cls, {**values, "apiKey": values["apiKey"] or (
            keep_stored_key and keys.has_key(stored or {}))}, creating=True)
        api_key = self.credentials.decrypt(stored) if keep_stored_key and stored else None
        config = ProviderConfig(
            provider_type=cls.type_name,
            name=str(data.get("name") or (stored or {}).get("name") or cls.display_name),
            base_url=values["baseUrl"],
            api_key=api_key if keep_stored_key else data.get("apiKey"),
            org_id=values["orgId"],
            deployment_id=values["deploymentId"],
        )
        return cls(config, self.credentials.http).test_connection()

    def discover(self, provider_id: Any) -> dict[str, Any]:
        """The provider's chat models as a diff against the registry: each marked
        ``new``/``changed``/``unchanged``, plus ``gone`` (registered, no longer listed) and
        whether the listing was complete (see :func:`task_master_llm.core.lifecycle.diff`).
        Nothing is written."""
        doc = self.store.get(provider_id)
        adapter = self.adapter_for(doc)
        found: list[DiscoveredModel] = adapter.discover_models()
        return lifecycle.diff(found, self.models.by_provider(doc["_id"]),
                              incomplete=adapter.listing_incomplete)

    # --- helpers ---------------------------------------------------------------------
    def _audit_created(self, doc: Mapping[str, Any], api_key: str | None) -> None:
        """``provider.created``, and ``provider.key_set`` when it came with a key."""
        target = provider_target(doc)
        self.audit.record("provider.created", target,
                          details={"providerType": doc["providerType"]})
        if api_key:
            self.audit.record("provider.key_set", target,
                              fingerprint=self.audit.fingerprint(api_key))

    def _audit_update(
        self, old: Mapping[str, Any], new: Mapping[str, Any] | None, data: Mapping[str, Any]
    ) -> None:
        """The key event of a PATCH (set, replaced, cleared) and ``provider.updated`` naming
        the other fields that changed (names only, never values)."""
        target = provider_target(new or old)
        if "apiKey" in data:
            if not data["apiKey"]:
                action = "provider.key_cleared"
            else:
                action = "provider.key_replaced" if keys.has_key(old) else "provider.key_set"
            self.audit.record(action, target, fingerprint=self.audit.fingerprint(data["apiKey"]))
        changed = sorted(f for f in data if f != "apiKey" and data[f] != old.get(f))
        if changed:
            self.audit.record("provider.updated", target, details={"fields": changed})

    def _check_gateway_move(
        self, cls: type[ProviderAdapter], doc: Mapping[str, Any], value: bool
    ) -> None:
        """``gatewayCredential`` can only be given to a provider, never taken away (the
        gateway keeps one key per type: give it to another provider instead)."""
        problem = None
        if cls.gateway_credential is None:
            problem = (f"The Talon gateway's credential store has no place for "
                       f"{cls.display_name} keys.")
        elif value is False and doc.get("gatewayCredential"):
            problem = ("The gateway holds one key per type: set gatewayCredential to true "
                       "on another provider of this type to move it.")
        if problem:
            raise ValidationError(problem, fields={"gatewayCredential": [problem]})

    def _check_fields(
        self,
        cls: type[ProviderAdapter],
        values: Mapping[str, Any],
        *,
        creating: bool,
        given: set[str] | None = None,
    ) -> None:
        """400 naming each field the type refuses or needs."""
        errors: dict[str, list[str]] = {}
        label = cls.display_name
        for api_field, rule_attr in _RULED_FIELDS.items():
            rule = getattr(cls.fields, rule_attr)
            value = values.get(api_field)
            was_given = creating or (given is not None and api_field in given)
            if rule == "refused" and value is not None and was_given:
                errors[api_field] = [f"{label} providers do not take {api_field}."]
            elif rule == "required" and not value:
                errors[api_field] = [f"Required for {label} providers."]
        base_url = values.get("baseUrl")
        if base_url and "baseUrl" not in errors:
            try:
                validate_base_url(base_url)
            except ValidationError as exc:
                errors.update(exc.fields)
        if errors:
            raise ValidationError(
                "Invalid fields: " + ", ".join(sorted(errors)) + ".", fields=errors
            )

