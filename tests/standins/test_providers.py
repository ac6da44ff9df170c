"""The local provider servers honour their contracts (checked with plain requests)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from standins.providers import (
    ANTHROPIC_DEMO_KEY,
    AZURE_DEMO_DEPLOYMENT,
    AZURE_DEMO_KEY,
    DEMO_KEYS,
    GOOGLE_DEMO_KEY,
    OLLAMA_DEMO_KEY,
    OPENAI_DEMO_KEY,
    OPENAI_RESTRICTED_KEY,
    SERVER_CLASSES,
    AnthropicServer,
    AzureServer,
    DemoProviders,
    FakeServer,
    GoogleServer,
    OllamaServer,
    OpenAICompatibleServer,
    OpenAIServer,
)

TIMEOUT = (2, 5)
AUTH_HEADERS = {
    "google": {"x-goog-api-key": GOOGLE_DEMO_KEY},
    "openai": {"Authorization": f"Bearer {OPENAI_DEMO_KEY}"},
    "openai_compatible": {"Authorization": f"Bearer {DEMO_KEYS['openai_compatible']}"},
    "anthropic": {"x-api-key": ANTHROPIC_DEMO_KEY, "anthropic-version": "2023-06-01"},
    "azure": {"api-key": AZURE_DEMO_KEY},
    "ollama": {},
}
LIST_PATHS = {
    "google": "/v1beta/models",
    "openai": "/models",
    "openai_compatible": "/models",
    "anthropic": "/v1/models",
    "azure": "/openai/models?api-version=2024-10-21",
    "ollama": "/api/tags",
}


@pytest.fixture(params=sorted(SERVER_CLASSES))
def any_server(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    with SERVER_CLASSES[request.param]() as server:
        yield server


def list_url(server: FakeServer) -> str:
    return server.base_url + LIST_PATHS[server.provider_type]


def get(http: requests.Session, server: FakeServer, **kw: object) -> requests.Response:
    headers = AUTH_HEADERS[server.provider_type]
    return http.get(list_url(server), headers=headers, timeout=TIMEOUT, **kw)


class TestCommonKnobs:
    def test_base_url_follows_the_contract_table(self, any_server: FakeServer) -> None:
        expected = "/v1" if any_server.provider_type.startswith("openai") else ""
        assert any_server.base_url == f"http://127.0.0.1:{any_server.port}{expected}"

    def test_list_answers_json(self, any_server: FakeServer, http: requests.Session) -> None:
        reply = get(http, any_server)
        assert reply.status_code == 200
        assert reply.headers["Content-Type"].startswith("application/json")
        assert reply.json()

    def test_fail_next_then_recover(self, any_server: FakeServer, http) -> None:
        any_server.fail_next(2, status=503, retry_after=3)
        replies = [get(http, any_server) for _ in range(3)]
        assert [r.status_code for r in replies] == [503, 503, 200]
        assert replies[0].headers["Retry-After"] == "3"
        assert replies[0].json()  # provider-shaped error body

    def test_latency(self, any_server: FakeServer, http: requests.Session) -> None:
        any_server.latency = 0.2
        started = time.perf_counter()
        get(http, any_server)
        assert time.perf_counter() - started >= 0.2

    def test_slow_mode_beats_a_read_timeout(self, any_server: FakeServer, http) -> None:
        any_server.mode, any_server.slow_seconds = "slow", 5
        with pytest.raises(requests.ReadTimeout):
            http.get(list_url(any_server), headers=AUTH_HEADERS[any_server.provider_type],
                     timeout=(2, 0.2))

    def test_reset_mode(self, any_server: FakeServer, http: requests.Session) -> None:
        any_server.mode = "reset"
        with pytest.raises(requests.ConnectionError):
            get(http, any_server)

    def test_html_mode(self, any_server: FakeServer, http: requests.Session) -> None:
        any_server.mode = "html"
        reply = get(http, any_server)
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/html")
        with pytest.raises(ValueError):
            reply.json()

    def test_malformed_mode(self, any_server: FakeServer, http: requests.Session) -> None:
        any_server.mode = "malformed"
        reply = get(http, any_server)
        assert reply.status_code == 200
        with pytest.raises(ValueError):
            reply.json()

    def test_unknown_mode_is_refused(self, any_server: FakeServer) -> None:
        with pytest.raises(ValueError, match="mode must be one of"):
            any_server.mode = "flaky"

    def test_request_log_hides_auth_values(self, any_server: FakeServer, http) -> None:
        any_server.valid_keys = {"k-123456789"}
        any_server.clear_requests()
        headers = {"Authorization": "Bearer k-123456789", "x-goog-api-key": "k-123456789",
                   "x-api-key": "k-123456789", "api-key": "k-123456789"}
        http.get(list_url(any_server), headers=headers, timeout=TIMEOUT)
        (record,) = any_server.requests
        assert record.method == "GET"
        assert "k-123456789" not in repr(record.headers)
        assert record.header("authorization") == "[redacted]"

    def test_stop_refuses_and_start_reuses_the_port(self, any_server: FakeServer, http) -> None:
        assert get(http, any_server).status_code == 200  # leaves a pooled connection
        port = any_server.port
        any_server.stop()
        with pytest.raises(requests.ConnectionError):
            get(http, any_server)
        any_server.start()
        assert any_server.port == port
        assert get(http, any_server).status_code == 200


class TestGoogle:
    def test_pages_of_50_by_default(self, http: requests.Session) -> None:
        with GoogleServer(model_count=1200) as google:
            names, token, pages = [], None, 0
            while True:
                params = {"pageToken": token} if token else {}
                body = get(http, google, params=params).json()
                names += [m["name"] for m in body["models"]]
                pages += 1
                token = body.get("nextPageToken")
                if not token:
                    break
            assert (len(names), len(set(names)), pages) == (1200, 1200, 24)
            body = get(http, google, params={"pageSize": 1000}).json()
            assert len(body["models"]) == 1000 and body["nextPageToken"]
            assert all("?key" not in r.path for r in google.requests)

    def test_catalog_has_embedding_and_sparse_models(self, http: requests.Session) -> None:
        with GoogleServer() as google:
            models = get(http, google, params={"pageSize": 1000}).json()["models"]
        methods = [m.get("supportedGenerationMethods") for m in models]
        assert ["embedContent"] in methods and None in methods
        assert any("inputTokenLimit" not in m for m in models)
        assert all(m["name"].startswith("models/") for m in models)

    def test_wrong_key_is_400_api_key_invalid(self, http: requests.Session) -> None:
        with GoogleServer() as google:
            reply = http.get(list_url(google), headers={"x-goog-api-key": "nope"}, timeout=TIMEOUT)
        assert reply.status_code == 400
        error = reply.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT"
        assert error["details"][0]["reason"] == "API_KEY_INVALID"

    def test_key_only_from_the_header(self, http: requests.Session) -> None:
        with GoogleServer() as google:
            reply = http.get(list_url(google), params={"key": GOOGLE_DEMO_KEY}, timeout=TIMEOUT)
        assert reply.status_code == 403
        assert reply.json()["error"]["status"] == "PERMISSION_DENIED"

    def test_quota_and_region(self, http: requests.Session) -> None:
        with GoogleServer(region_blocked=True) as google:
            google.fail_next(1, status=429)
            quota = get(http, google).json()["error"]
            region = get(http, google).json()["error"]
        assert quota["status"] == "RESOURCE_EXHAUSTED"
        assert quota["details"][0]["retryDelay"] == "59s"
        assert region["status"] == "FAILED_PRECONDITION"

    def test_bad_page_token(self, http: requests.Session) -> None:
        with GoogleServer() as google:
            assert get(http, google, params={"pageToken": "garbage!"}).status_code == 400


class TestOpenAI:
    @pytest.mark.parametrize("cls", [OpenAIServer, OpenAICompatibleServer])
    def test_list_mixes_chat_and_other_models(self, cls: type[OpenAIServer], http) -> None:
        with cls() as server:
            key = cls.DEMO_KEY
            body = http.get(server.base_url + "/models", timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {key}"}).json()
        ids = {m["id"] for m in body["data"]}
        assert body["object"] == "list"
        assert {"gpt-4o", "gpt-4.1-mini", "o3-mini", "ft:gpt-4o-mini:org::abc"} <= ids
        assert {"text-embedding-3-small", "whisper-1", "dall-e-3", "tts-1"} <= ids
        if cls is OpenAICompatibleServer:
            assert any("created" not in m for m in body["data"])

    def test_invalid_key(self, http: requests.Session) -> None:
        with OpenAIServer() as server:
            reply = http.get(server.base_url + "/models", timeout=TIMEOUT,
                             headers={"Authorization": "Bearer sk-wrong-key-abcd"})
        assert reply.status_code == 401
        error = reply.json()["error"]
        assert error["code"] == "invalid_api_key" and error["param"] is None
        assert "sk-wrong-key-abcd" not in error["message"] and "abcd" in error["message"]

    def test_organization_and_restricted_key(self, http: requests.Session) -> None:
        with OpenAIServer(organization="org-right") as server:
            url = server.base_url + "/models"
            wrong_org = http.get(url, timeout=TIMEOUT, headers={
                "Authorization": f"Bearer {OPENAI_DEMO_KEY}", "OpenAI-Organization": "org-x"})
            right_org = http.get(url, timeout=TIMEOUT, headers={
                "Authorization": f"Bearer {OPENAI_DEMO_KEY}", "OpenAI-Organization": "org-right"})
            restricted = http.get(url, timeout=TIMEOUT, headers={
                "Authorization": f"Bearer {OPENAI_RESTRICTED_KEY}"})
        assert wrong_org.status_code == 401
        assert wrong_org.json()["error"]["code"] == "mismatched_organization"
        assert right_org.status_code == 200
        assert restricted.status_code == 403
        assert "api.model.read" in restricted.json()["error"]["message"]

    def test_model_count(self, http: requests.Session) -> None:
        with OpenAIServer(model_count=500) as server:
            assert len(get(http, server).json()["data"]) == 500


class TestAnthropic:
    def test_pagination_with_after_id(self, http: requests.Session) -> None:
        with AnthropicServer(model_count=45) as server:
            seen, after = [], None
            while True:
                params = {"limit": 20, **({"after_id": after} if after else {})}
                body = get(http, server, params=params).json()
                seen += [m["id"] for m in body["data"]]
                assert body["first_id"] == body["data"][0]["id"]
                assert body["last_id"] == body["data"][-1]["id"]
                if not body["has_more"]:
                    break
                after = body["last_id"]
        assert len(seen) == 45 and len(set(seen)) == 45
        assert seen[0] == "claude-haiku-4-5-20251001"  # newest first

    def test_optional_fields_vary(self, http: requests.Session) -> None:
        with AnthropicServer() as server:
            models = get(http, server).json()["data"]
        assert any("max_input_tokens" in m for m in models)
        assert any("max_input_tokens" not in m and "capabilities" not in m for m in models)
        assert all(m["type"] == "model" and m["created_at"] for m in models)

    def test_auth_errors(self, http: requests.Session) -> None:
        with AnthropicServer() as server:
            url = list_url(server)
            bad = http.get(url, timeout=TIMEOUT,
                           headers={"x-api-key": "nope", "anthropic-version": "2023-06-01"})
            no_version = http.get(url, timeout=TIMEOUT, headers={"x-api-key": ANTHROPIC_DEMO_KEY})
        assert bad.status_code == 401
        assert bad.json()["type"] == "error"
        assert bad.json()["error"] == {"type": "authentication_error",
                                       "message": "invalid x-api-key"}
        assert no_version.status_code == 400


class TestAzure:
    def test_models_and_deployment(self, http: requests.Session) -> None:
        with AzureServer() as server:
            headers = AUTH_HEADERS["azure"]
            models = get(http, server).json()["data"]
            deployment = http.get(
                f"{server.base_url}/openai/deployments/{AZURE_DEMO_DEPLOYMENT}",
                params={"api-version": "2023-03-15-preview"}, headers=headers, timeout=TIMEOUT)
            missing = http.get(
                f"{server.base_url}/openai/deployments/nope",
                params={"api-version": "2023-03-15-preview"}, headers=headers, timeout=TIMEOUT)
            server.deployments_route = False
            newer = http.get(
                f"{server.base_url}/openai/deployments/{AZURE_DEMO_DEPLOYMENT}",
                params={"api-version": "2023-03-15-preview"}, headers=headers, timeout=TIMEOUT)
            v1 = http.get(f"{server.base_url}/openai/v1/models", headers=headers, timeout=TIMEOUT)
        assert any(m["capabilities"]["embeddings"] for m in models)
        assert deployment.json()["model"] == "gpt-4o"
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "DeploymentNotFound"
        assert newer.status_code == 404
        assert newer.json()["error"] == {"code": "404", "message": "Resource not found"}
        assert v1.json()["object"] == "list"

    def test_wrong_key_and_wrong_api_version(self, http: requests.Session) -> None:
        with AzureServer() as server:
            bad_key = http.get(list_url(server), headers={"api-key": "x"}, timeout=TIMEOUT)
            bad_version = http.get(server.base_url + "/openai/models?api-version=1999-01-01",
                                   headers=AUTH_HEADERS["azure"], timeout=TIMEOUT)
        assert bad_key.status_code == 401 and bad_key.json()["error"]["code"] == "401"
        assert bad_version.status_code == 404


class TestOllama:
    def test_version_tags_and_show(self, http: requests.Session) -> None:
        with OllamaServer() as server:
            assert get(http, server).status_code == 200
            version = http.get(server.base_url + "/api/version", timeout=TIMEOUT).json()
            tags = http.get(server.base_url + "/api/tags", timeout=TIMEOUT).json()["models"]
            shown = {
                m["name"]: http.post(server.base_url + "/api/show", json={"model": m["name"]},
                                     timeout=TIMEOUT).json()
                for m in tags
            }
            missing = http.post(server.base_url + "/api/show", json={"model": "x"},
                                timeout=TIMEOUT)
        assert version == {"version": "0.12.3"}
        llava = shown["llava:latest"]
        assert llava["capabilities"] == ["completion", "vision"]
        arch = llava["model_info"]["general.architecture"]
        assert llava["model_info"][f"{arch}.context_length"] == 4096
        assert shown["nomic-embed-text:latest"]["capabilities"] == ["embedding"]
        assert missing.status_code == 404 and missing.json() == {"error": "model 'x' not found"}

    def test_optional_bearer_key(self, http: requests.Session) -> None:
        with OllamaServer(require_key=True) as server:
            url = server.base_url + "/api/tags"
            assert http.get(url, timeout=TIMEOUT).status_code == 401
            ok = http.get(url, headers={"Authorization": f"Bearer {OLLAMA_DEMO_KEY}"},
                          timeout=TIMEOUT)
            assert ok.status_code == 200

    def test_benchmark_shape_300_models_50ms(self, http: requests.Session) -> None:
        with OllamaServer(model_count=300, latency=0.05, show_errors={"gen-model-0007:latest":
                                                                      500}) as server:
            started = time.perf_counter()
            tags = http.get(server.base_url + "/api/tags", timeout=TIMEOUT).json()["models"]
            assert time.perf_counter() - started >= 0.05
            failed = http.post(server.base_url + "/api/show",
                               json={"model": "gen-model-0007:latest"}, timeout=TIMEOUT)
        assert len(tags) == 300 and failed.status_code == 500


class TestDemoProviders:
    def test_one_of_each_then_stopped(self, http: requests.Session) -> None:
        with DemoProviders() as servers:
            assert set(servers) == set(SERVER_CLASSES)
            for server in servers.values():
                assert get(http, server).status_code == 200
        for server in servers.values():
            assert not server.running

    def test_unknown_type(self) -> None:
        with pytest.raises(ValueError, match="unknown provider types"):
            DemoProviders({"cohere": 1234})
