"""Issue 12 on the pages in a real browser: a deprecated model's warning on both pages and
"Move agents to ...", the Discover dialog's diff (changed, no longer listed), and the
Providers tab's health from `flask llm check-providers`."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN, LiveApp, create_agent, login, seed

pytestmark = pytest.mark.browser

DEPRECATED = "claude-3-5-haiku-20241022"


def model_row(page, provider_model_id: str):
    return page.locator(f'#models-body tr[data-provider-model-id="{provider_model_id}"]')


def test_deprecated_model_warns_on_both_pages_and_moves_its_agents(page, live: LiveApp) -> None:
    login(page, ADMIN)
    seeded = seed(page, live, name="Claude", models=10, provider_type="anthropic")
    models = {m["providerModelId"]: m for m in seeded["models"]}
    agent = create_agent(page, "Retiring", models[DEPRECATED]["id"])

    page.goto("/llm/agents")
    row = page.locator("tr", has_text="Retiring")
    expect(row.locator(".llm-lifecycle-warning")).to_contain_text(
        "Deprecated, retires 2026-02-19: ask an admin to move this agent")

    page.goto("/llm#models")
    haiku = model_row(page, DEPRECATED)
    expect(haiku.locator(".llm-model-warning")).to_contain_text(
        "Deprecated by the provider. It retires on 2026-02-19. 1 agent uses it: move it")
    expect(haiku).to_contain_text("Used by 1 agent")
    move = "Move the agents of Claude Haiku 3.5 to Claude Haiku 4.5"
    haiku.get_by_role("button", name=move).click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm.get_by_role("heading")).to_contain_text("Move agents to Claude Haiku 4.5?")
    confirm.get_by_role("button", name="Move agents").click()
    expect(confirm).to_be_hidden()
    expect(page.locator("#llm-flash")).to_contain_text("Moved 1 agent to Claude Haiku 4.5.")
    expect(haiku.locator(".llm-model-warning")).to_have_count(0)
    moved = page.request.get(f"/api/agents/{agent['id']}").json()["data"]
    assert moved["llmModel"]["providerModelId"] == "claude-haiku-4-5-20251001"
    assert moved["talonSync"]["status"] == "synced"


def test_discover_dialog_shows_changed_and_no_longer_listed(page, live: LiveApp) -> None:
    login(page, ADMIN)
    server = live.providers["anthropic"]
    seed(page, live, name="Claude", models=10, provider_type="anthropic")
    listed = [m for m in server.models if m["id"] != "claude-3-haiku-20240307"]
    listed[0] = {**listed[0], "max_input_tokens": 123456}
    server.models = listed
    page.goto("/llm#models")
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    dialog.get_by_role("button", name="Fetch models").click()
    expect(dialog.locator(".llm-diff-counts")).to_contain_text(
        "0 new, 1 changed, 5 unchanged, 1 registered model no longer listed.")
    expect(dialog.locator(".llm-diff-gone")).to_contain_text("Claude Haiku 3")
    changed = dialog.locator("#discover-list > li", has=page.locator(".llm-badge-changed"))
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("changed: contextWindow")


def test_providers_tab_shows_health_from_the_checks(page, live: LiveApp) -> None:
    login(page, ADMIN)
    seed(page, live, name="Claude", models=1, provider_type="anthropic")
    page.goto("/llm")
    expect(page.locator(".llm-health")).to_contain_text("No scheduled checks yet")
    result = live.app.test_cli_runner().invoke(args=["llm", "check-providers"])
    assert result.exit_code == 0, result.output
    page.reload()
    health = page.locator(".llm-health")
    expect(health).to_contain_text("24 h: 100% ok of 1")
    expect(health.locator("svg.llm-health-chart rect")).to_have_count(1)
