"""Provider routes: CRUD for every type, bad input, the auth matrix, key secrecy."""

from __future__ import annotations

import logging

import pytest
from bson import ObjectId

from tests.support import CANARY_KEY, make_app

VALID_BODIES = {
    "google": {"apiKey": CANARY_KEY},
    "openai": {"apiKey": CANARY_KEY, "baseUrl": "https://api.openai.com/v1", "orgId": "org-1"},
    "anthropic": {"apiKey": CANARY_KEY},
    "azure": {
        "apiKey": CANARY_KEY,
        "baseUrl": "https://res.openai.azure.com",
        "deploymentId": "gpt4o-prod",
    },
    "ollama": {"baseUrl": "http://localhost:11434"},
    "openai_compatible": {"baseUrl": "http://127.0.0.1:8000/v1"},
}


def create(client, provider_type: str, name: str | None = None, **extra):
    body = {"name": name or f"{provider_type} one", "providerType": provider_type}
    body.update(VALID_BODIES[provider_type])
    body.update(extra)
    return client.post("/api/llm/providers", json=body)


@pytest.mark.parametrize("provider_type", sorted(VALID_BODIES))
def test_create_get_list_update_delete_every_type(admin, provider_type):
    res = create(admin, provider_type)
    assert res.status_code == 201, res.json
    data = res.json["data"]
    assert data["providerType"] == provider_type
    assert data["status"] == "unknown"
    assert data["modelCount"] == 0
    assert "apiKey" not in data and "encryptedApiKey" not in data
    if "apiKey" in VALID_BODIES[provider_type]:
        assert data["hasApiKey"] is True
        assert data["apiKeyLast4"] == CANARY_KEY[-4:]
        assert data["apiKeyMasked"] == "****" + CANARY_KEY[-4:]
    else:
        assert data["hasApiKey"] is False
    pid = data["id"]
    assert admin.get(f"/api/llm/providers/{pid}").json["data"]["name"] == data["name"]
    assert [p["id"] for p in admin.get("/api/llm/providers").json["data"]] == [pid]
    res = admin.patch(f"/api/llm/providers/{pid}", json={"name": "renamed"})
    assert res.status_code == 200 and res.json["data"]["name"] == "renamed"
    res = admin.delete(f"/api/llm/providers/{pid}")
    assert res.status_code == 200
    assert res.json["data"] == {"id": pid, "deletedModels": 0, "detachedAgents": []}
    assert admin.get(f"/api/llm/providers/{pid}").status_code == 404


def test_ollama_defaults_base_url(admin):
    res = admin.post("/api/llm/providers", json={"name": "local", "providerType": "ollama"})
    assert res.status_code == 201, res.json
    assert res.json["data"]["effectiveBaseUrl"] == "http://localhost:11434"


@pytest.mark.parametrize(
    ("provider_type", "body", "field"),
    [
        ("google", {}, "apiKey"),
        ("google", {"apiKey": "k" * 20, "orgId": "org-1"}, "orgId"),
        ("google", {"apiKey": "k" * 20, "deploymentId": "d"}, "deploymentId"),
        ("openai", {}, "apiKey"),
        ("openai", {"apiKey": "k" * 20, "deploymentId": "x"}, "deploymentId"),
        ("anthropic", {"apiKey": "k" * 20, "orgId": "o"}, "orgId"),
        ("azure", {"apiKey": "k" * 20, "baseUrl": "https://r.openai.azure.com"}, "deploymentId"),
        ("azure", {"apiKey": "k" * 20, "deploymentId": "d"}, "baseUrl"),
        ("azure", {"baseUrl": "https://r.openai.azure.com", "deploymentId": "d"}, "apiKey"),
        ("openai_compatible", {}, "baseUrl"),
        ("ollama", {"orgId": "x"}, "orgId"),
        ("ollama", {"baseUrl": "ftp://localhost:11434"}, "baseUrl"),
        ("ollama", {"baseUrl": "http://user:pw@localhost:11434"}, "baseUrl"),
        ("ollama", {"baseUrl": "not a url"}, "baseUrl"),
        ("nonsense", {"apiKey": "k" * 20}, "providerType"),
    ],
)
def test_create_rejects_bad_fields_naming_them(admin, provider_type, body, field):
    body = {"name": "p", "providerType": provider_type, **body}
    res = admin.post("/api/llm/providers", json=body)
    assert res.status_code == 400, res.json
    assert field in res.json["error"]["fields"], res.json
    assert admin.get("/api/llm/providers").json["data"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"providerType": "google", "apiKey": "k" * 20}, "name"),
        ({"name": "", "providerType": "google", "apiKey": "k" * 20}, "name"),
        ({"name": "x" * 101, "providerType": "google", "apiKey": "k" * 20}, "name"),
        ({"name": "p", "apiKey": "k" * 20}, "providerType"),
        ({"name": "p", "providerType": "google", "apiKey": 12}, "apiKey"),
        ({"name": "p", "providerType": "google", "apiKey": "k" * 20, "colour": "red"}, "colour"),
    ],
)
def test_schema_errors(admin, body, field):
    res = admin.post("/api/llm/providers", json=body)
    assert res.status_code == 400
    assert field in res.json["error"]["fields"]


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "{bad json", "null"])
def test_body_that_is_not_an_object_is_400(admin, payload):
    res = admin.post(
        "/api/llm/providers", data=payload, headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 400
    assert res.json["error"]["code"] == "validation_error"


def test_body_that_is_not_json_is_415(admin):
    res = admin.post("/api/llm/providers", data={"name": "p", "providerType": "google"})
    assert res.status_code == 415
    assert res.json["error"]["code"] == "unsupported_media_type"


def test_duplicate_name_is_409(admin):
    assert create(admin, "google", "same").status_code == 201
    res = create(admin, "anthropic", "same")
    assert res.status_code == 409
    assert "name" in res.json["error"]["fields"]
    other = create(admin, "anthropic", "other").json["data"]["id"]
    res = admin.patch(f"/api/llm/providers/{other}", json={"name": "same"})
    assert res.status_code == 409


def test_concurrent_duplicates_have_one_winner(app, db):
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_):
        client = app.test_client()
        client.post("/test-login/admin")
        return create(client, "google", "racer").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(8)))
    assert sorted(codes) == [201] + [409] * 7
    assert db.LlmProvider.count_documents({"name": "racer"}) == 1


@pytest.mark.parametrize("bad_id", ["nope", "123", "0" * 23 + "g", str(ObjectId())])
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "/test"), ("get", "/discover")],
)
def test_malformed_or_unknown_ids_are_404(admin, bad_id, method, suffix):
    res = getattr(admin, method)(f"/api/llm/providers/{bad_id}{suffix}", json={})
    assert res.status_code == 404
    assert res.json["error"]["code"] == "not_found"


def test_patch_new_key_reencrypts_and_resets_status(admin, db):
    pid = create(admin, "google").json["data"]["id"]
    db.LlmProvider.update_one({"_id": ObjectId(pid)}, {"$set": {"status": "valid"}})
    before = db.LlmProvider.find_one({"_id": ObjectId(pid)})
    res = admin.patch(f"/api/llm/providers/{pid}", json={"apiKey": "AIza-new-key-wxyz"})
    assert res.status_code == 200
    assert res.json["data"]["status"] == "unknown"
    assert res.json["data"]["apiKeyLast4"] == "wxyz"
    after = db.LlmProvider.find_one({"_id": ObjectId(pid)})
    assert after["encryptedApiKey"] != before["encryptedApiKey"]
    assert after["apiKeyNonce"] != before["apiKeyNonce"]


def test_patch_clearing_key(admin):
    google = create(admin, "google").json["data"]["id"]
    res = admin.patch(f"/api/llm/providers/{google}", json={"apiKey": None})
    assert res.status_code == 400 and "apiKey" in res.json["error"]["fields"]
    ollama = create(admin, "ollama", apiKey="ollama-cloud-key-1234").json["data"]
    assert ollama["hasApiKey"] is True
    res = admin.patch(f"/api/llm/providers/{ollama['id']}", json={"apiKey": None})
    assert res.status_code == 200
    assert res.json["data"]["hasApiKey"] is False and res.json["data"]["apiKeyLast4"] is None


def test_patch_cannot_change_type(admin):
    pid = create(admin, "google").json["data"]["id"]
    res = admin.patch(f"/api/llm/providers/{pid}", json={"providerType": "openai"})
    assert res.status_code == 400
    assert "create a new provider" in res.json["error"]["message"].lower()
    same = admin.patch(f"/api/llm/providers/{pid}", json={"providerType": "google"})
    assert same.status_code == 200


def test_patch_refuses_fields_the_type_does_not_take(admin):
    pid = create(admin, "anthropic").json["data"]["id"]
    res = admin.patch(f"/api/llm/providers/{pid}", json={"deploymentId": "x"})
    assert res.status_code == 400 and "deploymentId" in res.json["error"]["fields"]
    res = admin.patch(f"/api/llm/providers/{pid}", json={"baseUrl": "http://a:b@host"})
    assert res.status_code == 400 and "baseUrl" in res.json["error"]["fields"]


def test_stored_document_shape(admin, db):
    pid = create(admin, "azure").json["data"]["id"]
    doc = db.LlmProvider.find_one({"_id": ObjectId(pid)})
    assert isinstance(doc["_id"], ObjectId)
    for field in ("encryptedApiKey", "apiKeyNonce", "apiKeyTag"):
        assert isinstance(doc[field], bytes)
    assert len(doc["apiKeyNonce"]) == 12 and len(doc["apiKeyTag"]) == 16
    assert doc["apiKeyKeyId"] and CANARY_KEY.encode() not in doc["encryptedApiKey"]
    assert doc["createdAt"].utcoffset().total_seconds() == 0
    assert doc["providerType"] == "azure" and doc["deploymentId"] == "gpt4o-prod"


def test_delete_cascades_models_and_repeats_cleanly(admin, db):
    pid = create(admin, "google").json["data"]["id"]
    oid = ObjectId(pid)
    db.LlmModel.insert_many(
        [{"providerId": oid, "providerModelId": f"m{i}", "enabled": True} for i in range(3)]
    )
    assert admin.get(f"/api/llm/providers/{pid}").json["data"]["modelCount"] == 3
    # a crash after the first step: the provider is hidden but still there
    db.LlmProvider.update_one({"_id": oid}, {"$set": {"deleting": True}})
    assert admin.get("/api/llm/providers").json["data"] == []
    res = admin.delete(f"/api/llm/providers/{pid}")
    assert res.status_code == 200 and res.json["data"]["deletedModels"] == 3
    assert db.LlmModel.count_documents({}) == 0
    assert db.LlmProvider.count_documents({}) == 0
    assert admin.delete(f"/api/llm/providers/{pid}").status_code == 404


def test_undecryptable_key_gives_a_clean_error(admin, db):
    pid = create(admin, "google").json["data"]["id"]
    other = create(admin, "anthropic").json["data"]["id"]
    # a ciphertext copied from another provider must not decrypt here
    src = db.LlmProvider.find_one({"_id": ObjectId(other)})
    db.LlmProvider.update_one(
        {"_id": ObjectId(pid)},
        {"$set": {k: src[k] for k in ("encryptedApiKey", "apiKeyNonce", "apiKeyTag")}},
    )
    res = admin.post(f"/api/llm/providers/{pid}/test")
    assert res.status_code == 409
    err = res.json["error"]
    assert err["code"] == "provider_key_unreadable"
    assert "google one" in err["message"] and "LLM_ENCRYPTION_KEY" in err["message"]
    assert "Traceback" not in res.get_data(as_text=True)


ROUTES = [
    ("get", "/api/llm/providers", "admin"),
    ("post", "/api/llm/providers", "admin"),
    ("get", "/api/llm/providers/{id}", "admin"),
    ("patch", "/api/llm/providers/{id}", "admin"),
    ("delete", "/api/llm/providers/{id}", "admin"),
    ("post", "/api/llm/providers/{id}/test", "admin"),
    ("get", "/api/llm/providers/{id}/discover", "admin"),
    ("get", "/api/llm/openapi.json", "user"),
]


@pytest.mark.parametrize(("method", "path", "level"), ROUTES)
def test_auth_matrix(app, anon, member, admin, method, path, level):
    pid = create(admin, "ollama", baseUrl="http://127.0.0.1:9").json["data"]["id"]
    url = path.format(id=pid)
    body = {"name": "n", "providerType": "ollama"} if method in ("post", "patch") else None
    res = getattr(anon, method)(url, json=body)
    assert res.status_code == 401 and res.json["error"]["code"] == "authentication_required"
    res = getattr(member, method)(url, json=body)
    if level == "admin":
        assert res.status_code == 403 and res.json["error"]["code"] == "permission_denied"
    else:
        assert res.status_code == 200
    res = getattr(admin, method)(url, json=body)
    assert res.status_code in (200, 201, 502), res.json


def test_admin_hook_is_configurable(db):
    app = make_app(db, TASK_MASTER_LLM_IS_ADMIN=lambda user: user.id == "member")
    member = app.test_client()
    member.post("/test-login/member")
    assert member.get("/api/llm/providers").status_code == 200
    admin = app.test_client()
    admin.post("/test-login/admin")
    assert admin.get("/api/llm/providers").status_code == 403


def test_error_handler_leaves_host_routes_alone(anon):
    res = anon.get("/host-page-that-does-not-exist")
    assert res.status_code == 404
    assert not res.is_json


def test_canary_key_never_leaves(admin, db, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    bodies = []
    for provider_type in sorted(VALID_BODIES):
        # nothing listens on port 9: test and discover fail locally, never on the internet
        res = create(admin, provider_type, apiKey=CANARY_KEY, baseUrl="http://127.0.0.1:9/v1")
        bodies.append(res.get_data(as_text=True))
        pid = res.json["data"]["id"]
        for res in (
            admin.get("/api/llm/providers"),
            admin.get(f"/api/llm/providers/{pid}"),
            admin.patch(f"/api/llm/providers/{pid}", json={"apiKey": CANARY_KEY}),
            admin.patch(f"/api/llm/providers/{pid}", json={"name": f"x-{provider_type}"}),
            admin.post(f"/api/llm/providers/{pid}/test"),
            admin.get(f"/api/llm/providers/{pid}/discover"),
            admin.delete(f"/api/llm/providers/{pid}"),
        ):
            bodies.append(res.get_data(as_text=True))
    bodies.append(admin.get("/api/llm/audit?limit=500").get_data(as_text=True))
    text = "\n".join(bodies)
    assert CANARY_KEY not in text
    assert CANARY_KEY[:-4] not in text
    # the audit log: every document, every field (key events hold a fingerprint only)
    audit = list(db.LlmAuditEvent.find({}))
    assert len(audit) >= 6 * len(VALID_BODIES), len(audit)
    for doc in audit:
        assert CANARY_KEY not in str(doc) and CANARY_KEY[:-4] not in str(doc)
    for record in caplog.records:
        assert CANARY_KEY not in record.getMessage()
        assert CANARY_KEY not in str(record.args)


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
)
def test_cross_site_form_posts_are_refused_even_without_a_body(admin, db, content_type):
    pid = create(admin, "ollama", baseUrl="http://127.0.0.1:9").json["data"]["id"]
    for method, url in (("post", f"/api/llm/providers/{pid}/test"),
                        ("delete", f"/api/llm/providers/{pid}")):
        res = getattr(admin, method)(url, data="x=1", content_type=content_type)
        assert res.status_code == 415, (url, res.json)
    assert db.LlmProvider.count_documents({}) == 1
    assert admin.post(f"/api/llm/providers/{pid}/test").status_code == 200


def test_oversized_bodies_are_413_json(db):
    app = make_app(db, TASK_MASTER_LLM_MAX_BODY_BYTES=2048)
    client = app.test_client()
    client.post("/test-login/admin")
    res = client.post(
        "/api/llm/providers",
        json={"name": "big", "providerType": "google", "apiKey": "k" * 4000},
    )
    assert res.status_code == 413
    assert res.json["error"]["code"] == "request_entity_too_large"
    assert db.LlmProvider.count_documents({}) == 0
    small = {"name": "small", "providerType": "google", "apiKey": "k" * 40}
    assert client.post("/api/llm/providers", json=small).status_code == 201


def test_changing_the_organization_resets_the_status(admin, db):
    pid = create(admin, "openai").json["data"]["id"]
    db.LlmProvider.update_one({"_id": ObjectId(pid)}, {"$set": {"status": "valid"}})
    assert admin.patch(f"/api/llm/providers/{pid}", json={"name": "x"}).json["data"][
        "status"
    ] == "valid"
    res = admin.patch(f"/api/llm/providers/{pid}", json={"orgId": "org-2"})
    assert res.json["data"]["status"] == "unknown"


def test_api_key_with_invisible_or_non_ascii_characters_is_refused(admin) -> None:
    for key in ("sk-abc\u200bdef123", "sk-abc def123", "sk-\u00e9\u00e9\u00e9\u00e9\u00e9"):
        res = admin.post("/api/llm/providers", json={
            "name": "p", "providerType": "openai", "apiKey": key})
        assert res.status_code == 400, res.json
        assert list(res.json["error"]["fields"]) == ["apiKey"]
        assert key not in res.get_data(as_text=True)
