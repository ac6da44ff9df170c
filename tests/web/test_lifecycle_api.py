"""The registry stays true over time, against the stand-ins: discovery as a diff,
``flask llm discover --apply``, lifecycle, impact and moving agents (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bson import ObjectId

from standins.providers import ANTHROPIC_DEMO_KEY, AnthropicServer, AzureServer, OllamaServer
from standins.providers.anthropic import anthropic_models
from tests.support import agent_requests, make_agent

DEPRECATED = "claude-3-5-haiku-20241022"
SUCCESSOR = "claude-sonnet-4-5-20250929"


@pytest.fixture
def claude() -> Iterator[AnthropicServer]:
    with AnthropicServer() as server:
        yield server  # type: ignore[misc]


def add_anthropic(admin: Any, server: AnthropicServer) -> str:
    res = admin.post("/api/llm/providers", json={
        "name": "Claude", "providerType": "anthropic", "apiKey": ANTHROPIC_DEMO_KEY,
        "baseUrl": server.base_url})
    assert res.status_code == 201, res.json
    return res.json["data"]["id"]


def discover(admin: Any, pid: str) -> dict[str, Any]:
    res = admin.get(f"/api/llm/providers/{pid}/discover")
    assert res.status_code == 200, res.json
    return res.json["data"]


def register_all(admin: Any, pid: str) -> dict[str, dict[str, Any]]:
    items = discover(admin, pid)["items"]
    res = admin.post("/api/llm/models", json={"providerId": pid, "models": items})
    assert res.status_code == 201, res.json
    return {m["providerModelId"]: m for m in res.json["data"]["models"]}


def models_of(admin: Any, pid: str) -> dict[str, dict[str, Any]]:
    res = admin.get(f"/api/llm/models?providerId={pid}&limit=500")
    return {m["providerModelId"]: m for m in res.json["data"]["items"]}


def cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["llm", "discover", *args])


class TestDiscoveryDiff:
    def test_new_then_unchanged_then_changed_and_gone(self, admin, claude) -> None:
        pid = add_anthropic(admin, claude)
        first = discover(admin, pid)
        assert {i["change"] for i in first["items"]} == {"new"}
        assert first["gone"] == [] and first["listing"]["complete"] is True
        register_all(admin, pid)
        again = discover(admin, pid)
        assert {i["change"] for i in again["items"]} == {"unchanged"}, [
            (i["providerModelId"], i["changedFields"]) for i in again["items"]]
        changed = [dict(m) for m in claude.models if m["id"] != "claude-3-haiku-20240307"]
        changed[0] = {**changed[0], "max_input_tokens": 500000, "lifecycle": "deprecated",
                      "retires_at": "2027-01-01T00:00:00Z"}
        claude.models = changed
        diff = discover(admin, pid)
        by_id = {i["providerModelId"]: i for i in diff["items"]}
        assert by_id[changed[0]["id"]]["change"] == "changed"
        assert by_id[changed[0]["id"]]["changedFields"] == [
            "contextWindow", "lifecycle.status", "lifecycle.retiresAt"]
        assert [g["providerModelId"] for g in diff["gone"]] == ["claude-3-haiku-20240307"]

    def test_an_admin_edit_is_no_change(self, admin, claude) -> None:
        pid = add_anthropic(admin, claude)
        model = register_all(admin, pid)[SUCCESSOR]
        admin.patch(f"/api/llm/models/{model['id']}", json={"contextWindow": 1234})
        item = {i["providerModelId"]: i for i in discover(admin, pid)["items"]}[SUCCESSOR]
        assert item["change"] == "unchanged"

    def test_new_facts_are_stored_with_their_sources(self, admin, claude, db) -> None:
        pid = add_anthropic(admin, claude)
        sonnet = register_all(admin, pid)[SUCCESSOR]
        assert sonnet["maxOutputTokens"] == 64000
        assert {"reasoning", "structured_output", "vision"} <= set(sonnet["modality"])
        assert sonnet["lifecycle"]["status"] == "active"
        assert sonnet["lifecycle"]["source"] == "provider"
        assert sonnet["lifecycle"]["lastSeenAt"]
        doc = db.LlmModel.find_one({"_id": ObjectId(sonnet["id"])})
        assert doc["maxOutputTokens"] == 64000
        assert doc["meta"]["sources"]["maxOutputTokens"] == "provider"
        assert doc["meta"]["raw"]["thinking"] is True
        haiku = db.LlmModel.find_one({"providerModelId": DEPRECATED})
        assert haiku["lifecycle"]["status"] == "deprecated"
        assert haiku["lifecycle"]["retiresAt"].isoformat().startswith("2026-02-19")

    def test_unknown_price_is_null_never_zero(self, admin) -> None:
        with OllamaServer() as ollama:
            res = admin.post("/api/llm/providers", json={
                "name": "Local", "providerType": "ollama", "baseUrl": ollama.base_url})
            pid = res.json["data"]["id"]
            llava = register_all(admin, pid)["llava:latest"]
        assert llava["inputCostPer1k"] is None and llava["outputCostPer1k"] is None


class TestDiscoverCommand:
    def test_removed_upstream_is_gone_after_apply_and_keeps_its_agents(
            self, app, admin, member, claude) -> None:
        pid = add_anthropic(admin, claude)
        models = register_all(admin, pid)
        gone_id = "claude-3-haiku-20240307"
        agent = make_agent(member, "Keeper", modelId=models[gone_id]["id"])
        claude.models = [m for m in claude.models if m["id"] != gone_id]

        dry = cli(app)
        assert dry.exit_code == 0, dry.output
        assert "Claude (anthropic): 0 new, 0 changed, 6 unchanged, 1 gone." in dry.output
        assert models_of(admin, pid)[gone_id]["lifecycle"]["status"] == "active"

        applied = cli(app, "--apply", "--provider", pid)
        assert applied.exit_code == 0, applied.output
        assert "applied: 6 updated, 1 marked gone" in applied.output
        gone = models_of(admin, pid)[gone_id]
        assert gone["lifecycle"]["status"] == "gone"
        assert gone["lifecycle"]["lastSeenAt"] == models[gone_id]["lifecycle"]["lastSeenAt"]
        assert gone["agentCount"] == 1 and "no longer lists" in gone["warnings"][0]
        still = member.get(f"/api/agents/{agent['id']}").json["data"]
        assert still["modelId"] == models[gone_id]["id"]
        assert still["llmModel"]["lifecycle"]["status"] == "gone"

        claude.models = anthropic_models()  # it comes back
        assert "1 changed" in cli(app, "--apply").output
        assert models_of(admin, pid)[gone_id]["lifecycle"]["status"] == "active"

    def test_an_empty_listing_marks_nothing_gone(self, app, admin, claude) -> None:
        pid = add_anthropic(admin, claude)
        register_all(admin, pid)
        claude.models = []
        assert discover(admin, pid)["listing"] == {
            "complete": False, "count": 0,
            "note": "the provider listed no chat models: nothing is marked gone."}
        res = cli(app, "--apply")
        assert res.exit_code == 0, res.output
        assert "nothing is marked gone" in res.output and "0 marked gone" in res.output
        assert {m["lifecycle"]["status"] for m in models_of(admin, pid).values()} == {
            "active", "deprecated"}

    def test_a_failed_listing_marks_nothing_gone_and_exits_1(self, app, admin, claude) -> None:
        pid = add_anthropic(admin, claude)
        register_all(admin, pid)
        claude.valid_keys = {"another-key"}
        res = cli(app, "--apply")
        assert res.exit_code == 1
        assert "discovery failed" in res.output and "nothing marked gone" in res.output
        assert ANTHROPIC_DEMO_KEY not in res.output
        assert "gone" not in {m["lifecycle"]["status"] for m in models_of(admin, pid).values()}

    def test_a_truncated_listing_marks_nothing_gone(self, app, admin, claude,
                                                    monkeypatch) -> None:
        pid = add_anthropic(admin, claude)
        register_all(admin, pid)
        monkeypatch.setattr("task_master_llm.adapters.anthropic._MAX_PAGES", 1)
        claude.models = anthropic_models(1200)[1:]  # more than one page of 1000
        res = cli(app, "--apply")
        assert "more than 1 pages: nothing is marked gone" in res.output, res.output
        assert "gone" not in {m["lifecycle"]["status"] for m in models_of(admin, pid).values()}

    def test_nothing_registered_nothing_to_do(self, app) -> None:
        res = cli(app)
        assert res.exit_code == 0 and "nothing to re-discover" in res.output

    def test_an_unknown_provider_is_a_clear_error(self, app) -> None:
        res = cli(app, "--provider", str(ObjectId()))
        assert res.exit_code == 2 and "No provider with id" in res.output


class TestImpactAndMove:
    def test_deprecated_model_with_an_agent_warns_and_moves(
            self, gw_admin, gw_member, talon, claude) -> None:
        pid = add_anthropic(gw_admin, claude)
        models = register_all(gw_admin, pid)
        old, new = models[DEPRECATED], models[SUCCESSOR]
        agent = make_agent(gw_member, "Mover", modelId=old["id"])
        other = make_agent(gw_member, "Backup", modelId=new["id"],
                           fallbackModelIds=[old["id"]])
        listed = models_of(gw_admin, pid)[DEPRECATED]
        assert listed["agentCount"] == 2
        assert listed["warnings"] == [
            "Deprecated by the provider. It retires on 2026-02-19. 2 agents use it: move "
            "them to another model before it retires."]
        # same provider and family (the catalog's claude-haiku), newest, newer than it
        assert listed["suggestedSuccessor"]["providerModelId"] == "claude-haiku-4-5-20251001"
        assert models_of(gw_admin, pid)[SUCCESSOR]["warnings"] == []
        talon.clear_requests()

        res = gw_admin.post(f"/api/llm/models/{old['id']}/move-agents",
                            json={"toModelId": new["id"]})
        assert res.status_code == 200, res.json
        assert sorted(a["name"] for a in res.json["data"]["moved"]) == ["Backup", "Mover"]
        assert res.json["data"]["syncFailed"] == 0
        moved = gw_member.get(f"/api/agents/{agent['id']}").json["data"]
        assert moved["modelId"] == new["id"] and moved["talonSync"]["status"] == "synced"
        backup = gw_member.get(f"/api/agents/{other['id']}").json["data"]
        assert backup["fallbackModelIds"] == [], "the new model is its primary already"
        puts = [r.body for r in agent_requests(talon) if r.method == "PUT"]
        assert any(b["model"] == f"anthropic/{SUCCESSOR}" and b["name"] == "Mover"
                   for b in puts)
        assert models_of(gw_admin, pid)[DEPRECATED]["agentCount"] == 0

    def test_move_refuses_a_bad_target(self, admin, claude) -> None:
        pid = add_anthropic(admin, claude)
        models = register_all(admin, pid)
        old = models[DEPRECATED]["id"]
        for body, why in (({}, "Missing data"), ({"toModelId": "nope"}, "24-character"),
                          ({"toModelId": str(ObjectId())}, "No registered model"),
                          ({"toModelId": old}, "another model")):
            res = admin.post(f"/api/llm/models/{old}/move-agents", json=body)
            assert res.status_code == 400, res.json
            assert "toModelId" in res.json["error"]["fields"]
            assert why in str(res.json["error"]["fields"]["toModelId"])
        assert admin.post(f"/api/llm/models/{ObjectId()}/move-agents",
                          json={"toModelId": old}).status_code == 404

    def test_members_cannot_move(self, member, admin, claude) -> None:
        pid = add_anthropic(admin, claude)
        models = register_all(admin, pid)
        res = member.post(f"/api/llm/models/{models[DEPRECATED]['id']}/move-agents",
                          json={"toModelId": models[SUCCESSOR]["id"]})
        assert res.status_code == 403


def test_unconfirmed_azure_deployment_registers_with_a_visible_warning(admin) -> None:
    with AzureServer(deployments_route=False) as azure:
        res = admin.post("/api/llm/providers", json={
            "name": "Azure", "providerType": "azure", "apiKey": azure.DEMO_KEY,
            "baseUrl": azure.base_url, "deploymentId": "gpt4o-prod"})
        pid = res.json["data"]["id"]
        found = discover(admin, pid)["items"][0]
        assert "typo" in found["warnings"][0]
        model = register_all(admin, pid)["gpt4o-prod"]
    assert any("typo is possible" in w for w in model["warnings"])
    assert any("typo is possible" in w for w in models_of(admin, pid)["gpt4o-prod"]["warnings"])
