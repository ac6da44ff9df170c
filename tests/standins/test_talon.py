"""The local Talon gateway honours its contract (checked with plain requests)."""

from __future__ import annotations

import threading

import pytest
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
            listed = http.get(url, headers=self.auth(), timeout=TIMEOUT).json()
            one = http.get(url + "/a1", headers=self.auth(), timeout=TIMEOUT).json()
            # any string id is accepted (as the real gateway's zod schema does)
            assert (nulls.status_code, bad_id.status_code, patch.status_code) == (400, 201, 405)
            with pytest.raises(requests.ConnectionError):  # over 1 MB: the socket is destroyed
                http.post(url, json=dict(agent, description="x" * 1_100_000),
                          headers=self.auth(), timeout=TIMEOUT)
            assert sorted(a["id"] for a in listed["data"]) == ["A B", "a1", "jarvis"]
            assert one["model"] and one["parentAgentId"] == "jarvis"
            assert talon.requests[2].body["x"] == 1  # the log keeps what was sent

    def test_put_validates_the_whole_body_then_merges(self, http: requests.Session) -> None:
        with TalonServer() as talon:
            url = talon.base_url + "/v1/agents/a1"
            full = {"id": "a1", "name": "A", "role": "", "model": "openai/gpt-4o",
                    "guardrails": "g"}
            assert http.put(url, json=full, headers=self.auth(), timeout=TIMEOUT).status_code == 201
            partial = http.put(url, json={"id": "a1", "name": "B"}, headers=self.auth(),
                               timeout=TIMEOUT)
            assert partial.status_code == 400 and "role" in partial.json()["error"]
            again = http.put(url, json=dict(full, guardrails=None, name="B"), headers=self.auth(),
                             timeout=TIMEOUT)
            assert again.status_code == 400  # null refused
            merged = http.put(url, json={k: v for k, v in full.items() if k != "guardrails"}
                              | {"name": "B"}, headers=self.auth(), timeout=TIMEOUT)
            assert merged.status_code == 200
            assert merged.json()["name"] == "B" and merged.json()["guardrails"] == "g"
            fallback = dict(full, model={"primary": "openai/gpt-4o", "fallbacks": ["x/y"]})
            assert http.put(url, json=fallback, headers=self.auth(),
                            timeout=TIMEOUT).status_code == 200
            assert talon.agents["a1"]["model"]["fallbacks"] == ["x/y"]

    def test_the_system_agent(self, http: requests.Session) -> None:
        with TalonServer() as talon:
            url = talon.base_url + "/v1/agents"
            body = {"id": "jarvis", "name": "Mine", "role": "r", "model": "openai/gpt-4o",
                    "apiKey": "sk-x", "baseUrl": "http://x"}
            assert http.post(url, json=body, headers=self.auth(), timeout=TIMEOUT).ok
            jarvis = talon.agents["jarvis"]
            assert jarvis["isSystem"] and jarvis["name"] == "Jarvis"
            assert "apiKey" not in jarvis and "baseUrl" not in jarvis
            assert jarvis["model"] == "openai/gpt-4o"  # rebuilt from the body's kept fields
            gone = http.delete(url + "/jarvis", headers=self.auth(), timeout=TIMEOUT)
            assert gone.status_code == 404 and "jarvis" in talon.agents
            no_id = http.delete(url, headers=self.auth(), timeout=TIMEOUT)
            assert no_id.status_code == 400

    def test_credential_store(self, http: requests.Session) -> None:
        with TalonServer() as talon:
            auth = talon.base_url + "/v1/auth"
            agent = {"id": "a1", "name": "A", "role": "", "model": "google/gemini-2.0-flash",
                     "apiKey": "sk-in-the-body"}
            http.post(talon.base_url + "/v1/agents", json=agent, headers=self.auth(),
                      timeout=TIMEOUT)
            ok = http.post(auth + "/exchange", json={"provider": "Google", "apiKey": "sk-g"},
                           headers=self.auth(), timeout=TIMEOUT)
            assert ok.json() == {"ok": True, "provider": "google", "mode": "api_key"}
            assert talon.credentials == {"google": {"key": "sk-g", "baseUrl": None}}
            assert talon.runtime_key("a1", "google") == "sk-g"  # never the body's apiKey
            local = http.post(auth + "/exchange",
                              json={"provider": "ollama", "baseUrl": "http://127.0.0.1:11434"},
                              headers=self.auth(), timeout=TIMEOUT)
            assert local.json()["mode"] == "baseUrl"
            for bad, message in (({"provider": "azure", "apiKey": "k"}, "Unsupported provider"),
                                 ({"provider": "openai"}, "Missing code, apiKey or baseUrl")):
                reply = http.post(auth + "/exchange", json=bad, headers=self.auth(),
                                  timeout=TIMEOUT)
                assert reply.status_code == 400 and reply.json() == {"error": message}
            status = http.get(auth + "/providers", headers=self.auth(), timeout=TIMEOUT).json()
            assert status["google"] == {"connected": True, "hasOauth": False,
                                        "hasApiKey": True, "profileCount": 1}
            assert status["ollama"]["baseUrl"] == "http://127.0.0.1:11434"
            assert not status["ollama"]["hasApiKey"] and not status["openai"]["connected"]
            assert "sk-g" not in str(status)
            removed = http.post(auth + "/remove", json={"provider": "google"},
                                headers=self.auth(), timeout=TIMEOUT)
            assert removed.json() == {"ok": True, "provider": "google", "removedProfiles": 1}
            assert talon.runtime_key("a1", "google") is None

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
            assert len(talon.sub_agents) == 20
