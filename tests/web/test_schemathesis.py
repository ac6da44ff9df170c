"""A bounded schemathesis run over the OpenAPI document, as an admin and as a member.

Every documented operation gets generated requests (valid and invalid) through the real
app, with the checks: no 5xx, every status documented, every body matching its documented
schema, every content type documented. The run is derandomized (the same cases each time)
and small enough for the test command; ``TASK_MASTER_LLM_FUZZ_EXAMPLES=500`` (and
``TASK_MASTER_LLM_FUZZ_SEED=random``) make a longer, randomized run::

    TASK_MASTER_LLM_FUZZ_EXAMPLES=500 TASK_MASTER_LLM_FUZZ_SEED=random \\
        .venv/bin/python -m pytest tests/web/test_schemathesis.py
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from pymongo.database import Database
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from standins.talon import TalonServer
from tests.support import gateway_app, make_provider, register

EXAMPLES = int(os.environ.get("TASK_MASTER_LLM_FUZZ_EXAMPLES", "12"))
DERANDOMIZE = os.environ.get("TASK_MASTER_LLM_FUZZ_SEED", "fixed") != "random"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance]
#: the header the page sends on state-changing requests
HEADERS = {"X-Requested-With": "fuzz"}


def _login(app: Flask, user: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The OpenAPI document as ``user`` reads it, and that user's session cookie."""
    client = app.test_client()
    assert client.post(f"/test-login/{user}").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    spec = client.get("/api/llm/openapi.json").json
    return spec, {"session": cookie.value}


def _seed(app: Flask) -> None:
    """A provider with a model and an agent, so list routes answer with real items."""
    client = app.test_client()
    client.post("/test-login/admin")
    provider = make_provider(client, "ollama", "seed", baseUrl="http://127.0.0.1:9")
    model = register(client, provider["id"], "seed-model")[0]
    res = client.post("/api/agents", json={"name": "Seed", "role": "r", "modelId": model["id"]})
    assert res.status_code == 201, res.json


def _operations(app: Flask, spec: dict[str, Any]) -> list[Any]:
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = sum(len(methods) for methods in spec["paths"].values())
    assert len(operations) == documented > 15, "schemathesis did not read every operation"
    return operations


@pytest.mark.parametrize("user", ["admin", "member"])
def test_generated_requests_conform_to_the_document(db: Database, talon: TalonServer,
                                                     user: str) -> None:
    app = gateway_app(db, talon)
    _seed(app)
    spec, cookies = _login(app, user)
    failures: list[str] = []
    calls = 0

    for operation in _operations(app, spec):
        @settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None,
                  database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=HEADERS, cookies=cookies)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except BaseException as exc:  # noqa: BLE001 - every failing operation is reported
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)
    assert calls > 10 * len(spec["paths"]), "too few generated requests"
