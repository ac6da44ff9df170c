"""No input gives a 500: every documented route gets hostile bodies, ids and query strings.

The routes and their body fields come from the OpenAPI document, so a new route is fuzzed
as soon as it is documented.
"""

from __future__ import annotations

import re

import pytest
from bson import ObjectId

HOSTILE = [
    None,
    True,
    0,
    -1,
    10**30,
    1.5e308,
    "",
    " ",
    "x" * 20000,
    "\u202e💥\u0000",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    [],
    [None],
    {},
    {"$gt": ""},
    {"$where": "sleep(1000)"},
    "000000000000000000000000",
    "not-an-id",
]
BAD_IDS = ["nope", "0" * 24, "%00", "a" * 300, "$where", "6b06.5373a5e7c2b37dfa58e"]
QUERY_VALUES = ["", "-1", "abc", "1e999", "99999999999999999999", '{"$ne":1}', "true", "null"]


def _seed(admin) -> dict[str, str]:
    """A provider, a model and an agent, so routes with ids reach their real code."""
    res = admin.post(
        "/api/llm/providers",
        json={"name": "seed", "providerType": "ollama", "baseUrl": "http://127.0.0.1:9"},
    )
    pid = res.json["data"]["id"]
    ids = {"provider_id": pid}
    res = admin.post(
        "/api/llm/models",
        json={"providerId": pid, "models": [{"providerModelId": "m1", "displayName": "M1"}]},
    )
    if res.status_code in (200, 201):
        listed = admin.get(f"/api/llm/models?providerId={pid}").json["data"]
        items = listed["items"] if isinstance(listed, dict) else listed
        if items:
            ids["model_id"] = items[0]["id"]
    if "model_id" in ids:
        res = admin.post("/api/agents", json={"name": "seed agent", "role": "r",
                                              "modelId": ids["model_id"]})
        if res.status_code in (200, 201):
            ids["agent_id"] = res.json["data"]["id"]
    return ids


def _operations(admin):
    spec = admin.get("/api/llm/openapi.json").json
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            fields: list[str] = []
            body = op.get("requestBody")
            if body:
                ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                fields = list(spec["components"]["schemas"][ref].get("properties", {}))
            yield path, method, fields


def _status(client, method: str, url: str, **kwargs) -> int:
    res = getattr(client, method)(url, **kwargs)
    assert res.status_code < 500, (method, url, kwargs.get("json"), res.get_data(as_text=True))
    return res.status_code


def test_no_input_gives_a_500(admin):
    ids = _seed(admin)
    checked = 0
    for path, method, fields in _operations(admin):
        params = re.findall(r"{([^}]+)}", path)
        good = path
        for name in params:
            good = good.replace("{" + name + "}", ids.get(name, str(ObjectId())))
        urls = [good] + [re.sub(r"{[^}]+}", bad, path) for bad in BAD_IDS if params]
        for url in urls:
            _status(admin, method, url, json={})
            checked += 1
        if method in ("post", "patch", "put"):
            for whole in HOSTILE:
                _status(admin, method, good, json=whole)
            _status(admin, method, good, data="{not json", content_type="application/json")
            form = "application/x-www-form-urlencoded"
            _status(admin, method, good, data="a=b", content_type=form)
            for field in fields:
                for value in HOSTILE:
                    _status(admin, method, good, json={field: value})
                    checked += 1
        if method == "get":
            for key in ("providerId", "enabled", "q", "limit", "offset", "force"):
                for value in QUERY_VALUES:
                    _status(admin, method, f"{good}?{key}={value}")
                    checked += 1
        if method == "delete":
            for value in QUERY_VALUES:
                _status(admin, method, f"{good}?force={value}")
    print(f"fuzzed {checked} requests with seeded ids {sorted(ids)}")
    assert checked > 100 and {"provider_id", "model_id", "agent_id"} <= set(ids)


@pytest.mark.parametrize("path", ["/api/llm/providers", "/api/llm/models", "/api/agents"])
def test_wrong_methods_are_405s(admin, path):
    res = admin.put(path, json={})
    assert res.status_code == 405


# --- JSON text that is not valid Unicode ---------------------------------------------

@pytest.mark.parametrize(("path", "raw"), [
    ("/api/llm/providers", '{"name": "a\\ud800b", "providerType": "ollama"}'),
    ("/api/agents", '{"name": "ok", "model": "openai/x", "soul": "\\udfff"}'),
    ("/api/llm/models", '{"providerId": "000000000000000000000000", '
                        '"models": [{"providerModelId": "m\\ud800"}]}'),
])
def test_lone_surrogate_in_a_json_body_is_a_400(admin, path: str, raw: str) -> None:
    """JSON may escape a lone surrogate; Python parses it, BSON cannot encode it (500)."""
    res = admin.post(path, data=raw, content_type="application/json")
    assert res.status_code == 400, res.get_data(as_text=True)
    assert res.json["error"]["code"] == "validation_error"
