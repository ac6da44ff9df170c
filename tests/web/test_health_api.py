"""``flask llm check-providers`` and ``GET /providers/<id>/health`` against the stand-ins."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import timedelta

import pytest
from bson import ObjectId

from standins.providers import ANTHROPIC_DEMO_KEY, AnthropicServer
from task_master_llm.core.health import percentile
from task_master_llm.store import utcnow
from tests.support import make_app


@pytest.fixture
def health_app(db):
    return make_app(db, TASK_MASTER_LLM_HEALTH_HISTORY=6, TASK_MASTER_LLM_HEALTH_FAILURES=2,
                    TASK_MASTER_LLM_MAX_RETRIES=0)


@pytest.fixture
def admin(health_app):
    client = health_app.test_client()
    client.post("/test-login/admin")
    return client


@pytest.fixture
def claude() -> Iterator[AnthropicServer]:
    with AnthropicServer() as server:
        yield server  # type: ignore[misc]


def add(admin, server) -> str:
    res = admin.post("/api/llm/providers", json={
        "name": "Claude", "providerType": "anthropic", "apiKey": ANTHROPIC_DEMO_KEY,
        "baseUrl": server.base_url})
    return res.json["data"]["id"]


def check(app) -> object:
    return app.test_cli_runner().invoke(args=["llm", "check-providers"])


def nearest_rank(values: list[int], pct: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def test_history_gives_the_percentiles_the_route_reports(health_app, admin, claude, db):
    pid = add(admin, claude)
    for latency in (0.0, 0.02, 0.0, 0.05):
        claude.latency = latency
        res = check(health_app)
        assert res.exit_code == 0, res.output
        assert "Claude (anthropic): valid" in res.output and "1 checked, 0 failed." in res.output
    stored = db.LlmProviderHealth.find_one({"_id": ObjectId(pid)})["checks"]
    assert [c["outcome"] for c in stored] == ["valid"] * 4
    latencies = [c["latencyMs"] for c in stored]
    health = admin.get(f"/api/llm/providers/{pid}/health")
    assert health.status_code == 200, health.json
    data = health.json["data"]
    for window in ("last24h", "last7d"):
        assert data[window]["checks"] == 4 and data[window]["successRate"] == 1.0
        assert data[window]["p50LatencyMs"] == nearest_rank(latencies, 50)
        assert data[window]["p95LatencyMs"] == nearest_rank(latencies, 95)
    assert data["last24h"]["p95LatencyMs"] >= 50
    assert len(data["checks"]) == 4 and data["checks"][0]["at"].endswith("Z")


def test_windows_and_the_cap(health_app, admin, claude, db):
    pid = add(admin, claude)
    old = utcnow() - timedelta(days=3)
    ancient = utcnow() - timedelta(days=9)
    db.LlmProviderHealth.insert_one({"_id": ObjectId(pid), "checks": [
        {"at": ancient, "outcome": "valid", "errorKind": None, "latencyMs": 999},
        {"at": old, "outcome": "invalid", "errorKind": "timeout", "latencyMs": None},
        {"at": old, "outcome": "valid", "errorKind": None, "latencyMs": 400},
    ]})
    check(health_app)
    data = admin.get(f"/api/llm/providers/{pid}/health").json["data"]
    assert data["last24h"]["checks"] == 1
    assert data["last7d"]["checks"] == 3 and data["last7d"]["successRate"] == pytest.approx(2 / 3,
                                                                                        abs=1e-4)
    assert data["last7d"]["p95LatencyMs"] == 400
    for _ in range(5):
        check(health_app)
    stored = db.LlmProviderHealth.find_one({"_id": ObjectId(pid)})["checks"]
    assert len(stored) == 6, "capped at TASK_MASTER_LLM_HEALTH_HISTORY"
    assert all(c["at"] > old for c in stored)


def test_n_failures_make_it_invalid_and_a_success_valid_again(health_app, admin, claude,
                                                              caplog):
    caplog.set_level(logging.WARNING, logger="task_master_llm")
    pid = add(admin, claude)
    assert check(health_app).exit_code == 0
    assert admin.get(f"/api/llm/providers/{pid}").json["data"]["status"] == "valid"
    claude.valid_keys = {"rotated-elsewhere"}
    first = check(health_app)
    assert first.exit_code == 1 and "failed (auth, 1 in a row)" in first.output
    assert admin.get(f"/api/llm/providers/{pid}").json["data"]["status"] == "valid"
    second = check(health_app)
    assert "[valid -> invalid]" in second.output
    provider = admin.get(f"/api/llm/providers/{pid}").json["data"]
    assert provider["status"] == "invalid" and provider["lastErrorKind"] == "auth"
    assert provider["statusMessage"].startswith("2 checks in a row failed:")
    assert ANTHROPIC_DEMO_KEY not in second.output
    claude.valid_keys = {ANTHROPIC_DEMO_KEY}
    back = check(health_app)
    assert "[invalid -> valid]" in back.output
    assert admin.get(f"/api/llm/providers/{pid}").json["data"]["status"] == "valid"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
                and "is now" in r.getMessage()]
    assert len(warnings) == 2 and "now invalid" in warnings[0] and "now valid" in warnings[1]
    data = admin.get(f"/api/llm/providers/{pid}/health").json["data"]
    assert [c["outcome"] for c in data["checks"]] == ["valid", "invalid", "invalid", "valid"]
    assert data["checks"][1]["errorKind"] == "auth"
    assert data["last24h"]["successRate"] == 0.5 and data["consecutiveFailures"] == 0


def test_never_checked_and_unknown(admin, claude):
    pid = add(admin, claude)
    data = admin.get(f"/api/llm/providers/{pid}/health").json["data"]
    assert data["last24h"] == {"checks": 0, "successes": 0, "successRate": None,
                               "p50LatencyMs": None, "p95LatencyMs": None}
    assert admin.get(f"/api/llm/providers/{ObjectId()}/health").status_code == 404


def test_members_cannot_read_health(health_app, admin, claude):
    pid = add(admin, claude)
    member = health_app.test_client()
    member.post("/test-login/member")
    assert member.get(f"/api/llm/providers/{pid}/health").status_code == 403


def test_percentile_is_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([7], 95) == 7
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile(list(range(1, 101)), 95) == 95


def test_deleting_a_provider_forgets_its_history(health_app, admin, claude, db):
    pid = add(admin, claude)
    check(health_app)
    assert db.LlmProviderHealth.count_documents({"_id": ObjectId(pid)}) == 1
    assert admin.delete(f"/api/llm/providers/{pid}").status_code == 200
    assert db.LlmProviderHealth.count_documents({}) == 0
