"""A local Talon gateway: the twin of the real gateway's route handlers (contracts/talon.md).

::

    with TalonServer() as talon:                 # token TALON_DEMO_TOKEN
        client = TalonClient(talon.base_url, TALON_DEMO_TOKEN)
        ...
        talon.down()                             # connections now refused
        talon.up()                               # same port again
        talon.agents                             # {id: stored agent}, "jarvis" included
        talon.credentials                        # {"google": {"key", "baseUrl"}, ...}
        talon.runtime_key("scout", "google")     # the key that agent really runs with
        talon.requests                           # every request, with its JSON body

As the real one: agent bodies are validated whole (POST and PUT alike; a partial PUT is a
400) and merged on PUT; any string id is accepted; ``jarvis`` is the system agent (a POST
or PUT rebuilds it from a few fields, DELETE is a 404); lists are ``{"data": [...]}``;
bodies over 1 MB reset the connection; the credential store holds one profile per
provider type, is copied into every agent after each create, update, exchange and remove,
and is what the runtime reads (never an agent's ``apiKey``).

Knobs (thread-safe, changeable while running): ``down()``/``up()``, ``crash_after(n)``
(answer ``n`` more requests, then reset connections until ``reset_knobs()``),
``mode = "slow"`` with ``slow_seconds``, ``latency``, ``fail_next(n, status=500)``, plus the generic
``reset``/``html``/``malformed`` modes of :class:`FakeServer`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from standins.providers._base import FakeServer, Reply, Request

TALON_DEMO_TOKEN = "demo-talon-token"
MAX_BODY_BYTES = 1024 * 1024
#: what the chat routes accept as an agent id (ids we send must match it)
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
SYSTEM_AGENT = "jarvis"
REQUIRED_FIELDS = ("id", "name", "role", "model")
STRING_FIELDS = ("systemPrompt", "guardrails", "description", "bootstrap", "repoContext",
                 "apiKey", "baseUrl")
KNOWN_FIELDS = (*REQUIRED_FIELDS, *STRING_FIELDS, "skills", "temperature", "tools",
                "parentAgentId")
#: what a POST or PUT of ``jarvis`` keeps from the body
SYSTEM_FIELDS = ("role", "model", "systemPrompt", "guardrails", "bootstrap", "repoContext",
                 "tools")
#: provider types the credential store takes
AUTH_PROVIDERS = ("google", "google-gemini-cli", "google-antigravity", "openai",
                  "openai-codex", "anthropic", "ollama")
UNAUTHORIZED = {"error": {"message": "Unauthorized", "type": "unauthorized"}}


def _system_agent() -> dict[str, Any]:
    return {"id": SYSTEM_AGENT, "name": "Jarvis", "role": "Main assistant",
            "model": "anthropic/claude-sonnet-4-5", "type": "main", "isSystem": True}


class TalonServer(FakeServer):
    """The gateway's agents (``/v1/agents``) and credential store (``/v1/auth/*``).

    ``token`` is the Bearer token it accepts (``valid_keys`` may hold several).
    """

    provider_type = "talon"
    DEMO_KEY = TALON_DEMO_TOKEN
    oversize_resets = True

    def __init__(self, *, token: str | None = None, fail_status: int = 500, **knobs: Any) -> None:
        if token is not None:
            knobs.setdefault("valid_keys", {token})
        super().__init__(**knobs)
        self._agents: dict[str, dict[str, Any]] = {SYSTEM_AGENT: _system_agent()}
        self._profiles: dict[str, dict[str, Any]] = {}
        self._agent_profiles: dict[str, dict[str, dict[str, Any]]] = {}
        self._default_fail_status = fail_status
        self._budget: int | None = None

    # state -----------------------------------------------------------------------------
    @property
    def agents(self) -> dict[str, dict[str, Any]]:
        """Stored agents by id (a deep copy), the system agent ``jarvis`` included."""
        with self._lock:
            return copy.deepcopy(self._agents)

    @agents.setter
    def agents(self, agents: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self._agents = {SYSTEM_AGENT: _system_agent(), **copy.deepcopy(agents)}

    @property
    def sub_agents(self) -> dict[str, dict[str, Any]]:
        """Stored agents without the system agent."""
        return {k: v for k, v in self.agents.items() if k != SYSTEM_AGENT}

    @property
    def credentials(self) -> dict[str, dict[str, Any]]:
        """The global credential store: ``{provider: {"key", "baseUrl"}}``."""
        with self._lock:
            return {
                p["provider"]: {"key": p["key"], "baseUrl": p["metadata"].get("baseUrl")}
                for p in self._profiles.values()
            }

    @credentials.setter
    def credentials(self, store: dict[str, dict[str, Any]]) -> None:
        """Replace the store (tests tamper with it) and copy it into every agent."""
        with self._lock:
            self._profiles = {
                f"{provider}-default": _profile(provider, value.get("key"), value.get("baseUrl"))
                for provider, value in store.items()
            }
            self._copy_store_to_all()

    def runtime_key(self, agent_id: str, provider: str) -> str | None:
        """The key the runtime would use for ``agent_id`` calling ``provider``: the agent's
        copy of the store, then the main store (never the agent body's ``apiKey``)."""
        with self._lock:
            for store in (self._agent_profiles.get(agent_id, {}), self._profiles):
                profile = store.get(f"{provider}-default")
                if profile is not None:
                    return str(profile["key"])
        return None

    def crash_after(self, n: int) -> None:
        """Answer ``n`` more requests, then reset every connection (a gateway that dies in
        the middle of an operation) until ``reset_knobs()``."""
        with self._lock:
            if n <= 0:
                self._budget = None
                self._mode = "reset"
            else:
                self._budget = n

    def reset_knobs(self) -> None:
        """Back to normal (a crashed gateway answers again)."""
        super().reset_knobs()
        with self._lock:
            self._budget = None

    def fail_next(
        self, n: int = 1, status: int | None = None, retry_after: float | None = None
    ) -> None:
        """Answer the next ``n`` requests with ``status`` (default 500)."""
        super().fail_next(n, status or self._default_fail_status, retry_after)

    def max_body(self) -> int:
        """Bodies over 1 MB are not read; the connection is reset."""
        return MAX_BODY_BYTES

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """Talon answers ``{"error": "..."}`` for gateway-level failures."""
        return {"error": message}

    # routes ----------------------------------------------------------------------------
    def route(self, request: Request) -> Reply:
        """Dispatch after checking the Bearer token."""
        with self._lock:
            if self._budget is not None:
                self._budget -= 1
                if self._budget <= 0:
                    self._budget = None
                    self._mode = "reset"  # this one is answered; the next ones are not
        if not self.key_is_valid(request.bearer()):
            return Reply(401, UNAUTHORIZED)
        path = request.path
        if path.startswith("/v1/auth/"):
            return self._auth(request, path[len("/v1/auth/"):])
        if path.rstrip("/") == "/v1/agents":
            if request.method == "POST":
                return self._save(request, None)
            if request.method == "GET":
                with self._lock:
                    return Reply(200, {"data": copy.deepcopy(list(self._agents.values()))})
            if request.method == "DELETE":
                return Reply(400, {"error": "Agent ID is required"})
            return _method_not_allowed()
        if path.startswith("/v1/agents/"):
            agent_id = path[len("/v1/agents/"):]  # raw: the gateway does not URL-decode
            if request.method == "GET":
                with self._lock:
                    agent = copy.deepcopy(self._agents.get(agent_id))
                return Reply(200, agent) if agent else _not_found()
            if request.method == "PUT":
                return self._save(request, agent_id)
            if request.method == "DELETE":
                if agent_id == SYSTEM_AGENT:
                    return _not_found()
                with self._lock:
                    gone = self._agents.pop(agent_id, None)
                    self._agent_profiles.pop(agent_id, None)
                return Reply(200, {"ok": True}) if gone is not None else _not_found()
            return _method_not_allowed()
        return Reply(404, {"error": "Not found"})

    def _save(self, request: Request, url_id: str | None) -> Reply:
        """POST (``url_id`` None: create or replace) or PUT (validate, then merge)."""
        body, problem = _parse(request)
        if problem is None:
            problem = _validate(body)
        if problem is None and url_id is not None and body["id"] != url_id:
            problem = "ID mismatch between URL and body"
        if problem is not None:
            return Reply(400, {"error": problem})
        agent = {k: v for k, v in body.items() if k in KNOWN_FIELDS}
        agent_id = agent["id"]
        with self._lock:
            existing = self._agents.get(agent_id)
            if agent_id == SYSTEM_AGENT:
                stored = {**_system_agent(), **{k: agent[k] for k in SYSTEM_FIELDS if k in agent}}
            elif url_id is None:
                stored = {**agent, "type": "sub", "parentAgentId": SYSTEM_AGENT,
                          "isSystem": False}
            else:
                stored = {**(existing or {}), **agent, "type": "sub",
                          "parentAgentId": SYSTEM_AGENT, "isSystem": False}
            self._agents[agent_id] = stored
            self._agent_profiles[agent_id] = copy.deepcopy(self._profiles)
            echo = copy.deepcopy(stored if url_id is not None else agent)
        created = url_id is None or existing is None
        return Reply(201 if created else 200, echo)

    def _auth(self, request: Request, route: str) -> Reply:
        if route == "providers":
            if request.method != "GET":
                return _method_not_allowed()
            with self._lock:
                return Reply(200, {p: self._status(p) for p in AUTH_PROVIDERS})
        if route not in ("exchange", "remove"):
            return Reply(404, {"error": "Not found"})
        if request.method != "POST":
            return _method_not_allowed()
        body, problem = _parse(request)
        if problem is not None:
            return Reply(400, {"error": problem})
        provider = body.get("provider")
        provider = provider.lower() if isinstance(provider, str) else None
        if provider not in AUTH_PROVIDERS:
            return Reply(400, {"error": "Unsupported provider"})
        if route == "remove":
            with self._lock:
                names = [n for n, p in self._profiles.items() if p["provider"] == provider]
                for name in names:
                    del self._profiles[name]
                self._copy_store_to_all()
            return Reply(200, {"ok": True, "provider": provider, "removedProfiles": len(names)})
        api_key, base_url = body.get("apiKey"), body.get("baseUrl")
        if not api_key and not base_url and not body.get("code"):
            return Reply(400, {"error": "Missing code, apiKey or baseUrl"})
        with self._lock:
            self._profiles[f"{provider}-default"] = _profile(provider, api_key, base_url)
            self._copy_store_to_all()
        mode = "api_key" if api_key else "baseUrl"
        return Reply(200, {"ok": True, "provider": provider, "mode": mode})

    def _status(self, provider: str) -> dict[str, Any]:
        profiles = [p for p in self._profiles.values() if p["provider"] == provider]
        base_url = next((p["metadata"].get("baseUrl") for p in profiles
                         if p["metadata"].get("baseUrl")), None)
        status: dict[str, Any] = {
            "connected": bool(profiles),
            "hasOauth": False,
            "hasApiKey": any(p["key"] != "local" for p in profiles),
            "profileCount": len(profiles),
        }
        if base_url:
            status["baseUrl"] = base_url
        return status

    def _copy_store_to_all(self) -> None:
        for agent_id in self._agents:
            self._agent_profiles[agent_id] = copy.deepcopy(self._profiles)


def _profile(provider: str, api_key: Any, base_url: Any) -> dict[str, Any]:
    metadata = {"baseUrl": base_url} if base_url else {}
    return {"type": "api_key", "provider": provider, "key": api_key or "local",
            "metadata": metadata}


def _parse(request: Request) -> tuple[dict[str, Any], str | None]:
    try:
        body = request.json()
    except ValueError:
        return {}, "invalid JSON body"
    if not isinstance(body, dict):
        return {}, "body must be a JSON object"
    return body, None


def _validate(body: dict[str, Any]) -> str | None:
    """The gateway's zod schema: the whole body, whatever the method (a ZodError text)."""
    for key, value in body.items():
        if value is None and key != "parentAgentId" and key in KNOWN_FIELDS:
            return f"ZodError: {key}: Expected string, received null"
    for name in REQUIRED_FIELDS:
        if name not in body:
            return f"ZodError: {name}: Required"
    for name in ("id", "name", "role", *STRING_FIELDS):
        if name in body and not isinstance(body[name], str):
            return f"ZodError: {name}: Expected string"
    model = body["model"]
    if not isinstance(model, str) and not (
        isinstance(model, dict)
        and isinstance(model.get("primary", ""), str)
        and isinstance(model.get("fallbacks", []), list)
        and all(isinstance(f, str) for f in model.get("fallbacks", []))
    ):
        return "ZodError: model: Expected string or {primary, fallbacks}"
    if "skills" in body and not (isinstance(body["skills"], list)
                                 and all(isinstance(s, str) for s in body["skills"])):
        return "ZodError: skills: Expected array of strings"
    if "temperature" in body and (isinstance(body["temperature"], bool)
                                  or not isinstance(body["temperature"], (int, float))):
        return "ZodError: temperature: Expected number"
    if "tools" in body and not isinstance(body["tools"], dict):
        return "ZodError: tools: Expected object"
    return None


def _not_found() -> Reply:
    return Reply(404, {"error": "Agent not found"})


def _method_not_allowed() -> Reply:
    return Reply(405, "Method Not Allowed", content_type="text/plain")
