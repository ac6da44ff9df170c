"""Constants and helpers the tests import (``from tests.support import ...``).

Fixtures live in the ``conftest.py`` files; this module holds only plain values and
functions: the test keys, the minimal host app, and API shortcuts for providers, models
and agents.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from pymongo.database import Database

from standins.talon import TalonServer

TEST_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64; tests only
CANARY_KEY = "sk-CANARY-5f3c9e1d7a2b4c6e8f0a1b2c3d4e5f60"
#: a long provider key, for checks that no fragment of it leaks
LONG_KEY = "sk-proj-" + "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0nOp3rSt6vWx9zAb2dEf5hIj8l"
TALON_TOKEN = "talon-test-token-7c1e"
OPENAI_URL = "https://api.openai.com/v1"


# --- the Flask app under test ---------------------------------------------------------

class User:
    """A host user as flask-login sees it."""

    def __init__(self, user_id: str, role: str) -> None:
        self.id = user_id
        self.role = role
        self.is_authenticated = True
        self.is_active = True
        self.is_anonymous = False

    def get_id(self) -> str:
        return self.id


USERS = {"admin": User("admin", "Admin"), "member": User("member", "member")}


class PageClient(FlaskClient):
    """A test client that sends what the registry page sends on every request: the
    ``X-Requested-With`` header (state-changing requests without it or a JSON body are
    refused as possible cross-site forgeries)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_X_REQUESTED_WITH"] = "fetch"


def make_app(db: Database, **config: object) -> Flask:
    """A minimal host app: flask-login, two users, and the extension."""
    from flask_login import LoginManager, login_user

    from task_master_llm import LlmRegistry

    app = Flask("host")
    app.test_client_class = PageClient
    app.config.update(
        TESTING=True,
        SECRET_KEY="test-secret",
        LLM_ENCRYPTION_KEY=TEST_KEY,
        TASK_MASTER_LLM_MAX_RETRY_AFTER=1.0,
        TASK_MASTER_LLM_CONNECT_TIMEOUT=2.0,
        TASK_MASTER_LLM_READ_TIMEOUT=3.0,
    )
    app.config.update(config)
    login = LoginManager(app)
    login.user_loader(USERS.get)

    @app.post("/test-login/<user_id>")
    def test_login(user_id: str):
        login_user(USERS[user_id])
        return "ok"

    @app.get("/host-page")
    def host_page():
        return "host"

    LlmRegistry(app, db=db)
    return app


def gateway_app(db: Database, talon: TalonServer, **config: Any) -> Flask:
    """The host app with sync to ``talon`` switched on."""
    settings: dict[str, Any] = {
        "TALON_GATEWAY_URL": talon.base_url,
        "TALON_GATEWAY_TOKEN": TALON_TOKEN,
        "TASK_MASTER_LLM_TALON_TIMEOUT": 1.0,
    }
    settings.update(config)
    return make_app(db, **settings)


def login(app: Flask, user: str | None) -> FlaskClient:
    """A test client, logged in as ``user`` (None: anonymous)."""
    client = app.test_client()
    if user is not None:
        assert client.post(f"/test-login/{user}").status_code == 200
    return client


# --- API shortcuts --------------------------------------------------------------------

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


def agent_requests(talon: TalonServer) -> list[Any]:
    """The requests the gateway received on its agent routes (not the credential store)."""
    return [r for r in talon.requests if r.path.startswith("/v1/agents")]


def credential_requests(talon: TalonServer) -> list[Any]:
    """The requests the gateway received on its credential-store routes."""
    return [r for r in talon.requests if r.path.startswith("/v1/auth/")]


def bodies(talon: TalonServer, method: str | None = None) -> list[Any]:
    """JSON bodies the gateway received on its agent routes (optionally one method's)."""
    return [r.body for r in agent_requests(talon) if method is None or r.method == method]


def plan_stages(plan: dict[str, Any]) -> list[str]:
    """Every stage of an ``explain()`` winning plan, outermost first (``COLLSCAN``...)."""
    stages = [plan.get("stage", "")]
    for key in ("inputStage", "inputStages"):
        child = plan.get(key)
        for sub in (child if isinstance(child, list) else [child] if child else []):
            stages += plan_stages(sub)
    return stages
