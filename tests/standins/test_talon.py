"""The local Talon gateway honours its contract (checked with plain requests)."""

from __future__ import annotations

import threading

import requests

from standins.talon import TALON_DEMO_TOKEN, TalonServer

TIMEOUT = (2, 5)


class TestTalonServer:
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TALON_DEMO_TOKEN}"}

    def test_contract(self, http: requests.Session) -> None:
        with TalonServer() as talon:
            url = talon.base_url + "/v1/agents"
            agent = {"id": "a1", "name": "A", "role": "", "model": "openai/gpt-4o", "x": 1}
            assert http.post(url, json=agent, timeout=TIMEOUT).status_code == 401
            assert http.post(url, json=agent, timeout=TIMEOUT).json() == {
                "error": {"message": "Unauthorized", "type": "unauthorized"}}
            created = http.post(url, json=agent, headers=self.auth(), timeout=TIMEOUT)
            assert created.status_code == 201 and "x" not in created.json()
            nulls = http.post(url, json=dict(agent, guardrails=None), headers=self.auth(),
                              timeout=TIMEOUT)
            bad_id = http.post(url, json=dict(agent, id="A B"), headers=self.auth(),
                               timeout=TIMEOUT)
            patch = http.patch(url + "/a1", json={}, headers=self.auth(), timeout=TIMEOUT)
            huge = http.post(url, json=dict(agent, description="x" * 1_100_000),
                             headers=self.auth(), timeout=TIMEOUT)
            listed = http.get(url, headers=self.auth(), timeout=TIMEOUT).json()
            one = http.get(url + "/a1", headers=self.auth(), timeout=TIMEOUT).json()
            assert (nulls.status_code, bad_id.status_code, patch.status_code) == (400, 400, 405)
            assert huge.status_code == 413
            assert [a["id"] for a in listed["agents"]] == ["a1"] and one["model"]
            assert talon.requests[2].body["x"] == 1  # the log keeps what was sent

    def test_concurrent_writes_are_all_kept(self) -> None:
        with TalonServer() as talon:
            def push(i: int) -> None:
                requests.post(talon.base_url + "/v1/agents", headers=self.auth(), timeout=TIMEOUT,
                              json={"id": f"a{i}", "name": "n", "role": "r", "model": "m/m"})

            threads = [threading.Thread(target=push, args=(i,)) for i in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(talon.agents) == 20
