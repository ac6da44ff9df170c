"""The OpenAPI document describes every API route the package serves."""

from __future__ import annotations

import re

from task_master_llm.web.api import API_BLUEPRINTS


def test_openapi_lists_every_api_route(app, member):
    res = member.get("/api/llm/openapi.json")
    assert res.status_code == 200
    spec = res.json
    assert spec["openapi"].startswith("3.")
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in API_BLUEPRINTS:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add((path, method.lower()))
    documented = {(p, m) for p, ops in spec["paths"].items() for m in ops}
    assert served and served == documented


def test_openapi_describes_bodies_and_errors(member):
    spec = member.get("/api/llm/openapi.json").json
    create = spec["paths"]["/api/llm/providers"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"name", "providerType", "apiKey"} <= set(schema["properties"])
    assert {"201", "400", "401", "403", "415"} <= set(create["responses"])
    one = spec["paths"]["/api/llm/providers/{provider_id}"]["get"]
    assert "404" in one["responses"]
    provider = spec["components"]["schemas"]["Provider"]["properties"]
    assert "hasApiKey" in provider and "apiKey" not in provider


def test_openapi_describes_model_and_agent_routes(gw_admin):
    spec = gw_admin.get("/api/llm/openapi.json").json
    paths = spec["paths"]
    assert set(paths["/api/llm/models"]) == {"get", "post"}
    assert set(paths["/api/llm/models/{model_id}"]) == {"patch", "delete"}
    assert set(paths["/api/agents"]) == {"get", "post"}
    assert set(paths["/api/agents/{agent_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/agents/{agent_id}/sync"]) == {"post"}
    assert "409" in paths["/api/llm/models/{model_id}"]["delete"]["responses"]
    assert "502" in paths["/api/agents/{agent_id}/sync"]["post"]["responses"]
    assert "403" in paths["/api/agents/{agent_id}"]["patch"]["responses"]
    params = {p["name"] for p in paths["/api/llm/models"]["get"]["parameters"]}
    assert {"providerId", "enabled", "q", "limit", "offset"} <= params
    for name in ("ModelRegister", "ModelPage", "AgentCreate", "Agent", "TalonSync"):
        assert name in spec["components"]["schemas"], name
