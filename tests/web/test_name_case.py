"""Names that differ only in case are the same name (issue 11, item 9): "google ai"
beside "Google AI" is a 409 naming the existing provider, enforced by a unique index on a
normalised key; agents the same, host-written agents included once the start-up backfill
or the host hook has seen them."""

from __future__ import annotations

import logging

from bson import ObjectId

from task_master_llm.web.context import services_of
from tests.support import OPENAI_URL, login, make_agent, make_app, make_provider, register


def test_provider_names_are_unique_without_regard_to_case(admin):
    make_provider(admin, name="Google AI", providerType="google")
    for name in ("google ai", "GOOGLE  AI", "Ｇｏｏｇｌｅ AI"):
        res = admin.post("/api/llm/providers", json={"name": name, "providerType": "google",
                                                     "apiKey": "k-12345678"})
        assert res.status_code == 409, (name, res.json)
        assert "'Google AI' already exists" in res.json["error"]["message"]
        assert "name" in res.json["error"]["fields"]
    other = make_provider(admin, name="OpenAI")
    renamed = admin.patch(f"/api/llm/providers/{other['id']}", json={"name": "GOOGLE ai"})
    assert renamed.status_code == 409 and "'Google AI'" in renamed.json["error"]["message"]
    # a provider may change the case of its own name
    own = admin.patch(f"/api/llm/providers/{other['id']}", json={"name": "OPENAI"})
    assert own.status_code == 200 and own.json["data"]["name"] == "OPENAI"
    assert "nameKey" not in own.json["data"]


def test_agent_names_are_unique_without_regard_to_case(admin):
    provider = make_provider(admin)
    (model,) = register(admin, provider["id"], "gpt-4o")
    make_agent(admin, "Release Scribe", role="r", modelId=model["id"])
    error = make_agent(admin, "release scribe", status=409, role="r", modelId=model["id"])
    assert "'Release Scribe' already exists" in error["message"]
    other = make_agent(admin, "Helper", role="r", modelId=model["id"])
    res = admin.patch(f"/api/agents/{other['id']}", json={"name": "RELEASE SCRIBE"})
    assert res.status_code == 409 and "'Release Scribe'" in res.json["error"]["message"]


def test_records_written_before_the_rule_get_their_key_at_start_up(db, caplog):
    db.LlmProvider.insert_many([
        {"_id": ObjectId(), "name": "Legacy", "providerType": "openai", "status": "unknown"},
        {"_id": ObjectId(), "name": "Twin", "providerType": "openai", "status": "unknown"},
        {"_id": ObjectId(), "name": "twin", "providerType": "openai", "status": "unknown"},
    ])
    db.Agent.insert_one({"name": "Host Bot", "role": "host-written"})
    caplog.set_level(logging.WARNING)
    app = make_app(db)  # start-up: a pair saved before the rule does not stop the app
    assert "differs only in case" in caplog.text
    admin = login(app, "admin")
    res = admin.post("/api/llm/providers", json={"name": "LEGACY", "providerType": "openai",
                                                 "apiKey": "k-12345678", "baseUrl": OPENAI_URL})
    assert res.status_code == 409 and "'Legacy'" in res.json["error"]["message"]
    assert db.LlmProvider.count_documents({"nameKey": "twin"}) == 1
    res = admin.post("/api/agents", json={"name": "host bot", "role": "r", "model": "openai/x"})
    assert res.status_code == 409 and "'Host Bot'" in res.json["error"]["message"]


def test_the_host_hook_gives_host_written_agents_their_key(db):
    app = make_app(db)
    agent_id = db.Agent.insert_one({"name": "Night Shift", "role": "r", "model": "openai/x"})
    services = services_of(app)
    with app.app_context():
        services.agents.agent_changed("created", agent_id.inserted_id)
    assert db.Agent.find_one({"_id": agent_id.inserted_id})["nameKey"] == "night shift"
    admin = login(app, "admin")
    res = admin.post("/api/agents", json={"name": "NIGHT shift", "role": "r", "model": "openai/x"})
    assert res.status_code == 409
