"""``build_services(settings, db)`` without Flask: each service built once and wired to
the others, the collections and the gateway client the settings name."""

from __future__ import annotations

from standins.talon import TalonServer
from task_master_llm.config import load_settings
from task_master_llm.core.services import build_services
from task_master_llm.talon import TalonClient
from tests.support import TALON_TOKEN, TEST_KEY


def test_each_service_is_built_once_and_shared(services) -> None:
    stores = services.stores
    # the provider and model services reach the agents through the one agent service
    assert services.providers.agents is services.agents
    assert services.models.agents is services.agents
    # one credentials helper, one vault
    assert services.providers.credentials is services.credentials
    assert services.agents.gateway.credentials is services.credentials
    assert services.credentials.vault is services.vault
    assert services.rotation.vault is services.vault
    # one gateway client
    assert services.agents.gateway.client is services.talon
    # one store per collection, the same object wherever it is used
    assert services.providers.store is stores.providers
    assert services.agents.providers is stores.providers
    assert services.agents.gateway.providers is stores.providers
    assert services.models.providers is stores.providers
    assert services.migration.providers is stores.providers
    assert services.models.store is stores.models
    assert services.providers.models is stores.models
    assert services.agents.models is stores.models
    assert services.agents.gateway.models is stores.models
    assert services.migration.models is stores.models
    assert services.agents.store is stores.agents
    assert services.agents.gateway.store is stores.agents
    assert services.migration.agents is stores.agents
    assert services.rotation.collection is stores.providers.collection


def test_the_settings_choose_collections_and_gateway(db, talon: TalonServer) -> None:
    config = {
        "LLM_ENCRYPTION_KEY": TEST_KEY,
        "TASK_MASTER_LLM_PROVIDER_COLLECTION": "Providers",
        "TASK_MASTER_LLM_MODEL_COLLECTION": "Models",
        "TASK_MASTER_LLM_AGENT_COLLECTION": "Bots",
        "TALON_GATEWAY_URL": talon.base_url + "/",
    }
    settings = load_settings(config, environ={})
    services = build_services(settings, db)
    assert services.settings is settings and services.db is db
    names = [s.collection.name for s in (services.stores.providers, services.stores.models,
                                         services.stores.agents)]
    assert names == ["Providers", "Models", "Bots"]
    assert all(s.collection.database is db for s in (services.stores.providers,
                                                     services.stores.models,
                                                     services.stores.agents))
    assert services.talon.enabled and services.talon.base_url == talon.base_url
    services.stores.ensure_indexes()
    assert "name_unique" in db.Providers.index_information()
    assert "provider_model_unique" in db.Models.index_information()
    assert "talon_id_unique" in db.Bots.index_information()
    assert "LlmProvider" not in db.list_collection_names()


def test_two_builds_share_nothing(make_services) -> None:
    one, two = make_services(), make_services()
    for name in ("vault", "credentials", "talon", "providers", "models", "agents",
                 "migration", "rotation"):
        assert getattr(one, name) is not getattr(two, name), name
    assert one.stores.providers is not two.stores.providers


def test_without_a_gateway_url_sync_is_off(services) -> None:
    assert services.talon.enabled is False
    agent = services.agents.create({"name": "Offline", "model": "openai/gpt-4o"})
    assert agent["talonSync"]["status"] == "disabled"
    assert "TALON_GATEWAY_URL" in agent["talonSync"]["error"]
    stored = services.stores.agents.collection.find_one({"name": "Offline"})
    assert stored["talonSyncStatus"] == "disabled" and stored["talonId"] == "offline"


def test_a_gateway_client_can_be_handed_in(db, talon: TalonServer) -> None:
    """``talon=`` replaces the client made from the settings (the settings have no URL);
    the agents then sync through it."""
    client = TalonClient(talon.base_url, TALON_TOKEN, connect_timeout=1, read_timeout=1)
    services = build_services(load_settings({"LLM_ENCRYPTION_KEY": TEST_KEY}, environ={}), db,
                              talon=client)
    assert services.talon is client and services.agents.gateway.client is client
    agent = services.agents.create({"name": "Handed In", "model": "openai/gpt-4o"})
    assert agent["talonSync"]["status"] == "synced", agent["talonSync"]
    assert talon.agents["handed-in"]["model"] == "openai/gpt-4o"
