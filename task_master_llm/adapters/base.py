"""The adapter interface: what every provider type implements.

An adapter is built per operation from a :class:`ProviderConfig` (the decrypted provider
record) and :class:`HttpSettings` (timeouts, retries, base-URL policy). It has three
required methods; everything else (HTTP discipline, error mapping) is shared machinery.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from task_master_llm.errors import ErrorKind
from task_master_llm.net.settings import HttpSettings


@dataclass(frozen=True)
class ProviderConfig:
    """The provider record an adapter works on, with the key already decrypted.

    ``api_key`` is excluded from ``repr`` so the config can be logged or shown in a
    traceback without leaking the key.
    """

    provider_type: str
    name: str = ""
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    org_id: str | None = None
    deployment_id: str | None = None


@dataclass(frozen=True)
class ConnectionResult:
    """Outcome of :meth:`ProviderAdapter.test_connection`."""

    status: Literal["valid", "invalid"]
    message: str
    latency_ms: int | None = None
    error_kind: ErrorKind | None = None


#: the capability values a model's ``modality`` may hold (besides provider-specific ones)
CAPABILITIES = ("text", "vision", "tools", "reasoning", "structured_output")
LifecycleStatus = Literal["active", "deprecated", "gone"]


@dataclass(frozen=True, slots=True)  # immutable: the models of a listing share one
class Lifecycle:
    """Where a model is in its provider's life cycle, and who said so.

    ``source`` is ``provider`` (the listing's own facts), ``models.dev`` (the catalog's
    status) or ``listing`` (listed, nothing more known: active). Dates are UTC. Frozen:
    give a model another one instead of changing it.
    """

    status: LifecycleStatus = "active"
    deprecated_at: datetime | None = None
    retires_at: datetime | None = None
    source: str = "listing"

    def as_dict(self) -> dict[str, Any]:
        """The API/storage shape (camelCase)."""
        return {"status": self.status, "deprecatedAt": self.deprecated_at,
                "retiresAt": self.retires_at, "source": self.source}


#: the lifecycle of a model its listing says nothing more about (shared: it is frozen)
LISTED = Lifecycle()


@dataclass(slots=True)  # thousands per discovery: no per-instance __dict__
class DiscoveredModel:
    """One chat-capable model a provider offers.

    ``meta`` records where each fact came from, e.g.
    ``{"sources": {"contextWindow": "provider", "inputCostPer1k": "models.dev"}, "raw": {...}}``.
    ``details_missing`` says the provider listed the model but its details (Ollama's
    ``/api/show``) did not arrive, in time or at all; ``note`` says why, for the admin.
    A price or limit nobody knows stays None (never 0).

    A listing makes thousands of these, so what most models have alike is shared, not
    copied: the frozen :data:`LISTED` lifecycle, the empty ``warnings`` tuple, and (after
    :func:`task_master_llm.adapters.catalog.enrich`) a read-only ``meta["sources"]``.
    """

    provider_model_id: str
    display_name: str
    modality: list[str] = field(default_factory=lambda: ["text"])
    context_window: int | None = None
    input_cost_per_1k: float | None = None
    output_cost_per_1k: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    details_missing: bool = False
    note: str | None = None
    max_output_tokens: int | None = None
    lifecycle: Lifecycle = LISTED
    #: what an admin should know before registering it (e.g. an unconfirmed deployment)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldRule:
    """Which provider fields a type takes: ``required``, ``optional`` or absent (refused)."""

    api_key: Literal["required", "optional", "refused"] = "required"
    base_url: Literal["required", "optional", "refused"] = "optional"
    org_id: Literal["required", "optional", "refused"] = "refused"
    deployment_id: Literal["required", "optional", "refused"] = "refused"


class ProviderAdapter(ABC):
    """Base class of every provider type.

    Subclasses set the class attributes and implement the three methods. Register them
    in :mod:`task_master_llm.adapters.registry` (built-ins) or through the entry-point
    group ``task_master_llm.adapters`` (third parties).
    """

    #: the providerType stored on the record, e.g. "google"
    type_name: ClassVar[str]
    #: shown in the page's type dropdown, e.g. "Google"
    display_name: ClassVar[str]
    #: used when the record has no baseUrl (None: the type requires one)
    default_base_url: ClassVar[str | None] = None
    #: which fields the type takes
    fields: ClassVar[FieldRule] = FieldRule()
    #: the add-provider form starts with the default base URL filled in (a local server)
    prefill_base_url: ClassVar[bool] = False
    #: the Talon gateway's credential-store provider for this type (None: the store has
    #: no place for it, so agents of this type run on whatever the gateway holds)
    gateway_credential: ClassVar[str | None] = None

    def __init__(self, config: ProviderConfig, settings: HttpSettings | None = None) -> None:
        self.config = config
        self.settings = settings or HttpSettings()

    @property
    def base_url(self) -> str:
        """The effective base URL without a trailing slash."""
        url = self.config.base_url or self.default_base_url or ""
        return url.rstrip("/")

    @abstractmethod
    def test_connection(self) -> ConnectionResult:
        """Prove the credentials with the cheapest harmless call. Never raises for
        provider failures: they become an ``invalid`` result with an ``error_kind``."""

    #: set by :meth:`discover_models` when the listing may be incomplete (pages left
    #: unread, or a fallback list instead of the provider's): absence then proves nothing
    listing_incomplete: str | None = None

    @abstractmethod
    def discover_models(self) -> list[DiscoveredModel]:
        """List the provider's chat models, following pagination.

        Raises :class:`task_master_llm.errors.ProviderError` on failure. When the list
        may be incomplete, sets :attr:`listing_incomplete` to why.
        """

    @abstractmethod
    def talon_credentials(self, provider_model_id: str) -> dict[str, str]:
        """``{"model": "type/id", "apiKey": ..., "baseUrl": ...}`` for the gateway, keys
        with no value left out (the gateway refuses nulls)."""


__all__ = [
    "CAPABILITIES",
    "ConnectionResult",
    "DiscoveredModel",
    "Lifecycle",
    "FieldRule",
    "HttpSettings",
    "LISTED",
    "ProviderAdapter",
    "ProviderConfig",
]
