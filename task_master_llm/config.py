"""Configuration keys, their defaults, and validation at ``init_app``.

Every key is read from ``app.config`` first and from the environment variable of the same
name when the app config lacks it. Values from the environment arrive as strings and are
converted here, so a typo fails at start-up with the key's name, not on the first request.
The README's "Configuration" table is the one full list of keys.

:class:`Settings` groups the values by who uses them (``urls``, ``collections``,
``http``, ``talon``, ``hooks``), so each part of the package is handed only its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from task_master_llm.errors import ConfigurationError
from task_master_llm.net.settings import HttpSettings
from task_master_llm.vault import parse_master_key, parse_previous_keys


def default_is_admin(user: Any) -> bool:
    """True when ``user.is_admin`` is true or ``user.role`` / ``user.roles`` says "admin"."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_admin", False) is True:
        return True
    role = getattr(user, "role", None)
    if isinstance(role, str) and role.strip().lower() == "admin":
        return True
    roles = getattr(user, "roles", None)
    if isinstance(roles, str):
        roles = [roles]
    if isinstance(roles, (list, tuple, set, frozenset)):
        return any(isinstance(r, str) and r.strip().lower() == "admin" for r in roles)
    return False


#: key -> (default, kind). kind drives conversion of environment strings.
DEFAULTS: dict[str, tuple[Any, str]] = {
    "LLM_ENCRYPTION_KEY": (None, "str"),
    "LLM_ENCRYPTION_KEY_PREVIOUS": (None, "str"),
    "TASK_MASTER_LLM_MONGO_URI": (None, "str"),
    "TASK_MASTER_LLM_DATABASE": ("task_master", "str"),
    "TASK_MASTER_LLM_MONGO_TIMEOUT_MS": (5000, "int"),
    "TASK_MASTER_LLM_URL_PREFIX": ("/api/llm", "str"),
    "TASK_MASTER_LLM_AGENTS_URL_PREFIX": ("/api/agents", "str"),
    "TASK_MASTER_LLM_AGENTS_API": (True, "bool"),
    "TASK_MASTER_LLM_PAGE_URL": ("/llm", "str"),
    "TASK_MASTER_LLM_PAGE": (True, "bool"),
    "TASK_MASTER_LLM_PROVIDER_COLLECTION": ("LlmProvider", "str"),
    "TASK_MASTER_LLM_MODEL_COLLECTION": ("LlmModel", "str"),
    "TASK_MASTER_LLM_AGENT_COLLECTION": ("Agent", "str"),
    "TASK_MASTER_LLM_TOMBSTONE_COLLECTION": ("LlmTalonTombstone", "str"),
    "TASK_MASTER_LLM_AUDIT_COLLECTION": ("LlmAuditEvent", "str"),
    "TASK_MASTER_LLM_AUDIT_TIMEOUT": (2.0, "float"),
    "TASK_MASTER_LLM_HEALTH_COLLECTION": ("LlmProviderHealth", "str"),
    "TASK_MASTER_LLM_HEALTH_HISTORY": (500, "int"),
    "TASK_MASTER_LLM_HEALTH_FAILURES": (3, "int"),
    "TASK_MASTER_LLM_IS_ADMIN": (default_is_admin, "callable"),
    "TASK_MASTER_LLM_CAN_MANAGE_AGENTS": (None, "callable"),
    "TASK_MASTER_LLM_CONNECT_TIMEOUT": (5.0, "float"),
    "TASK_MASTER_LLM_READ_TIMEOUT": (20.0, "float"),
    "TASK_MASTER_LLM_MAX_RETRIES": (2, "int"),
    "TASK_MASTER_LLM_MAX_RETRY_AFTER": (10.0, "float"),
    "TASK_MASTER_LLM_ALLOW_PRIVATE_NETWORKS": (True, "bool"),
    "TASK_MASTER_LLM_DISCOVERY_CONCURRENCY": (8, "int"),
    "TASK_MASTER_LLM_MAX_BODY_BYTES": (4 * 1024 * 1024, "int"),
    "TASK_MASTER_LLM_HTTP_DEADLINE": (30.0, "float"),
    "TASK_MASTER_LLM_MAX_RESPONSE_BYTES": (2 * 1024 * 1024, "int"),
    "TASK_MASTER_LLM_MAX_LISTING_BYTES": (20 * 1024 * 1024, "int"),
    "TALON_GATEWAY_URL": (None, "str"),
    "TALON_GATEWAY_TOKEN": (None, "str"),
    "TASK_MASTER_LLM_TALON_TIMEOUT": (10.0, "float"),
    "TASK_MASTER_LLM_TALON_DEADLINE": (20.0, "float"),
    "TALON_CREDENTIALS": ("both", "str"),
    "TALON_RESERVED_IDS": ("jarvis,main", "str"),
    "TALON_MODEL_PREFIXES": (None, "str"),
    # the pages' conventions about the host (README, "The page inside a host")
    "TASK_MASTER_LLM_HOME_ENDPOINT": (None, "str"),
    "TASK_MASTER_LLM_USER_LABEL": (None, "callable"),
    "TASK_MASTER_LLM_LOGOUT_ENDPOINT": ("logout", "str"),
    "TASK_MASTER_LLM_LOGOUT_METHOD": ("post", "str"),
    "TASK_MASTER_LLM_LAYOUT": ("task_master_llm/layout.html", "str"),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _convert(key: str, value: Any, kind: str) -> Any:
    if value is None:
        return None
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(value)
        if kind == "int":
            result = int(value)
            if result < 0:
                raise ValueError(value)
            return result
        if kind == "float":
            number = float(value)
            if number <= 0:
                raise ValueError(value)
            return number
        if kind == "callable":
            if not callable(value):
                raise ValueError(value)
            return value
        return str(value) if value != "" else None
    except (TypeError, ValueError):
        expected = {
            "bool": "true or false",
            "int": "a whole number >= 0",
            "float": "a number > 0",
            "callable": "a callable taking the user",
        }.get(kind, "a string")
        raise ConfigurationError(f"{key} must be {expected}.") from None


#: keys whose values are secrets (or may hold one, like a URI with a password)
SECRET_KEYS = frozenset({
    "LLM_ENCRYPTION_KEY", "LLM_ENCRYPTION_KEY_PREVIOUS", "TALON_GATEWAY_TOKEN",
    "TASK_MASTER_LLM_MONGO_URI",
})


UserCheck = Callable[[Any], bool]
CredentialsMode = Literal["both", "gateway", "agent"]
CREDENTIALS_MODES: tuple[CredentialsMode, ...] = ("both", "gateway", "agent")


@dataclass(frozen=True)
class UrlSettings:
    """Where the package mounts its API, its agent API and its page."""

    api: str
    agents_api: str
    serve_agents_api: bool
    page: str
    serve_page: bool


@dataclass(frozen=True)
class CollectionNames:
    """The MongoDB collections (shared with the JavaScript Task Master's Prisma schema;
    ``tombstones`` and ``audit`` are this package's own: gateway deletes still owed, and
    the audit log)."""

    providers: str
    models: str
    agents: str
    tombstones: str
    audit: str = "LlmAuditEvent"
    health: str = "LlmProviderHealth"


@dataclass(frozen=True)
class HealthSettings:
    """``flask llm check-providers``: how many checks each provider keeps, and after how
    many failures in a row a provider becomes invalid."""

    history: int = 500
    failures: int = 3


@dataclass(frozen=True)
class TalonSettings:
    """The Talon gateway; without a URL, sync is off and says so."""

    url: str | None
    token: str | None = field(repr=False)
    timeout: float
    connect_timeout: float
    #: seconds one gateway call may take in all, whatever the gateway's pace
    deadline: float = 20.0
    #: the size cap of a gateway answer, and of a listing (GET /v1/agents)
    max_response_bytes: int = 2 * 1024 * 1024
    max_listing_bytes: int = 20 * 1024 * 1024
    #: where agents get their provider's key: "both" (agent body and credential store),
    #: "gateway" (credential store only) or "agent" (agent body only)
    credentials: CredentialsMode = "both"
    #: ids never allocated or deleted at the gateway
    reserved_ids: frozenset[str] = frozenset({"jarvis", "main"})
    #: provider type -> the prefix of the model string the gateway gets
    model_prefixes: Mapping[str, str] = field(default_factory=dict)

    @property
    def keys_in_store(self) -> bool:
        """Whether provider keys go to the gateway's credential store."""
        return self.credentials in ("both", "gateway")

    @property
    def keys_in_body(self) -> bool:
        """Whether agent bodies carry their provider's key."""
        return self.credentials in ("both", "agent")

    def model_prefix(self, provider_type: str) -> str:
        """The model-string prefix the gateway gets for ``provider_type``."""
        return self.model_prefixes.get(provider_type, provider_type)

    @property
    def enabled(self) -> bool:
        """Whether a gateway URL is configured."""
        return bool(self.url)


@dataclass(frozen=True)
class Hooks:
    """The host's answers to "who may do this"."""

    is_admin: UserCheck
    can_manage_agents: UserCheck


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one app, in typed parts.

    ``values`` keeps every key as read; its repr (and so the repr of everything holding
    the settings, e.g. in a traceback with locals) hides :data:`SECRET_KEYS`.
    """

    values: dict[str, Any] = field(repr=False)
    encryption_key: str | None = field(repr=False)
    previous_keys: str | None = field(repr=False)
    mongo_uri: str | None = field(repr=False)
    database: str
    mongo_timeout_ms: int
    urls: UrlSettings
    collections: CollectionNames
    http: HttpSettings
    talon: TalonSettings
    hooks: Hooks
    max_body_bytes: int
    #: seconds an audit write may take before it is given up (the action goes on)
    audit_timeout: float = 2.0
    health: HealthSettings = field(default_factory=HealthSettings)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __repr__(self) -> str:
        shown = {
            k: ("[secure]" if k in SECRET_KEYS and v is not None else v)
            for k, v in self.values.items()
        }
        return f"Settings({shown!r})"

    @property
    def is_admin(self) -> UserCheck:
        """``TASK_MASTER_LLM_IS_ADMIN``."""
        return self.hooks.is_admin

    @property
    def can_manage_agents(self) -> UserCheck:
        """``TASK_MASTER_LLM_CAN_MANAGE_AGENTS`` (default: admins)."""
        return self.hooks.can_manage_agents


def load_settings(config: dict[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Read every key from ``config`` (setting defaults there) or the environment."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for key, (default, kind) in DEFAULTS.items():
        if key in config and config[key] is not None:
            raw = config[key]
        elif key in env and kind != "callable":
            raw = env[key]
        else:
            raw = default
        value = _convert(key, raw, kind)
        config.setdefault(key, value)
        values[key] = value
    for key in ("TASK_MASTER_LLM_URL_PREFIX", "TASK_MASTER_LLM_AGENTS_URL_PREFIX",
                "TASK_MASTER_LLM_PAGE_URL"):
        if not str(values[key]).startswith("/"):
            raise ConfigurationError(f"{key} must start with '/', got {values[key]!r}.")
        values[key] = str(values[key]).rstrip("/") or "/"
    method = str(values["TASK_MASTER_LLM_LOGOUT_METHOD"] or "post").strip().lower()
    if method not in ("post", "get"):
        raise ConfigurationError(
            f"TASK_MASTER_LLM_LOGOUT_METHOD must be post or get (got {method!r}).")
    values["TASK_MASTER_LLM_LOGOUT_METHOD"] = method
    talon = values["TALON_GATEWAY_URL"]
    if talon and urlsplit(talon.strip()).username is not None:
        raise ConfigurationError(
            "TALON_GATEWAY_URL must not contain credentials (user:password@): sync messages "
            "show the URL. Put the token in TALON_GATEWAY_TOKEN."
        )
    # a missing or malformed master key stops the app here, before anything else is built
    parse_master_key(values["LLM_ENCRYPTION_KEY"])
    parse_previous_keys(values["LLM_ENCRYPTION_KEY_PREVIOUS"])
    is_admin = values["TASK_MASTER_LLM_IS_ADMIN"]
    talon_timeout = values["TASK_MASTER_LLM_TALON_TIMEOUT"]
    for key in ("TASK_MASTER_LLM_MAX_RESPONSE_BYTES", "TASK_MASTER_LLM_MAX_LISTING_BYTES"):
        if values[key] < 1024:
            raise ConfigurationError(f"{key} must be at least 1024 (bytes).")
    return Settings(
        values=values,
        encryption_key=values["LLM_ENCRYPTION_KEY"],
        previous_keys=values["LLM_ENCRYPTION_KEY_PREVIOUS"],
        mongo_uri=values["TASK_MASTER_LLM_MONGO_URI"],
        database=values["TASK_MASTER_LLM_DATABASE"],
        mongo_timeout_ms=values["TASK_MASTER_LLM_MONGO_TIMEOUT_MS"] or 5000,
        urls=UrlSettings(
            api=values["TASK_MASTER_LLM_URL_PREFIX"],
            agents_api=values["TASK_MASTER_LLM_AGENTS_URL_PREFIX"],
            serve_agents_api=values["TASK_MASTER_LLM_AGENTS_API"],
            page=values["TASK_MASTER_LLM_PAGE_URL"],
            serve_page=values["TASK_MASTER_LLM_PAGE"],
        ),
        collections=CollectionNames(
            providers=values["TASK_MASTER_LLM_PROVIDER_COLLECTION"],
            models=values["TASK_MASTER_LLM_MODEL_COLLECTION"],
            agents=values["TASK_MASTER_LLM_AGENT_COLLECTION"],
            tombstones=values["TASK_MASTER_LLM_TOMBSTONE_COLLECTION"],
            audit=values["TASK_MASTER_LLM_AUDIT_COLLECTION"],
            health=values["TASK_MASTER_LLM_HEALTH_COLLECTION"],
        ),
        http=HttpSettings(
            connect_timeout=values["TASK_MASTER_LLM_CONNECT_TIMEOUT"],
            read_timeout=values["TASK_MASTER_LLM_READ_TIMEOUT"],
            max_retries=values["TASK_MASTER_LLM_MAX_RETRIES"],
            max_retry_after=values["TASK_MASTER_LLM_MAX_RETRY_AFTER"],
            allow_private_networks=values["TASK_MASTER_LLM_ALLOW_PRIVATE_NETWORKS"],
            show_concurrency=values["TASK_MASTER_LLM_DISCOVERY_CONCURRENCY"] or 1,
            deadline=values["TASK_MASTER_LLM_HTTP_DEADLINE"],
            max_response_bytes=values["TASK_MASTER_LLM_MAX_RESPONSE_BYTES"],
            max_listing_bytes=values["TASK_MASTER_LLM_MAX_LISTING_BYTES"],
        ),
        talon=TalonSettings(
            url=talon,
            token=values["TALON_GATEWAY_TOKEN"],
            timeout=talon_timeout,
            connect_timeout=min(values["TASK_MASTER_LLM_CONNECT_TIMEOUT"], talon_timeout),
            deadline=values["TASK_MASTER_LLM_TALON_DEADLINE"],
            max_response_bytes=values["TASK_MASTER_LLM_MAX_RESPONSE_BYTES"],
            max_listing_bytes=values["TASK_MASTER_LLM_MAX_LISTING_BYTES"],
            credentials=_credentials_mode(values["TALON_CREDENTIALS"]),
            reserved_ids=frozenset(
                i.strip() for i in (values["TALON_RESERVED_IDS"] or "").split(",") if i.strip()
            ),
            model_prefixes=_prefixes(values["TALON_MODEL_PREFIXES"]),
        ),
        hooks=Hooks(
            is_admin=is_admin,
            can_manage_agents=values["TASK_MASTER_LLM_CAN_MANAGE_AGENTS"] or is_admin,
        ),
        max_body_bytes=values["TASK_MASTER_LLM_MAX_BODY_BYTES"],
        audit_timeout=values["TASK_MASTER_LLM_AUDIT_TIMEOUT"],
        health=HealthSettings(
            history=values["TASK_MASTER_LLM_HEALTH_HISTORY"] or 1,
            failures=values["TASK_MASTER_LLM_HEALTH_FAILURES"] or 1,
        ),
    )


def _credentials_mode(value: str | None) -> CredentialsMode:
    mode = (value or "both").strip().lower()
    if mode not in CREDENTIALS_MODES:
        raise ConfigurationError(
            "TALON_CREDENTIALS must be one of both, gateway, agent "
            f"(got {value!r})."
        )
    return mode


def _prefixes(value: str | None) -> dict[str, str]:
    """``TALON_MODEL_PREFIXES``: ``type=prefix`` pairs separated by commas."""
    out: dict[str, str] = {}
    for item in (value or "").split(","):
        if not item.strip():
            continue
        type_name, sep, prefix = item.partition("=")
        if not sep or not type_name.strip() or not prefix.strip():
            raise ConfigurationError(
                "TALON_MODEL_PREFIXES must be type=prefix pairs separated by commas, e.g. "
                f"'ollama=ollama,openai_compatible=openai' (got {item.strip()!r})."
            )
        out[type_name.strip()] = prefix.strip()
    return out
