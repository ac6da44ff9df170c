"""Fixtures and helpers shared by the model, agent and Talon sync tests.

Import the fixtures by name in a test module (``from tests.support import talon, ...``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pymongo.database import Database

from standins.talon import TalonServer
from tests.conftest import CANARY_KEY, make_app

TALON_TOKEN = "talon-test-token-7c1e"
OPENAI_URL = "https://api.openai.com/v1"


@pytest.fixture
def talon() -> Iterator[TalonServer]:
    """A local Talon gateway that enforces the contract."""
    with TalonServer(token=TALON_TOKEN) as server:
        yield server  # type: ignore[misc]


def gateway_app(db: Database, talon: TalonServer, **config: Any) -> Flask:
    """The host app with sync to ``talon`` switched on."""
    settings: dict[str, Any] = {
        "TALON_GATEWAY_URL": talon.base_url,
        "TALON_GATEWAY_TOKEN": TALON_TOKEN,
        "TASK_MASTER_LLM_TALON_TIMEOUT": 1.0,
    }
    settings.update(config)
    return make_app(db, **settings)


@pytest.fixture
def gw_app(db: Database, talon: TalonServer, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.delenv("TALON_GATEWAY_URL", raising=False)
    return gateway_app(db, talon)


def login(app: Flask, user: str | None) -> FlaskClient:
    """A test client, logged in as ``user`` (None: anonymous)."""
    client = app.test_client()
    if user is not None:
        assert client.post(f"/test-login/{user}").status_code == 200
    return client


@pytest.fixture
def gw_admin(gw_app: Flask) -> FlaskClient:
    return login(gw_app, "admin")


@pytest.fixture
def gw_member(gw_app: Flask) -> FlaskClient:
    return login(gw_app, "member")


@pytest.fixture
def gw_anon(gw_app: Flask) -> FlaskClient:
    return login(gw_app, None)


def make_provider(admin: FlaskClient, provider_type: str = "openai", name: str | None = None,
                  **fields: Any) -> dict[str, Any]:
    """Create a provider through the API (an OpenAI one with the canary key by default)."""
    body: dict[str, Any] = {"name": name or f"{provider_type} main", "providerType": provider_type}
    if provider_type == "openai":
        body.update(apiKey=CANARY_KEY, baseUrl=OPENAI_URL)
    elif provider_type in ("anthropic", "google"):
        body.update(apiKey=CANARY_KEY)
    body.update(fields)
    res = admin.post("/api/llm/providers", json=body)
    assert res.status_code == 201, res.json
    return res.json["data"]


def register(admin: FlaskClient, provider_id: str, *model_ids: str,
             **common: Any) -> list[dict[str, Any]]:
    """Register models of a provider through the API; returns them in order."""
    models = [{"providerModelId": m, **common} for m in model_ids]
    res = admin.post("/api/llm/models", json={"providerId": provider_id, "models": models})
    assert res.status_code in (200, 201), res.json
    return res.json["data"]["models"]


def make_agent(client: FlaskClient, name: str, status: int = 201, **body: Any) -> dict[str, Any]:
    """Create an agent through the API and check the status code."""
    res = client.post("/api/agents", json={"name": name, **body})
    assert res.status_code == status, res.json
    return res.json["data"] if status < 300 else res.json["error"]


def bodies(talon: TalonServer, method: str | None = None) -> list[Any]:
    """JSON bodies the gateway received (optionally only one method's)."""
    return [r.body for r in talon.requests if method is None or r.method == method]
