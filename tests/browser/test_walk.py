"""The demo walk in a real browser, from an empty registry to an agent synced to Talon,
plus the page's secrecy: no key material in the HTML or in any response it loads."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN,
    MEMBER,
    LiveApp,
    add_provider,
    login,
    logout,
    select_starting_with,
)
from tests.support import CANARY_KEY

pytestmark = pytest.mark.browser


def discover_and_register(page, provider_name: str, count: int) -> list[str]:
    """Open Discover, fetch the provider's models, tick the first ``count``, add them."""
    page.get_by_role("tab", name="Models").click()
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    select_starting_with(dialog.get_by_label("Provider"), provider_name)
    dialog.get_by_role("button", name="Fetch models").click()
    items = dialog.locator("#discover-list > li")
    expect(items.first).to_be_visible()
    boxes = dialog.locator("#discover-list input[type=checkbox]:not([disabled])")
    ids = []
    for i in range(count):
        box = boxes.nth(i)
        box.check()
        ids.append(box.locator("xpath=..").locator(".llm-mono").inner_text())
    add = dialog.get_by_role("button", name=f"Add {count} to Registry")
    add.click()
    expect(dialog).to_be_hidden()
    return ids


def test_walk_from_empty_registry_to_synced_agent(page, live: LiveApp, timings) -> None:
    """Admin registers Google, tests, discovers, registers two models, turns one off; a
    member creates an agent on the enabled one; it shows synced and the gateway holds it."""
    google = live.providers["google"]
    started = time.perf_counter()

    # admin: provider
    login(page, ADMIN)
    page.get_by_role("link", name="LLM Registry").click()
    expect(page.get_by_role("heading", name="LLM Registry")).to_be_visible()
    expect(page.locator("#providers-empty")).to_be_visible()
    add_provider(page, "Google AI", "Google",
                 {"API key": google.DEMO_KEY, "Base URL": google.base_url})
    row = page.locator('tr[data-provider-name="Google AI"]')
    row.get_by_role("button", name="Test").click()
    expect(row.locator("output.llm-test-result")).to_contain_text("Check passed")
    expect(row.locator(".llm-status-valid")).to_be_visible()
    expect(row.locator("output.llm-test-result")).to_contain_text(re.compile(r"\d+ ms"))

    # admin: discover and register two models, turn one off
    enabled_id, disabled_id = discover_and_register(page, "Google AI", 2)
    models = page.locator("#models-body tr")
    expect(models).to_have_count(2)
    off_row = page.locator(f'#models-body tr[data-provider-model-id="{disabled_id}"]')
    off_row.get_by_role("switch").uncheck()
    expect(page.locator("#llm-flash")).to_contain_text("disabled")
    expect(off_row.get_by_role("switch")).not_to_be_checked()
    page.reload()
    page.get_by_role("tab", name="Models").click()
    expect(page.locator(f'#models-body tr[data-provider-model-id="{disabled_id}"]')
           .get_by_role("switch")).not_to_be_checked()
    expect(page.locator(f'#models-body tr[data-provider-model-id="{enabled_id}"]')
           .get_by_role("switch")).to_be_checked()
    logout(page)

    # member: create the agent
    login(page, MEMBER)
    page.get_by_role("link", name="Agents").first.click()
    expect(page.get_by_role("heading", name="Agents")).to_be_visible()
    # a link click does not wait for the page's modules: the heading and the button are in
    # the HTML before the JS wires them, so wait for the page to say it is ready
    expect(page.locator("#llm-app[data-ready=true]")).to_have_count(1)
    page.get_by_role("button", name="Create Agent").click()
    dialog = page.get_by_role("dialog", name="Create Agent")
    dialog.get_by_label("Name").fill("Release Scribe")
    dialog.get_by_label("Role").fill("Writes release notes")
    provider_select = dialog.get_by_label("Provider")
    expect(provider_select.locator("option", has_text="Google AI")).to_have_count(1)
    select_starting_with(provider_select, "Google AI")
    model_select = dialog.get_by_label("Model", exact=True)
    options = model_select.locator("option")
    texts = [t for t in options.all_inner_texts()]
    values = [v for v in options.evaluate_all("els => els.map(e => e.value)") if v]
    assert len(values) == 1, texts
    registered = {m["providerModelId"]: str(m["_id"])
                  for m in live.app.extensions["task_master_llm"].stores.models.collection.find()}
    assert values == [registered[enabled_id]]
    model_select.select_option(value=values[0])
    dialog.get_by_label(re.compile("^Soul")).fill("Precise and kind.")
    dialog.get_by_label(re.compile("^Guardrails")).fill("Never publish without review.")
    dialog.get_by_role("button", name="Create Agent").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#llm-flash")).to_contain_text("Synced to Talon")
    agent_row = page.locator('tr[data-agent-name="Release Scribe"]')
    expect(agent_row.locator(".llm-sync-synced")).to_be_visible()
    elapsed = time.perf_counter() - started
    expect(agent_row).to_contain_text(enabled_id)
    expect(agent_row).to_contain_text("Google AI")

    # the gateway holds it, with the provider's key and base URL
    agents = live.talon.sub_agents
    assert len(agents) == 1, agents
    (held,) = agents.values()
    assert held["name"] == "Release Scribe"
    assert held["model"] == f"google/{enabled_id}"
    assert held["apiKey"] == google.DEMO_KEY
    print(f"\nempty registry -> synced agent in the browser: {elapsed:.1f} s")
    timings.append(("empty registry -> synced agent (browser walk)", elapsed))
    assert not page.console_errors, page.console_errors


def test_no_key_material_reaches_the_page(page, live: LiveApp) -> None:
    """With the canary as a provider's key, neither the HTML nor any response the page
    loads (providers, test, discover, models, agents) contains it."""
    google = live.providers["google"]
    google.valid_keys = {google.DEMO_KEY, CANARY_KEY}
    login(page, ADMIN)
    # the canary goes in through the API (the browser's own session), not the form
    created = page.request.post(
        "/api/llm/providers",
        data={"name": "Canary", "providerType": "google", "apiKey": CANARY_KEY,
              "baseUrl": google.base_url},
    )
    assert created.status == 201, created.text()
    assert CANARY_KEY not in created.text()
    page.goto("/llm")
    row = page.locator('tr[data-provider-name="Canary"]')
    expect(row).to_contain_text("****" + CANARY_KEY[-4:])
    row.get_by_role("button", name="Test").click()
    expect(row.locator("output.llm-test-result")).to_contain_text("Check passed")
    row.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("dialog", name="Edit Canary")
    expect(edit.get_by_label(re.compile("^API key"))).to_have_value("")
    edit.get_by_role("button", name="Cancel").click()
    discover_and_register(page, "Canary", 1)
    expect(page.locator("#models-body tr")).to_have_count(1)
    page.goto("/llm/agents")
    page.get_by_role("button", name="Create Agent").click()
    dialog = page.get_by_role("dialog", name="Create Agent")
    dialog.get_by_label("Name").fill("Canary Agent")
    dialog.get_by_label("Role").fill("Checks for leaks")
    select_starting_with(dialog.get_by_label("Provider"), "Canary")
    dialog.get_by_role("button", name="Create Agent").click()
    expect(page.locator('tr[data-agent-name="Canary Agent"] .llm-sync-synced')).to_be_visible()
    assert live.talon.sub_agents, "the gateway should hold the agent (with the key)"
    for url in ("/", "/llm", "/llm/agents"):
        page.goto(url)
        assert CANARY_KEY not in page.content(), url
    page.goto("/llm#activity")  # the audit log: key events show a fingerprint only
    expect(page.locator('#activity-body tr[data-action="provider.key_set"]')).to_have_count(1)
    assert CANARY_KEY not in page.content()
    page.wait_for_load_state("networkidle")
    checked = 0
    for url, _status, body in live.responses:
        assert CANARY_KEY not in url
        if body is not None:
            checked += 1
            assert CANARY_KEY.encode() not in body, url
    assert checked >= 10, live.responses
    urls = {re.sub(r"/[0-9a-f]{24}", "/<id>", u.split("?")[0]) for u, _s, _b in live.responses}
    for expected in ("/api/llm/providers", "/api/llm/providers/<id>/test",
                     "/api/llm/providers/<id>/discover", "/api/llm/models", "/api/agents",
                     "/api/llm/audit"):
        assert any(u.endswith(expected) for u in urls), (expected, sorted(urls))
