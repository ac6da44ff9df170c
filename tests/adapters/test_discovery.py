"""Discovery per provider type: pagination, chat filters, provider facts vs catalog."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests
import requests_mock as rm

from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter
from task_master_llm.adapters.anthropic import FALLBACK_MODELS
from task_master_llm.adapters.openai import is_openai_chat_model
from task_master_llm.errors import ProviderError

KEY = "sk-CANARY-123456789abcdef"


def adapter(provider_type: str, **config: Any) -> Any:
    settings = HttpSettings(sleep=lambda _s: None, **config.pop("_settings", {}))
    config.setdefault("api_key", KEY)
    return create_adapter(ProviderConfig(provider_type, **config), settings)


def by_id(models: list) -> dict[str, Any]:
    return {m.provider_model_id: m for m in models}


class TestGoogle:
    url = "https://generativelanguage.googleapis.com/v1beta/models"

    def test_follows_pages_and_filters_chat_models(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get(self.url, [
            {"json": {"models": [
                {"name": "models/gemini-2.0-flash", "displayName": "Gemini 2.0 Flash",
                 "inputTokenLimit": 1048576, "outputTokenLimit": 8192,
                 "supportedGenerationMethods": ["generateContent", "countTokens"]},
                {"name": "models/text-embedding-004",
                 "supportedGenerationMethods": ["embedContent"]}],
                "nextPageToken": "abc"}},
            {"json": {"models": [{"name": "models/gemini-made-up-9",
                                  "supportedGenerationMethods": ["generateContent"],
                                  "inputTokenLimit": 32000, "unknownField": 1}]}},
        ])
        models = by_id(adapter("google").discover_models())

        assert sorted(models) == ["gemini-2.0-flash", "gemini-made-up-9"]
        first, second = requests_mock.request_history
        assert first.qs == {"pagesize": ["1000"]}
        assert second.qs == {"pagesize": ["1000"], "pagetoken": ["abc"]}
        flash = models["gemini-2.0-flash"]
        assert flash.display_name == "Gemini 2.0 Flash"
        assert flash.context_window == 1048576
        assert flash.meta["sources"]["contextWindow"] == "provider"
        assert flash.meta["raw"]["outputTokenLimit"] == 8192
        made_up = models["gemini-made-up-9"]
        assert made_up.modality == ["text"] and made_up.display_name == "gemini-made-up-9"
        assert "catalogId" not in made_up.meta

    def test_repeated_page_token_stops(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get(self.url, json={"models": [], "nextPageToken": "same"})
        assert adapter("google").discover_models() == []
        assert requests_mock.call_count == 2


class TestOpenAI:
    @pytest.mark.parametrize("model_id", [
        "gpt-4o", "gpt-4.1-mini", "o1", "o3-mini", "o4-mini", "chatgpt-4o-latest",
        "codex-mini-latest", "ft:gpt-4o-mini:acme::abc123"])
    def test_chat_ids(self, model_id: str) -> None:
        assert is_openai_chat_model(model_id)

    @pytest.mark.parametrize("model_id", [
        "text-embedding-3-large", "tts-1", "whisper-1", "gpt-4o-transcribe", "dall-e-3",
        "gpt-image-1", "omni-moderation-latest", "gpt-4o-realtime-preview",
        "gpt-4o-audio-preview", "davinci-002", "babbage-002"])
    def test_non_chat_ids(self, model_id: str) -> None:
        assert not is_openai_chat_model(model_id)

    def test_catalog_fills_context_and_prices(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get("https://api.openai.com/v1/models", json={"object": "list", "data": [
            {"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "system"},
            {"id": "tts-1"}, {"id": "ft:gpt-4o-mini:acme::abc"}, {"no": "id"}]})
        models = by_id(adapter("openai").discover_models())

        assert sorted(models) == ["ft:gpt-4o-mini:acme::abc", "gpt-4o"]
        gpt = models["gpt-4o"]
        assert gpt.context_window == 128000
        assert gpt.input_cost_per_1k == pytest.approx(0.0025)
        assert {"vision", "tools"} <= set(gpt.modality)
        assert gpt.meta["sources"]["contextWindow"] == "models.dev"
        assert gpt.meta["raw"] == {"id": "gpt-4o", "created": 1, "owned_by": "system"}
        tuned = models["ft:gpt-4o-mini:acme::abc"]
        assert tuned.context_window == 128000, "limits come from the base model"
        assert tuned.input_cost_per_1k is None, "fine-tunes are priced differently"
        assert tuned.display_name == "ft:gpt-4o-mini:acme::abc"


class TestOpenAICompatible:
    def test_lists_everything_but_embeddings_and_uses_server_facts(
        self, requests_mock: rm.Mocker
    ) -> None:
        requests_mock.get("http://vllm.local:8000/v1/models", json={"data": [
            {"id": "Qwen/Qwen2.5-7B-Instruct", "max_model_len": 32768},
            {"id": "BAAI/bge-m3-embed"}, {"id": "my-local-llama"}]})
        models = by_id(adapter("openai_compatible", api_key=None,
                               base_url="http://vllm.local:8000/v1").discover_models())
        assert sorted(models) == ["Qwen/Qwen2.5-7B-Instruct", "my-local-llama"]
        assert models["Qwen/Qwen2.5-7B-Instruct"].context_window == 32768
        assert models["Qwen/Qwen2.5-7B-Instruct"].meta["sources"]["contextWindow"] == "provider"
        assert "Authorization" not in requests_mock.request_history[0].headers

    def test_openrouter_prices_and_host_catalog(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get("https://openrouter.ai/api/v1/models", json={"data": [
            {"id": "openai/gpt-4o", "name": "OpenAI: GPT-4o", "context_length": 128000,
             "pricing": {"prompt": "0.0000025", "completion": "0.00001"}}]})
        (model,) = adapter("openai_compatible",
                           base_url="https://openrouter.ai/api/v1").discover_models()
        assert model.display_name == "OpenAI: GPT-4o"
        assert model.input_cost_per_1k == pytest.approx(0.0025)
        assert model.output_cost_per_1k == pytest.approx(0.01)
        assert model.meta["sources"]["inputCostPer1k"] == "provider"
        assert model.meta.get("catalogId", "").startswith("openrouter/")

    def test_openrouter_output_limit_capabilities_and_image_models(
            self, requests_mock: rm.Mocker) -> None:
        requests_mock.get("https://openrouter.ai/api/v1/models", json={"data": [
            {"id": "acme/thinker", "name": "Thinker", "context_length": 64000,
             "top_provider": {"max_completion_tokens": 16000},
             "supported_parameters": ["tools", "reasoning", "max_tokens"],
             "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]}},
            {"id": "acme/painter", "name": "Painter",
             "architecture": {"input_modalities": ["text"],
                              "output_modalities": ["image", "text"]}}]})
        models = by_id(adapter("openai_compatible",
                               base_url="https://openrouter.ai/api/v1").discover_models())
        assert list(models) == ["acme/thinker"], "an image-output model is no chat model"
        thinker = models["acme/thinker"]
        assert thinker.max_output_tokens == 16000
        assert thinker.meta["sources"]["maxOutputTokens"] == "provider"
        assert thinker.modality == ["text", "tools", "reasoning"]
        assert thinker.meta["sources"]["modality"] == "provider"
        assert "outputsText" not in thinker.meta


class TestAnthropic:
    url = "https://api.anthropic.com/v1/models"

    def test_pages_with_after_id(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get(self.url, [
            {"json": {"data": [
                {"id": "claude-sonnet-4-5", "type": "model", "display_name": "Claude Sonnet 4.5",
                 "created_at": "2025-09-29T00:00:00Z", "max_input_tokens": 200000,
                 "capabilities": {"image_input": {"supported": True}}}],
                "has_more": True, "first_id": "claude-sonnet-4-5",
                "last_id": "claude-sonnet-4-5"}},
            {"json": {"data": [
                {"id": "claude-3-haiku-20240307", "type": "model", "display_name": "Haiku 3",
                 "created_at": "2024-03-07T00:00:00Z",
                 "capabilities": {"image_input": {"supported": False}}},
                {"id": "claude-2.0", "display_name": "Claude 2", "lifecycle": "retired"}],
                "has_more": False, "last_id": "claude-2.0"}},
        ])
        models = by_id(adapter("anthropic").discover_models())

        assert sorted(models) == ["claude-3-haiku-20240307", "claude-sonnet-4-5"]
        first, second = requests_mock.request_history
        assert first.qs == {"limit": ["1000"]}
        assert second.qs == {"limit": ["1000"], "after_id": ["claude-sonnet-4-5"]}
        assert first.headers["anthropic-version"] == "2023-06-01"
        assert first.headers["x-api-key"] == KEY
        sonnet = models["claude-sonnet-4-5"]
        assert sonnet.context_window == 200000
        assert sonnet.meta["sources"]["contextWindow"] == "provider"
        assert "vision" in sonnet.modality
        haiku = models["claude-3-haiku-20240307"]
        assert "vision" not in haiku.modality, "the provider's 'no' beats the catalog"
        assert haiku.meta["sources"]["contextWindow"] == "models.dev"
        assert haiku.context_window

    def test_fallback_only_when_listing_is_unsupported(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get("https://proxy.example.com/v1/models", status_code=404,
                          text="no such route")
        models = adapter("anthropic", base_url="https://proxy.example.com").discover_models()
        assert [m.provider_model_id for m in models] == list(FALLBACK_MODELS)
        assert all(m.meta["fallback"] and m.context_window for m in models)

    def test_no_fallback_on_auth_error(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get(self.url, status_code=401, json={
            "type": "error", "error": {"type": "authentication_error", "message": "bad"}})
        with pytest.raises(ProviderError) as info:
            adapter("anthropic").discover_models()
        assert info.value.error_kind == "auth"


class TestAzure:
    base = "https://res.openai.azure.com"

    def test_deployment_is_the_model(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get(f"{self.base}/openai/models", json={"data": [
            {"id": "gpt-4o", "capabilities": {"chat_completion": True}}]})
        requests_mock.get(f"{self.base}/openai/deployments/prod%2Fa",
                          json={"id": "prod/a", "model": "gpt-4o", "status": "succeeded"})
        (model,) = adapter("azure", base_url=self.base + "/",
                           deployment_id="prod/a").discover_models()
        assert model.provider_model_id == "prod/a"
        assert model.meta["underlyingModel"] == "gpt-4o"
        assert model.context_window == 128000
        assert model.meta["sources"]["contextWindow"] == "models.dev"
        assert model.meta["raw"]["capabilities"] == {"chat_completion": True}

    def test_unconfirmed_deployment_still_listed(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get(f"{self.base}/openai/models", json={"data": []})
        requests_mock.get(f"{self.base}/openai/deployments/prod", status_code=404,
                          json={"error": {"code": "404", "message": "Resource not found"}})
        (model,) = adapter("azure", base_url=self.base, deployment_id="prod").discover_models()
        assert model.provider_model_id == "prod"
        assert model.meta["underlyingModel"] is None and model.context_window is None

    def test_missing_deployment_raises(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get(f"{self.base}/openai/models", json={"data": []})
        requests_mock.get(f"{self.base}/openai/deployments/prod", status_code=404,
                          json={"error": {"code": "DeploymentNotFound", "message": "x"}})
        with pytest.raises(ProviderError) as info:
            adapter("azure", base_url=self.base, deployment_id="prod").discover_models()
        assert info.value.error_kind == "not_found" and "prod" in info.value.message


class TestOllama:
    base = "http://localhost:11434"
    tags = {"models": [
        {"name": "llava:latest", "details": {"family": "llama", "parameter_size": "7B"}},
        {"name": "qwen3:8b", "details": {"family": "qwen3"}},
        {"name": "nomic-embed-text:latest", "details": {"family": "nomic-bert"}},
        {"name": "broken:latest", "details": {"family": "llama", "context_length": 4096}},
    ]}
    shows = {
        "llava:latest": {"capabilities": ["completion", "vision"], "model_info": {
            "general.architecture": "llama", "llama.context_length": 8192}},
        "qwen3:8b": {"capabilities": ["completion", "tools", "thinking"], "model_info": {
            "general.architecture": "qwen3", "qwen3.context_length": 40960}},
        "nomic-embed-text:latest": {"capabilities": ["embedding"]},
    }

    def _mock(self, requests_mock: rm.Mocker, delay: float = 0.0) -> dict[str, int]:
        stats = {"now": 0, "max": 0}
        lock = threading.Lock()

        def show(request: Any, context: Any) -> Any:
            with lock:
                stats["now"] += 1
                stats["max"] = max(stats["max"], stats["now"])
            time.sleep(delay)
            with lock:
                stats["now"] -= 1
            name = json.loads(request.body)["model"]
            if name not in self.shows:
                context.status_code = 500
                return {"error": "boom"}
            return self.shows[name]

        requests_mock.register_uri("GET", f"{self.base}/api/tags", json=self.tags)
        requests_mock.register_uri("POST", f"{self.base}/api/show", json=show)
        return stats

    def test_show_details_and_filters(self, requests_mock: rm.Mocker) -> None:
        self._mock(requests_mock)
        models = by_id(adapter("ollama", api_key=None).discover_models())

        assert sorted(models) == ["broken:latest", "llava:latest", "qwen3:8b"]
        llava = models["llava:latest"]
        assert llava.context_window == 8192 and llava.modality == ["text", "vision"]
        assert llava.meta["sources"] == {"displayName": "provider", "contextWindow": "provider",
                                         "modality": "provider"}
        qwen = models["qwen3:8b"]
        assert qwen.modality == ["text", "tools", "reasoning"] and qwen.context_window == 40960
        broken = models["broken:latest"]
        assert broken.context_window == 4096, "falls back to the tag's details"
        assert "/api/show failed (bad_response)" in broken.meta["showError"]

    def test_show_concurrency_is_bounded(self) -> None:
        # requests-mock's Mocker serialises requests; a mounted mock transport does not.
        self.tags = {"models": [{"name": f"m{i}:latest"} for i in range(12)]}
        transport = rm.Adapter()
        stats = self._mock(transport, delay=0.05)  # type: ignore[arg-type]

        def factory(_settings: HttpSettings) -> requests.Session:
            session = requests.Session()
            session.mount("http://", transport)
            return session

        models = adapter("ollama", api_key=None, _settings={
            "show_concurrency": 3, "session_factory": factory}).discover_models()
        assert len(models) == 12
        assert 1 < stats["max"] <= 3


def test_ollama_keeps_only_the_show_facts_it_uses() -> None:
    """Each /api/show body is cut to details, capabilities and the context length while
    the other shows run (issue 13): a big license or modelfile is not held to the end."""
    from task_master_llm.adapters.ollama import _context_length, _facts

    body = {"license": "x" * 100_000, "modelfile": "FROM y", "template": "{{ .Prompt }}",
            "details": {"family": "llama"}, "capabilities": ["completion", "tools"],
            "model_info": {"general.architecture": "llama", "llama.context_length": 8192,
                           "tokenizer.ggml.tokens": ["a"] * 1000}}
    kept = _facts(body)
    assert kept == {"details": {"family": "llama"}, "capabilities": ["completion", "tools"],
                    "model_info": {"general.architecture": "llama",
                                   "llama.context_length": 8192}}
    assert _context_length(kept, {}) == _context_length(body, {}) == 8192
    assert _facts({"details": "odd", "model_info": 5}) == {"details": "odd",
                                                             "capabilities": None}
