"""Only models an agent can chat with, and the facts that matter, against the stand-ins.

Ollama refuses chat without ``completion``; Gemini's ``generateContent`` also admits
speech and image models. The facts the providers return (output limits, thinking,
structured outputs, lifecycle dates) are kept with their sources.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from standins.providers import (
    AZURE_DEMO_DEPLOYMENT,
    AnthropicServer,
    AzureServer,
    FakeServer,
    GoogleServer,
    OllamaServer,
    OpenAIServer,
)
from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter
from task_master_llm.adapters.base import DiscoveredModel


def discover(server: FakeServer, deployment: str | None = None) -> dict[str, DiscoveredModel]:
    config = ProviderConfig(server.provider_type, name="facts", base_url=server.base_url,
                            api_key=server.DEMO_KEY, deployment_id=deployment)
    found = create_adapter(config, HttpSettings(sleep=lambda _s: None)).discover_models()
    return {m.provider_model_id: m for m in found}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


class TestOnlyChatModels:
    def test_ollama_image_model_is_not_offered(self) -> None:
        with OllamaServer() as server:
            models = discover(server)
        assert "x/z-image-turbo:latest" not in models
        assert "nomic-embed-text:latest" not in models
        assert "llava:latest" in models

    def test_ollama_tags_capabilities_also_require_completion(self) -> None:
        with OllamaServer(tags_include_capabilities=True,
                          show_errors={"x/z-image-turbo:latest": 500}) as server:
            models = discover(server)
        assert "x/z-image-turbo:latest" not in models

    def test_gemini_speech_image_and_audio_models_are_not_offered(self) -> None:
        with GoogleServer() as server:
            models = discover(server)
        for gone in ("gemini-2.5-flash-preview-tts", "gemini-2.5-flash-image",
                     "gemini-2.0-flash-preview-image-generation",
                     "gemini-2.5-flash-native-audio-latest"):
            assert gone not in models, gone
        assert {"gemini-2.5-pro", "gemini-2.5-flash", "gemma-3-27b-it"} <= set(models)

    def test_gemini_naming_decides_when_the_catalog_does_not_know(self) -> None:
        unknown = [
            {"name": "models/gemini-9-pro-preview-tts",
             "supportedGenerationMethods": ["generateContent"]},
            {"name": "models/gemini-9-flash-image-preview",
             "supportedGenerationMethods": ["generateContent"]},
            {"name": "models/gemini-9-pro", "supportedGenerationMethods": ["generateContent"]},
        ]
        with GoogleServer(models=unknown) as server:
            models = discover(server)
        assert list(models) == ["gemini-9-pro"]


class TestFactsAndSources:
    def test_gemini_output_limit_and_thinking(self) -> None:
        with GoogleServer() as server:
            models = discover(server)
        pro = models["gemini-2.5-pro"]
        assert pro.max_output_tokens == 65536
        assert "reasoning" in pro.modality
        assert pro.meta["sources"]["maxOutputTokens"] == "provider"
        assert pro.meta["raw"]["thinking"] is True
        plain = models["gemini-2.0-flash"]  # no thinking field: the catalog says
        assert plain.max_output_tokens == 8192 and "reasoning" not in plain.modality

    def test_anthropic_thinking_structured_outputs_max_tokens_lifecycle(self) -> None:
        with AnthropicServer() as server:
            models = discover(server)
        sonnet = models["claude-sonnet-4-5-20250929"]
        assert sonnet.max_output_tokens == 64000
        assert {"vision", "reasoning", "structured_output"} <= set(sonnet.modality)
        assert sonnet.meta["sources"]["maxOutputTokens"] == "provider"
        assert sonnet.lifecycle.status == "active" and sonnet.lifecycle.source == "provider"
        opus = models["claude-opus-4-1-20250805"]
        assert "structured_output" not in opus.modality, "the provider said no"
        haiku = models["claude-3-5-haiku-20241022"]
        assert haiku.lifecycle.status == "deprecated"
        assert haiku.lifecycle.deprecated_at == utc(2025, 6, 1)
        assert haiku.lifecycle.retires_at == utc(2026, 2, 19)
        assert "vision" not in haiku.modality and "reasoning" not in haiku.modality

    def test_openai_shutdown_date_is_a_retirement(self) -> None:
        with OpenAIServer() as server:
            models = discover(server)
        latest = models["chatgpt-4o-latest"]
        assert latest.lifecycle.status == "deprecated"
        assert latest.lifecycle.retires_at == utc(2026, 2, 17)
        assert latest.lifecycle.source == "provider"
        assert models["gpt-4o"].lifecycle.status == "active"
        assert models["gpt-4o"].max_output_tokens == 16384
        assert models["gpt-4o"].meta["sources"]["maxOutputTokens"] == "models.dev"

    def test_ollama_thinking_is_reasoning(self) -> None:
        with OllamaServer() as server:
            models = discover(server)
        assert models["qwen3:8b"].modality == ["text", "tools", "reasoning"]
        assert models["llava:latest"].modality == ["text", "vision"]

    def test_azure_deprecation(self) -> None:
        with AzureServer(deployments={"mini": "gpt-4o-mini", AZURE_DEMO_DEPLOYMENT: "gpt-4o"}
                         ) as server:
            mini = discover(server, "mini")["mini"]
            main = discover(server, AZURE_DEMO_DEPLOYMENT)[AZURE_DEMO_DEPLOYMENT]
        assert mini.lifecycle.status == "deprecated"
        assert mini.lifecycle.retires_at == utc(2026, 3, 1)
        assert mini.meta["raw"]["lifecycle_status"] == "deprecating"
        assert main.lifecycle.status == "active" and main.lifecycle.retires_at is not None
        assert not main.warnings

    def test_azure_unconfirmed_deployment_carries_a_warning(self) -> None:
        with AzureServer(deployments_route=False) as server:
            found = discover(server, "gpt4o-prod")["gpt4o-prod"]
        assert found.meta["raw"]["confirmed"] is False
        assert found.warnings and "typo" in found.warnings[0]

    def test_unknown_price_stays_unknown(self) -> None:
        with OllamaServer() as server:
            models = discover(server)
        model: Any = models["llava:latest"]
        assert model.input_cost_per_1k is None and model.output_cost_per_1k is None
        assert "inputCostPer1k" not in model.meta["sources"]
