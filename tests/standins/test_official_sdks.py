"""The official Python SDKs accept the stand-ins: each SDK is a client of its stand-in.

The stand-ins are only as good as their likeness to the real APIs, so the providers' own
SDKs (the ``dev`` extra) list and fetch models from them, pages included, and parse every
object into their typed models. Every base URL points at 127.0.0.1 and retries are off,
so nothing reaches the network and a failure is quick.
"""

from __future__ import annotations

import anthropic
import ollama
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from standins.providers import (
    ANTHROPIC_DEMO_KEY,
    AZURE_DEMO_KEY,
    DEMO_KEYS,
    GOOGLE_DEMO_KEY,
    OPENAI_DEMO_KEY,
    AnthropicServer,
    AzureServer,
    GoogleServer,
    OllamaServer,
    OpenAICompatibleServer,
    OpenAIServer,
)
from standins.providers.anthropic import anthropic_models
from standins.providers.google import google_models

TIMEOUT = 5.0


class TestOpenAI:
    def client(self, server: OpenAIServer, key: str = OPENAI_DEMO_KEY) -> openai.OpenAI:
        return openai.OpenAI(api_key=key, base_url=server.base_url, max_retries=0,
                             timeout=TIMEOUT)

    def test_lists_and_retrieves_models(self) -> None:
        with OpenAIServer() as server, self.client(server) as client:
            models = list(client.models.list())
            one = client.models.retrieve("gpt-4o")
        assert [m.id for m in models] == [m["id"] for m in server.models]
        assert all(isinstance(m, openai.types.Model) and m.object == "model" for m in models)
        assert one.id == "gpt-4o" and one.owned_by == "system"

    def test_shutdown_date_is_kept_as_an_extra_field(self) -> None:
        with OpenAIServer() as server, self.client(server) as client:
            models = {m.id: m for m in client.models.list()}
        assert models["chatgpt-4o-latest"].to_dict()["shutdown_date"] == "2026-02-17"

    def test_errors_are_the_sdks_typed_errors(self) -> None:
        with OpenAIServer() as server, self.client(server, "sk-wrong-key-0000") as bad, \
                self.client(server) as client:
            with pytest.raises(openai.AuthenticationError) as bad_key:
                bad.models.list()
            with pytest.raises(openai.NotFoundError) as missing:
                client.models.retrieve("nope")
        assert bad_key.value.code == "invalid_api_key"
        assert missing.value.code == "model_not_found"

    def test_openai_compatible_sparse_models_parse(self) -> None:
        with OpenAICompatibleServer() as server, openai.OpenAI(
            api_key=DEMO_KEYS["openai_compatible"], base_url=server.base_url, max_retries=0,
            timeout=TIMEOUT,
        ) as client:
            models = list(client.models.list())
        assert len(models) == len(server.models)
        assert any(m.model_extra is not None and "created" not in m.model_fields_set
                   for m in models)


class TestAzure:
    def test_azure_client_lists_models(self) -> None:
        with AzureServer() as server, openai.AzureOpenAI(
            api_key=AZURE_DEMO_KEY, azure_endpoint=server.root_url, api_version="2024-10-21",
            max_retries=0, timeout=TIMEOUT,
        ) as client:
            models = list(client.models.list())
        assert [m.id for m in models] == [m["id"] for m in server.models]
        assert models[0].to_dict()["lifecycle_status"] == "generally-available"
        assert "inference" in models[0].to_dict()["deprecation"]


class TestAnthropic:
    def client(self, server: AnthropicServer) -> anthropic.Anthropic:
        return anthropic.Anthropic(api_key=ANTHROPIC_DEMO_KEY, base_url=server.base_url,
                                   max_retries=0, timeout=TIMEOUT)

    def test_pages_through_every_model(self) -> None:
        with AnthropicServer(model_count=9) as server, self.client(server) as client:
            models = list(client.models.list(limit=2))
            pages = [r for r in server.requests if r.path == "/v1/models"]
        assert [m.id for m in models] == [m["id"] for m in anthropic_models(9)]
        assert len(pages) == 5
        assert [p.query.get("after_id", [None])[0] for p in pages][1:] == [
            models[i].id for i in (1, 3, 5, 7)
        ]

    def test_every_model_parses_with_lifecycle_and_full_capabilities(self) -> None:
        with AnthropicServer(model_count=12) as server, self.client(server) as client:
            models = list(client.models.list(limit=1000))
        assert all(m.lifecycle in ("active", "deprecated", "retired") for m in models)
        with_caps = [m for m in models if m.capabilities is not None]
        assert with_caps
        for model in with_caps:  # the required keys exist: the SDK built typed objects
            caps = model.capabilities
            assert isinstance(caps.thinking, anthropic.types.ThinkingCapability)
            assert isinstance(caps.structured_outputs.supported, bool)
            assert isinstance(caps.effort.high.supported, bool)
            assert isinstance(caps.server_tools.web_search.supported, bool)
            assert not caps.model_extra
        deprecated = next(m for m in models if m.lifecycle == "deprecated")
        assert deprecated.deprecated_at is not None and deprecated.retires_at is not None

    def test_bearer_auth_and_newer_version_are_accepted(self) -> None:
        with AnthropicServer() as server, anthropic.Anthropic(
            auth_token=ANTHROPIC_DEMO_KEY, base_url=server.base_url, max_retries=0,
            timeout=TIMEOUT, default_headers={"anthropic-version": "2026-11-01"},
        ) as client:
            one = client.models.retrieve("claude-opus-4-1-20250805")
            sent = server.requests[-1].headers
        assert one.display_name == "Claude Opus 4.1"
        assert "x-api-key" not in {k.lower() for k in sent}
        assert sent.get("Authorization") == "[redacted]"

    def test_errors_are_the_sdks_typed_errors(self) -> None:
        with AnthropicServer() as server, anthropic.Anthropic(
            api_key="sk-ant-wrong", base_url=server.base_url, max_retries=0, timeout=TIMEOUT,
        ) as bad, self.client(server) as client:
            with pytest.raises(anthropic.AuthenticationError):
                bad.models.list()
            with pytest.raises(anthropic.NotFoundError):
                client.models.retrieve("claude-nope")


class TestGoogle:
    def client(self, server: GoogleServer, version: str) -> genai.Client:
        options = genai_types.HttpOptions(base_url=server.root_url, api_version=version,
                                          timeout=int(TIMEOUT * 1000))
        return genai.Client(api_key=GOOGLE_DEMO_KEY, http_options=options)

    @pytest.mark.parametrize("version", ["v1", "v1beta"])
    def test_pages_through_every_model(self, version: str) -> None:
        with GoogleServer(model_count=23) as server, self.client(server, version) as client:
            models = list(client.models.list(config={"page_size": 5}))
            paths = {r.path for r in server.requests}
            tokens = [r.query.get("pageToken") for r in server.requests]
        assert [m.name for m in models] == [m["name"] for m in google_models(23)]
        assert paths == {f"/{version}/models"}
        assert len(server.requests) == 5 and sum(t is not None for t in tokens) == 4
        pro = next(m for m in models if m.name == "models/gemini-2.5-pro")
        assert pro.output_token_limit == 65536 and pro.thinking is True
        assert "generateContent" in pro.supported_actions

    def test_get_one_model_and_a_clean_not_found(self) -> None:
        with GoogleServer() as server, self.client(server, "v1") as client:
            one = client.models.get(model="gemini-2.5-flash")
            with pytest.raises(genai_errors.ClientError) as missing:
                client.models.get(model="nope")
        assert one.display_name == "Gemini 2.5 Flash" and one.input_token_limit == 1048576
        assert missing.value.code == 404
        assert "models/nope is not found" in str(missing.value.message)
        assert "models/models/" not in str(missing.value.message)

    def test_a_bad_key_is_a_client_error(self) -> None:
        with GoogleServer() as server:
            options = genai_types.HttpOptions(base_url=server.root_url, api_version="v1beta",
                                              timeout=int(TIMEOUT * 1000))
            with genai.Client(api_key="wrong-key", http_options=options) as client, \
                    pytest.raises(genai_errors.ClientError) as bad:
                list(client.models.list())
        assert bad.value.code == 400 and bad.value.status == "INVALID_ARGUMENT"


class TestOllama:
    def client(self, server: OllamaServer) -> ollama.Client:
        return ollama.Client(host=server.root_url, timeout=TIMEOUT)

    def test_lists_and_shows_models(self) -> None:
        with OllamaServer() as server, self.client(server) as client:
            listed = client.list()
            shown = client.show("llava:latest")
            image = client.show("x/z-image-turbo:latest")
        assert [m.model for m in listed.models] == [m["name"] for m in server.models]
        assert listed.models[0].details.parameter_size == "3.2B"
        assert shown.capabilities == ["completion", "vision"]
        assert shown.modelinfo["llama.context_length"] == 4096
        assert image.capabilities == ["image"]

    def test_newer_tags_with_capabilities_parse(self) -> None:
        with OllamaServer(tags_include_capabilities=True) as server, ollama.Client(
            host=server.root_url, timeout=TIMEOUT,
        ) as client:
            listed = client.list()
        # the SDK's ListResponse.Model has no capabilities field: it parses and drops them
        assert [m.model for m in listed.models] == [m["name"] for m in server.models]
        assert all(m.details is not None and m.details.family for m in listed.models)

    def test_a_missing_model_is_a_response_error(self) -> None:
        with OllamaServer() as server, self.client(server) as client, \
                pytest.raises(ollama.ResponseError) as missing:
            client.show("nope")
        assert missing.value.status_code == 404 and "not found" in missing.value.error

    def test_cloud_key_as_bearer(self) -> None:
        headers = {"Authorization": f"Bearer {DEMO_KEYS['ollama']}"}
        with OllamaServer(require_key=True) as server, ollama.Client(
            host=server.root_url, timeout=TIMEOUT, headers=headers,
        ) as client, ollama.Client(host=server.root_url, timeout=TIMEOUT) as keyless:
            assert client.list().models
            with pytest.raises(ollama.ResponseError) as denied:
                keyless.list()
        assert denied.value.status_code == 401
