"""The gateway converges to the registry: credentials its runtime really uses, deletes that
survive outages, one ``sync-agents`` run after any fault, and a read-back that catches
tampering. Everything through the HTTP API and the CLI, against the gateway's twin."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from bson import ObjectId
from flask import Flask
from flask.testing import FlaskClient
from pymongo.database import Database

from standins.talon import TalonServer
from task_master_llm.web.context import services_of
from tests.support import (
    CANARY_KEY,
    agent_requests,
    credential_requests,
    gateway_app,
    login,
    make_agent,
    make_provider,
    register,
)

NEW_KEY = "sk-NEWKEY-gateway-7d1e2f3a4b5c6d7e8f9a0b1c"
BACKUP_KEY = "sk-BACKUP-gateway-0a9b8c7d6e5f4a3b2c1d0e9f"


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["llm", *args])


class World:
    """A registry with one OpenAI provider, a model, and an agent, all at the gateway."""

    def __init__(self, db: Database, talon: TalonServer, *, backup: bool = False) -> None:
        self.db, self.talon = db, talon
        self.app = gateway_app(db, talon)
        self.admin = login(self.app, "admin")
        self.member = login(self.app, "member")
        self.provider = make_provider(self.admin, "openai", "Primary")
        [self.model] = register(self.admin, self.provider["id"], "gpt-4o")
        self.steady = make_agent(self.member, "Steady", modelId=self.model["id"], soul="calm")
        self.backup = None
        if backup:
            self.backup = make_provider(self.admin, "openai", "Backup", apiKey=BACKUP_KEY)
        assert_converged(self)

    @property
    def services(self) -> Any:
        return services_of(self.app)

    def agents(self) -> list[dict[str, Any]]:
        return self.admin.get("/api/agents").json["data"]["items"]

    def providers(self) -> list[dict[str, Any]]:
        return self.admin.get("/api/llm/providers").json["data"]


def expected_store(world: World) -> dict[str, str]:
    services = world.services
    return {kind: services.credentials.decrypt(doc) or "local"
            for kind, doc in services.gateway.holders().items()}


def assert_converged(world: World) -> None:
    """The gateway holds exactly what the registry says, and nothing extra of ours."""
    result = run(world.app, "sync-agents", "--verify")
    assert result.exit_code == 0, result.output
    ids = {d["talonId"] for d in world.services.stores.agents.all()}
    assert set(world.talon.sub_agents) == ids
    held = {kind: value["key"] for kind, value in world.talon.credentials.items()}
    assert held == expected_store(world)
    for agent in world.agents():
        assert agent["talonSync"]["status"] == "synced", agent
        assert agent["talonSync"]["verified"] == "in_sync"
    assert world.services.stores.tombstones.count() == 0


def assert_statuses_true(world: World) -> None:
    """What the API says is done is done at the gateway; what is not is visibly owed."""
    report = world.services.reconciler.verify()
    assert report.unreadable is None
    for agent in world.agents():
        if agent["talonSync"]["status"] == "synced":
            assert agent["name"] not in report.drifted and agent["name"] not in report.missing
    held = world.talon.credentials
    for provider in world.providers():
        if provider["gatewayStore"]["status"] == "synced":
            doc = world.services.stores.providers.find(provider["id"])
            assert held["openai"]["key"] == world.services.credentials.decrypt(doc)
    ours = {d["talonId"] for d in world.services.stores.agents.all()}
    owed = {t["target"] for t in world.services.stores.tombstones.all("agent")}
    assert set(world.talon.sub_agents) - ours <= owed, "an agent the gateway keeps is not owed"


# --- the operations, each through the API ---------------------------------------------

def create(world: World) -> None:
    res = world.member.post("/api/agents", json={"name": "Fresh", "modelId": world.model["id"]})
    assert res.status_code == 201


def update(world: World) -> None:
    res = world.admin.patch(f"/api/agents/{world.steady['id']}", json={"soul": "changed"})
    assert res.status_code == 200


def key_change(world: World) -> None:
    res = world.admin.patch(f"/api/llm/providers/{world.provider['id']}",
                            json={"apiKey": NEW_KEY})
    assert res.status_code == 200


def agent_delete(world: World) -> None:
    assert world.admin.delete(f"/api/agents/{world.steady['id']}").status_code == 200


def provider_delete(world: World) -> None:
    assert world.admin.delete(f"/api/llm/providers/{world.provider['id']}").status_code == 200


OPERATIONS = {
    "create": (create, False),
    "update": (update, False),
    "key change": (key_change, False),
    "agent delete": (agent_delete, False),
    "provider delete": (provider_delete, False),
    "provider delete with a successor": (provider_delete, True),
}
#: the gateway down for the whole step, or dying after answering k requests of it
FAULTS = ["down", "crash after 0", "crash after 1", "crash after 2"]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_one_sync_run_converges_after_any_gateway_fault(db, talon, operation, fault) -> None:
    step, backup = OPERATIONS[operation]
    world = World(db, talon, backup=backup)
    if fault == "down":
        talon.down()
    else:
        talon.crash_after(int(fault.rsplit(" ", 1)[1]))
    step(world)
    talon.reset_knobs()
    talon.up()
    assert_statuses_true(world)
    result = run(world.app, "sync-agents")
    assert result.exit_code == 0, result.output
    assert_converged(world)
    if operation == "key change":
        assert talon.runtime_key(world.steady["talonId"], "openai") == NEW_KEY
    if operation == "provider delete with a successor":
        assert talon.runtime_key(world.steady["talonId"], "openai") == BACKUP_KEY
    if operation == "provider delete":
        assert talon.credentials == {}


def test_a_crash_between_the_key_patch_and_the_agents_push_is_caught_up(
        db, talon, monkeypatch) -> None:
    world = World(db, talon)

    def crash(_provider_id: ObjectId, _deadline: float | None = None) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(world.services.agents, "resync_provider", crash)
    res = world.admin.patch(f"/api/llm/providers/{world.provider['id']}",
                            json={"apiKey": NEW_KEY})
    assert res.status_code == 500
    [steady] = world.agents()
    assert steady["talonSync"]["status"] == "pending"  # not "synced" on the old key
    assert "changed since the last push" in steady["talonSync"]["error"]
    assert_statuses_true(world)
    monkeypatch.undo()
    assert run(world.app, "sync-agents").exit_code == 0
    assert_converged(world)
    assert talon.sub_agents[steady["talonId"]]["apiKey"] == NEW_KEY


def test_a_crash_in_the_middle_of_an_agent_delete_is_finished(db, talon, monkeypatch) -> None:
    world = World(db, talon)
    store = world.services.stores.agents

    def crash(_agent_id: ObjectId) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(store, "remove", crash)
    assert world.admin.delete(f"/api/agents/{world.steady['id']}").status_code == 500
    monkeypatch.undo()
    assert world.services.stores.tombstones.count() == 1
    assert run(world.app, "sync-agents").exit_code == 0
    assert world.agents() == [] and talon.sub_agents == {}
    assert_converged(world)


def test_a_delete_during_an_outage_is_owed_then_retried(db, talon) -> None:
    world = World(db, talon)
    talon.down()
    res = world.admin.delete(f"/api/agents/{world.steady['id']}")
    sync = res.json["data"]["talonSync"]
    assert sync["status"] == "failed" and "The delete is owed" in sync["error"]
    result = run(world.app, "sync-agents")
    assert result.exit_code == 1 and "deletes owed: 1" in result.output
    talon.up()
    assert world.steady["talonId"] in talon.sub_agents  # the gateway kept it meanwhile
    result = run(world.app, "sync-agents")
    assert result.exit_code == 0 and "deletes done: 1" in result.output
    assert talon.sub_agents == {}


def test_a_deleted_id_is_not_reused_while_its_delete_is_owed(db, talon) -> None:
    world = World(db, talon)
    talon.down()
    world.admin.delete(f"/api/agents/{world.steady['id']}")
    talon.up()
    again = make_agent(world.member, "Steady", modelId=world.model["id"])
    assert again["talonId"] != world.steady["talonId"]
    assert run(world.app, "sync-agents").exit_code == 0
    assert set(talon.sub_agents) == {again["talonId"]}


class TestCredentialStore:
    def test_the_key_reaches_the_store_the_runtime_reads(self, db, talon) -> None:
        world = World(db, talon)
        [request] = [r for r in credential_requests(talon) if r.path == "/v1/auth/exchange"]
        assert request.body == {"provider": "openai", "apiKey": CANARY_KEY,
                                "baseUrl": "https://api.openai.com/v1"}
        assert talon.runtime_key(world.steady["talonId"], "openai") == CANARY_KEY
        key_change(world)
        assert talon.runtime_key(world.steady["talonId"], "openai") == NEW_KEY
        [provider] = world.providers()
        assert provider["gatewayCredential"] is True
        assert provider["gatewayStore"]["status"] == "synced"

    def test_one_provider_per_type_and_an_admin_moves_it(self, db, talon) -> None:
        world = World(db, talon, backup=True)
        primary, backup = sorted(world.providers(), key=lambda p: p["name"], reverse=True)
        assert primary["gatewayStore"]["status"] == "synced"
        assert backup["gatewayStore"]["status"] == "standby"
        assert "run with the key" in backup["gatewayStore"]["message"]
        res = world.admin.patch(f"/api/llm/providers/{backup['id']}",
                                json={"gatewayCredential": True})
        assert res.status_code == 200 and res.json["data"]["gatewayStore"]["status"] == "synced"
        assert talon.runtime_key(world.steady["talonId"], "openai") == BACKUP_KEY
        refused = world.admin.patch(f"/api/llm/providers/{backup['id']}",
                                    json={"gatewayCredential": False})
        assert refused.status_code == 400 and "gatewayCredential" in refused.json["error"]["fields"]
        count = world.db.LlmProvider.count_documents({"gatewayCredential": True})
        assert count == 1

    def test_types_the_store_cannot_hold_say_so(self, db, talon) -> None:
        world = World(db, talon)
        azure = make_provider(world.admin, "azure", "Azure", apiKey="az-key-0123456789",
                              baseUrl="https://res.openai.azure.com", deploymentId="gpt4o")
        assert azure["gatewayStore"]["status"] == "unsupported"
        assert azure["gatewayStore"]["type"] is None
        assert "no place for Azure" in azure["gatewayStore"]["message"]
        res = world.admin.patch(f"/api/llm/providers/{azure['id']}",
                                json={"gatewayCredential": True})
        assert res.status_code == 400
        assert set(talon.credentials) == {"openai"}

    def test_gateway_mode_sends_no_key_in_agent_bodies(self, db, talon) -> None:
        app = gateway_app(db, talon, TALON_CREDENTIALS="gateway")
        admin, member = login(app, "admin"), login(app, "member")
        provider = make_provider(admin, "openai", "Primary")
        [model] = register(admin, provider["id"], "gpt-4o")
        agent = make_agent(member, "Keyless", modelId=model["id"])
        [body] = [r.body for r in agent_requests(talon)]
        assert "apiKey" not in body and "baseUrl" not in body
        assert talon.runtime_key(agent["talonId"], "openai") == CANARY_KEY

    def test_agent_mode_leaves_the_store_alone(self, db, talon) -> None:
        app = gateway_app(db, talon, TALON_CREDENTIALS="agent")
        admin, member = login(app, "admin"), login(app, "member")
        provider = make_provider(admin, "openai", "Primary")
        [model] = register(admin, provider["id"], "gpt-4o")
        make_agent(member, "Bodied", modelId=model["id"])
        assert credential_requests(talon) == [] and talon.credentials == {}
        assert admin.get("/api/llm/providers").json["data"][0]["gatewayStore"]["status"] == "off"


class TestVerify:
    def test_a_tampered_agent_and_credential_are_caught_and_repaired(self, db, talon) -> None:
        world = World(db, talon)
        agents = talon.agents
        agents[world.steady["talonId"]]["systemPrompt"] = "evil prompt"
        agents[world.steady["talonId"]]["apiKey"] = "sk-stolen-and-replaced"
        talon.agents = agents
        talon.credentials = {"openai": {"key": "sk-other", "baseUrl": "http://evil.example"}}
        result = run(world.app, "sync-agents", "--verify")
        assert result.exit_code == 1
        assert "drifted: Steady (systemPrompt, apiKey)" in result.output
        assert "credential drifted: openai (baseUrl)" in result.output
        for secret in (CANARY_KEY, "sk-stolen", "evil prompt", "sk-other"):
            assert secret not in result.output
        [steady] = world.agents()
        assert steady["talonSync"]["verified"] == "drifted" and steady["talonSync"]["verifiedAt"]
        repaired = run(world.app, "sync-agents", "--repair")
        assert repaired.exit_code == 0, repaired.output
        assert CANARY_KEY not in repaired.output
        assert talon.sub_agents[world.steady["talonId"]]["systemPrompt"] == "calm"
        assert talon.credentials["openai"]["key"] == CANARY_KEY  # re-sent: a key never shows
        assert_converged(world)

    def test_missing_agents_and_credentials_are_caught(self, db, talon) -> None:
        world = World(db, talon)
        talon.agents = {}
        talon.credentials = {}
        result = run(world.app, "sync-agents", "--verify")
        assert result.exit_code == 1
        assert "missing at the gateway: Steady" in result.output
        assert "credential drifted: openai (connected, apiKey, baseUrl)" in result.output
        assert run(world.app, "sync-agents", "--repair").exit_code == 0
        assert_converged(world)

    def test_an_unreadable_gateway_is_a_failure(self, db, talon) -> None:
        world = World(db, talon)
        talon.down()
        result = run(world.app, "sync-agents", "--verify")
        assert result.exit_code == 1 and "could not read the gateway back" in result.output


class TestIds:
    def test_reserved_ids_are_never_allocated(self, db, talon) -> None:
        world = World(db, talon)
        jarvis = make_agent(world.member, "Jarvis", modelId=world.model["id"])
        main = make_agent(world.member, "main", modelId=world.model["id"])
        assert jarvis["talonId"] == "jarvis-2" and main["talonId"] == "main-2"
        system = talon.agents["jarvis"]
        assert system["isSystem"] and system["name"] == "Jarvis" and "apiKey" not in system
        assert_converged(world)

    def test_a_javascript_era_agent_keeps_its_gateway_id(self, db, talon) -> None:
        world = World(db, talon)
        talon.agents = {**talon.sub_agents, "legacy-writer": {
            "id": "legacy-writer", "name": "Legacy Writer", "role": "", "model": "openai/gpt-4"}}
        db.Agent.insert_one({"name": "Legacy Writer", "talonAgentId": "legacy-writer",
                             "defaultModel": "anthropic/claude-3-5-sonnet",
                             "fallbackModel": "openai/gpt-4o", "bootstrap": "boot",
                             "repoContext": "repo", "role": "writer"})
        assert run(world.app, "sync-agents").exit_code == 0
        held = talon.sub_agents
        assert set(held) == {world.steady["talonId"], "legacy-writer"}  # no second copy
        assert held["legacy-writer"]["model"] == {"primary": "anthropic/claude-3-5-sonnet",
                                                  "fallbacks": ["openai/gpt-4o"]}
        assert held["legacy-writer"]["bootstrap"] == "boot"
        assert held["legacy-writer"]["repoContext"] == "repo"
        assert db.Agent.find_one({"name": "Legacy Writer"})["talonId"] == "legacy-writer"
        assert_converged(world)

    def test_an_unusable_javascript_id_is_replaced_and_the_old_copy_deleted(
            self, db, talon) -> None:
        world = World(db, talon)
        talon.agents = {**talon.sub_agents, "Writer": {
            "id": "Writer", "name": "Writer", "role": "", "model": "openai/gpt-4"}}
        db.Agent.insert_one({"name": "Writer", "model": "openai/gpt-4o"})  # JS id: its name
        assert run(world.app, "sync-agents").exit_code == 0
        assert set(talon.sub_agents) == {world.steady["talonId"], "writer"}
        assert_converged(world)


def test_the_canary_never_leaves_through_the_new_routes_and_commands(db, talon, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    world = World(db, talon, backup=True)
    outputs = []
    talon.credentials = {}
    for args in (["sync-agents", "--verify"], ["sync-agents", "--repair"],
                 ["sync-agents", "--all"], ["sync-agents"]):
        outputs.append(run(world.app, *args).output)
    talon.down()
    key_change(world)
    outputs.append(run(world.app, "sync-agents").output)
    talon.up()
    responses = [world.admin.get("/api/llm/providers").get_data(as_text=True),
                 world.admin.get("/api/agents").get_data(as_text=True)]
    provider_delete(world)
    responses.append(world.admin.get("/api/llm/providers").get_data(as_text=True))
    responses.append(world.admin.get("/api/llm/audit?limit=500").get_data(as_text=True))
    audit = [str(doc) for doc in db.LlmAuditEvent.find({})]
    assert any("agent_sync.run" in doc for doc in audit)
    assert any("gateway_credential.pushed" in doc for doc in audit)
    for secret in (CANARY_KEY, NEW_KEY, BACKUP_KEY):
        assert secret not in caplog.text
        assert all(secret not in text for text in outputs + responses)
        for stone in db.LlmTalonTombstone.find({}):
            assert secret not in str(stone)
        assert all(secret not in doc for doc in audit)


def test_a_member_cannot_move_the_gateway_credential(db, talon) -> None:
    world = World(db, talon, backup=True)
    member: FlaskClient = world.member
    res = member.patch(f"/api/llm/providers/{world.backup['id']}",
                       json={"gatewayCredential": True})
    assert res.status_code == 403


def test_an_agent_on_a_standby_provider_says_whose_key_it_runs_with(db, talon) -> None:
    world = World(db, talon, backup=True)
    [model] = register(world.admin, world.backup["id"], "gpt-4o")
    agent = make_agent(world.member, "Elsewhere", modelId=model["id"])
    assert agent["talonSync"]["warning"] == (
        "Provider 'Backup' is not the gateway's openai credential: this agent runs with the "
        "key of provider 'Primary'."
    )
    assert talon.runtime_key(agent["talonId"], "openai") == CANARY_KEY  # Primary's, truly
    steady = next(a for a in world.agents() if a["name"] == "Steady")
    assert "warning" not in steady["talonSync"]


def test_a_javascript_id_another_agent_holds_is_never_deleted(db, talon) -> None:
    """A JS-era agent whose talonAgentId is already another agent's id gets a new id, and
    the other agent's copy at the gateway stays."""
    world = World(db, talon)
    db.Agent.insert_one({"name": "Copycat", "talonAgentId": world.steady["talonId"],
                         "model": "openai/gpt-4o"})
    assert run(world.app, "sync-agents").exit_code == 0
    assert world.steady["talonId"] in talon.sub_agents
    assert {d["talonId"] for d in db.Agent.find({})} == set(talon.sub_agents)
    assert_converged(world)
