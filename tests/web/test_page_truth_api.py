"""What the API tells the page so it can say what is true (issue 11): the last check of a
provider passed or failed (item 2), typed values tested before saving (item 4), who a
disabled model affects (item 10), agents without a registered model (item 3)."""

from __future__ import annotations

import logging
import socket

import pytest
from bson import ObjectId

from standins.providers import AZURE_DEMO_DEPLOYMENT, SERVER_CLASSES
from tests.support import CANARY_KEY, make_agent, make_app, register


@pytest.fixture
def client(db):
    app = make_app(db, TASK_MASTER_LLM_READ_TIMEOUT=1.0, TASK_MASTER_LLM_MAX_RETRIES=0)
    client = app.test_client()
    client.post("/test-login/admin")
    return client


@pytest.fixture
def openai():
    with SERVER_CLASSES["openai"](valid_keys={CANARY_KEY}) as srv:
        yield srv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add(client, srv, key=CANARY_KEY, name="OpenAI"):
    res = client.post(
        "/api/llm/providers",
        json={"name": name, "providerType": "openai", "apiKey": key, "baseUrl": srv.base_url},
    )
    assert res.status_code == 201, res.json
    return res.json["data"]


# --- item 2: last checked, passed or failed -------------------------------------------


def test_a_failed_test_records_when_it_was_checked_and_what_failed(client, openai):
    provider = add(client, openai, key="wrong-key-1234")
    assert provider["lastCheckedAt"] is None
    assert (
        client.post(f"/api/llm/providers/{provider['id']}/test").json["data"]["errorKind"] == "auth"
    )
    failed = client.get(f"/api/llm/providers/{provider['id']}").json["data"]
    assert failed["status"] == "invalid" and failed["lastErrorKind"] == "auth"
    assert failed["lastCheckedAt"] and failed["lastValidatedAt"] is None
    # a new key: what was checked no longer holds
    edited = client.patch(f"/api/llm/providers/{provider['id']}", json={"apiKey": CANARY_KEY}).json
    assert edited["data"]["lastCheckedAt"] is None and edited["data"]["status"] == "unknown"
    client.post(f"/api/llm/providers/{provider['id']}/test")
    passed = client.get(f"/api/llm/providers/{provider['id']}").json["data"]
    assert passed["status"] == "valid" and passed["lastCheckedAt"] == passed["lastValidatedAt"]


def test_unreachable_and_wrong_url_are_not_a_rejected_key(client, openai):
    refused = client.post(
        "/api/llm/providers",
        json={
            "name": "Refused",
            "providerType": "openai_compatible",
            "apiKey": CANARY_KEY,
            "baseUrl": f"http://127.0.0.1:{free_port()}/v1",
        },
    ).json["data"]
    wrong_path = client.post(
        "/api/llm/providers",
        json={
            "name": "Wrong path",
            "providerType": "openai_compatible",
            "apiKey": CANARY_KEY,
            "baseUrl": f"{openai.base_url}/nothing-here",
        },
    ).json["data"]
    kinds = {
        client.post(f"/api/llm/providers/{p['id']}/test").json["data"]["errorKind"]
        for p in (refused, wrong_path)
    }
    assert kinds == {"network", "not_found"}


# --- item 4: test before save ---------------------------------------------------------


def test_typed_values_are_tested_and_nothing_is_stored(client, db, openai, caplog):
    caplog.set_level(logging.DEBUG)
    res = client.post(
        "/api/llm/providers/test",
        json={
            "providerType": "openai",
            "name": "Unsaved",
            "apiKey": CANARY_KEY,
            "baseUrl": openai.base_url,
        },
    )
    assert res.status_code == 200, res.json
    assert res.json["data"]["status"] == "valid"
    assert "chat models" in res.json["data"]["message"]
    wrong = client.post(
        "/api/llm/providers/test",
        json={"providerType": "openai", "apiKey": "sk-wrong-0000", "baseUrl": openai.base_url},
    )
    assert (wrong.json["data"]["status"], wrong.json["data"]["errorKind"]) == ("invalid", "auth")
    assert db.LlmProvider.count_documents({}) == 0
    texts = [res.get_data(as_text=True), wrong.get_data(as_text=True)]
    texts += [r.getMessage() for r in caplog.records]
    assert not any(CANARY_KEY in t or "sk-wrong-0000" in t for t in texts)


def test_editing_tests_with_the_stored_key_unless_a_new_one_is_typed(client, db, openai):
    provider = add(client, openai)
    before = db.LlmProvider.find_one({"_id": ObjectId(provider["id"])})
    stored = client.post("/api/llm/providers/test", json={"providerId": provider["id"]})
    assert stored.json["data"]["status"] == "valid", stored.json
    typed = client.post(
        "/api/llm/providers/test",
        json={"providerId": provider["id"], "apiKey": "sk-typed-but-wrong"},
    )
    assert typed.json["data"]["errorKind"] == "auth"
    # a cleared base URL is tested as cleared (the default, api.openai.com, is refused
    # offline: anything but "valid" proves the typed value was used)
    cleared = client.post(
        "/api/llm/providers/test",
        json={"providerId": provider["id"], "baseUrl": f"http://127.0.0.1:{free_port()}/v1"},
    )
    assert cleared.json["data"]["errorKind"] == "network"
    after = db.LlmProvider.find_one({"_id": ObjectId(provider["id"])})
    assert after == before  # nothing stored: not the key, not the status


def test_typed_values_follow_the_same_rules(client, openai):
    policy = client.post(
        "/api/llm/providers/test",
        json={
            "providerType": "openai_compatible",
            "apiKey": "k",
            "baseUrl": "http://169.254.169.254/v1",
        },
    )
    assert policy.status_code == 400 and "baseUrl" in policy.json["error"]["fields"]
    missing = client.post(
        "/api/llm/providers/test",
        json={"providerType": "azure", "apiKey": "k", "baseUrl": openai.base_url},
    )
    assert missing.status_code == 400 and "deploymentId" in missing.json["error"]["fields"]
    no_type = client.post("/api/llm/providers/test", json={"apiKey": "k"})
    assert no_type.status_code == 400 and "providerType" in no_type.json["error"]["fields"]
    unknown = client.post("/api/llm/providers/test", json={"providerId": str(ObjectId())})
    assert unknown.status_code == 400 and "providerId" in unknown.json["error"]["fields"]
    assert AZURE_DEMO_DEPLOYMENT  # the deployment field is what Azure needs


def test_only_admins_may_test_values(db, openai):
    app = make_app(db)
    member = app.test_client()
    member.post("/test-login/member")
    res = member.post(
        "/api/llm/providers/test",
        json={"providerType": "openai", "apiKey": CANARY_KEY, "baseUrl": openai.base_url},
    )
    assert res.status_code == 403
    assert openai.requests == []


def test_the_test_route_is_in_the_openapi_document(client):
    spec = client.get("/api/llm/openapi.json").json
    operation = spec["paths"]["/api/llm/providers/test"]["post"]
    assert "requestBody" in operation and "200" in operation["responses"]


# --- item 10: disabling a model says whom it affects ----------------------------------


def test_disabling_a_used_model_names_its_agents(client, openai):
    provider = add(client, openai)
    model, spare = register(client, provider["id"], "gpt-4o", "gpt-4o-mini")
    make_agent(client, "Release Scribe", role="r", modelId=model["id"])
    make_agent(client, "Backup User", role="r", modelId=spare["id"], fallbackModelIds=[model["id"]])
    res = client.patch(f"/api/llm/models/{model['id']}", json={"enabled": False})
    assert res.status_code == 200, res.json
    assert [a["name"] for a in res.json["data"]["usedBy"]] == ["Release Scribe"]
    assert [a["name"] for a in res.json["data"]["droppedFallbacks"]] == ["Backup User"]
    renamed = client.patch(f"/api/llm/models/{model['id']}", json={"displayName": "GPT-4o"})
    assert "usedBy" not in renamed.json["data"]


# --- item 3: an agent without a registered model needs one ----------------------------


def test_a_detached_agent_needs_a_model(client, openai):
    provider = add(client, openai)
    (model,) = register(client, provider["id"], "gpt-4o")
    agent = make_agent(client, "Release Scribe", role="r", modelId=model["id"])
    assert agent["needsModel"] is False and agent["modelWarning"] is None
    client.delete(f"/api/llm/providers/{provider['id']}")
    detached = client.get(f"/api/agents/{agent['id']}").json["data"]
    assert detached["needsModel"] is True
    assert detached["model"] == "openai/gpt-4o"
    assert (
        "Needs a model" in detached["modelWarning"] and "without a key" in detached["modelWarning"]
    )
    listed = client.get("/api/agents").json["data"]
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [a["needsModel"] for a in items] == [True]


# --- item 5: edit a model's facts, see each one's source, reset to discovery ----------


def test_an_edited_fact_can_be_reset_to_what_discovery_said(client, openai):
    provider = add(client, openai)
    found = client.get(f"/api/llm/providers/{provider['id']}/discover").json["data"]["items"]
    entry = next(m for m in found if m["contextWindow"])
    res = client.post("/api/llm/models", json={"providerId": provider["id"], "models": [entry]})
    (model,) = res.json["data"]["models"]
    source = model["meta"]["sources"]["contextWindow"]
    assert source in ("provider", "models.dev")
    url = f"/api/llm/models/{model['id']}"
    edited = client.patch(url, json={"contextWindow": 4242, "displayName": "Mine"}).json["data"]
    assert edited["contextWindow"] == 4242 and edited["meta"]["sources"]["contextWindow"] == "admin"
    # re-discovery keeps the edit
    client.post("/api/llm/models", json={"providerId": provider["id"], "models": [entry]})
    assert (
        client.get(f"/api/llm/models?providerId={provider['id']}").json["data"]["items"][0][
            "contextWindow"
        ]
        == 4242
    )
    reset = client.patch(url, json={"reset": ["contextWindow"]}).json["data"]
    assert reset["contextWindow"] == entry["contextWindow"]
    assert reset["meta"]["sources"]["contextWindow"] == source
    assert reset["displayName"] == "Mine"  # only the field named was reset
    both = client.patch(url, json={"displayName": "x", "reset": ["displayName"]})
    assert both.status_code == 400 and "reset" in both.json["error"]["fields"]
    bad = client.patch(url, json={"reset": ["enabled"]})
    assert bad.status_code == 400 and "reset" in bad.json["error"]["fields"]
