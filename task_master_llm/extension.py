"""The Flask extension: ``LlmRegistry(app, db=...)`` or ``registry.init_app(app)``.

The only module that imports both the core and the web layer:
checks -> :func:`~task_master_llm.config.load_settings` ->
:func:`~task_master_llm.core.services.build_services` -> :func:`task_master_llm.web.register`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from pymongo import MongoClient
from pymongo.database import Database

from task_master_llm.config import Settings, load_settings
from task_master_llm.core.services import build_services
from task_master_llm.errors import ConfigurationError
from task_master_llm.web import register
from task_master_llm.web.actor import current_actor
from task_master_llm.web.context import EXTENSION_KEY, services_of

log = logging.getLogger(__name__)


class LlmRegistry:
    """Adds the LLM Model Registry to a Flask app: ``LlmRegistry(app, db=...)``, or
    ``registry = LlmRegistry()`` then ``registry.init_app(app, db=...)`` in a factory.

    State (the :class:`~task_master_llm.core.services.Services` built for the app) lives
    per app in ``app.extensions["task_master_llm"]``, never on this object; read it with
    :func:`task_master_llm.web.context.services_of`. The config keys are in the README.
    """

    def __init__(self, app: Flask | None = None, db: Database | None = None) -> None:
        self._db = db
        if app is not None:
            self.init_app(app, db)

    def init_app(self, app: Flask, db: Database | None = None) -> None:
        """Validate config, connect storage, create indexes, register routes and commands.

        ``db`` is a pymongo ``Database``; without one, ``TASK_MASTER_LLM_MONGO_URI`` is used.
        Refuses a second registration on the same app, a missing flask-login
        ``LoginManager``, and a missing or malformed ``LLM_ENCRYPTION_KEY``.

        Every config key is read from ``app.config``, else from the environment variable of
        the same name; the README's "Configuration" table is the one full list of keys and
        their defaults (``task_master_llm.config.DEFAULTS`` in code).
        """
        if EXTENSION_KEY in app.extensions:
            raise ConfigurationError(
                "LlmRegistry is already registered on this app. Create one LlmRegistry "
                "and call init_app once per app."
            )
        if not hasattr(app, "login_manager"):
            raise ConfigurationError(
                "LlmRegistry needs flask-login: call LoginManager().init_app(app) before "
                "LlmRegistry.init_app(app)."
            )
        settings = load_settings(app.config)
        database = db if db is not None else self._db
        owned = database is None
        if database is None:
            database = _database_from_config(settings)
        try:
            services = build_services(settings, database, actor=current_actor)
            services.stores.ensure_indexes()
            services.providers.recount_models()  # after a crash or other code's writes
        except Exception:
            if owned:  # the client is ours: do not leave its threads and sockets behind
                database.client.close()
            raise
        register(app, services)

    def agent_changed(self, event: str, agent: Any, *, app: Flask | None = None) -> dict[str, Any]:
        """The host hook: call it when the host's own code created, updated or deleted an
        agent, and the change is pushed to the Talon gateway like the package's routes do.

        ``event`` is ``"created"``, ``"updated"`` or ``"deleted"``. ``agent`` is the agent's
        id or document for created/updated (after saving it), and the deleted document (or
        its ``talonId``) for deleted. Returns ``{"status", "error", "syncedAt"}``; the sync
        state is also stored on the agent. Gateway failures never raise.
        """
        return services_of(app or current_app).agents.agent_changed(event, agent)

    def agent_created(self, agent: Any, *, app: Flask | None = None) -> dict[str, Any]:
        """``agent_changed("created", agent)``."""
        return self.agent_changed("created", agent, app=app)

    def agent_updated(self, agent: Any, *, app: Flask | None = None) -> dict[str, Any]:
        """``agent_changed("updated", agent)``."""
        return self.agent_changed("updated", agent, app=app)

    def agent_deleted(self, agent: Any, *, app: Flask | None = None) -> dict[str, Any]:
        """``agent_changed("deleted", agent)``: pass the deleted document or its talonId."""
        return self.agent_changed("deleted", agent, app=app)


def _database_from_config(settings: Settings) -> Database:
    uri = settings.mongo_uri
    if not uri:
        raise ConfigurationError(
            "LlmRegistry needs a database: pass db=<pymongo Database> to LlmRegistry(...) or "
            "init_app(...), or set TASK_MASTER_LLM_MONGO_URI (and TASK_MASTER_LLM_DATABASE)."
        )
    client: MongoClient = MongoClient(
        uri, tz_aware=True, serverSelectionTimeoutMS=settings.mongo_timeout_ms
    )
    return client[settings.database]
