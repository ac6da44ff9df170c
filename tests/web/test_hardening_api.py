"""Hardening regressions (issue 10): bounded and strict JSON, no stale "valid", cross-site
requests refused, what members may read, no caching, ids, an unreachable database."""

from __future__ import annotations

import json
import threading

import pytest
from bson import ObjectId
from pymongo import MongoClient

from standins.providers import OpenAIServer
from task_master_llm import ConfigurationError
from task_master_llm.web.context import services_of
from tests.support import (
    TEST_KEY,
    gateway_app,
    login,
    make_agent,
    make_app,
    make_provider,
    register,
)

DEEP = "[" * 1000 + "]" * 1000


def strict_json(text: str):
    def refuse(name: str):
        raise AssertionError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


# --- 1. bounded input -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/agents", "/api/llm/providers", "/api/llm/models"])
def test_deeply_nested_bodies_are_a_400(admin, path) -> None:
    res = admin.post(path, data=DEEP, content_type="application/json")
    assert res.status_code == 400
    assert "_body" in res.json["error"]["fields"] and "deeper" in res.json["error"]["message"]


def test_brackets_inside_strings_do_not_count(admin) -> None:
    res = admin.post("/api/llm/providers", json={"name": "[" * 100, "providerType": "ollama"})
    assert res.status_code == 201


@pytest.mark.parametrize("meta, why", [
    ({"raw": {"big": 10**30}}, "8 bytes"),
    ({"raw": {"a\x00b": 1}}, "NUL"),
    ({"raw": {"$where": 1}}, "'$'"),
    ({"raw": {"a.b": 1}}, "'.'"),
    ({"raw": {"x": "a\x00b"}}, "NUL"),
    ({"raw": [[[[[[[[[[1]]]]]]]]]]}, "deeper"),
])
def test_meta_must_be_storable(admin, meta, why) -> None:
    provider = make_provider(admin, "ollama", "local")
    res = admin.post("/api/llm/models", json={"providerId": provider["id"], "models": [
        {"providerModelId": "llama3", "meta": meta}]})
    assert res.status_code == 400, res.json
    assert why in json.dumps(res.json["error"]["fields"]["models"]["0"]["meta"])


# --- 2. NaN and Infinity ------------------------------------------------------------------

@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(admin, constant) -> None:
    provider = make_provider(admin, "ollama", "local")
    body = ('{"providerId": "' + provider["id"] + '", "models": [{"providerModelId": "m", '
            '"meta": {"raw": ' + constant + '}}]}')
    res = admin.post("/api/llm/models", data=body, content_type="application/json")
    assert res.status_code == 400 and "NaN and Infinity" in res.json["error"]["fields"]["_body"][0]


def test_a_stored_nan_never_reaches_a_response(admin, member, db) -> None:
    provider = make_provider(admin, "ollama", "local")
    [model] = register(admin, provider["id"], "llama3")
    db.LlmModel.update_one({"_id": ObjectId(model["id"])},
                           {"$set": {"meta.raw": float("nan"), "inputCostPer1k": float("inf")}})
    for client in (admin, member):
        res = client.get("/api/llm/models")
        body = strict_json(res.get_data(as_text=True))
        [item] = body["data"]["items"]
        assert item["meta"]["raw"] is None and item["inputCostPer1k"] is None


# --- 6. no stale "valid" ------------------------------------------------------------------

def test_a_key_changed_during_a_test_keeps_the_status_unknown(admin) -> None:
    with OpenAIServer(latency=1.0) as server:
        provider = make_provider(admin, "openai", "slow", apiKey=server.DEMO_KEY,
                                 baseUrl=server.base_url)
        results = []
        tester = threading.Thread(target=lambda: results.append(
            admin.post(f"/api/llm/providers/{provider['id']}/test")))
        tester.start()
        while not server.requests and tester.is_alive():  # the test's request arrived
            tester.join(0.01)
        assert server.requests, "the test never reached the provider"
        res = admin.patch(f"/api/llm/providers/{provider['id']}", json={"apiKey": "sk-new-0000"})
        assert res.status_code == 200
        tester.join()
    assert results[0].json["data"]["status"] == "valid"  # what the old key proved
    now = admin.get(f"/api/llm/providers/{provider['id']}").json["data"]
    assert now["status"] == "unknown" and now["lastValidatedAt"] is None


# --- 10. cross-site requests --------------------------------------------------------------

def test_state_changing_requests_need_json_or_the_page_header(app) -> None:
    admin = login(app, "admin")
    provider = make_provider(admin, "ollama", "local")
    url = f"/api/llm/providers/{provider['id']}/test"
    bare = admin.post(url, headers={"X-Requested-With": ""})  # what a no-cors fetch sends
    assert bare.status_code == 415 and "X-Requested-With" in bare.json["error"]["message"]
    assert admin.delete(f"/api/llm/providers/{provider['id']}",
                        headers={"X-Requested-With": ""}).status_code == 415
    as_json = admin.post(url, json={}, headers={"X-Requested-With": ""})
    assert as_json.status_code == 200
    cross = admin.post(url, json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    other = admin.post(url, json={}, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403
    same = admin.post(url, json={}, headers={"Origin": "http://localhost",
                                             "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200
    assert admin.get("/api/llm/providers", headers={"X-Requested-With": ""}).status_code == 200


# --- 11. what members may read --------------------------------------------------------------

def test_members_do_not_see_hosts_or_the_gateway_address(db, talon) -> None:
    app = gateway_app(db, talon)
    admin, member = login(app, "admin"), login(app, "member")
    provider = make_provider(admin, "ollama", "local")
    [model] = register(admin, provider["id"], "llama3")
    db.LlmModel.update_one({"_id": ObjectId(model["id"])},
                           {"$set": {"meta.showError": "http://10.0.0.7:11434 timed out"}})
    assert "showError" in admin.get("/api/llm/models").json["data"]["items"][0]["meta"]
    assert "showError" not in member.get("/api/llm/models").json["data"]["items"][0]["meta"]
    talon.down()
    agent = make_agent(member, "Offline", modelId=model["id"])
    assert talon.base_url not in json.dumps(agent)
    assert agent["talonSync"]["error"].startswith("The Talon gateway did not answer")
    assert talon.base_url not in member.get("/api/agents").get_data(as_text=True)
    assert talon.base_url in admin.get("/api/agents").get_data(as_text=True)


# --- 12. caching ------------------------------------------------------------------------------

def test_no_api_answer_is_cached(admin, anon) -> None:
    for res in (admin.get("/api/llm/providers"), admin.get("/api/llm/models"),
                admin.get("/api/agents"), anon.get("/api/llm/providers"),
                admin.get(f"/api/llm/providers/{ObjectId()}")):
        assert res.headers["Cache-Control"] == "no-store", res.status_code


# --- 14. ids ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["+" + "0" * 23, "\u0660" * 24, " " + "a" * 23, "g" * 24])
def test_ids_are_24_ascii_hex_digits(member, bad) -> None:
    res = member.post("/api/agents", json={"name": "Odd", "modelId": bad})
    assert res.status_code == 400 and "modelId" in res.json["error"]["fields"]


@pytest.mark.parametrize("path", ["/api/llm/nope", "/api/llm/providers/x/y/z", "/api/agents/a/b",
                                  "/api/llm"])
def test_unrouted_paths_under_the_api_are_json(anon, path) -> None:
    res = anon.get(path)
    assert res.status_code == 404 and res.is_json, res.get_data(as_text=True)[:80]
    assert res.json["error"]["code"] == "not_found"
    assert res.headers["Cache-Control"] == "no-store"


def test_a_wrong_method_under_the_api_is_a_json_405(admin) -> None:
    res = admin.put("/api/llm/openapi.json", json={})
    assert res.status_code == 405 and res.is_json
    assert res.json["error"]["code"] == "method_not_allowed"
    assert "GET" in res.headers["Allow"]


def test_the_hosts_own_404s_stay_the_hosts(db) -> None:
    app = make_app(db)

    @app.errorhandler(404)
    def host_not_found(exc):
        return "host says no", 404

    client = app.test_client()
    for path in ("/nope", "/api/llmx", "/api/other"):
        res = client.get(path)
        assert res.status_code == 404 and res.get_data(as_text=True) == "host says no", path
    assert client.get("/api/llm/nope").is_json


# --- 15. an unreachable database ----------------------------------------------------------------

def test_an_unreachable_database_is_a_503(app, admin) -> None:
    dead = MongoClient("mongodb://127.0.0.1:9/", serverSelectionTimeoutMS=200, tz_aware=True)
    try:
        services_of(app).stores.providers.collection = dead["x"]["LlmProvider"]
        res = admin.get("/api/llm/providers")
        assert res.status_code == 503
        assert res.json["error"]["code"] == "database_unavailable"
    finally:
        dead.close()


def test_the_uri_client_gets_the_configured_timeout(mongo_uri) -> None:
    with pytest.raises(Exception) as caught:
        make_app(None, TASK_MASTER_LLM_MONGO_URI="mongodb://127.0.0.1:9/",
                 TASK_MASTER_LLM_MONGO_TIMEOUT_MS=200, LLM_ENCRYPTION_KEY=TEST_KEY)
    assert "ServerSelectionTimeoutError" in type(caught.value).__name__
    with pytest.raises(ConfigurationError, match="TASK_MASTER_LLM_MONGO_TIMEOUT_MS"):
        make_app(None, TASK_MASTER_LLM_MONGO_URI="mongodb://127.0.0.1:9/",
                 TASK_MASTER_LLM_MONGO_TIMEOUT_MS="soon")


# --- 13. host documents ----------------------------------------------------------------------

def test_odd_host_documents_never_break_the_agent_list(admin, member, db) -> None:
    from bson.decimal128 import Decimal128

    db.Agent.insert_many([
        {"name": "Typed", "status": ObjectId(), "createdAt": "yesterday"},
        {"name": "Priced", "status": Decimal128("1.5"), "updatedAt": 12},
        {"name": 7, "role": ["not", "text"], "status": b"\x00secret"},
    ])
    for client in (admin, member):
        res = client.get("/api/agents")
        assert res.status_code == 200
        agents = {a["name"]: a for a in strict_json(res.get_data(as_text=True))["data"]["items"]}
        assert len(agents["Typed"]["status"]) == 24 and agents["Typed"]["createdAt"] is None
        assert agents["Priced"]["status"] == "1.5" and agents["Priced"]["updatedAt"] is None
        assert agents["7"]["status"] is None  # bytes are never sent


def test_a_chunked_body_over_the_cap_is_a_413(admin) -> None:
    """No Content-Length (chunked, as a real server passes it on): the body arrived cut
    at the cap and was answered as bad JSON."""
    import io

    body = b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'", "providerType": "ollama"}'
    res = admin.post("/api/llm/providers", input_stream=io.BytesIO(body),
                     headers={"Transfer-Encoding": "chunked",
                              "Content-Type": "application/json"},
                     environ_overrides={"wsgi.input_terminated": True})
    assert res.status_code == 413 and res.is_json
    small = b'{"name": "chunked", "providerType": "ollama"}'
    res = admin.post("/api/llm/providers", input_stream=io.BytesIO(small),
                     headers={"Transfer-Encoding": "chunked",
                              "Content-Type": "application/json"},
                     environ_overrides={"wsgi.input_terminated": True})
    assert res.status_code == 201


# --- 7. a half-deleted provider -----------------------------------------------------------------

def test_a_half_deleted_providers_name_says_how_to_finish(app, admin) -> None:
    provider = make_provider(admin, "ollama", "Local")
    store = services_of(app).stores.providers
    store.mark_deleting(ObjectId(provider["id"]))  # the process died right after this step
    assert admin.get(f"/api/llm/providers/{provider['id']}").status_code == 404
    assert admin.get("/api/llm/providers").json["data"] == []
    res = admin.post("/api/llm/providers", json={"name": "Local", "providerType": "ollama"})
    assert res.status_code == 409
    message = res.json["error"]["fields"]["name"][0]
    assert "still being deleted" in message and provider["id"] in message
    other = make_provider(admin, "ollama", "Other")
    renamed = admin.patch(f"/api/llm/providers/{other['id']}", json={"name": "Local"})
    assert renamed.status_code == 409 and provider["id"] in renamed.json["error"]["message"]
    assert admin.delete(f"/api/llm/providers/{provider['id']}").status_code == 200
    assert admin.post("/api/llm/providers",
                      json={"name": "Local", "providerType": "ollama"}).status_code == 201


def test_odd_provider_data_from_discovery_can_be_registered(admin, requests_mock) -> None:
    """Provider values a database cannot store (a huge integer) or JSON cannot carry (NaN)
    are dropped from discovery, so sending the discovered items back registers them."""
    requests_mock.get(
        "http://odd.example/v1/models",
        text='{"data": [{"id": "m1", "object": "model", "owned_by": "x", '
             '"created": 100000000000000000000000000000, "max_model_len": 8192}, '
             '{"id": "m2", "object": "model", "created": NaN}]}',
        headers={"Content-Type": "application/json"},
    )
    provider = make_provider(admin, "openai_compatible", "odd", baseUrl="http://odd.example/v1")
    found = admin.get(f"/api/llm/providers/{provider['id']}/discover")
    assert found.status_code == 200, found.json
    items = strict_json(found.get_data(as_text=True))["data"]["items"]
    assert {i["providerModelId"] for i in items} == {"m1", "m2"}
    assert all(i["meta"]["raw"].get("created") is None for i in items)
    res = admin.post("/api/llm/models", json={"providerId": provider["id"], "models": items})
    assert res.status_code == 201, res.json
