"""The Activity tab in a real browser: recent audit events (when, who, action, target,
outcome), filters by action and target, the pager, and no key material anywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN, LiveApp, create_agent, login, seed
from tests.support import CANARY_KEY

pytestmark = pytest.mark.browser


def open_activity(page) -> None:
    page.goto("/llm")
    page.get_by_role("tab", name="Activity").click()
    expect(page.get_by_role("tab", name="Activity")).to_have_attribute("aria-selected", "true")


def test_activity_shows_filters_and_pages_the_events(page, live: LiveApp) -> None:
    login(page, ADMIN)
    seeded = seed(page, live, models=2)
    provider = seeded["provider"]
    model = seeded["models"][0]
    create_agent(page, "Scribe", model["id"])
    google = live.providers["google"]
    wrong = page.request.post("/api/llm/providers", data={
        "name": "Wrong key", "providerType": "google", "apiKey": "not-a-valid-key",
        "baseUrl": google.base_url})
    assert wrong.status == 201, wrong.text()
    tested = page.request.post(f"/api/llm/providers/{wrong.json()['data']['id']}/test",
                               data={})
    assert tested.json()["data"]["status"] == "invalid"

    open_activity(page)
    rows = page.locator("#activity-body tr")
    expect(rows.first).to_have_attribute("data-action", "provider.tested")
    first = rows.first
    expect(first).to_contain_text("Provider tested")
    expect(first).to_contain_text("admin")
    expect(first).to_contain_text("Wrong key")
    expect(first).to_have_attribute("data-outcome", "failed")
    expect(first).to_contain_text("Failed")
    expect(first).to_contain_text("auth")
    expect(page).to_have_url(re.compile(r"#activity$"))

    created = page.locator('#activity-body tr[data-action="agent.created"]')
    expect(created).to_have_count(1)
    expect(created).to_contain_text("Scribe")
    expect(created).to_have_attribute("data-outcome", "ok")

    # one action
    page.get_by_label("Action").select_option("provider.key_set")
    expect(rows).to_have_count(2)
    for index in range(2):
        expect(rows.nth(index)).to_have_attribute("data-action", "provider.key_set")
        expect(rows.nth(index)).to_contain_text(re.compile(r"key fingerprint [0-9a-f]{16}"))
    # one target: its name filters the list to its events, of every action
    page.get_by_label("Action").select_option("")
    page.locator("#activity-body").get_by_role(
        "button", name=model["providerModelId"], exact=True).click()
    expect(page.locator("#activity-target-text")).to_contain_text(model["providerModelId"])
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-action", "model.registered")
    page.get_by_role("button", name="Show all targets").click()
    expect(page.locator("#activity-target")).to_be_hidden()
    page.get_by_label("Target").select_option("agent")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Scribe")
    page.get_by_label("Target").select_option("model")
    # one registration of two models: one event, about the provider and both models
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".llm-related")).to_have_text(
        "2 models: " + ", ".join(m["providerModelId"] for m in seeded["models"]))
    page.get_by_label("Action").select_option("agent")
    expect(page.locator("#activity-empty")).to_have_text("No activity matches this filter.")
    page.get_by_label("Action").select_option("")
    page.get_by_label("Target").select_option("")

    # more events than a page: newer and older pages
    for enabled in [False, True] * 14:
        res = page.request.patch(f"/api/llm/models/{model['id']}", data={"enabled": enabled})
        assert res.status == 200, res.text()
    total = live.db.LlmAuditEvent.count_documents({})
    assert total > 25
    page.get_by_role("button", name="Refresh").click()
    info = page.locator("#activity-page-info")
    expect(info).to_have_text("1–25")  # not counted: the total shows once the end is read
    expect(rows).to_have_count(25)
    expect(rows.first).to_have_attribute("data-action", "model.enabled")
    page.get_by_role("button", name="Older").click()
    expect(info).to_have_text(f"26–{total} of {total}")
    expect(rows).to_have_count(total - 25)
    expect(rows.last).to_have_attribute("data-action", "provider.created")
    expect(rows.last).to_contain_text(provider["name"])
    expect(page.get_by_role("button", name="Older")).to_be_disabled()
    page.get_by_role("button", name="Newer").click()
    expect(info).to_have_text("1–25")
    expect(page.get_by_role("button", name="Newer")).to_be_disabled()

    # a larger registration names its first five models and counts the others
    res = page.request.post("/api/llm/models", data={"providerId": provider["id"], "models": [
        {"providerModelId": f"extra-{i}"} for i in range(7)]})
    assert res.status == 201, res.text()
    page.get_by_role("button", name="Refresh").click()
    expect(rows.first).to_have_attribute("data-action", "model.registered")
    expect(rows.first.locator(".llm-related")).to_have_text(
        "7 models: extra-0, extra-1, extra-2, extra-3, extra-4 and 2 more")
    rows.first.get_by_role("button", name="extra-3", exact=True).click()
    expect(page.locator("#activity-target-text")).to_contain_text("extra-3")
    expect(rows).to_have_count(1)
    assert not page.console_errors, page.console_errors


def test_the_activity_view_never_shows_a_key(page, live: LiveApp) -> None:
    google = live.providers["google"]
    google.valid_keys = {google.DEMO_KEY, CANARY_KEY}
    login(page, ADMIN)
    created = page.request.post("/api/llm/providers", data={
        "name": "Canary", "providerType": "google", "apiKey": CANARY_KEY,
        "baseUrl": google.base_url})
    assert created.status == 201
    pid = created.json()["data"]["id"]
    page.request.post(f"/api/llm/providers/{pid}/test", data={})
    page.request.patch(f"/api/llm/providers/{pid}", data={"apiKey": CANARY_KEY})
    page.goto("/llm#activity")
    rows = page.locator("#activity-body tr")
    expect(rows.first).to_have_attribute("data-action", re.compile(r"^(provider|gateway)"))
    expect(page.locator('#activity-body tr[data-action="provider.key_replaced"]')).to_have_count(1)
    html = page.content()
    assert CANARY_KEY not in html and CANARY_KEY[:-4] not in html
    assert "****" + CANARY_KEY[-4:] not in page.locator("#activity-body").inner_text()
    audit = [body for url, _status, body in live.responses if "/api/llm/audit" in url]
    assert audit and all(body is not None and CANARY_KEY.encode() not in body for body in audit)
