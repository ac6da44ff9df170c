"""The provider service without Flask: the key is stored encrypted and comes back only
through the credentials helper; a credential change re-syncs the provider's agents to
the gateway (through :class:`~task_master_llm.core.links.AgentLinks`); a delete detaches
them."""

from __future__ import annotations

import pytest
from bson import ObjectId

from standins.talon import TalonServer
from task_master_llm.errors import ProviderKeyUnreadable
from task_master_llm.store import keys
from tests.support import CANARY_KEY, OPENAI_URL, agent_requests, credential_requests

NEW_KEY = "sk-NEWKEY-core-0b1c2d3e4f5a6b7c8d9e0f1a"
OTHER_KEY = "MTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY="  # 32 bytes, base64


def openai(services, name: str = "openai main", api_key: str = CANARY_KEY) -> dict:
    return services.providers.create(
        {"name": name, "providerType": "openai", "apiKey": api_key, "baseUrl": OPENAI_URL}
    )


def bound_agent(services, provider: dict, name: str, model_id: str = "gpt-4o") -> dict:
    """Register ``model_id`` under the provider and create an agent bound to it."""
    [model] = services.models.register(str(provider["_id"]), [{"providerModelId": model_id}])[
        "models"
    ]
    return services.agents.create({"name": name, "modelId": str(model["_id"]), "soul": "Hi"})


def test_create_stores_the_key_encrypted(services) -> None:
    created = openai(services)
    assert created["hasApiKey"] is True and created["apiKeyLast4"] == CANARY_KEY[-4:]
    assert created["apiKeyMasked"] == "****" + CANARY_KEY[-4:]
    doc = services.stores.providers.collection.find_one({"_id": created["_id"]})
    assert set(keys.KEY_FIELDS) <= set(doc)
    assert doc[keys.KEY_ID_FIELD] == services.vault.key_id
    # no plaintext anywhere in the stored document, in text or in bytes
    assert CANARY_KEY not in str(doc)
    for value in doc.values():
        if isinstance(value, bytes):
            assert CANARY_KEY.encode() not in value
            assert CANARY_KEY[:-4].encode() not in value
    assert services.credentials.decrypt(doc) == CANARY_KEY
    # and the adapter built for one call gets it
    assert services.credentials.adapter_for(doc).config.api_key == CANARY_KEY


def test_the_key_is_bound_to_its_provider_and_master_key(services, make_services) -> None:
    one, two = openai(services, "one"), openai(services, "two", api_key=NEW_KEY)
    coll = services.stores.providers.collection
    doc_two = coll.find_one({"_id": two["_id"]})
    # a ciphertext copied onto another provider does not decrypt there
    copied = {**coll.find_one({"_id": one["_id"]}),
              **{f: doc_two[f] for f in keys.CIPHER_FIELDS}}
    with pytest.raises(ProviderKeyUnreadable) as info:
        services.credentials.decrypt(copied)
    assert "one" in info.value.message and NEW_KEY not in info.value.message
    # services with another master key cannot read it, with the previous key they can
    with pytest.raises(ProviderKeyUnreadable):
        make_services(LLM_ENCRYPTION_KEY=OTHER_KEY).credentials.decrypt(doc_two)
    rotated = make_services(LLM_ENCRYPTION_KEY=OTHER_KEY,
                            LLM_ENCRYPTION_KEY_PREVIOUS=services.settings.encryption_key)
    assert rotated.credentials.decrypt(doc_two) == NEW_KEY


def test_a_provider_without_a_key_stores_none(services) -> None:
    created = services.providers.create({"name": "local", "providerType": "ollama"})
    assert created["hasApiKey"] is False and created["apiKeyMasked"] is None
    doc = services.stores.providers.collection.find_one({"_id": created["_id"]})
    assert not set(keys.KEY_FIELDS) & set(doc)
    assert services.credentials.decrypt(doc) is None


def test_a_key_patch_resyncs_the_agents_to_the_gateway(synced, talon: TalonServer) -> None:
    provider = openai(synced)
    first = bound_agent(synced, provider, "First")
    second = bound_agent(synced, provider, "Second", "gpt-4o-mini")
    legacy = synced.agents.create({"name": "Legacy", "model": "openai/gpt-4o"})
    other = bound_agent(synced, openai(synced, "other"), "Elsewhere")
    assert talon.agents[first["talonId"]]["apiKey"] == CANARY_KEY
    talon.clear_requests()

    updated = synced.providers.update(provider["_id"], {"apiKey": NEW_KEY})
    assert updated["apiKeyLast4"] == NEW_KEY[-4:] and updated["status"] == "unknown"
    puts = [r for r in talon.requests if r.method == "PUT"]
    assert len(puts) == len(agent_requests(talon)) == 2
    # the runtime's copy: the gateway's credential store got the new key too
    assert [r.body["apiKey"] for r in credential_requests(talon)] == [NEW_KEY]
    assert talon.runtime_key(first["talonId"], "openai") == NEW_KEY
    assert {r.path for r in puts} == {f"/v1/agents/{first['talonId']}",
                                      f"/v1/agents/{second['talonId']}"}
    assert all(r.body["apiKey"] == NEW_KEY and r.body["baseUrl"] == OPENAI_URL for r in puts)
    held = talon.agents
    assert held[first["talonId"]]["apiKey"] == NEW_KEY
    assert held[second["talonId"]]["apiKey"] == NEW_KEY
    assert held[other["talonId"]]["apiKey"] == CANARY_KEY  # another provider's agent
    assert "apiKey" not in held[legacy["talonId"]]  # a legacy agent has no provider key
    for agent in (first, second):
        doc = synced.stores.agents.collection.find_one({"_id": agent["_id"]})
        assert doc["talonSyncStatus"] == "synced" and doc["talonSyncError"] is None
    stored = synced.stores.providers.collection.find_one({"_id": provider["_id"]})
    assert synced.credentials.decrypt(stored) == NEW_KEY

    # a change that is not a credential pushes nothing
    talon.clear_requests()
    synced.providers.update(provider["_id"], {"name": "renamed"})
    assert talon.requests == []


def test_resync_provider_is_the_link_the_provider_service_calls(synced,
                                                                talon: TalonServer) -> None:
    """The provider service holds the agent service as its AgentLinks; calling the link
    directly pushes exactly that provider's bound agents."""
    link = synced.providers.agents
    assert link.resync_provider.__self__ is synced.agents
    provider = openai(synced)
    agent = bound_agent(synced, provider, "Linked")
    synced.agents.create({"name": "Unbound", "model": "openai/gpt-4o"})
    talon.clear_requests()
    link.resync_provider(ObjectId(provider["_id"]))
    assert [(r.method, r.path) for r in talon.requests] == [
        ("PUT", f"/v1/agents/{agent['talonId']}")
    ]
    assert talon.requests[0].body["apiKey"] == CANARY_KEY


def test_a_key_patch_with_the_gateway_down_records_the_failure(synced,
                                                               talon: TalonServer) -> None:
    provider = openai(synced)
    agent = bound_agent(synced, provider, "Patient")
    talon.down()
    synced.providers.update(provider["_id"], {"apiKey": NEW_KEY})
    doc = synced.stores.agents.collection.find_one({"_id": agent["_id"]})
    assert doc["talonSyncStatus"] == "failed" and "connection refused" in doc["talonSyncError"]
    assert NEW_KEY not in doc["talonSyncError"]
    talon.up()
    report = synced.reconciler.run()
    assert (report.synced, report.failed, report.disabled) == (1, 0, 0)
    assert report.credentials_synced == 1  # the store was owed the new key too
    assert talon.agents[agent["talonId"]]["apiKey"] == NEW_KEY
    assert talon.runtime_key(agent["talonId"], "openai") == NEW_KEY


def test_delete_removes_models_and_detaches_agents(synced, talon: TalonServer) -> None:
    provider = openai(synced)
    agent = bound_agent(synced, provider, "Orphan")
    synced.models.register(str(provider["_id"]), [{"providerModelId": "o3"}])
    talon.clear_requests()
    result = synced.providers.delete(provider["_id"])
    assert result == {"id": str(provider["_id"]), "deletedModels": 2,
                      "detachedAgents": [{"id": str(agent["_id"]), "name": "Orphan"}]}
    assert synced.stores.models.collection.count_documents({}) == 0
    assert synced.stores.providers.collection.count_documents({}) == 0
    doc = synced.stores.agents.collection.find_one({"_id": agent["_id"]})
    assert "modelId" not in doc and doc["model"] == "openai/gpt-4o"
    [put] = [r.body for r in talon.requests if r.method == "PUT"]
    assert put["model"] == "openai/gpt-4o" and put["apiKey"] == "" and put["baseUrl"] == ""
    assert talon.agents[agent["talonId"]]["apiKey"] == ""
