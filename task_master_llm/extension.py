"""The Flask extension: ``LlmRegistry(app, db=...)`` or ``registry.init_app(app)``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from pymongo import MongoClient
from pymongo.database import Database

from task_master_llm.adapters.base import HttpSettings
from task_master_llm.config import Settings, load_settings
from task_master_llm.errors import ConfigurationError
from task_master_llm.store import AgentStore, ModelStore, ProviderStore
from task_master_llm.vault import Vault

EXTENSION_KEY = "task_master_llm"
log = logging.getLogger(__name__)


@dataclass
class RegistryState:
    """Everything the extension holds for one app (never on the extension object)."""

    settings: Settings
    db: Database
    vault: Vault
    providers: ProviderStore
    models: ModelStore
    agents: AgentStore
    http_settings: HttpSettings
    #: set by the agents service; called when providers or models change
    listeners: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)

    def on_provider_credentials_changed(self, provider_id: Any) -> None:
        """A provider's key or base URL changed: agents on it need a re-sync."""
        hook = self.listeners.get("provider_credentials_changed")
        if hook is not None:
            hook(provider_id)

    def on_models_removing(self, model_ids: list[Any]) -> list[dict[str, str]]:
        """Models are about to be deleted: detach their agents; returns those agents."""
        hook = self.listeners.get("models_removing")
        return hook(model_ids) if hook is not None else []


class LlmRegistry:
    """Adds the LLM Model Registry to a Flask app: ``LlmRegistry(app, db=...)``, or
    ``registry = LlmRegistry()`` then ``registry.init_app(app, db=...)`` in a factory.

    State lives per app in ``app.extensions["task_master_llm"]``, never on this object.
    The config keys are listed in :meth:`init_app`.
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

        Config keys (read from ``app.config``, else the environment variable of the same name):

        - ``LLM_ENCRYPTION_KEY`` (required): 32-byte master key, base64 (44 chars) or hex (64).
        - ``LLM_ENCRYPTION_KEY_PREVIOUS``: comma-separated old keys, read during rotation.
        - ``TASK_MASTER_LLM_MONGO_URI`` / ``TASK_MASTER_LLM_DATABASE`` (``task_master``): used
          when no ``db`` is passed.
        - ``TASK_MASTER_LLM_URL_PREFIX`` (``/api/llm``), ``TASK_MASTER_LLM_AGENTS_URL_PREFIX``
          (``/api/agents``), ``TASK_MASTER_LLM_AGENTS_API`` (True: serve the agent routes),
          ``TASK_MASTER_LLM_PAGE_URL`` (``/llm``), ``TASK_MASTER_LLM_PAGE`` (True).
        - ``TASK_MASTER_LLM_PROVIDER_COLLECTION`` (``LlmProvider``),
          ``TASK_MASTER_LLM_MODEL_COLLECTION`` (``LlmModel``),
          ``TASK_MASTER_LLM_AGENT_COLLECTION`` (``Agent``).
        - ``TASK_MASTER_LLM_IS_ADMIN``: callable(user) -> bool; default accepts ``is_admin``
          or a ``role``/``roles`` of "admin". ``TASK_MASTER_LLM_CAN_MANAGE_AGENTS``: who may
          update, delete and re-sync agents (default: admins).
        - ``TASK_MASTER_LLM_CONNECT_TIMEOUT`` (5), ``TASK_MASTER_LLM_READ_TIMEOUT`` (20),
          ``TASK_MASTER_LLM_MAX_RETRIES`` (2), ``TASK_MASTER_LLM_MAX_RETRY_AFTER`` (10),
          ``TASK_MASTER_LLM_ALLOW_PRIVATE_NETWORKS`` (True),
          ``TASK_MASTER_LLM_DISCOVERY_CONCURRENCY`` (8).
        - ``TASK_MASTER_LLM_MAX_BODY_BYTES`` (4 MiB): the largest JSON body the API reads
          (the host's ``MAX_CONTENT_LENGTH`` wins when lower); larger ones get a 413.
        - ``TALON_GATEWAY_URL``, ``TALON_GATEWAY_TOKEN``, ``TASK_MASTER_LLM_TALON_TIMEOUT`` (10):
          the agent gateway; without a URL, sync is off and says so.
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
        vault = Vault.from_strings(
            settings["LLM_ENCRYPTION_KEY"], settings["LLM_ENCRYPTION_KEY_PREVIOUS"]
        )
        database = db if db is not None else self._db
        if database is None:
            database = _database_from_config(settings)
        state = RegistryState(
            settings=settings,
            db=database,
            vault=vault,
            providers=ProviderStore(database[settings["TASK_MASTER_LLM_PROVIDER_COLLECTION"]]),
            models=ModelStore(database[settings["TASK_MASTER_LLM_MODEL_COLLECTION"]]),
            agents=AgentStore(database[settings["TASK_MASTER_LLM_AGENT_COLLECTION"]]),
            http_settings=HttpSettings(
                connect_timeout=settings["TASK_MASTER_LLM_CONNECT_TIMEOUT"],
                read_timeout=settings["TASK_MASTER_LLM_READ_TIMEOUT"],
                max_retries=settings["TASK_MASTER_LLM_MAX_RETRIES"],
                max_retry_after=settings["TASK_MASTER_LLM_MAX_RETRY_AFTER"],
                allow_private_networks=settings["TASK_MASTER_LLM_ALLOW_PRIVATE_NETWORKS"],
                show_concurrency=settings["TASK_MASTER_LLM_DISCOVERY_CONCURRENCY"] or 1,
            ),
        )
        for store in (state.providers, state.models, state.agents):
            store.ensure_indexes()
        app.extensions[EXTENSION_KEY] = state

        from task_master_llm.agents import install_listeners

        install_listeners(state)

        from task_master_llm.api import register_blueprints
        from task_master_llm.cli import llm_cli

        register_blueprints(app, state)
        app.cli.add_command(llm_cli)

    def agent_changed(self, event: str, agent: Any, *, app: Flask | None = None) -> dict[str, Any]:
        """The host hook: call it when the host's own code created, updated or deleted an
        agent, and the change is pushed to the Talon gateway like the package's routes do.

        ``event`` is ``"created"``, ``"updated"`` or ``"deleted"``. ``agent`` is the agent's
        id or document for created/updated (after saving it), and the deleted document (or
        its ``talonId``) for deleted. Returns ``{"status", "error", "syncedAt"}``; the sync
        state is also stored on the agent. Gateway failures never raise.
        """
        from task_master_llm.agents import AgentService

        return AgentService(get_state(app)).agent_changed(event, agent)

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
    uri = settings["TASK_MASTER_LLM_MONGO_URI"]
    if not uri:
        raise ConfigurationError(
            "LlmRegistry needs a database: pass db=<pymongo Database> to LlmRegistry(...) or "
            "init_app(...), or set TASK_MASTER_LLM_MONGO_URI (and TASK_MASTER_LLM_DATABASE)."
        )
    client: MongoClient = MongoClient(uri, tz_aware=True)
    return client[settings["TASK_MASTER_LLM_DATABASE"]]


def get_state(app: Flask | None = None) -> RegistryState:
    """The registry state of ``app`` (default: the current app)."""
    app = app or current_app
    try:
        return app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "LlmRegistry is not registered on this app. Did you forget "
            "LlmRegistry(app) or registry.init_app(app)?"
        ) from None
