"""A local Talon gateway that enforces contracts/talon.md, for tests and the demo.

::

    with TalonServer() as talon:                 # token TALON_DEMO_TOKEN
        client = TalonClient(talon.base_url, TALON_DEMO_TOKEN)
        ...
        talon.down()                             # connections now refused
        talon.up()                               # same port again
        talon.agents                             # {id: stored agent}
        talon.requests                           # every request, with its JSON body

Knobs (thread-safe, changeable while running): ``down()``/``up()``, ``mode = "slow"``
with ``slow_seconds``, ``latency``, ``fail_next(n, status=500)``, plus the generic
``reset``/``html``/``malformed`` modes of :class:`FakeServer`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from standins.providers._base import FakeServer, Reply, Request

TALON_DEMO_TOKEN = "demo-talon-token"
MAX_BODY_BYTES = 1024 * 1024
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
REQUIRED_FIELDS = ("id", "name", "role", "model")
OPTIONAL_FIELDS = ("apiKey", "baseUrl", "systemPrompt", "guardrails", "description")
KNOWN_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
UNAUTHORIZED = {"error": {"message": "Unauthorized", "type": "unauthorized"}}


class TalonServer(FakeServer):
    """The gateway's agent registry: ``/v1/agents`` and ``/v1/agents/<id>``.

    ``token`` is the Bearer token it accepts (``valid_keys`` may hold several).
    Unknown fields (including ``soul``) are dropped; stored agents are in ``agents``.
    """

    provider_type = "talon"
    DEMO_KEY = TALON_DEMO_TOKEN

    def __init__(self, *, token: str | None = None, fail_status: int = 500, **knobs: Any) -> None:
        if token is not None:
            knobs.setdefault("valid_keys", {token})
        super().__init__(**knobs)
        self._agents: dict[str, dict[str, Any]] = {}
        self._default_fail_status = fail_status

    # state -----------------------------------------------------------------------------
    @property
    def agents(self) -> dict[str, dict[str, Any]]:
        """Stored agents by id (a deep copy)."""
        with self._lock:
            return copy.deepcopy(self._agents)

    @agents.setter
    def agents(self, agents: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self._agents = copy.deepcopy(agents)

    def fail_next(
        self, n: int = 1, status: int | None = None, retry_after: float | None = None
    ) -> None:
        """Answer the next ``n`` requests with ``status`` (default 500)."""
        super().fail_next(n, status or self._default_fail_status, retry_after)

    def max_body(self) -> int:
        """Bodies over 1 MB are refused with 413 without being read into memory."""
        return MAX_BODY_BYTES

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """Talon answers ``{"error": "..."}`` for gateway-level failures."""
        return {"error": message}

    # routes ----------------------------------------------------------------------------
    def route(self, request: Request) -> Reply:
        """Dispatch the agent routes after checking the Bearer token."""
        if not self.key_is_valid(request.bearer()):
            return Reply(401, UNAUTHORIZED)
        path = request.path
        if path.rstrip("/") == "/v1/agents":
            if request.method == "POST":
                return self._create(request)
            if request.method == "GET":
                with self._lock:
                    return Reply(200, {"agents": copy.deepcopy(list(self._agents.values()))})
            return _method_not_allowed()
        if path.startswith("/v1/agents/"):
            agent_id = path[len("/v1/agents/"):]  # raw: the gateway does not URL-decode
            if request.method == "GET":
                with self._lock:
                    agent = copy.deepcopy(self._agents.get(agent_id))
                return Reply(200, agent) if agent else _not_found(agent_id)
            if request.method == "PUT":
                return self._upsert(request, agent_id)
            if request.method == "DELETE":
                with self._lock:
                    gone = self._agents.pop(agent_id, None)
                return Reply(200, {"ok": True}) if gone is not None else _not_found(agent_id)
            return _method_not_allowed()
        return Reply(404, {"error": "Not found"})

    def _create(self, request: Request) -> Reply:
        body, problem = _parse(request)
        if problem is None:
            problem = _validate(body, required=True)
        if problem is not None:
            return Reply(400, {"error": problem})
        agent = _clean(body)
        with self._lock:
            self._agents[agent["id"]] = agent
        return Reply(201, copy.deepcopy(agent))

    def _upsert(self, request: Request, agent_id: str) -> Reply:
        body, problem = _parse(request)
        if problem is None and "id" in body and body["id"] != agent_id:
            problem = "ID mismatch between URL and body"
        if problem is None and not ID_PATTERN.fullmatch(agent_id):
            problem = f"invalid id: must match {ID_PATTERN.pattern}"
        if problem is None:
            problem = _validate(body, required=False)
        if problem is not None:
            return Reply(400, {"error": problem})
        with self._lock:
            existing = self._agents.get(agent_id)
            merged = dict(existing or {})
            merged.update(_clean(body))
            merged["id"] = agent_id
            missing = [f for f in REQUIRED_FIELDS if f not in merged]
            if missing:
                return Reply(400, {"error": f"missing required field: {missing[0]}"})
            self._agents[agent_id] = merged
        return Reply(201 if existing is None else 200, copy.deepcopy(merged))


def _parse(request: Request) -> tuple[dict[str, Any], str | None]:
    try:
        body = request.json()
    except ValueError:
        return {}, "invalid JSON body"
    if not isinstance(body, dict):
        return {}, "body must be a JSON object"
    return body, None


def _validate(body: dict[str, Any], *, required: bool) -> str | None:
    for key, value in body.items():
        if value is None:
            return f"field '{key}' must not be null"
    if required:
        for name in REQUIRED_FIELDS:
            if name not in body:
                return f"missing required field: {name}"
    for name in KNOWN_FIELDS:
        if name in body and not isinstance(body[name], str):
            return f"field '{name}' must be a string"
    if "id" in body and not ID_PATTERN.fullmatch(body["id"]):
        return f"invalid id: must match {ID_PATTERN.pattern}"
    return None


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in KNOWN_FIELDS}


def _not_found(agent_id: str) -> Reply:
    return Reply(404, {"error": f"agent not found: {agent_id}"})


def _method_not_allowed() -> Reply:
    return Reply(405, {"error": "Method not allowed"})
