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
