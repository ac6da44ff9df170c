"""What the built-in adapters share: the HTTP client, error tables, the test template.

A concrete adapter sets its class attributes, ``auth_headers()``, ``error_code()`` and an
``ERRORS`` table ``{provider code: (error_kind, message template)}``, and implements
``probe()`` (the cheap credential check) and ``discover_models()``. Error messages are
built from the provider's structured code, never by searching its message text.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from task_master_llm.adapters import catalog
from task_master_llm.adapters.base import ConnectionResult, DiscoveredModel, ProviderAdapter
from task_master_llm.adapters.http import ProviderHttp, retry_after_seconds, sane_delay
from task_master_llm.errors import ErrorKind, ProviderError
from task_master_llm.net.redaction import redact

log = logging.getLogger(__name__)

#: ``{code: (error_kind, message template)}``; templates may use {provider}, {host},
#: {status}, {code}, {org}, {deployment}, {retry}.
ErrorTable = Mapping[str, tuple[ErrorKind, str]]

_STATUS_ERRORS: dict[int, tuple[ErrorKind, str]] = {
    400: ("bad_response", "{provider} at {host} rejected the request (400{code_note})."),
    401: ("auth", "{provider} rejected the API key (401{code_note}) - check the key."),
    402: ("quota", "{provider} refused the request for billing reasons (402) - check the "
                   "account's plan and credit."),
    403: ("permission", "{provider} refused access (403{code_note}) - the key is not allowed "
                        "to do this."),
    404: ("not_found", "{provider} at {host} has no such endpoint or resource (404{code_note}) "
                       "- check the base URL."),
    429: ("rate_limited", "{provider} is rate limiting requests (429{code_note}) - try again "
                          "{retry}."),
}


class HttpProviderAdapter(ProviderAdapter):
    """Base of the built-in HTTP adapters."""

    #: provider error code -> (error_kind, message template)
    ERRORS: ClassVar[ErrorTable] = {}
    #: what to suggest when nothing answers at the base URL
    refused_hint: ClassVar[str] = "check the base URL and that the server is running."

    # --- hooks -------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Headers that carry the credentials (the only place a key goes)."""
        return {}

    def error_code(self, body: Any, response: requests.Response) -> str | None:
        """The provider's structured error code in an error body, if any."""
        return None

    def retry_hint(self, body: Any, response: requests.Response) -> float | None:
        """Seconds the provider asks to wait, for the message (default: headers)."""
        return retry_after_seconds(response.headers)

    def probe(self, http: ProviderHttp) -> str:
        """The cheap credential check; returns the success message. Raises ProviderError."""
        raise NotImplementedError

    # --- shared behaviour --------------------------------------------------------------

    def http(self, *, listing: bool = False) -> ProviderHttp:
        """A fresh client (one session, one deadline) for one operation; ``listing``
        (discovery) gives its bodies the larger cap."""
        return ProviderHttp(
            provider=self.display_name,
            base_url=self.base_url,
            settings=self.settings,
            headers=self.auth_headers(),
            classify=self.classify,
            retry_hint=lambda response: self.retry_hint(_json_or_none(response), response),
            refused_hint=self.refused_hint,
            listing=listing,
        )

    def test_connection(self) -> ConnectionResult:
        """Run :meth:`probe`; every provider failure becomes an ``invalid`` result."""
        http = self.http()
        try:
            with http:
                message = self.probe(http)
        except ProviderError as err:
            log.info("%s connection test failed: %s", self.display_name, err.error_kind)
            return ConnectionResult("invalid", err.message, None, err.error_kind)
        return ConnectionResult("valid", message, http.last_latency_ms, None)

    def talon_credentials(self, provider_model_id: str) -> dict[str, str]:
        """``{"model": "type/id", "apiKey", "baseUrl"}`` without empty values."""
        values = {
            "model": f"{self.type_name}/{provider_model_id}",
            "apiKey": self.config.api_key,
            "baseUrl": self.base_url,
        }
        return {k: v for k, v in values.items() if v}

    def host(self) -> str:
        """The base URL's host for messages."""
        return urlsplit(self.base_url).netloc or self.base_url

    def classify(self, response: requests.Response) -> ProviderError:
        """Turn a non-2xx response into an error: by provider code, then by status."""
        body = _json_or_none(response)
        code = self.error_code(body, response) if body is not None else None
        status = response.status_code
        kind, template = self.ERRORS.get(code or "", (None, None))
        if kind is None or template is None:
            kind, template = _STATUS_ERRORS.get(status, (None, None))
        if kind is None or template is None:
            if status >= 500:
                kind, template = ("bad_response", "{provider} at {host} failed with a server "
                                  "error ({status}{code_note}) - try again later.")
            else:
                kind, template = ("bad_response", "{provider} at {host} answered {status}"
                                  "{code_note}, which was not expected.")
        retry = sane_delay(self.retry_hint(body, response))
        message = template.format(
            provider=self.display_name,
            host=self.host(),
            status=status,
            code=code or status,
            code_note=f", {self.scrub(code)}" if code else "",
            org=self.config.org_id or "",
            deployment=self.config.deployment_id or "",
            retry=f"in {retry:.0f}s" if retry and math.isfinite(retry) else "later",
        )
        return ProviderError(message, error_kind=kind, provider_code=code, http_status=status)

    def scrub(self, text: str, limit: int = 80) -> str:
        """Provider text safe to show: the key removed, single line, bounded length."""
        text = " ".join(redact(str(text), [self.config.api_key or ""]).split())
        return text[:limit]

    def finish(
        self,
        model: DiscoveredModel,
        *,
        catalog_id: str | None = None,
        decided: tuple[str, ...] = (),
    ) -> DiscoveredModel:
        """Fill what the provider did not say from the catalog, recording sources.

        ``decided`` names capabilities the provider reported itself (see catalog.enrich).
        """
        return catalog.enrich(model, self.type_name, catalog_id=catalog_id,
                              base_url=self.base_url, decided=decided)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


# --- reading provider JSON -------------------------------------------------------------
# Provider bodies are valid JSON of any shape: a field of the wrong type reads as absent
# (None, {} or []) instead of raising TypeError/AttributeError/KeyError.

#: the largest integer kept from provider data (BSON stores 8-byte integers)
MAX_INT = 2**63 - 1


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else {}."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else []."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """``value`` when it is a non-blank string, else None."""
    return value if isinstance(value, str) and value.strip() else None


def as_int(value: Any) -> int | None:
    """``value`` when it is an integer (not a bool) in 1..MAX_INT, else None: token limits
    and context lengths, where 0, negatives and 10**30 mean nothing usable."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_INT:
        return value
    return None


def as_number(value: Any) -> float | None:
    """A finite float from a JSON number or a numeric string (prices), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def as_bool(value: Any) -> bool | None:
    """``value`` when it is a JSON boolean, else None (no fact)."""
    return value if isinstance(value, bool) else None


def as_datetime(value: Any) -> datetime | None:
    """A UTC datetime from RFC 3339 text (``2026-02-19T00:00:00Z``), a date
    (``2026-02-17``) or unix seconds; anything else (or out of range) is None."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value) or not 0 < value < 32503680000:  # before year 3000
                return None
            return datetime.fromtimestamp(value, tz=timezone.utc)
        text = as_str(value)
        if text is None or len(text) > 64:
            return None
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def as_code(value: Any) -> str | None:
    """A provider error code: a non-blank string, or an integer (some servers send
    ``"code": 404``) as its digits; anything else is no code."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return as_str(value)


def error_dict(body: Any) -> dict[str, Any]:
    """``body["error"]`` when it is an object, else {} (bodies vary between servers)."""
    return as_dict(as_dict(body).get("error"))


def items_of(body: Any, key: str, http: ProviderHttp, *, id_key: str) -> list[dict[str, Any]]:
    """The objects in ``body[key]`` that have a non-blank string ``id_key``, each id once
    (the first wins: a list that repeats its models is not worth more work per copy).

    A body of another shape (a proxy's JSON, an error page, ``{key: 5}``) is a
    ``bad_response``; malformed items are skipped rather than failing the whole list.
    """
    items = body.get(key, []) if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ProviderError(
            f"{http.provider} at {http.host} answered with JSON that is not a model list - "
            "check the base URL.",
            error_kind="bad_response",
        )
    seen: set[str] = set()
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        item_id = as_str(item.get(id_key))
        if item_id is not None and item_id not in seen:
            seen.add(item_id)
            out.append(item)
    return out
