"""Test connection and discovery through the HTTP API against the local provider servers."""

from __future__ import annotations

import logging
import time

import pytest
from bson import ObjectId

from standins.providers import AZURE_DEMO_DEPLOYMENT, SERVER_CLASSES
from standins.providers.google import google_chat_ids
from tests.support import CANARY_KEY, make_app

TYPES = sorted(SERVER_CLASSES)
READ_TIMEOUT = 1.0


@pytest.fixture
def fast_app(db):
    return make_app(db, TASK_MASTER_LLM_READ_TIMEOUT=READ_TIMEOUT, TASK_MASTER_LLM_MAX_RETRIES=2)


@pytest.fixture
def client(fast_app):
    client = fast_app.test_client()
    client.post("/test-login/admin")
    return client


@pytest.fixture(params=TYPES)
def server(request):
    cls = SERVER_CLASSES[request.param]
    keys = {cls.DEMO_KEY, CANARY_KEY}
    with cls(valid_keys=keys) as srv:
        if request.param == "ollama":
            srv.require_key = True
        yield request.param, srv


def add_provider(client, provider_type: str, base_url: str, key: str = CANARY_KEY) -> str:
    body = {"name": f"{provider_type}-p", "providerType": provider_type, "baseUrl": base_url}
    body["apiKey"] = key
    if provider_type == "azure":
        body["deploymentId"] = AZURE_DEMO_DEPLOYMENT
    res = client.post("/api/llm/providers", json=body)
    assert res.status_code == 201, res.json
    return res.json["data"]["id"]


def test_valid_key_is_valid_and_stored(client, server, db):
    provider_type, srv = server
    pid = add_provider(client, provider_type, srv.base_url)
    res = client.post(f"/api/llm/providers/{pid}/test")
    assert res.status_code == 200
    data = res.json["data"]
    assert data["status"] == "valid", data
    assert data["errorKind"] is None and data["latencyMs"] >= 0
    doc = client.get(f"/api/llm/providers/{pid}").json["data"]
    assert doc["status"] == "valid" and doc["lastValidatedAt"] and doc["lastLatencyMs"] >= 0


def test_wrong_key_is_invalid_auth(client, server):
    provider_type, srv = server
    pid = add_provider(client, provider_type, srv.base_url, key="wrong-key-00000000")
    data = client.post(f"/api/llm/providers/{pid}/test").json["data"]
    assert data["status"] == "invalid" and data["errorKind"] == "auth", data
    assert client.get(f"/api/llm/providers/{pid}").json["data"]["status"] == "invalid"
    res = client.get(f"/api/llm/providers/{pid}/discover")
    assert res.status_code == 502
    assert res.json["error"]["errorKind"] == "auth"


def test_wrong_port_is_network_naming_the_host(client, server):
    provider_type, srv = server
    base = srv.base_url
    srv.stop()
    pid = add_provider(client, provider_type, base)
    data = client.post(f"/api/llm/providers/{pid}/test").json["data"]
    assert data["status"] == "invalid" and data["errorKind"] == "network", data
    assert f"127.0.0.1:{srv.port}" in data["message"]


def test_slow_server_times_out_in_time(client, server):
    provider_type, srv = server
    pid = add_provider(client, provider_type, srv.base_url)
    srv.slow_seconds = 5
    srv.mode = "slow"
    started = time.monotonic()
    data = client.post(f"/api/llm/providers/{pid}/test").json["data"]
    elapsed = time.monotonic() - started
    srv.mode = "normal"
    assert data["status"] == "invalid" and data["errorKind"] == "timeout", data
    assert elapsed < READ_TIMEOUT + 1, elapsed


def test_429_then_success(client, server):
    provider_type, srv = server
    pid = add_provider(client, provider_type, srv.base_url)
    srv.fail_next(1, status=429, retry_after=0.2)
    data = client.post(f"/api/llm/providers/{pid}/test").json["data"]
    assert data["status"] == "valid", data
    assert sum(1 for r in srv.requests if r.path.split("?")[0] != "/openai/deployments") >= 2


def test_malformed_json_is_bad_response(client, server):
    provider_type, srv = server
    pid = add_provider(client, provider_type, srv.base_url)
    srv.mode = "malformed"
    data = client.post(f"/api/llm/providers/{pid}/test").json["data"]
    assert data["status"] == "invalid" and data["errorKind"] == "bad_response", data
    res = client.get(f"/api/llm/providers/{pid}/discover")
    assert res.status_code == 502 and res.json["error"]["errorKind"] == "bad_response"


def test_discovery_lists_chat_models_and_marks_registered(client, server, db):
    provider_type, srv = server
    pid = add_provider(client, provider_type, srv.base_url)
    res = client.get(f"/api/llm/providers/{pid}/discover")
    assert res.status_code == 200, res.json
    models = res.json["data"]["items"]
    assert models and all(m["registered"] is False for m in models)
    ids = [m["providerModelId"] for m in models]
    assert not any("embed" in i for i in ids)
    first = models[0]
    assert "text" in first["modality"] and "sources" in first["meta"]
    model_oid = ObjectId()
    db.LlmModel.insert_one(
        {"_id": model_oid, "providerId": ObjectId(pid), "providerModelId": first["providerModelId"]}
    )
    again = client.get(f"/api/llm/providers/{pid}/discover").json["data"]["items"]
    marked = {m["providerModelId"]: m for m in again}[first["providerModelId"]]
    assert marked["registered"] is True and marked["modelId"] == str(model_oid)


@pytest.mark.parametrize(("provider_type", "count"), [("google", 1200), ("anthropic", 2500)])
def test_pagination_is_followed_to_the_end(client, provider_type, count):
    cls = SERVER_CLASSES[provider_type]
    with cls(model_count=count) as srv:
        pid = add_provider(client, provider_type, srv.base_url, key=cls.DEMO_KEY)
        res = client.get(f"/api/llm/providers/{pid}/discover")
        assert res.status_code == 200, res.json
        models = res.json["data"]["items"]
        pages = [r for r in srv.requests if r.path.endswith("/models")]
        held = srv.models
    assert len(held) == count and len(pages) >= 2
    expected = google_chat_ids(held) if provider_type == "google" else {m["id"] for m in held}
    listed = [m["providerModelId"] for m in models]
    assert len(listed) == len(set(listed))
    assert set(listed) == expected


def test_canary_never_leaves_through_the_upstream_paths(client, server, db, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "task_master_llm", ""):
        logging.getLogger(name).setLevel(logging.DEBUG)
    provider_type, srv = server
    pid = add_provider(client, provider_type, srv.base_url)
    texts = []
    for mode in ("normal", "html", "malformed", "reset"):
        srv.mode = mode
        texts.append(client.post(f"/api/llm/providers/{pid}/test").get_data(as_text=True))
        texts.append(client.get(f"/api/llm/providers/{pid}/discover").get_data(as_text=True))
    srv.mode = "normal"
    srv.valid_keys = {"another-key-entirely"}
    texts.append(client.post(f"/api/llm/providers/{pid}/test").get_data(as_text=True))
    texts.append(client.get(f"/api/llm/providers/{pid}/discover").get_data(as_text=True))
    stored = db.LlmProvider.find_one({"_id": ObjectId(pid)})
    texts.append(str({k: v for k, v in stored.items() if not isinstance(v, bytes)}))
    texts.extend(r.getMessage() for r in caplog.records)
    texts.extend(r.path + "?" + str(r.query) for r in srv.requests)
    blob = "\n".join(texts)
    assert CANARY_KEY not in blob
    assert CANARY_KEY[4:-4] not in blob


def test_discovered_items_meta_is_json_objects(client, server):
    """meta.sources (shared, read-only in memory) reaches the page as an object of field
    -> source, never as the text of a Python mapping."""
    provider_type, srv = server
    pid = add_provider(client, provider_type, srv.base_url)
    res = client.get(f"/api/llm/providers/{pid}/discover")
    assert res.status_code == 200, res.json
    items = res.json["data"]["items"]
    assert items
    for item in items:
        sources = item["meta"]["sources"]
        assert isinstance(sources, dict), (item["providerModelId"], sources)
        assert all(isinstance(v, str) for v in sources.values())
