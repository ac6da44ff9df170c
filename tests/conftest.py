"""Shared fixtures: a real MongoDB wire-protocol server and a fresh database per test, the
host app with its clients, and a local Talon gateway with the app that syncs to it.

The server is SecantusDB started on a free loopback port for the whole session, or the
server named by ``MONGO_URI`` when that is set (a real mongod in CI or on a laptop).
Plain constants and helpers (keys, ``make_app``, API shortcuts) are in ``tests/support.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pymongo import MongoClient
from pymongo.database import Database

from standins.talon import TalonServer
from tests.support import TALON_TOKEN, gateway_app, login, make_app


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

@pytest.fixture
def app(db: Database) -> Flask:
    return make_app(db)


@pytest.fixture
def anon(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.post("/test-login/admin").status_code == 200
    return client


@pytest.fixture
def member(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.post("/test-login/member").status_code == 200
    return client


# --- the Talon gateway and the app that syncs to it -----------------------------------

@pytest.fixture
def talon() -> Iterator[TalonServer]:
    """A local Talon gateway that enforces the contract (token ``TALON_TOKEN``)."""
    with TalonServer(token=TALON_TOKEN) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def gw_app(db: Database, talon: TalonServer, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.delenv("TALON_GATEWAY_URL", raising=False)
    return gateway_app(db, talon)


@pytest.fixture
def gw_admin(gw_app: Flask) -> FlaskClient:
    return login(gw_app, "admin")


@pytest.fixture
def gw_member(gw_app: Flask) -> FlaskClient:
    return login(gw_app, "member")


@pytest.fixture
def gw_anon(gw_app: Flask) -> FlaskClient:
    return login(gw_app, None)
