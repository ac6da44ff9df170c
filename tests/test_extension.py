"""init_app: configuration, refusal to start, indexes, state per app."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_login import LoginManager

from task_master_llm import ConfigurationError, LlmRegistry
from tests.support import TEST_KEY


def _app(**config) -> Flask:
    app = Flask("host")
    app.config.update(SECRET_KEY="x", **config)
    LoginManager(app)
    return app


@pytest.mark.parametrize("key", [None, "", "short", "0" * 63, "zz" * 32, TEST_KEY[:-4]])
def test_refuses_to_start_without_a_valid_key(db, monkeypatch, key):
    monkeypatch.delenv("LLM_ENCRYPTION_KEY", raising=False)
    config = {} if key is None else {"LLM_ENCRYPTION_KEY": key}
    with pytest.raises(ConfigurationError) as info:
        LlmRegistry(_app(**config), db=db)
    message = str(info.value)
    assert "LLM_ENCRYPTION_KEY" in message
    assert "secrets.token_bytes(32)" in message  # says how to make one
    if key:
        assert key not in message


def test_reads_environment_when_config_lacks_a_key(db, monkeypatch):
    monkeypatch.setenv("LLM_ENCRYPTION_KEY", TEST_KEY)
    monkeypatch.setenv("TASK_MASTER_LLM_URL_PREFIX", "/custom/llm")
    monkeypatch.setenv("TASK_MASTER_LLM_MAX_RETRIES", "5")
    app = _app()
    LlmRegistry(app, db=db)
    state = app.extensions["task_master_llm"]
    assert state.settings.http.max_retries == 5
    assert any(r.rule == "/custom/llm/providers" for r in app.url_map.iter_rules())
    assert app.config["TASK_MASTER_LLM_MAX_RETRIES"] == 5


def test_bad_config_value_names_the_key(db):
    with pytest.raises(ConfigurationError, match="TASK_MASTER_LLM_READ_TIMEOUT"):
        LlmRegistry(_app(LLM_ENCRYPTION_KEY=TEST_KEY, TASK_MASTER_LLM_READ_TIMEOUT="soon"), db=db)


def test_refuses_second_registration(db):
    app = _app(LLM_ENCRYPTION_KEY=TEST_KEY)
    registry = LlmRegistry(app, db=db)
    with pytest.raises(ConfigurationError, match="already registered"):
        registry.init_app(app, db=db)


def test_needs_flask_login(db):
    app = Flask("host")
    app.config.update(LLM_ENCRYPTION_KEY=TEST_KEY)
    with pytest.raises(ConfigurationError, match="LoginManager"):
        LlmRegistry(app, db=db)


def test_needs_a_database(monkeypatch):
    monkeypatch.delenv("TASK_MASTER_LLM_MONGO_URI", raising=False)
    with pytest.raises(ConfigurationError, match="TASK_MASTER_LLM_MONGO_URI"):
        LlmRegistry(_app(LLM_ENCRYPTION_KEY=TEST_KEY))


def test_database_from_uri(mongo_uri):
    app = _app(
        LLM_ENCRYPTION_KEY=TEST_KEY,
        TASK_MASTER_LLM_MONGO_URI=mongo_uri,
        TASK_MASTER_LLM_DATABASE="tml_uri_test",
    )
    LlmRegistry(app)
    state = app.extensions["task_master_llm"]
    try:
        assert state.db.name == "tml_uri_test"
        assert "name_unique" in state.db.LlmProvider.index_information()
    finally:
        state.db.client.drop_database("tml_uri_test")
        state.db.client.close()


def test_indexes_are_idempotent_and_names_configurable(db):
    for _ in range(2):
        app = _app(LLM_ENCRYPTION_KEY=TEST_KEY, TASK_MASTER_LLM_MODEL_COLLECTION="Models")
        LlmRegistry(app, db=db)
    assert "provider_model_unique" in db.Models.index_information()
    assert db.LlmProvider.index_information()["name_unique"]["unique"] is True
    assert db.Agent.index_information()["name_unique"]["unique"] is True


def test_factory_pattern_keeps_state_per_app(db):
    registry = LlmRegistry()
    one, two = _app(LLM_ENCRYPTION_KEY=TEST_KEY), _app(LLM_ENCRYPTION_KEY=TEST_KEY)
    registry.init_app(one, db=db)
    registry.init_app(two, db=db)
    assert one.extensions["task_master_llm"] is not two.extensions["task_master_llm"]
    assert not hasattr(registry, "app")


def test_every_config_key_is_documented():
    from pathlib import Path

    from task_master_llm.config import DEFAULTS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    docstring = LlmRegistry.init_app.__doc__ or ""
    for key in DEFAULTS:
        assert f"`{key}`" in readme, key
    # the README is the one full list; the docstring points there instead of repeating it
    assert "README" in docstring and '"Configuration"' in docstring


def test_starts_on_a_database_the_javascript_task_master_made(db):
    """Prisma's own unique indexes (other names) and host agents with talonId: null."""
    db.LlmProvider.create_index("name", unique=True, name="LlmProvider_name_key")
    db.LlmModel.create_index(
        [("providerId", 1), ("providerModelId", 1)],
        unique=True,
        name="LlmModel_providerId_providerModelId_key",
    )
    db.Agent.create_index("name", unique=True, name="Agent_name_key")
    db.Agent.insert_many(
        [{"name": "old one", "talonId": None}, {"name": "old two", "talonId": None}]
    )
    app = _app(LLM_ENCRYPTION_KEY=TEST_KEY)
    LlmRegistry(app, db=db)
    names = set(db.Agent.index_information())
    assert "Agent_name_key" in names and "name_unique" not in names
    assert "talon_id_unique" in names
    # ids stay unique once given
    db.Agent.update_one({"name": "old one"}, {"$set": {"talonId": "old-one"}})
    from pymongo.errors import DuplicateKeyError

    with pytest.raises(DuplicateKeyError):
        db.Agent.update_one({"name": "old two"}, {"$set": {"talonId": "old-one"}})
