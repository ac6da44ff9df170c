"""The model service without Flask: registering keeps admin edits, and deleting a model
that agents use is refused unless forced, which detaches them (they keep the model
string) and re-syncs them to the gateway."""

from __future__ import annotations

import pytest

from standins.talon import TalonServer
from task_master_llm.errors import Conflict, ValidationError
from tests.support import CANARY_KEY, OPENAI_URL


@pytest.fixture
def provider(synced) -> dict:
    return synced.providers.create(
        {"name": "openai main", "providerType": "openai", "apiKey": CANARY_KEY,
         "baseUrl": OPENAI_URL}
    )


def register(services, provider: dict, *model_ids: str) -> list[dict]:
    entries = [{"providerModelId": m} for m in model_ids]
    return services.models.register(str(provider["_id"]), entries)["models"]


def test_force_delete_detaches_the_agents(synced, provider, talon: TalonServer) -> None:
    [model, kept] = register(synced, provider, "gpt-4o", "gpt-4o-mini")
    writer = synced.agents.create({"name": "Writer", "modelId": str(model["_id"]),
                                   "soul": "Write well."})
    other = synced.agents.create({"name": "Other", "modelId": str(kept["_id"])})
    assert writer["model"] == "openai/gpt-4o"
    agents = synced.stores.agents.collection

    with pytest.raises(Conflict) as info:
        synced.models.delete(str(model["_id"]))
    assert info.value.fields["agents"] == [{"id": str(writer["_id"]), "name": "Writer"}]
    assert agents.find_one({"_id": writer["_id"]})["modelId"] == model["_id"]
    assert not synced.stores.models.find(model["_id"]).get("deleting")  # unmarked again

    talon.clear_requests()
    result = synced.models.delete(str(model["_id"]), force=True)
    assert result == {"id": str(model["_id"]),
                      "detachedAgents": [{"id": str(writer["_id"]), "name": "Writer"}]}
    assert synced.stores.models.find(model["_id"]) is None
    stored = agents.find_one({"_id": writer["_id"]})
    assert "modelId" not in stored and stored["model"] == "openai/gpt-4o"
    assert stored["soul"] == "Write well." and stored["talonSyncStatus"] == "synced"
    assert agents.find_one({"_id": other["_id"]})["modelId"] == kept["_id"]  # untouched
    [put] = talon.requests
    assert put.method == "PUT" and put.path == f"/v1/agents/{writer['talonId']}"
    assert put.body["model"] == "openai/gpt-4o"
    assert put.body["apiKey"] == "" and put.body["baseUrl"] == ""  # no provider key any more
    assert talon.agents[writer["talonId"]]["systemPrompt"] == "Write well."
    # the detached agent is a legacy agent now: listed without a model relation
    assert synced.agents.get(writer["_id"])["llmModel"] is None


def test_delete_of_an_unused_model_touches_no_agent(synced, provider, talon) -> None:
    [model] = register(synced, provider, "gpt-4o")
    synced.agents.create({"name": "Legacy", "model": "openai/gpt-4o"})
    talon.clear_requests()
    assert synced.models.delete(str(model["_id"])) == {"id": str(model["_id"]),
                                                       "detachedAgents": []}
    assert talon.requests == []
    assert synced.stores.models.collection.count_documents({}) == 0


def test_a_disabled_model_cannot_be_chosen(synced, provider) -> None:
    [model] = register(synced, provider, "gpt-4o")
    synced.models.update(str(model["_id"]), {"enabled": False})
    with pytest.raises(ValidationError) as info:
        synced.agents.create({"name": "Late", "modelId": str(model["_id"])})
    assert "disabled" in info.value.fields["modelId"][0]
    assert synced.stores.agents.collection.count_documents({}) == 0


def test_reregistering_keeps_an_admin_edit_and_enabled(synced, provider) -> None:
    [model] = register(synced, provider, "gpt-4o")
    synced.models.update(str(model["_id"]), {"displayName": "Ours", "enabled": False})
    again = synced.models.register(str(provider["_id"]), [
        {"providerModelId": "gpt-4o", "displayName": "GPT-4o", "contextWindow": 128000,
         "enabled": True}])
    assert (again["created"], again["updated"]) == (0, 1)
    [doc] = again["models"]
    assert doc["_id"] == model["_id"] and doc["displayName"] == "Ours"
    assert doc["enabled"] is False and doc["contextWindow"] == 128000
    assert doc["meta"]["sources"] == {"displayName": "admin", "contextWindow": "provider",
                                      "modality": "provider"}
    assert doc["provider"]["name"] == "openai main"
