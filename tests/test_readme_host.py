"""The README's "Using it in a host app" block runs as written (issue 11): it used to
give a 500 on every route (no user_loader) and named an undefined ``uri``."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask_login import LoginManager
from pymongo import MongoClient

from task_master_llm import LlmRegistry
from tests.support import TEST_KEY

README = Path(__file__).resolve().parents[1] / "README.md"


def host_snippet() -> str:
    """The first ```python block under "## Using it in a host app"."""
    text = README.read_text()
    section = text[text.index("## Using it in a host app"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its host snippet"
    return match.group(1)


def test_the_readme_host_snippet_runs_as_written(mongo_uri, mongo_client: MongoClient,
                                                 monkeypatch) -> None:
    name = f"tml_readme_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(mongo_uri)
    monkeypatch.setenv("MONGO_URI", urlunsplit(parts._replace(path=f"/{name}")))
    monkeypatch.setenv("SECRET_KEY", "readme-secret")
    monkeypatch.setenv("LLM_ENCRYPTION_KEY", TEST_KEY)
    namespace: dict = {"__name__": "readme_host"}
    try:
        exec(compile(host_snippet(), str(README), "exec"), namespace)  # noqa: S102
        app = namespace["app"]
        client = app.test_client()
        anonymous = client.get("/api/llm/providers")
        assert anonymous.status_code == 401 and anonymous.json["error"]["code"]
        with client.session_transaction() as session:
            session["_user_id"] = "1"
        assert client.get("/api/llm/providers").json == {"data": []}
        page = client.get("/llm")
        assert page.status_code == 200 and b"LLM Registry" in page.data
        assert name in mongo_client.list_database_names()  # the URI's database was used
        namespace["client"].close()
    finally:
        mongo_client.drop_database(name)


def test_a_missing_user_loader_is_a_clear_error(db) -> None:
    app = Flask("no_loader")
    app.config.update(SECRET_KEY="s", LLM_ENCRYPTION_KEY=TEST_KEY, PROPAGATE_EXCEPTIONS=False)
    LoginManager(app)
    LlmRegistry(app, db=db)
    client = app.test_client()
    api = client.get("/api/llm/providers")
    assert api.status_code == 500
    assert "no user loader" in api.json["error"]["message"]
    assert "@login_manager.user_loader" in api.json["error"]["message"]
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(Exception, match="no user loader"):
        client.get("/llm")
