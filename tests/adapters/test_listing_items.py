"""What the Discover dialog gets for an OpenAI-shaped listing, item by item, against the
stand-ins: every fact, its source, ``meta.raw`` and the catalog enrichment. Discovery keeps
little memory per model (issue 13); these tests pin that it still says everything it did.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from standins.providers import FakeServer, OpenAICompatibleServer, OpenAIServer
from task_master_llm.adapters import HttpSettings, ProviderConfig, catalog, create_adapter
from task_master_llm.adapters.base import DiscoveredModel
from task_master_llm.core.lifecycle import discovered_item

ACTIVE = {"status": "active", "deprecatedAt": None, "retiresAt": None, "source": "listing"}
SHUT_DOWN = {"status": "deprecated", "deprecatedAt": None,
             "retiresAt": datetime(2026, 2, 17, tzinfo=timezone.utc), "source": "provider"}
LISTED = {"displayName": "provider", "modality": "provider"}

COMPATIBLE_LISTING: list[Any] = [
    {"id": "gpt-gen-0001", "object": "model", "created": 1700000000, "owned_by": "system"},
    {"id": "sparse-model", "object": "model"},
    {"id": "vendor/rich-model", "object": "model", "name": " Rich Model ",
     "context_length": 131072,
     "pricing": {"prompt": "0.000001", "completion": "0.000002", "image": "0"},
     "top_provider": {"max_completion_tokens": 16384, "is_moderated": False},
     "supported_parameters": ["tools", "temperature", "structured_outputs"],
     "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
     "created": 1710000000, "owned_by": "vendor", "description": "not kept"},
    {"id": "vendor/image-gen", "architecture": {"output_modalities": ["image"]}},
    {"id": "vendor/text-and-image", "architecture": {"output_modalities": ["text", "image"]}},
    {"id": "vendor/reasoner", "supported_parameters": ["reasoning"],
     "architecture": {"input_modalities": ["text"]}},
    {"id": "bge-m3-embed"},
    {"id": "Qwen/Qwen2.5-7B-Instruct", "max_model_len": 32768, "owned_by": "vllm"},
    {"id": "old-model", "shutdown_date": "2026-02-17", "owned_by": "system"},
    {"id": "gpt-gen-0001", "owned_by": "a second copy"},
    {"no": "id"},
    5,
]


def item(model_id: str, raw: dict[str, Any], sources: dict[str, str] | None = None,
         catalog_meta: dict[str, Any] | None = None, **facts: Any) -> dict[str, Any]:
    """The discover route's item of a model (before the diff fields)."""
    meta = {"raw": raw, "sources": sources or LISTED, **(catalog_meta or {})}
    base: dict[str, Any] = {
        "providerModelId": model_id, "displayName": model_id, "modality": ["text"],
        "contextWindow": None, "maxOutputTokens": None, "inputCostPer1k": None,
        "outputCostPer1k": None, "meta": meta,
        "lifecycle": ACTIVE, "warnings": [], "detailsMissing": False, "note": None,
    }
    return {**base, **facts}


def discover(server: FakeServer) -> list[DiscoveredModel]:
    config = ProviderConfig(server.provider_type, name="items", base_url=server.base_url,
                            api_key=server.DEMO_KEY)
    return create_adapter(config, HttpSettings(sleep=lambda _s: None)).discover_models()


def test_openai_compatible_items_keep_every_fact() -> None:
    with OpenAICompatibleServer(models=COMPATIBLE_LISTING) as server:
        items = [discovered_item(m) for m in discover(server)]

    assert items == [
        item("gpt-gen-0001", {"id": "gpt-gen-0001", "created": 1700000000,
                              "owned_by": "system"}),
        item("sparse-model", {"id": "sparse-model"}),
        item("vendor/rich-model",
             {"id": "vendor/rich-model", "created": 1710000000, "owned_by": "vendor",
              "context_length": 131072,
              "pricing": {"prompt": "0.000001", "completion": "0.000002"},
              "maxCompletionTokens": 16384,
              "supportedParameters": ["tools", "temperature", "structured_outputs"]},
             {"modality": "provider", "displayName": "provider", "contextWindow": "provider",
              "maxOutputTokens": "provider", "inputCostPer1k": "provider",
              "outputCostPer1k": "provider"},
             displayName="Rich Model", modality=["text", "tools", "structured_output", "vision"],
             contextWindow=131072, maxOutputTokens=16384, inputCostPer1k=0.001,
             outputCostPer1k=0.002),
        item("vendor/reasoner", {"id": "vendor/reasoner", "supportedParameters": ["reasoning"]},
             {"modality": "provider", "displayName": "provider"},
             modality=["text", "reasoning"]),
        item("Qwen/Qwen2.5-7B-Instruct",
             {"id": "Qwen/Qwen2.5-7B-Instruct", "owned_by": "vllm", "max_model_len": 32768},
             {"displayName": "provider", "contextWindow": "provider", "modality": "provider"},
             contextWindow=32768),
        item("old-model", {"id": "old-model", "owned_by": "system",
                           "shutdown_date": "2026-02-17"}, lifecycle=SHUT_DOWN),
    ]
    order = [list(i["meta"]["sources"]) for i in items]
    assert order[2][:2] == ["modality", "displayName"], "the order the facts were decided in"
    assert order[4] == ["displayName", "contextWindow", "modality"]


def test_openai_items_carry_the_catalog() -> None:
    listing = [
        {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
        {"id": "ft:gpt-4o-mini:org::abc", "object": "model", "created": 1,
         "owned_by": "org-demo"},
        {"id": "chatgpt-4o-latest", "object": "model", "created": 2, "owned_by": "system",
         "shutdown_date": "2026-02-17"},
        {"id": "gpt-gen-0001", "object": "model", "created": 3, "owned_by": "system"},
        {"id": "tts-1", "object": "model", "created": 4, "owned_by": "system"},
    ]
    with OpenAIServer(models=listing) as server:
        items = {i["providerModelId"]: i for i in map(discovered_item, discover(server))}

    assert list(items) == ["gpt-4o", "ft:gpt-4o-mini:org::abc", "chatgpt-4o-latest",
                           "gpt-gen-0001"]
    gpt = catalog.lookup("openai", "gpt-4o")
    assert gpt is not None
    assert items["gpt-4o"] == item(
        "gpt-4o", {"id": "gpt-4o", "created": 1715367049, "owned_by": "system"},
        {"displayName": "models.dev", "modality": "models.dev", "contextWindow": "models.dev",
         "maxOutputTokens": "models.dev", "inputCostPer1k": "models.dev",
         "outputCostPer1k": "models.dev"},
        {"catalogId": "openai/gpt-4o", "family": gpt.family, "releaseDate": gpt.release_date},
        displayName=gpt.display_name, modality=["text", "vision", "tools", "structured_output"],
        contextWindow=gpt.context_window, maxOutputTokens=gpt.max_output_tokens,
        inputCostPer1k=gpt.input_cost_per_1k, outputCostPer1k=gpt.output_cost_per_1k)
    mini = catalog.lookup("openai", "gpt-4o-mini")
    assert mini is not None
    tuned = items["ft:gpt-4o-mini:org::abc"]
    assert tuned == item(
        "ft:gpt-4o-mini:org::abc",
        {"id": "ft:gpt-4o-mini:org::abc", "created": 1, "owned_by": "org-demo"},
        {"displayName": "provider", "modality": "models.dev", "contextWindow": "models.dev",
         "maxOutputTokens": "models.dev"},
        {"catalogId": "openai/gpt-4o-mini", "family": mini.family,
         "releaseDate": mini.release_date},
        modality=["text", "vision", "tools", "structured_output"],
        contextWindow=mini.context_window, maxOutputTokens=mini.max_output_tokens)
    assert items["chatgpt-4o-latest"] == item(
        "chatgpt-4o-latest", {"id": "chatgpt-4o-latest", "created": 2, "owned_by": "system",
                              "shutdown_date": "2026-02-17"}, lifecycle=SHUT_DOWN)
    assert items["gpt-gen-0001"] == item(
        "gpt-gen-0001", {"id": "gpt-gen-0001", "created": 3, "owned_by": "system"})


@pytest.mark.parametrize("server_class", [OpenAIServer, OpenAICompatibleServer])
def test_each_model_owns_what_can_change(server_class: type[OpenAIServer]) -> None:
    """Models that look alike share nothing an adapter or a caller may change."""
    listing = [{"id": f"gpt-gen-{i:04d}", "owned_by": "system"} for i in range(30)]
    with server_class(models=listing) as server:
        first, second, *_ = discover(server)
        again = discover(server)[0]

    first.modality.append("vision")
    first.meta["raw"]["owned_by"] = "changed"
    first.meta["catalogId"] = "changed"

    assert second.modality == ["text"] and again.modality == ["text"]
    assert second.meta["raw"]["owned_by"] == again.meta["raw"]["owned_by"] == "system"
    assert "catalogId" not in second.meta and "catalogId" not in again.meta
    assert discovered_item(second)["meta"]["sources"] == LISTED
