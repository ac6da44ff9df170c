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
