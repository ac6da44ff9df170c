"""The shared HTTP discipline: retries, redirects, timeouts, transport errors, headers."""

from __future__ import annotations

import email.utils
import logging
import socket
import time

import pytest
import requests
import requests_mock as rm
import urllib3.exceptions

from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter
from task_master_llm.adapters.http import USER_AGENT, retry_after_seconds
from task_master_llm.errors import ProviderError
from task_master_llm.version import __version__

CANARY = "sk-CANARY-123456789abcdef"
MODELS = "https://api.openai.com/v1/models"
OK = {"json": {"object": "list", "data": [{"id": "gpt-4o"}]}}


class Sleeps(list):
    """Records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def openai(sleeps: Sleeps, **settings: object):
    config = ProviderConfig("openai", api_key=CANARY)
    return create_adapter(config, HttpSettings(sleep=sleeps, **settings))  # type: ignore[arg-type]


class TestRetries:
    def test_429_then_200_honours_retry_after(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, [
            {"status_code": 429, "headers": {"Retry-After": "2"},
             "json": {"error": {"code": "rate_limit_exceeded"}}}, OK])
        result = openai(sleeps).test_connection()
        assert result.status == "valid"
        assert sleeps == [2.0]
        assert requests_mock.call_count == 2

    def test_retry_after_ms_wins(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, [{"status_code": 429, "headers": {
            "retry-after-ms": "250", "Retry-After": "1"}}, OK])
        assert openai(sleeps).test_connection().status == "valid"
        assert sleeps == [0.25]

    def test_5xx_retries_are_bounded_with_backoff(self, requests_mock: rm.Mocker,
                                                   sleeps) -> None:
        requests_mock.get(MODELS, status_code=500, json={"error": {"code": None}})
        result = openai(sleeps, max_retries=2, backoff_base=0.5).test_connection()
        assert (result.status, result.error_kind) == ("invalid", "bad_response")
        assert requests_mock.call_count == 3
        assert sleeps == [0.5, 1.0]

    def test_backoff_is_capped(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, status_code=503)
        openai(sleeps, max_retries=3, backoff_base=4, max_retry_after=5).test_connection()
        assert sleeps == [4, 5, 5]

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
    def test_other_4xx_never_retried(self, requests_mock: rm.Mocker, sleeps,
                                     status: int) -> None:
        requests_mock.get(MODELS, status_code=status, json={"error": {"code": None}})
        assert openai(sleeps).test_connection().status == "invalid"
        assert requests_mock.call_count == 1 and sleeps == []

    def test_quota_is_not_retried(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, status_code=429,
                          json={"error": {"code": "insufficient_quota"}})
        assert openai(sleeps).test_connection().error_kind == "quota"
        assert requests_mock.call_count == 1

    def test_wait_longer_than_cap_reports_instead_of_blocking(self, requests_mock: rm.Mocker,
                                                              sleeps) -> None:
        requests_mock.get(MODELS, status_code=429, headers={"Retry-After": "60"},
                          json={"error": {"code": "rate_limit_exceeded"}})
        result = openai(sleeps, max_retry_after=10).test_connection()
        assert result.error_kind == "rate_limited" and "in 60s" in result.message
        assert requests_mock.call_count == 1 and sleeps == []

    @pytest.mark.parametrize(("delay", "calls", "waits"), [("2s", 2, [2.0]), ("59s", 1, [])])
    def test_google_retry_info_delay(self, requests_mock: rm.Mocker, sleeps, delay: str,
                                     calls: int, waits: list) -> None:
        url = "https://generativelanguage.googleapis.com/v1beta/models"
        exhausted = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}}
        requests_mock.get(url, [{"status_code": 429, "json": exhausted},
                                {"json": {"models": []}}])
        config = ProviderConfig("google", api_key=CANARY)
        result = create_adapter(config, HttpSettings(sleep=sleeps)).test_connection()
        assert requests_mock.call_count == calls and sleeps == waits
        assert result.status == ("valid" if calls == 2 else "invalid")

    def test_retry_after_http_date(self) -> None:
        when = email.utils.formatdate(time.time() + 30, usegmt=True)
        assert 25 <= retry_after_seconds({"Retry-After": when}) <= 31
        assert retry_after_seconds({"Retry-After": "soon"}) is None
        assert retry_after_seconds({}) is None


class TestRedirects:
    def test_redirect_to_other_host_is_refused(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, status_code=302,
                          headers={"Location": "https://collector.example.net/steal"})
        requests_mock.get("https://collector.example.net/steal", **OK)
        result = openai(sleeps).test_connection()
        assert (result.status, result.error_kind) == ("invalid", "not_found")
        assert "collector.example.net" in result.message and "not followed" in result.message
        assert [r.hostname for r in requests_mock.request_history] == ["api.openai.com"]

    def test_https_to_http_downgrade_is_refused(self, requests_mock: rm.Mocker,
                                                sleeps) -> None:
        requests_mock.get(MODELS, status_code=301,
                          headers={"Location": "http://api.openai.com/v1/models"})
        assert openai(sleeps).test_connection().status == "invalid"
        assert requests_mock.call_count == 1

    def test_same_host_redirect_is_followed(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, status_code=308, headers={"Location": "/v2/models"})
        requests_mock.get("https://api.openai.com/v2/models", **OK)
        assert openai(sleeps).test_connection().status == "valid"
        assert requests_mock.request_history[1].headers["Authorization"] == f"Bearer {CANARY}"

    def test_redirect_loop_stops(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, status_code=302, headers={"Location": MODELS})
        result = openai(sleeps, max_redirects=3).test_connection()
        assert result.status == "invalid" and "too many" in result.message
        assert requests_mock.call_count == 4


def _chain(reason: BaseException) -> requests.ConnectionError:
    """A ConnectionError shaped like the one requests raises (MaxRetryError inside)."""
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", reason))


def _refused() -> urllib3.exceptions.NewConnectionError:
    """As urllib3 raises it: NewConnectionError from ConnectionRefusedError."""
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as exc:
            raise urllib3.exceptions.NewConnectionError(None, "failed") from exc
    except urllib3.exceptions.NewConnectionError as exc:
        return exc


class TestTransportErrors:
    @pytest.mark.parametrize(
        ("exc", "kind", "says"),
        [
            (requests.ConnectTimeout("https://api.openai.com/v1/models?x"), "timeout",
             "Connecting to OpenAI at api.openai.com timed out after 5s"),
            (requests.ReadTimeout("x"), "timeout", "did not answer within 20s"),
            (requests.exceptions.SSLError("x"), "network", "TLS handshake with api.openai.com"),
            (_chain(urllib3.exceptions.NameResolutionError("api.openai.com", None,
                                                           socket.gaierror())),
             "network", "api.openai.com could not be resolved (DNS)"),
            (_chain(urllib3.exceptions.NewConnectionError(None, "refused")), "network",
             "failed or was closed"),
            (_chain(_refused()), "network",
             "Nothing answers at https://api.openai.com (connection refused)"),
        ],
        ids=["connect-timeout", "read-timeout", "tls", "dns", "connect-failed", "refused"],
    )
    def test_each_failure_has_its_own_message(self, requests_mock: rm.Mocker, sleeps, exc,
                                              kind: str, says: str) -> None:
        requests_mock.get(MODELS, exc=exc)
        result = openai(sleeps).test_connection()
        assert (result.status, result.error_kind) == ("invalid", kind)
        assert says in result.message
        assert requests_mock.call_count == 1, "network failures are not retried"

    def test_error_does_not_chain_the_requests_exception(self, requests_mock: rm.Mocker,
                                                         sleeps) -> None:
        requests_mock.get(MODELS, exc=requests.ConnectTimeout("secret-bearing text"))
        with pytest.raises(ProviderError) as info:
            openai(sleeps).discover_models()
        assert info.value.__cause__ is None and info.value.__suppress_context__

    def test_real_refused_port_names_ollama(self, unused_port: int) -> None:
        config = ProviderConfig("ollama", base_url=f"http://127.0.0.1:{unused_port}")
        result = create_adapter(config).test_connection()
        assert (result.status, result.error_kind) == ("invalid", "network")
        assert result.message == (f"Nothing answers at http://127.0.0.1:{unused_port} "
                                  "(connection refused) - is Ollama running?")

    def test_real_dns_failure(self) -> None:
        config = ProviderConfig("openai_compatible", base_url="http://no-such-host.invalid/v1")
        result = create_adapter(config).test_connection()
        assert result.error_kind == "network"
        assert "no-such-host.invalid could not be resolved" in result.message


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestRequestShape:
    def test_headers_timeouts_and_url(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, **OK)
        config = ProviderConfig("openai", api_key=CANARY, org_id="org-1",
                                base_url="https://api.openai.com/v1/")
        adapter = create_adapter(config, HttpSettings(connect_timeout=3, read_timeout=7))
        assert adapter.test_connection().status == "valid"
        sent = requests_mock.request_history[0]
        assert sent.url == MODELS, "a trailing slash must not produce //"
        assert sent.timeout == (3, 7)
        assert sent.headers["User-Agent"] == USER_AGENT == f"task-master-llm/{__version__}"
        assert sent.headers["OpenAI-Organization"] == "org-1"

    def test_google_key_only_in_header(self, requests_mock: rm.Mocker) -> None:
        requests_mock.get("https://generativelanguage.googleapis.com/v1beta/models",
                          json={"models": []})
        config = ProviderConfig("google", api_key=CANARY)
        assert create_adapter(config).test_connection().status == "valid"
        sent = requests_mock.request_history[0]
        assert sent.headers["x-goog-api-key"] == CANARY
        assert CANARY not in sent.url and "key=" not in sent.url
        assert sent.qs == {"pagesize": ["1"]}

    def test_session_factory_swaps_the_transport(self, sleeps) -> None:
        adapter_mock = rm.Adapter()
        adapter_mock.register_uri("GET", "mock://openai/v1/models", **OK)
        sessions: list[requests.Session] = []

        def factory(_settings: HttpSettings) -> requests.Session:
            session = requests.Session()
            session.mount("mock://", adapter_mock)
            sessions.append(session)
            return session

        config = ProviderConfig("openai", api_key=CANARY, base_url="mock://openai/v1")
        adapter = create_adapter(config, HttpSettings(session_factory=factory, sleep=sleeps))
        assert adapter.test_connection().status == "valid"
        assert [m.provider_model_id for m in adapter.discover_models()] == ["gpt-4o"]
        assert len(sessions) == 2, "one session per operation"

    def test_latency_is_measured_on_success(self, requests_mock: rm.Mocker, sleeps) -> None:
        requests_mock.get(MODELS, **OK)
        result = openai(sleeps).test_connection()
        assert isinstance(result.latency_ms, int) and result.latency_ms >= 0

    def test_config_repr_hides_key(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        config = ProviderConfig("openai", api_key=CANARY)
        logging.getLogger("t").debug("config %r", config)
        assert CANARY not in caplog.text


class TestTalonCredentials:
    @pytest.mark.parametrize(
        ("config", "model_id", "expected"),
        [
            (ProviderConfig("google", api_key="k"), "gemini-2.5-flash",
             {"model": "google/gemini-2.5-flash", "apiKey": "k",
              "baseUrl": "https://generativelanguage.googleapis.com"}),
            (ProviderConfig("openai", api_key="k", base_url="https://proxy.example.com/v1/"),
             "gpt-4o", {"model": "openai/gpt-4o", "apiKey": "k",
                        "baseUrl": "https://proxy.example.com/v1"}),
            (ProviderConfig("azure", api_key="k", base_url="https://r.openai.azure.com",
                            deployment_id="prod"), "prod",
             {"model": "azure/prod", "apiKey": "k", "baseUrl": "https://r.openai.azure.com"}),
            (ProviderConfig("ollama"), "llama3.2:latest",
             {"model": "ollama/llama3.2:latest", "baseUrl": "http://localhost:11434"}),
            (ProviderConfig("openai_compatible", base_url="http://vllm:8000/v1"), "qwen",
             {"model": "openai_compatible/qwen", "baseUrl": "http://vllm:8000/v1"}),
        ],
        ids=lambda v: v.provider_type if isinstance(v, ProviderConfig) else None,
    )
    def test_credentials(self, config: ProviderConfig, model_id: str, expected: dict) -> None:
        assert create_adapter(config).talon_credentials(model_id) == expected


# --- hostile retry hints and keys that cannot be a header ---------------------------

GOOGLE_MODELS = "https://generativelanguage.googleapis.com/v1beta/models"


def _google(sleep=time.sleep):
    config = ProviderConfig("google", api_key=CANARY)
    return create_adapter(config, HttpSettings(sleep=sleep, backoff_base=0.0))


@pytest.mark.parametrize("delay", ["-5s", "nans", "infs", "-infs"])
def test_hostile_retry_delay_never_crashes_or_sleeps_oddly(requests_mock: rm.Mocker,
                                                           delay: str) -> None:
    """A provider's retry hint that is negative, NaN or infinite is no 500 (time.sleep
    refuses negative and NaN waits) and never shows up as "in nans" in the message."""
    exhausted = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}}
    requests_mock.get(GOOGLE_MODELS, status_code=429, json=exhausted)
    result = _google().test_connection()  # the real time.sleep: it must get a sane value
    assert (result.status, result.error_kind) == ("invalid", "quota")
    assert "nan" not in result.message and "inf" not in result.message


def test_key_that_cannot_be_a_header_is_a_provider_error_not_a_crash() -> None:
    """http.client encodes headers as Latin-1: a stored key with a pasted zero-width space
    raised UnicodeEncodeError out of the adapter (a 500 on /test and /discover)."""
    config = ProviderConfig("openai_compatible", api_key="sk-abc\u200bdef",
                            base_url="http://127.0.0.1:9/v1")
    adapter = create_adapter(config, HttpSettings(sleep=lambda _s: None))
    result = adapter.test_connection()
    assert (result.status, result.error_kind) == ("invalid", "auth")
    assert "sk-abc" not in result.message and "API key" in result.message
