"""The agent migration service without Flask: legacy agents (a model string) are bound to
registered models, then synced with their provider's key."""

from __future__ import annotations

from standins.talon import TalonServer
from tests.support import CANARY_KEY, OPENAI_URL, agent_requests


def test_migration_binds_legacy_agents_and_sync_pushes_them(synced,
                                                            talon: TalonServer) -> None:
    openai = synced.providers.create({"name": "openai", "providerType": "openai",
                                      "apiKey": CANARY_KEY, "baseUrl": OPENAI_URL})
    local = synced.providers.create({"name": "local", "providerType": "ollama"})
    synced.models.register(str(openai["_id"]), [{"providerModelId": "gpt-4o"}])
    synced.models.register(str(local["_id"]), [{"providerModelId": "llama3"}])
    agents = synced.stores.agents.collection
    for name, model in [("full", "openai/gpt-4o"), ("bare", "llama3"),
                        ("nowhere", "mistral/mistral-large")]:
        agents.insert_one({"name": name, "model": model, "hostField": name})
    before = list(agents.find({}, sort=[("name", 1)]))

    dry = synced.migration.run(dry_run=True)
    assert sorted(dry.matched) == ["bare", "full"] and dry.dry_run is True
    assert (dry.unmatched, dry.ambiguous) == (["nowhere"], [])
    assert "dry run: nothing was changed" in dry.summary()
    assert list(agents.find({}, sort=[("name", 1)])) == before

    report = synced.migration.run()
    assert sorted(report.matched) == ["bare", "full"] and report.dry_run is False
    assert (report.unmatched, report.ambiguous) == (["nowhere"], [])
    docs = {d["name"]: d for d in agents.find({})}
    models = {m["providerModelId"]: m for m in synced.stores.models.collection.find({})}
    assert docs["full"]["modelId"] == models["gpt-4o"]["_id"]
    assert docs["bare"]["modelId"] == models["llama3"]["_id"]
    assert docs["bare"]["model"] == "ollama/llama3"
    assert docs["full"]["talonSyncStatus"] == docs["bare"]["talonSyncStatus"] == "pending"
    assert "modelId" not in docs["nowhere"] and "talonSyncStatus" not in docs["nowhere"]
    assert all(d["hostField"] == d["name"] for d in docs.values())
    assert synced.migration.run().matched == []  # bound agents are not legacy any more

    assert agent_requests(talon) == []
    report = synced.reconciler.run()
    # the two bound agents, and "nowhere": never pushed, so owed too (as a legacy agent)
    assert (report.synced, report.failed, report.disabled) == (3, 0, 0)
    held = talon.agents
    assert held["full"]["model"] == "openai/gpt-4o" and held["full"]["apiKey"] == CANARY_KEY
    assert held["bare"]["model"] == "ollama/llama3"
    assert held["bare"]["baseUrl"] == "http://localhost:11434"
    assert held["nowhere"]["model"] == "mistral/mistral-large"
    assert held["nowhere"]["apiKey"] == ""  # a PUT clears what an earlier body held
