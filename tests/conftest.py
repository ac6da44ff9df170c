"""Shared fixtures: a real MongoDB wire-protocol server and a fresh database per test.

The server is SecantusDB started on a free loopback port for the whole session, or the
server named by ``MONGO_URI`` when that is set (a real mongod in CI or on a laptop).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from pymongo import MongoClient
from pymongo.database import Database


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI of the MongoDB server the tests use."""
    uri = os.environ.get("MONGO_URI")
    if uri:
        yield uri
        return
    from secantus import SecantusDBServer

    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    server.start()
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_client(mongo_uri: str) -> Iterator[MongoClient]:
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    yield client
    client.close()


@pytest.fixture
def db(mongo_client: MongoClient) -> Iterator[Database]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"tml_test_{uuid.uuid4().hex[:12]}"
    database = mongo_client[name]
    yield database
    mongo_client.drop_database(name)


# --- the Flask app under test ---------------------------------------------------------

TEST_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64; tests only
CANARY_KEY = "sk-CANARY-5f3c9e1d7a2b4c6e8f0a1b2c3d4e5f60"


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


def make_app(db: Database, **config: object):
    """A minimal host app: flask-login, two users, and the extension."""
    from flask import Flask
    from flask_login import LoginManager, login_user

    from task_master_llm import LlmRegistry

    app = Flask("host")
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


@pytest.fixture
def app(db: Database):
    return make_app(db)


@pytest.fixture
def anon(app):
    return app.test_client()


@pytest.fixture
def admin(app):
    client = app.test_client()
    assert client.post("/test-login/admin").status_code == 200
    return client


@pytest.fixture
def member(app):
    client = app.test_client()
    assert client.post("/test-login/member").status_code == 200
    return client
