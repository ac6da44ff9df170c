"""TalonClient against the local Talon gateway (standins.talon)."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from standins.talon import TALON_DEMO_TOKEN, TalonServer
from task_master_llm.talon import (
    DISABLED_MESSAGE,
    SyncOutcome,
    TalonClient,
    _gateway_message,
    build_payload,
)
from task_master_llm.talon_ids import (
    RANDOM_BATCH,
    SEQUENTIAL_IDS,
    slugify,
    talon_id_batches,
    talon_id_for,
)
from tests.support import LONG_KEY

CANARY = "sk-CANARY-TALON-0123456789"
ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@pytest.fixture
def talon() -> Iterator[TalonServer]:
    with TalonServer() as server:
        yield server


@pytest.fixture
def client(talon: TalonServer) -> TalonClient:
    return TalonClient(talon.base_url, TALON_DEMO_TOKEN, connect_timeout=2, read_timeout=2)


@pytest.fixture
def loud(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, urllib3 included, so a leak anywhere would be captured."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "urllib3.connectionpool", "requests", "task_master_llm"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def payload(talon_id: str = "scout", **extra: object) -> dict:
    fields = {
        "talon_id": talon_id, "name": "Scout", "role": "researcher",
        "model": "google/gemini-2.0-flash", "api_key": CANARY,
        "base_url": "https://generativelanguage.googleapis.com", "soul": "Be brief.",
    }
    fields.update(extra)
    return build_payload(**fields)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestHappyPath:
    def test_create_stores_the_agent(self, talon: TalonServer, client: TalonClient) -> None:
        outcome = client.create(payload())
        assert outcome == SyncOutcome("synced", None, 201)
        stored = talon.agents["scout"]
        assert stored["model"] == "google/gemini-2.0-flash"
        assert stored["systemPrompt"] == "Be brief."
        assert stored["apiKey"] == CANARY
        assert "soul" not in stored  # the gateway drops it; systemPrompt carries it
        last = talon.requests[-1]
        assert (last.method, last.path) == ("POST", "/v1/agents")
        assert last.header("Authorization") == "[redacted]"

    def test_update_merges_and_keeps_omitted_keys(
        self, talon: TalonServer, client: TalonClient
    ) -> None:
        client.create(payload(guardrails="No secrets."))
        outcome = client.update(payload(name="Scout II", guardrails=None))
        assert outcome.status == "synced" and outcome.http_status == 200
        stored = talon.agents["scout"]
        assert stored["name"] == "Scout II"
        assert stored["guardrails"] == "No secrets."
        assert talon.requests[-1].path == "/v1/agents/scout"

    def test_update_of_unknown_id_creates(self, talon: TalonServer, client: TalonClient) -> None:
        assert client.update(payload("fresh")) == SyncOutcome("synced", None, 201)
        assert "fresh" in talon.agents

    def test_delete_then_delete_again(self, talon: TalonServer, client: TalonClient) -> None:
        client.create(payload())
        assert client.delete("scout") == SyncOutcome("synced", None, 200)
        assert talon.sub_agents == {}
        assert client.delete("scout") == SyncOutcome("synced", None, 404)

    def test_empty_role_is_sent(self, talon: TalonServer, client: TalonClient) -> None:
        assert client.create(payload(role="")).ok
        assert talon.agents["scout"]["role"] == ""

    def test_null_is_never_sent(self, talon: TalonServer, client: TalonClient) -> None:
        body = payload(description=None, guardrails=None, base_url=None)
        body["extra"] = None  # even a hand-made payload with a null is cleaned
        assert client.create(body).ok
        # the gateway validates a PUT body whole: a role left out (a null is never sent)
        # is refused as the real gateway does
        refused = client.update(dict(body, role=None))
        assert refused.status == "failed" and refused.http_status == 400
        assert "role" in refused.error
        for request in talon.requests:
            assert None not in request.body.values()
            assert "null" not in request.raw_body.decode()


class TestDisabled:
    @pytest.mark.parametrize("url", [None, "", "  "])
    def test_no_url_means_disabled(self, url: str | None) -> None:
        client = TalonClient(url, "t")
        assert not client.enabled
        for outcome in (client.create(payload()), client.update(payload()), client.delete("x")):
            assert outcome == SyncOutcome("disabled", DISABLED_MESSAGE)


class TestFailures:
    def test_gateway_down_then_back(self, talon: TalonServer, client: TalonClient) -> None:
        talon.down()
        outcome = client.create(payload())
        assert outcome.status == "failed"
        assert outcome.http_status is None
        assert talon.base_url in outcome.error
        assert "connection refused" in outcome.error and "Is it running?" in outcome.error
        talon.up()
        assert client.create(payload()).ok
        assert "scout" in talon.agents

    def test_nothing_listening(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        outcome = TalonClient(url, "t").delete("scout")
        assert outcome.status == "failed"
        assert outcome.error == (
            f"The Talon gateway at {url} did not answer (connection refused). Is it running?"
        )

    @pytest.mark.parametrize("status", [500, 502, 503])
    def test_5xx_is_failed(self, talon: TalonServer, client: TalonClient, status: int) -> None:
        talon.fail_next(1, status=status)
        outcome = client.create(payload())
        assert outcome.status == "failed" and outcome.http_status == status
        assert f"HTTP {status}" in outcome.error and talon.base_url in outcome.error
        assert client.create(payload()).ok  # no hidden retry consumed the recovery

    def test_400_carries_the_gateway_message(
        self, talon: TalonServer, client: TalonClient
    ) -> None:
        body = payload()
        del body["role"]
        outcome = client.create(body)
        assert outcome.status == "failed" and outcome.http_status == 400
        assert "role: Required" in outcome.error
        assert len([r for r in talon.requests if r.method == "POST"]) == 1  # no retry on 4xx

    def test_id_mismatch_is_a_400(self, talon: TalonServer, client: TalonClient) -> None:
        session = requests.Session()
        reply = session.put(
            talon.base_url + "/v1/agents/one",
            json={"id": "two", "name": "Two", "role": "", "model": "openai/gpt-4o"},
            headers={"Authorization": f"Bearer {TALON_DEMO_TOKEN}"}, timeout=5,
        )
        assert reply.status_code == 400
        assert reply.json() == {"error": "ID mismatch between URL and body"}
        session.close()

    def test_wrong_token(self, talon: TalonServer) -> None:
        outcome = TalonClient(talon.base_url, "wrong").create(payload())
        assert outcome.status == "failed" and outcome.http_status == 401
        assert "the gateway refused TALON_GATEWAY_TOKEN" in outcome.error

    def test_slow_gateway_times_out(self, talon: TalonServer) -> None:
        talon.mode, talon.slow_seconds = "slow", 5
        outcome = TalonClient(talon.base_url, TALON_DEMO_TOKEN, read_timeout=0.3).create(
            payload()
        )
        assert outcome.status == "failed" and "read timeout" in outcome.error
        assert talon.base_url in outcome.error

    def test_reset_is_retried_once_then_failed(
        self, talon: TalonServer, client: TalonClient
    ) -> None:
        talon.mode = "reset"
        outcome = client.create(payload())
        assert outcome.status == "failed" and "connection reset" in outcome.error
        assert len(talon.requests) == 2

    def test_html_200_is_not_success(self, talon: TalonServer, client: TalonClient) -> None:
        talon.mode = "html"
        outcome = client.create(payload())
        assert outcome.status == "failed" and "not with JSON" in outcome.error

    def test_invalid_id_is_refused_locally(
        self, talon: TalonServer, client: TalonClient
    ) -> None:
        for outcome in (client.delete("a b"), client.update(payload("x:y")), client.delete("")):
            assert outcome.status == "failed" and "Talon id" in outcome.error
        assert talon.requests == []

    def test_dns_failure_names_the_host(self) -> None:
        outcome = TalonClient("http://talon.invalid", "t", connect_timeout=2).delete("x")
        assert outcome.status == "failed"
        assert "talon.invalid" in outcome.error


class TestKeyNeverLeaks:
    def test_canary_absent_everywhere(
        self, talon: TalonServer, client: TalonClient, loud: pytest.LogCaptureFixture
    ) -> None:
        outcomes = [client.create(payload()), client.update(payload())]
        talon.fail_next(1, status=503)
        outcomes.append(client.create(payload()))
        talon.down()
        outcomes.append(client.create(payload()))
        talon.up()
        bad = payload()
        del bad["name"]
        outcomes.append(client.create(bad))
        outcomes.append(TalonClient(talon.base_url, "wrong").create(payload()))
        assert {o.status for o in outcomes} == {"synced", "failed"}
        for outcome in outcomes:
            assert CANARY not in repr(outcome)
        assert loud.records, "logging was captured"
        assert CANARY not in loud.text
        for record in loud.records:
            assert CANARY not in record.getMessage()

    def test_gateway_echoing_the_key_is_scrubbed(self) -> None:
        """A gateway (or proxy) that echoes the body in its error must not leak the key."""

        class EchoingGateway(TalonServer):
            def route(self, request):  # type: ignore[override]
                from standins.providers import Reply

                text = request.raw_body.decode()
                return Reply(400, {"error": f"bad body {text} ... {CANARY[:12]}"})

        with EchoingGateway() as gateway:
            outcome = TalonClient(gateway.base_url, TALON_DEMO_TOKEN).create(payload())
        assert outcome.status == "failed" and outcome.http_status == 400
        assert CANARY not in outcome.error
        assert CANARY[:12] not in outcome.error
        assert len(outcome.error) < 400

    def test_repr_hides_the_token(self) -> None:
        assert "s3cret" not in repr(TalonClient("http://x", "s3cret"))


class TestIds:
    def test_two_names_that_slug_alike_get_different_ids(self, talon: TalonServer) -> None:
        taken: set[str] = set()
        first = talon_id_for("Research Bot", taken.__contains__)
        taken.add(first)
        second = talon_id_for("research  bot!", taken.__contains__)
        taken.add(second)
        third = talon_id_for("RESEARCH-BOT", taken.__contains__)
        assert (first, second, third) == ("research-bot", "research-bot-2", "research-bot-3")

    @pytest.mark.parametrize("name", [
        "Café Crème", "日本語のエージェント", "has spaces  inside", "openai:gpt-4o:agent",
        "x" * 200, "--__lead", "é" * 200, "", "   ", "::::", "A_b-C", "Ünïcödé 🤖 bot",
        "a" * 63 + ":" + "b" * 10,
    ])
    def test_weird_names_fit_the_gateway_pattern(self, name: str) -> None:
        taken = {slugify(name)}  # force the suffix path too
        for talon_id in (slugify(name), talon_id_for(name, taken.__contains__)):
            assert ID_RE.fullmatch(talon_id), talon_id
            assert ":" not in talon_id and " " not in talon_id

    def test_unusable_name_becomes_agent(self) -> None:
        # "日本語" was the example until names were transliterated (it is "ri-ben-yu" now);
        # a name of symbols only has nothing to keep
        assert talon_id_for("🤖", lambda _: False) == "agent"
        assert talon_id_for("🤖", {"agent"}.__contains__) == "agent-2"
        assert slugify("★ ☆ ::::") == slugify("") == "agent"

    @pytest.mark.parametrize(("name", "slug"), [
        ("Ωμέγα", "omega"), ("日本語", "ri-ben-yu"), ("Привет мир", "privet-mir"),
        ("Café Crème", "cafe-creme"), ("Straße", "strasse"), ("Ünïcödé 🤖 bot", "unicode-bot"),
        ("A_b-C", "a_b-c"), ("--__lead", "lead"), ("AT&amp;T", "at-amp-t"),
    ])
    def test_names_are_transliterated(self, name: str, slug: str) -> None:
        assert slugify(name) == slug

    def test_crowded_slugs_get_random_suffixes(self) -> None:
        taken = {"agent"} | {f"agent-{n}" for n in range(2, SEQUENTIAL_IDS + 1)}
        talon_id = talon_id_for("🤖", taken.__contains__)
        assert re.fullmatch(r"agent-[0-9a-f]{6}", talon_id), talon_id
        long = talon_id_for("n" * 200, lambda c: not c.startswith("n" * 57 + "-"))
        assert len(long) == 64 and re.fullmatch(r"n{57}-[0-9a-f]{6}", long)

    def test_batches_readable_ids_first_then_random_ones(self) -> None:
        batches = talon_id_batches("Jarvis")
        first, second, third = next(batches), next(batches), next(batches)
        # the reserved id is left out, never offered for a lookup
        assert first == [f"jarvis-{n}" for n in range(2, SEQUENTIAL_IDS + 1)]
        assert len(second) == len(third) == RANDOM_BATCH and not set(second) & set(third)
        assert all(re.fullmatch(r"jarvis-[0-9a-f]{6}", c) for c in second + third)
        assert next(talon_id_batches("main", reserved={"main", "main-2"}))[0] == "main-3"

    def test_long_name_with_suffix_stays_64(self) -> None:
        name = "n" * 200
        first = talon_id_for(name, lambda _: False)
        second = talon_id_for(name, {first}.__contains__)
        assert len(first) == 64 and len(second) == 64 and second.endswith("-2")

    def test_ids_work_against_the_gateway(self, talon: TalonServer, client: TalonClient) -> None:
        for name in ("Café Crème", "a:b c", "x" * 200):
            talon_id = talon_id_for(name, talon.agents.__contains__)
            assert client.create(payload(talon_id, name=name)).ok
            assert client.update(payload(talon_id, name=name)).ok
        assert len(talon.sub_agents) == 3


class TestBuildPayload:
    def test_shape(self) -> None:
        body = build_payload(
            talon_id="a", name="A", role="", model="ollama/llama3.2:latest", soul="s",
            api_key=None, base_url="http://localhost:11434",
        )
        assert body == {
            "id": "a", "name": "A", "role": "", "model": "ollama/llama3.2:latest",
            "baseUrl": "http://localhost:11434", "systemPrompt": "s", "soul": "s",
        }

    def test_none_role_becomes_empty_string(self) -> None:
        body = build_payload(talon_id="a", name="A", role=None, model="openai/gpt-4o")
        assert body["role"] == ""
        assert None not in body.values()


class TestWrongGatewayUrl:
    """A TALON_GATEWAY_URL that points at some other web server is never 'synced'."""

    def test_plain_404_on_delete_is_not_already_gone(self) -> None:
        from standins.providers import OllamaServer

        with OllamaServer() as other:  # answers a text/plain "404 page not found"
            client = TalonClient(other.base_url, TALON_DEMO_TOKEN)
            deleted = client.delete("scout")
            created = client.create(payload())
        assert deleted.status == "failed" and deleted.http_status == 404
        assert "without /v1" in deleted.error
        assert created.status == "failed"

    def test_trailing_slash_is_harmless(self, talon: TalonServer) -> None:
        assert TalonClient(talon.base_url + "/", TALON_DEMO_TOKEN).create(payload()).ok
        assert talon.requests[-1].path == "/v1/agents"

    def test_empty_replies_are_not_success(self) -> None:
        from standins.providers import Reply

        class Blank(TalonServer):
            """A proxy that answers every request with an empty body."""

            status = 404

            def route(self, request):  # type: ignore[override]
                return Reply(self.status, None)

        with Blank() as blank:
            client = TalonClient(blank.base_url, TALON_DEMO_TOKEN)
            assert client.delete("scout").status == "failed"
            blank.status = 200
            assert client.create(payload()).status == "failed"
            blank.status = 204
            assert client.delete("scout").ok


def test_a_netrc_entry_never_replaces_the_bearer_token(tmp_path, monkeypatch) -> None:
    from standins.talon import TalonServer

    with TalonServer(token="right-token") as talon:
        netrc = tmp_path / ".netrc"
        netrc.write_text("machine 127.0.0.1 login someone password wrong\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        client = TalonClient(talon.base_url, "right-token")
        outcome = client.create(
            build_payload(talon_id="n1", name="N", role="", model="openai/gpt-4o")
        )
        assert outcome.status == "synced", outcome


def test_talon_error_echoing_a_glued_key_fragment_is_redacted() -> None:
    text = '{"error": "field apiKey=' + LONG_KEY[:30] + ' is not allowed"}'
    message = _gateway_message(text, [LONG_KEY])
    assert LONG_KEY[:12] not in message and "not allowed" in message


class TestBounds:
    """Each gateway call has a total deadline and its answer a size cap."""

    def test_trickling_gateway_is_too_slow_at_the_deadline(self, talon: TalonServer) -> None:
        talon.mode, talon.trickle_seconds = "trickle", 0.05
        client = TalonClient(talon.base_url, TALON_DEMO_TOKEN, read_timeout=1, deadline=0.5)
        started = time.monotonic()
        outcome = client.create(payload())
        elapsed = time.monotonic() - started
        assert outcome.status == "failed"
        assert outcome.error == (
            f"The Talon gateway at {talon.base_url} answered too slowly: no complete answer "
            "within 0.5 s (TASK_MASTER_LLM_TALON_DEADLINE). Is it overloaded? Retry later.")
        assert elapsed < 0.5 + 1

    def test_trickling_headers_are_cut_at_the_deadline(self, talon: TalonServer) -> None:
        talon.mode, talon.trickle_seconds = "trickle-headers", 0.05
        client = TalonClient(talon.base_url, TALON_DEMO_TOKEN, read_timeout=1, deadline=0.5)
        started = time.monotonic()
        outcome = client.create(payload())
        assert time.monotonic() - started < 0.5 + 1
        assert outcome.status == "failed"
        assert "answered too slowly: no complete answer within 0.5 s" in (outcome.error or "")

    def test_stalled_answer_is_too_slow_not_unreachable(self, talon: TalonServer) -> None:
        talon.mode, talon.trickle_seconds = "trickle", 0.6
        client = TalonClient(talon.base_url, TALON_DEMO_TOKEN, read_timeout=0.2, deadline=5)
        outcome = client.create(payload())
        assert outcome.status == "failed"
        assert "answered too slowly: its answer stalled for more than 0.2 s" in outcome.error
        assert "could not be reached" not in outcome.error

    def test_endless_listing_is_cut_at_the_listing_cap(self, talon: TalonServer) -> None:
        client = TalonClient(talon.base_url, TALON_DEMO_TOKEN, max_listing_bytes=256 * 1024)
        talon.mode = "endless"
        reading = client.list_agents()
        assert reading.outcome.status == "failed" and reading.body is None
        assert reading.outcome.error is not None
        assert reading.outcome.error.startswith(
            f"The Talon gateway at {talon.base_url} sent more than 256 KB")
        assert "TASK_MASTER_LLM_MAX_LISTING_BYTES" in reading.outcome.error
        assert talon.endless_sent < 16 * 1024 * 1024, "the client stopped reading at the cap"

    def test_listing_has_the_larger_cap(self, talon: TalonServer) -> None:
        client = TalonClient(talon.base_url, TALON_DEMO_TOKEN, max_response_bytes=2048,
                             max_listing_bytes=1024 * 1024)
        soul = "Be thorough. " * 400  # the echo of the agent is ~5 KB
        created = client.create(payload(soul=soul))
        assert created.status == "failed"
        assert "sent more than 2 KB" in (created.error or "")
        assert "TASK_MASTER_LLM_MAX_RESPONSE_BYTES" in (created.error or "")
        listed = client.list_agents()
        assert listed.outcome.ok
        assert "scout" in {a["id"] for a in listed.body["data"]}
