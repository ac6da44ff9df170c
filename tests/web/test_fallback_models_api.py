"""Fallback models: registered, enabled models of any provider that the gateway falls back
to (``model: {primary, fallbacks}``); a disabled or deleted fallback leaves every agent
that listed it, which is re-synced."""

from __future__ import annotations

from tests.support import agent_requests, make_agent, make_provider, register


def setup_models(gw_admin):
    openai = make_provider(gw_admin, "openai", "OpenAI")
    anthropic = make_provider(gw_admin, "anthropic", "Anthropic")
    gpt, mini = register(gw_admin, openai["id"], "gpt-4o", "gpt-4o-mini")
    [claude] = register(gw_admin, anthropic["id"], "claude-sonnet-4")
    [off] = register(gw_admin, anthropic["id"], "claude-old", enabled=False)
    return {"gpt": gpt, "mini": mini, "claude": claude, "off": off}


def test_fallbacks_reach_the_gateway_in_order(gw_admin, gw_member, talon):
    models = setup_models(gw_admin)
    agent = make_agent(gw_member, "Resilient", modelId=models["gpt"]["id"],
                       fallbackModelIds=[models["claude"]["id"], models["mini"]["id"],
                                         models["gpt"]["id"], models["claude"]["id"]])
    # the primary and a repeat are dropped; the order is kept
    assert agent["fallbackModelIds"] == [models["claude"]["id"], models["mini"]["id"]]
    assert [m["providerModelId"] for m in agent["fallbackModels"]] == [
        "claude-sonnet-4", "gpt-4o-mini"]
    assert agent["fallbackModels"][0]["provider"]["providerType"] == "anthropic"
    assert talon.sub_agents[agent["talonId"]]["model"] == {
        "primary": "openai/gpt-4o",
        "fallbacks": ["anthropic/claude-sonnet-4", "openai/gpt-4o-mini"],
    }


def test_an_unusable_fallback_is_a_400_naming_it(gw_admin, gw_member, db):
    models = setup_models(gw_admin)
    res = gw_member.post("/api/agents", json={
        "name": "Picky", "modelId": models["gpt"]["id"],
        "fallbackModelIds": [models["claude"]["id"], models["off"]["id"]]})
    assert res.status_code == 400
    assert "disabled" in res.json["error"]["fields"]["fallbackModelIds"]["1"][0]
    assert db.Agent.count_documents({}) == 0
    res = gw_member.post("/api/agents", json={
        "name": "Picky", "modelId": models["gpt"]["id"], "fallbackModelIds": ["nope"]})
    assert res.status_code == 400 and "fallbackModelIds" in res.json["error"]["fields"]


def test_patch_sets_and_clears_fallbacks(gw_admin, gw_member, talon):
    models = setup_models(gw_admin)
    agent = make_agent(gw_member, "Editable", modelId=models["gpt"]["id"])
    res = gw_admin.patch(f"/api/agents/{agent['id']}",
                         json={"fallbackModelIds": [models["claude"]["id"]]})
    assert res.status_code == 200
    assert res.json["data"]["fallbackModelIds"] == [models["claude"]["id"]]
    assert talon.sub_agents[agent["talonId"]]["model"]["fallbacks"] == [
        "anthropic/claude-sonnet-4"]
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={"fallbackModelIds": []})
    assert res.json["data"]["fallbackModelIds"] == [] and res.json["data"]["fallbackModels"] == []
    assert talon.sub_agents[agent["talonId"]]["model"] == "openai/gpt-4o"


def test_disabling_a_fallback_drops_it_and_resyncs(gw_admin, gw_member, talon, db):
    models = setup_models(gw_admin)
    agent = make_agent(gw_member, "Resilient", modelId=models["gpt"]["id"],
                       fallbackModelIds=[models["claude"]["id"], models["mini"]["id"]])
    talon.clear_requests()
    res = gw_admin.patch(f"/api/llm/models/{models['claude']['id']}", json={"enabled": False})
    assert res.status_code == 200
    [put] = [r for r in agent_requests(talon) if r.method == "PUT"]
    assert put.body["model"] == {"primary": "openai/gpt-4o", "fallbacks": ["openai/gpt-4o-mini"]}
    doc = db.Agent.find_one({"name": "Resilient"})
    assert [str(m) for m in doc["fallbackModelIds"]] == [models["mini"]["id"]]
    assert doc["talonSyncStatus"] == "synced"
    # re-enabling does not put it back: the agent's list is the admin's to edit
    gw_admin.patch(f"/api/llm/models/{models['claude']['id']}", json={"enabled": True})
    assert gw_member.get(f"/api/agents/{agent['id']}").json["data"]["fallbackModelIds"] == [
        models["mini"]["id"]]


def test_deleting_a_fallback_model_or_its_provider_drops_it(gw_admin, gw_member, talon, db):
    models = setup_models(gw_admin)
    agent = make_agent(gw_member, "Resilient", modelId=models["gpt"]["id"],
                       fallbackModelIds=[models["claude"]["id"], models["mini"]["id"]])
    # a fallback never blocks a delete (only the agents whose primary it is do)
    assert gw_admin.delete(f"/api/llm/models/{models['mini']['id']}").status_code == 200
    assert talon.sub_agents[agent["talonId"]]["model"]["fallbacks"] == [
        "anthropic/claude-sonnet-4"]
    anthropic = models["claude"]["providerId"]
    assert gw_admin.delete(f"/api/llm/providers/{anthropic}").status_code == 200
    assert talon.sub_agents[agent["talonId"]]["model"] == "openai/gpt-4o"
    assert db.Agent.find_one({"name": "Resilient"})["fallbackModelIds"] == []


def test_a_fallback_made_primary_leaves_the_fallbacks(gw_admin, gw_member, talon):
    models = setup_models(gw_admin)
    agent = make_agent(gw_member, "Promoted", modelId=models["gpt"]["id"],
                       fallbackModelIds=[models["claude"]["id"], models["mini"]["id"]])
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={"modelId": models["claude"]["id"]})
    assert res.status_code == 200
    assert res.json["data"]["fallbackModelIds"] == [models["mini"]["id"]]
    assert talon.sub_agents[agent["talonId"]]["model"] == {
        "primary": "anthropic/claude-sonnet-4", "fallbacks": ["openai/gpt-4o-mini"]}
