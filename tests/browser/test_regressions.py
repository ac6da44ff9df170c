"""Regressions found by walking the demo as a new user: one test per fixed bug."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, MEMBER, LiveApp, login
from tests.browser.test_models_tab import create_agent, seed

pytestmark = pytest.mark.browser


def test_in_use_question_focuses_cancel_and_speaks_plainly(page, live: LiveApp) -> None:
    """The second, more destructive question ("in use, delete anyway?") puts focus back on
    Cancel, so pressing Enter twice never detaches agents, and it says what happens in
    the page's words (no "?force=true" from the API message)."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    create_agent(page, "Sticky", seeded["models"][0]["id"])
    page.goto("/llm#models")
    page.locator("#models-body tr").first.get_by_role("button", name=re.compile("^Delete")).focus()
    page.keyboard.press("Enter")
    confirm = page.locator("#confirm-dialog")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Delete model"
    expect(confirm.get_by_role("heading")).to_contain_text("is in use")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    text = confirm.locator("#confirm-text")
    expect(text).to_contain_text("1 agent uses it")
    expect(text).to_contain_text("google/")
    expect(text).not_to_contain_text("force")
    page.keyboard.press("Enter")  # Cancel
    expect(confirm).to_be_hidden()
    agents = live.app.extensions["task_master_llm"].stores.agents.collection
    agent = agents.find_one({"name": "Sticky"})
    assert str(agent.get("modelId")) == seeded["models"][0]["id"]


def test_failed_test_message_appears_once_in_the_row(page, live: LiveApp) -> None:
    """A failed Test showed the provider's message twice in the row (Status cell and the
    result under the buttons); it is shown once, under the status."""
    login(page, ADMIN)
    google = live.providers["google"]
    created = page.request.post("/api/llm/providers", data={
        "name": "Wrong key", "providerType": "google", "apiKey": "wrong-key-1234",
        "baseUrl": google.base_url})
    assert created.status == 201, created.text()
    page.goto("/llm")
    row = page.locator('tr[data-provider-name="Wrong key"]')
    row.get_by_role("button", name="Test").click()
    result = row.locator("output.llm-test-result")
    expect(result).to_contain_text("Invalid")
    message = row.locator(".llm-status-msg")
    expect(message).not_to_be_empty()
    assert row.inner_text().count(message.inner_text()) == 1, row.inner_text()
    # a valid result still carries the provider's message next to the latency
    page.request.patch(f"/api/llm/providers/{created.json()['data']['id']}",
                       data={"apiKey": google.DEMO_KEY})
    page.reload()
    row.get_by_role("button", name="Test").click()
    expect(result).to_contain_text(re.compile(r"Valid · \d+ ms \S"))


def test_discover_provider_select_fits_a_390px_dialog(page, live: LiveApp) -> None:
    """At 390 px the Discover dialog's Provider select grew past the dialog's right edge
    when a provider's name was long; it stays inside now."""
    login(page, ADMIN)
    seed(page, live, name="Google AI for the whole engineering department", models=1)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/llm#models")
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    fetch = dialog.get_by_role("button", name="Fetch models")
    for control in (dialog.get_by_label("Provider"), fetch):
        inner = control.bounding_box()
        assert inner["x"] + inner["width"] <= box["x"] + box["width"] - 8, (inner, box)


def test_field_errors_are_not_repeated_above_the_form(page, live: LiveApp) -> None:
    """A refused base URL showed "Invalid fields: baseUrl." above the form and the real
    reason under the field; a duplicate name said the same thing twice. The box above the
    form now only points at the marked field."""
    login(page, ADMIN)
    seed(page, live, models=1)
    page.goto("/llm")
    page.get_by_role("button", name="Add provider").click()
    dialog = page.get_by_role("dialog", name="Add provider")
    dialog.get_by_label("Name").fill("No scheme")
    dialog.get_by_label("Type").select_option(label="OpenAI-compatible")
    dialog.get_by_label("Base URL").fill("127.0.0.1:18105")
    dialog.get_by_role("button", name="Add provider").click()
    expect(dialog.locator("#pf-baseUrl-error")).to_contain_text("http")
    expect(dialog.locator("#provider-form-error")).to_have_text("Check the marked field.")
    expect(dialog.get_by_label("Base URL")).to_be_focused()
    dialog.get_by_label("Name").fill("Google AI")
    dialog.get_by_label("Type").select_option(label="Google")
    dialog.get_by_label("API key").fill("anything")
    dialog.get_by_label("Base URL").fill("")
    dialog.get_by_role("button", name="Add provider").click()
    expect(dialog.locator("#pf-name-error")).to_contain_text("already exists")
    expect(dialog.locator("#provider-form-error")).to_have_text("Check the marked field.")


def test_unknown_context_and_counts_read_as_words(page, live: LiveApp) -> None:
    """An OpenAI-compatible server publishes no context window: Discover said "— context";
    one model was "1 models" and "Added 1 model(s)"."""
    login(page, ADMIN)
    compat = live.providers["openai_compatible"]
    created = page.request.post("/api/llm/providers", data={
        "name": "Compat", "providerType": "openai_compatible", "apiKey": compat.DEMO_KEY,
        "baseUrl": compat.base_url})
    assert created.status == 201, created.text()
    page.goto("/llm#models")
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    dialog.get_by_role("button", name="Fetch models").click()
    first = dialog.locator("#discover-list > li").first
    expect(first).to_contain_text("context window unknown")
    expect(first).not_to_contain_text("— context")
    first.locator("input").check()
    dialog.get_by_role("button", name="Add 1 to Registry").click()
    expect(page.locator("#llm-flash")).to_contain_text("Added 1 model to the registry")


def test_member_home_has_no_link_to_the_admin_only_registry(page, live: LiveApp) -> None:
    """The example's home page offered members a link to /llm, which answers them 403.
    No page asks for a favicon that is not there (a 404 in the console on every page)."""
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    login(page, MEMBER)
    page.goto("/")
    expect(page.get_by_role("link", name="Agents").first).to_be_visible()
    expect(page.locator("main a[href='/llm']")).to_have_count(0)
    page.goto("/llm/agents")
    expect(page.locator("#llm-app[data-ready=true]")).to_have_count(1)
    page.context.clear_cookies()
    login(page, ADMIN)
    page.goto("/")
    expect(page.locator("main").get_by_role("link", name="registry page")).to_be_visible()
    assert not missing, missing
