"""Talon gateway client: push agent changes per contracts/talon.md.

Every call returns a :class:`SyncOutcome` instead of raising: the agent change is already
saved, and the outcome (``synced``, ``failed`` with an actionable reason, or ``disabled``)
is recorded on the agent. Network errors are never success.

The payload carries the decrypted provider key (``apiKey``). Nothing here logs a payload,
formats a ``requests`` exception, or passes on a gateway message without scrubbing the key
and the gateway token out of it, so the key cannot reach a log line, an exception or a
sync status text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from task_master_llm.net.failures import NetworkKind, classify
from task_master_llm.net.limits import (
    AnswerStalled,
    Deadline,
    DeadlineExceeded,
    ResponseTooLarge,
    format_bytes,
    read_body,
)
from task_master_llm.net.redaction import redact
from task_master_llm.net.settings import HttpSettings, SessionFactory
from task_master_llm.net.transport import deadline_scope, plain_session_factory
from task_master_llm.talon_ids import (
    RESERVED_IDS,
    TALON_ID_PATTERN,
)
from task_master_llm.version import __version__

log = logging.getLogger(__name__)

DISABLED_MESSAGE = "Talon sync is off: TALON_GATEWAY_URL is not set"
#: Ids that can stand in a URL path as they are (the gateway does not decode ids): what a
#: JavaScript-era agent's id must match to be read or deleted.
ADDRESSABLE_ID = re.compile(r"[A-Za-z0-9._~-]{1,256}")
#: The gateway's limit on what we send; above it the gateway resets the connection.
#: (What it sends back is capped by ``max_response_bytes``/``max_listing_bytes``.)
MAX_BODY_BYTES = 1024 * 1024
_MESSAGE_MAX = 200


@dataclass(frozen=True)
class SyncOutcome:
    """The result of one gateway call, as stored on the agent."""

    status: Literal["synced", "failed", "disabled"]
    error: str | None = None
    http_status: int | None = None

    @property
    def ok(self) -> bool:
        """True when the gateway has the change (``synced``)."""
        return self.status == "synced"


@dataclass(frozen=True)
class Reading:
    """The result of a read: the outcome, and the decoded body when it succeeded."""

    outcome: SyncOutcome
    body: Any = None


class TalonClient:
    """Create, update and delete agents at the Talon gateway.

    ``base_url`` is ``TALON_GATEWAY_URL`` (empty or None: the client is disabled and every
    call returns a ``disabled`` outcome); ``token`` is ``TALON_GATEWAY_TOKEN``. One
    ``requests`` session is made per call with ``session_factory``, the same seam the
    adapters have (:class:`~task_master_llm.net.settings.HttpSettings`).

    Each call (its one retry included) has a total ``deadline`` in seconds and its answer
    a size cap (``max_listing_bytes`` for ``GET /v1/agents``, ``max_response_bytes`` for
    the rest), enforced while the body streams (:mod:`task_master_llm.net.limits`).
    """

    def __init__(
        self,
        base_url: str | None,
        token: str | None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        deadline: float = 20.0,
        max_response_bytes: int = 2 * 1024 * 1024,
        max_listing_bytes: int = 20 * 1024 * 1024,
        session_factory: SessionFactory | None = None,
        reserved_ids: Collection[str] = RESERVED_IDS,
    ) -> None:
        self.base_url = (base_url or "").strip().rstrip("/")
        #: ids never sent: the gateway's own agents and folders
        self.reserved = frozenset(reserved_ids)
        self._token = token or None
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.max_listing_bytes = max_listing_bytes
        self._http = HttpSettings(connect_timeout=connect_timeout, read_timeout=read_timeout,
                                  session_factory=session_factory)

    def __repr__(self) -> str:
        token = "[secure]" if self._token else None
        return f"TalonClient(base_url={self.base_url!r}, token={token!r})"

    @property
    def enabled(self) -> bool:
        """Whether a gateway URL is configured."""
        return bool(self.base_url)

    def create(self, payload: dict[str, Any]) -> SyncOutcome:
        """``POST /v1/agents``: create the agent, or replace it wholesale."""
        talon_id = payload.get("id")
        if not self._sendable(talon_id):
            return _invalid_id(talon_id, self.reserved)
        return self._send("POST", "/v1/agents", payload, talon_id)

    def update(self, payload: dict[str, Any]) -> SyncOutcome:
        """``PUT /v1/agents/<id>``: the gateway validates the whole body, then merges it
        into the stored agent (keys left out keep their old values)."""
        talon_id = payload.get("id")
        if not self._sendable(talon_id):
            return _invalid_id(talon_id, self.reserved)
        return self._send("PUT", f"/v1/agents/{talon_id}", payload, talon_id)

    def delete(self, talon_id: str) -> SyncOutcome:
        """``DELETE /v1/agents/<id>``; a 404 means already gone and counts as synced (never
        for a reserved id: the gateway answers 404 for its system agent, which stays)."""
        if not talon_id or not isinstance(talon_id, str) or talon_id in self.reserved:
            return _invalid_id(talon_id, self.reserved)
        if not ADDRESSABLE_ID.fullmatch(talon_id):
            return SyncOutcome("failed", (
                "The agent's Talon id cannot be put in a URL as it is (the gateway does not "
                "decode ids), so it cannot be deleted through the API: delete it on the "
                "gateway by hand."
            ))
        return self._send("DELETE", f"/v1/agents/{talon_id}", None, talon_id)

    def get(self, talon_id: str) -> Reading:
        """``GET /v1/agents/<id>``: the stored agent, or ``body=None`` when it is not there.
        The body holds the stored key: compare it, never log or return it."""
        if not isinstance(talon_id, str) or not ADDRESSABLE_ID.fullmatch(talon_id):
            return Reading(SyncOutcome("failed", "The agent id cannot be addressed."))
        return self._read(f"/v1/agents/{talon_id}", missing_ok=True)

    def list_agents(self) -> Reading:
        """``GET /v1/agents``: every stored agent (``{"data": [...]}``) in one call."""
        reading = self._read("/v1/agents", listing=True)
        body = reading.body
        if reading.outcome.ok and not (isinstance(body, dict) and isinstance(body.get("data"),
                                                                              list)):
            return Reading(SyncOutcome("failed", (
                f"The Talon gateway at {self.base_url} answered GET /v1/agents without a "
                "data list: is TALON_GATEWAY_URL the gateway?"
            )))
        return reading

    def exchange(self, provider: str, api_key: str | None, base_url: str | None) -> SyncOutcome:
        """``POST /v1/auth/exchange``: make this the gateway's credential for ``provider``
        (the one its runtime uses for every agent)."""
        body = {"provider": provider, "apiKey": api_key or None, "baseUrl": base_url or None}
        return self._send("POST", "/v1/auth/exchange", body, provider, secret=api_key)

    def remove_credential(self, provider: str) -> SyncOutcome:
        """``POST /v1/auth/remove``: drop the gateway's credential for ``provider``."""
        return self._send("POST", "/v1/auth/remove", {"provider": provider}, provider)

    def credential_status(self) -> Reading:
        """``GET /v1/auth/providers``: per provider type ``{connected, hasApiKey, baseUrl}``
        (the gateway never returns the key itself)."""
        return self._read("/v1/auth/providers")

    # internals ---------------------------------------------------------------------------
    def _sendable(self, talon_id: Any) -> bool:
        return _valid_id(talon_id) and talon_id not in self.reserved

    def _send(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        talon_id: Any,
        *,
        secret: str | None = None,
    ) -> SyncOutcome:
        if not self.enabled:
            return SyncOutcome("disabled", DISABLED_MESSAGE)
        secrets = _secrets(payload, self._token) + ([secret] if secret else [])
        data = None
        if payload is not None:
            try:
                data = json.dumps({k: v for k, v in payload.items() if v is not None})
            except (TypeError, ValueError):
                return SyncOutcome("failed", "The agent payload could not be encoded as JSON.")
            if len(data.encode("utf-8")) > MAX_BODY_BYTES:
                return SyncOutcome("failed", (
                    f"The body is {len(data.encode('utf-8')) / 1_048_576:.1f} MB, more than "
                    "the gateway's 1 MB limit: shorten the soul, guardrails or context."
                ))
        outcome, _body = self._exchange(method, path, data, secrets)
        level = logging.INFO if outcome.status == "synced" else logging.WARNING
        # talon_id is our own slug or a provider type; the message is built or scrubbed by us
        log.log(level, "Talon %s %s: %s%s", method, _safe_id(talon_id), outcome.status,
                f" ({outcome.error})" if outcome.error else "")
        return outcome

    def _read(self, path: str, *, missing_ok: bool = False, listing: bool = False) -> Reading:
        if not self.enabled:
            return Reading(SyncOutcome("disabled", DISABLED_MESSAGE))
        outcome, body = self._exchange("GET", path, None, _secrets(None, self._token),
                                       missing_ok=missing_ok, listing=listing)
        return Reading(outcome, body)

    def _exchange(
        self,
        method: str,
        path: str,
        data: str | None,
        secrets: list[str],
        *,
        missing_ok: bool = False,
        listing: bool = False,
    ) -> tuple[SyncOutcome, Any]:
        headers = {"Accept": "application/json", "User-Agent": f"task-master-llm/{__version__}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        url = self.base_url + path
        deadline = Deadline(self.deadline)  # for the call, its retry included
        limit = self.max_listing_bytes if listing else self.max_response_bytes
        for attempt in (1, 2):
            session = (self._http.session_factory or plain_session_factory)(self._http)
            try:
                with deadline_scope(deadline):
                    response = session.request(
                        method, url, data=data, headers=headers, allow_redirects=False,
                        timeout=deadline.timeouts(self.connect_timeout, self.read_timeout),
                        stream=True,
                    )
                status = response.status_code
                read_body(response, max_bytes=limit, deadline=deadline,
                          read_timeout=self.read_timeout)
                text = response.text
            except DeadlineExceeded:
                return SyncOutcome("failed", self._too_slow()), None
            except ResponseTooLarge as exc:
                return SyncOutcome("failed", self._too_large(exc.limit, listing)), None
            except AnswerStalled as exc:
                return SyncOutcome("failed", (
                    f"The Talon gateway at {self.base_url} answered too slowly: its answer "
                    f"stalled for more than {exc.seconds:g} s (read timeout). Is it "
                    "overloaded? Retry later."
                )), None
            except requests.RequestException as exc:
                if deadline.expired:
                    return SyncOutcome("failed", self._too_slow()), None
                kind = classify(exc)
                if kind == "reset" and attempt == 1:
                    continue  # one retry: a pooled or half-closed connection
                return SyncOutcome("failed", self._network_message(kind)), None
            finally:
                session.close()
            if missing_ok and status == 404 and _is_json(text):
                return SyncOutcome("synced", None, status), None
            outcome = self._judge(method, status, text, secrets)
            return outcome, (_json(text) if outcome.ok else None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _judge(self, method: str, status: int, text: str, secrets: list[str]) -> SyncOutcome:
        where = f"The Talon gateway at {self.base_url}"
        # The gateway's 404 is JSON; an empty or HTML 404 is some other server (or a proxy).
        if method == "DELETE" and status == 404 and _is_json(text):
            return SyncOutcome("synced", None, status)  # already gone at the gateway
        if 200 <= status < 300:
            if status != 204 and not _is_json(text):
                return SyncOutcome("failed", (
                    f"{where} answered HTTP {status} but not with JSON: is TALON_GATEWAY_URL "
                    "the gateway's address?"
                ), status)
            return SyncOutcome("synced", None, status)
        if 300 <= status < 400:
            return SyncOutcome("failed", (
                f"{where} answered with a redirect (HTTP {status}); set TALON_GATEWAY_URL to "
                "the gateway's final address."
            ), status)
        if status == 401:
            return SyncOutcome("failed", (
                f"HTTP 401 from the Talon gateway at {self.base_url}: the gateway refused "
                "TALON_GATEWAY_TOKEN" + ("" if self._token else " (it is not set)")
                + ". Check the token."
            ), status)
        detail = _gateway_message(text, secrets)
        suffix = f": {detail}" if detail else ""
        if status >= 500:
            return SyncOutcome("failed", (
                f"{where} failed with HTTP {status}{suffix}. The change is saved; retry the "
                "sync later."
            ), status)
        if status in (404, 405) and not _is_json(text):
            return SyncOutcome("failed", (
                f"{where} answered HTTP {status} for {method} {_path_hint(method)}: is "
                "TALON_GATEWAY_URL the gateway's root address (without /v1)?"
            ), status)
        return SyncOutcome(
            "failed", f"{where} rejected the request with HTTP {status}{suffix}", status
        )

    def _too_slow(self) -> str:
        return (
            f"The Talon gateway at {self.base_url} answered too slowly: no complete answer "
            f"within {self.deadline:g} s (TASK_MASTER_LLM_TALON_DEADLINE). Is it overloaded? "
            "Retry later."
        )

    def _too_large(self, limit: int, listing: bool) -> str:
        setting = ("TASK_MASTER_LLM_MAX_LISTING_BYTES" if listing
                   else "TASK_MASTER_LLM_MAX_RESPONSE_BYTES")
        return (
            f"The Talon gateway at {self.base_url} sent more than {format_bytes(limit)}; the "
            f"answer was cut there. Is TALON_GATEWAY_URL the gateway? ({setting} sets the "
            "limit.)"
        )

    def _network_message(self, kind: NetworkKind) -> str:
        where = f"The Talon gateway at {self.base_url}"
        host = urlsplit(self.base_url).hostname or self.base_url
        messages = {
            "refused": f"{where} did not answer (connection refused). Is it running?",
            "connect_timeout": (
                f"{where} did not answer within {self.connect_timeout:g}s (connect timeout). "
                "Is it running and reachable from this server?"
            ),
            "read_timeout": (
                f"{where} accepted the connection but sent no reply within "
                f"{self.read_timeout:g}s (read timeout). Is it overloaded?"
            ),
            "dns": (
                f"The Talon gateway host {host!r} could not be resolved (DNS lookup failed). "
                "Check TALON_GATEWAY_URL."
            ),
            "reset": (
                f"{where} closed the connection without a reply (connection reset). "
                "Is it running, and is TALON_GATEWAY_URL the gateway itself?"
            ),
            "tls": (
                f"{where} failed the TLS handshake (certificate or protocol error). Check "
                "the URL's scheme and the gateway's certificate."
            ),
            "url": f"TALON_GATEWAY_URL ({self.base_url}) is not a valid http(s) URL.",
        }
        return messages.get(kind, f"{where} could not be reached (network error).")


def build_payload(
    *,
    talon_id: str,
    name: str,
    role: str | None,
    model: str,
    api_key: str | None = None,
    base_url: str | None = None,
    soul: str | None = None,
    guardrails: str | None = None,
    description: str | None = None,
    bootstrap: str | None = None,
    repo_context: str | None = None,
    fallbacks: list[str] | None = None,
) -> dict[str, Any]:
    """The gateway's agent body. ``None`` values are left out (the gateway refuses
    ``null``); an empty string is kept (on PUT it clears the field). ``role`` is required
    by the gateway, so ``None`` becomes ``""``. The soul goes out as both ``systemPrompt``
    (what the gateway reads) and ``soul``. ``model`` should be ``"providerType/modelId"``;
    with ``fallbacks`` it goes as ``{"primary": model, "fallbacks": [...]}``.
    """
    fields: dict[str, Any] = {
        "id": talon_id,
        "name": name,
        "role": role if role is not None else "",
        "model": {"primary": model, "fallbacks": list(fallbacks)} if fallbacks else model,
        "apiKey": api_key,
        "baseUrl": base_url,
        "systemPrompt": soul,
        "soul": soul,
        "guardrails": guardrails,
        "description": description,
        "bootstrap": bootstrap,
        "repoContext": repo_context,
    }
    return {k: v for k, v in fields.items() if v is not None}


# helpers -----------------------------------------------------------------------------
def _path_hint(method: str) -> str:
    """The route a method uses, for messages (ids left out)."""
    return "/v1/agents" if method == "POST" else "/v1/agents/<id>"


def _valid_id(talon_id: Any) -> bool:
    return isinstance(talon_id, str) and TALON_ID_PATTERN.fullmatch(talon_id) is not None


def _safe_id(talon_id: Any) -> str:
    return talon_id if _valid_id(talon_id) else "<invalid id>"


def _invalid_id(talon_id: Any, reserved: Collection[str] = RESERVED_IDS) -> SyncOutcome:
    if isinstance(talon_id, str) and talon_id in reserved:
        return SyncOutcome("failed", (
            f"The Talon id {talon_id!r} is reserved by the gateway (its system agent or "
            "credential folder); the agent needs another id."
        ))
    shown = "missing" if not talon_id else "not a valid gateway id"
    return SyncOutcome("failed", (
        f"The agent's Talon id is {shown}: it must match {TALON_ID_PATTERN.pattern} "
        "(set talonId with talon_id_for)."
    ))


def _secrets(payload: dict[str, Any] | None, token: str | None) -> list[str]:
    values = [token] if token else []
    if payload:
        values += [v for k, v in payload.items() if k == "apiKey" and isinstance(v, str)]
    return [v for v in values if v]


def _gateway_message(text: str, secrets: list[str]) -> str:
    """The gateway's own error message, cleaned: one line, no secrets, at most 200 chars."""
    message: Any = None
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error", body.get("message"))
        message = error.get("message") if isinstance(error, dict) else error
    if not isinstance(message, str):
        message = text if body is None and "<" not in text else ""
    message = "".join(ch if ch.isprintable() else " " for ch in message)
    message = " ".join(redact(message, secrets).split())
    if len(message) > _MESSAGE_MAX:
        message = message[: _MESSAGE_MAX - 3].rstrip() + "..."
    return message


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
