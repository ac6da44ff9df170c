"""Every outbound call has a total deadline and a size cap (issue 10, items 4 and 5),
through the HTTP API against real stand-in servers on 127.0.0.1: a provider that trickles
its answer, one whose body never ends, a model list full of duplicates, a gateway that
trickles, and an Ollama whose /api/show hangs for every model."""

from __future__ import annotations

import time
import tracemalloc

import pytest

import standins.providers._base as fake_base
from standins.providers import GoogleServer, OllamaServer, OpenAICompatibleServer
from tests.support import gateway_app, login, make_agent, make_app, make_provider

DEADLINE = 1.0
#: what a cut may take beyond the deadline (closing, the app's own work, a loaded machine)
MARGIN = 1.5


def admin_of(app):
    return login(app, "admin")


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


# --- a provider that trickles -------------------------------------------------------

@pytest.fixture
def trickling_google():
    # 20 bytes a second: the ~600-byte answers would take half a minute
    with GoogleServer(mode="trickle", trickle_seconds=0.05) as server:
        yield server


def test_trickling_provider_is_cut_at_the_deadline_on_test(db, trickling_google):
    app = make_app(db, TASK_MASTER_LLM_HTTP_DEADLINE=DEADLINE)
    admin = admin_of(app)
    pid = make_provider(admin, "google", apiKey=trickling_google.DEMO_KEY,
                        baseUrl=trickling_google.base_url)["id"]
    res, elapsed = timed(lambda: admin.post(f"/api/llm/providers/{pid}/test"))
    assert res.status_code == 200
    data = res.json["data"]
    assert (data["status"], data["errorKind"]) == ("invalid", "timeout")
    assert data["message"].startswith("Google answered too slowly (no complete answer "
                                      f"within {DEADLINE:g} s from 127.0.0.1:")
    assert elapsed < DEADLINE + MARGIN
    stored = admin.get(f"/api/llm/providers/{pid}").json["data"]
    assert stored["status"] == "invalid" and stored["lastErrorKind"] == "timeout"


def test_trickling_provider_is_cut_at_the_deadline_on_discover(db, trickling_google):
    app = make_app(db, TASK_MASTER_LLM_HTTP_DEADLINE=DEADLINE)
    admin = admin_of(app)
    pid = make_provider(admin, "google", apiKey=trickling_google.DEMO_KEY,
                        baseUrl=trickling_google.base_url)["id"]
    res, elapsed = timed(lambda: admin.get(f"/api/llm/providers/{pid}/discover"))
    assert res.status_code == 502
    error = res.json["error"]
    assert error["errorKind"] == "timeout"
    assert "Google answered too slowly" in error["message"]
    assert f"within {DEADLINE:g} s" in error["message"]
    assert elapsed < DEADLINE + MARGIN


def test_trickling_headers_are_cut_at_the_deadline(db):
    # the status line and headers come one byte at a time, each within the read timeout
    with GoogleServer(mode="trickle-headers", trickle_seconds=0.05) as server:
        app = make_app(db, TASK_MASTER_LLM_HTTP_DEADLINE=DEADLINE)
        admin = admin_of(app)
        pid = make_provider(admin, "google", apiKey=server.DEMO_KEY,
                            baseUrl=server.base_url)["id"]
        res, elapsed = timed(lambda: admin.post(f"/api/llm/providers/{pid}/test"))
    data = res.json["data"]
    assert (data["status"], data["errorKind"]) == ("invalid", "timeout")
    assert data["message"].startswith("Google answered too slowly (no complete answer")
    assert elapsed < DEADLINE + MARGIN


def test_a_stalled_answer_is_too_slow_not_unreachable(db):
    # each byte comes after more than the read timeout: a read timeout mid-body
    with GoogleServer(mode="trickle", trickle_seconds=0.8) as server:
        app = make_app(db, TASK_MASTER_LLM_READ_TIMEOUT=0.3, TASK_MASTER_LLM_HTTP_DEADLINE=5)
        admin = admin_of(app)
        pid = make_provider(admin, "google", apiKey=server.DEMO_KEY,
                            baseUrl=server.base_url)["id"]
        res, elapsed = timed(lambda: admin.post(f"/api/llm/providers/{pid}/test"))
    data = res.json["data"]
    assert data["errorKind"] == "timeout"
    assert "Google answered too slowly" in data["message"]
    assert "stalled for more than 0.3 s" in data["message"]
    assert elapsed < 0.8 + MARGIN


# --- a body that never ends ---------------------------------------------------------

def test_endless_body_is_cut_at_the_cap_in_bounded_memory(db, monkeypatch):
    # without a cap the client would read all of this (and hold it) before failing
    monkeypatch.setattr(fake_base, "ENDLESS_LIMIT", 64 * 1024 * 1024)
    cap = 1024 * 1024
    app = make_app(db, TASK_MASTER_LLM_MAX_LISTING_BYTES=cap)
    admin = admin_of(app)
    with OpenAICompatibleServer() as server:
        pid = make_provider(admin, "openai_compatible", baseUrl=server.base_url,
                            apiKey=server.DEMO_KEY)["id"]
        server.mode = "endless"
        tracemalloc.start()
        try:
            res, elapsed = timed(lambda: admin.get(f"/api/llm/providers/{pid}/discover"))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        sent = server.endless_sent
    assert res.status_code == 502
    error = res.json["error"]
    assert error["errorKind"] == "bad_response"
    assert error["message"].startswith("OpenAI-compatible sent more than 1 MB (from 127.0.0.1:")
    assert "TASK_MASTER_LLM_MAX_LISTING_BYTES" in error["message"]
    # the cap plus a chunk, its copies while growing, and the app's own work
    assert peak < 6 * cap, f"peak {peak} bytes"
    assert sent < 32 * cap, f"the client kept reading: {sent} bytes sent"
    assert elapsed < 10


def test_test_calls_have_the_smaller_cap(db):
    app = make_app(db, TASK_MASTER_LLM_MAX_RESPONSE_BYTES=4096,
                   TASK_MASTER_LLM_MAX_LISTING_BYTES=10 * 1024 * 1024)
    admin = admin_of(app)
    with OpenAICompatibleServer() as server:
        server.models = [{"id": f"model-{i:05d}", "object": "model"} for i in range(2000)]
        pid = make_provider(admin, "openai_compatible", baseUrl=server.base_url,
                            apiKey=server.DEMO_KEY)["id"]
        tested = admin.post(f"/api/llm/providers/{pid}/test").json["data"]
        found = admin.get(f"/api/llm/providers/{pid}/discover")
    assert (tested["status"], tested["errorKind"]) == ("invalid", "bad_response")
    assert tested["message"].startswith("OpenAI-compatible sent more than 4 KB")
    assert "TASK_MASTER_LLM_MAX_RESPONSE_BYTES" in tested["message"]
    assert found.status_code == 200 and len(found.json["data"]["items"]) == 2000


# --- a list full of duplicates ------------------------------------------------------

def test_discovered_ids_are_deduplicated(db):
    app = make_app(db)
    admin = admin_of(app)
    unique = [{"id": f"model-{i}", "object": "model"} for i in range(5)]
    with OpenAICompatibleServer() as server:
        server.models = [*unique, *([{"id": "model-0", "object": "model"},
                                     {"id": "model-3", "object": "model"}] * 50_000)]
        pid = make_provider(admin, "openai_compatible", baseUrl=server.base_url,
                            apiKey=server.DEMO_KEY)["id"]
        res, elapsed = timed(lambda: admin.get(f"/api/llm/providers/{pid}/discover"))
    assert res.status_code == 200
    assert [m["providerModelId"] for m in res.json["data"]["items"]] == [m["id"] for m in unique]
    assert elapsed < 10


# --- a gateway that trickles --------------------------------------------------------

def test_trickling_gateway_on_agent_create_is_too_slow_and_failed(db, talon):
    app = gateway_app(db, talon, TASK_MASTER_LLM_TALON_DEADLINE=DEADLINE)
    member = login(app, "member")
    admin = admin_of(app)
    talon.trickle_seconds = 0.05
    talon.mode = "trickle"
    agent, elapsed = timed(lambda: make_agent(member, "Trickle", model="openai/gpt-4o"))
    talon.mode = "normal"
    sync = agent["talonSync"]
    assert sync["status"] == "failed"
    assert sync["error"].startswith("The Talon gateway answered too slowly: no complete "
                                    f"answer within {DEADLINE:g} s")
    assert "could not be reached" not in sync["error"]
    assert elapsed < DEADLINE + MARGIN
    as_admin = admin.get(f"/api/agents/{agent['id']}").json["data"]["talonSync"]
    assert as_admin["status"] == "failed"
    assert f"The Talon gateway at {talon.base_url} answered too slowly" in as_admin["error"]
    assert db.Agent.find_one({})["talonSyncStatus"] == "failed"
    # owed, not lost: a sync once the gateway is quick again delivers it
    res = admin.post(f"/api/agents/{agent['id']}/sync")
    assert res.status_code == 200, res.json
    assert res.json["data"]["talonSync"]["status"] == "synced"


# --- Ollama: one deadline for the whole discovery -----------------------------------

def test_ollama_discovery_with_hanging_show_lists_models_without_details(db):
    app = make_app(db, TASK_MASTER_LLM_HTTP_DEADLINE=DEADLINE)
    admin = admin_of(app)
    # every /api/show waits 60 s (until the server stops): 40 models, 8 at a time
    with OllamaServer(model_count=40, show_delay=60) as server:
        pid = make_provider(admin, "ollama", baseUrl=server.base_url)["id"]
        res, elapsed = timed(lambda: admin.get(f"/api/llm/providers/{pid}/discover"))
        tags = [m["name"] for m in server.models]
    assert res.status_code == 200, res.json
    models = res.json["data"]["items"]
    listed = [m["providerModelId"] for m in models]
    # without details only the name says what a model is: nomic-embed-text is left out
    assert listed == [t for t in tags if "embed" not in t]
    assert len(listed) == 39
    for model in models:
        assert model["detailsMissing"] is True
        assert model["note"].startswith("Listed without its details: /api/show failed "
                                        "(timeout): Ollama answered too slowly")
        assert model["contextWindow"] is None or model["meta"]["sources"]["contextWindow"]
    assert elapsed < DEADLINE + MARGIN


def test_ollama_discovery_with_quick_show_has_details(db):
    app = make_app(db, TASK_MASTER_LLM_HTTP_DEADLINE=5)
    admin = admin_of(app)
    with OllamaServer() as server:
        pid = make_provider(admin, "ollama", baseUrl=server.base_url)["id"]
        models = admin.get(f"/api/llm/providers/{pid}/discover").json["data"]["items"]
    assert models and all(m["detailsMissing"] is False and m["note"] is None for m in models)
    assert all(m["contextWindow"] for m in models)
