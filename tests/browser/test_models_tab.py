"""The Models tab in a real browser: the Discover dialog (registered models marked, filter,
select all/none, what it shows after adding, narrow screens), the enable switch rolling
back on failure, and deleting a model that agents use."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN, LiveApp, create_agent, login, seed

pytestmark = pytest.mark.browser


def test_discover_marks_registered_filters_and_selects(page, live: LiveApp) -> None:
    """Already-registered models are ticked and disabled; filter and select all/none work;
    adding again does not double-add."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    page.goto("/llm#models")
    expect(page.locator("#models-body tr")).to_have_count(1)
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    dialog.get_by_role("button", name="Fetch models").click()
    items = dialog.locator("#discover-list > li")
    expect(items.first).to_be_visible()
    total = items.count()
    assert total >= 3
    registered = dialog.locator("#discover-list > li.llm-registered")
    expect(registered).to_have_count(1)
    expect(registered).to_contain_text("Already in registry")
    expect(registered).to_contain_text(seeded["models"][0]["providerModelId"])
    expect(registered.locator("input")).to_be_checked()
    expect(registered.locator("input")).to_be_disabled()
    expect(dialog.locator("#discover-list > li").first).to_contain_text(re.compile(r"context"))

    dialog.get_by_role("button", name="Select all").click()
    expect(dialog.get_by_role("button", name=f"Add {total - 1} to Registry")).to_be_enabled()
    dialog.get_by_role("button", name="Select none").click()
    expect(dialog.get_by_role("button", name="Add to Registry")).to_be_disabled()
    second = seeded["models"][0]["providerModelId"]
    other = dialog.locator("#discover-list > li:not(.llm-registered) .llm-mono").first.inner_text()
    dialog.get_by_label("Filter").fill(other)
    visible = dialog.locator("#discover-list > li:visible")
    expect(visible).to_have_count(1)
    dialog.get_by_role("button", name="Select all").click()
    dialog.get_by_label("Filter").fill("")
    expect(dialog.locator("#discover-list > li:visible")).to_have_count(total)
    dialog.get_by_role("button", name="Add 1 to Registry").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#models-body tr")).to_have_count(2)
    ids = page.locator("#models-body tr").evaluate_all(
        "rows => rows.map(r => r.dataset.providerModelId)"
    )
    assert sorted(ids) == sorted({second, other})


def test_models_list_shows_the_models_just_added(page, live: LiveApp) -> None:
    """A filter typed before (which hides the new models) is cleared to All providers, the
    new models are marked New among the others, and the message says so."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    other = seed(page, live, name="Other Google", models=1)
    kept = seeded["models"][0]["providerModelId"]
    page.goto("/llm#models")
    rows = page.locator("#models-body tr")
    expect(rows).to_have_count(2)
    # a filter that hides everything the dialog is about to add
    page.locator("#models-provider-filter").select_option(value=other["provider"]["id"])
    page.get_by_label("Search").fill(kept)
    expect(rows).to_have_count(1)

    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    dialog.get_by_label("Provider").select_option(value=seeded["provider"]["id"])
    dialog.get_by_role("button", name="Fetch models").click()
    boxes = dialog.locator("#discover-list input[type=checkbox]:not([disabled])")
    expect(boxes.first).to_be_visible()
    added = []
    for i in range(2):
        boxes.nth(i).check()
        added.append(boxes.nth(i).locator("xpath=..").locator(".llm-mono").inner_text())
    dialog.get_by_role("button", name="Add 2 to Registry").click()
    expect(dialog).to_be_hidden()

    expect(page.get_by_role("tab", name="Models")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Search")).to_have_value("")
    # the filter that hid them is cleared to All providers: nothing else is hidden
    expect(page.locator("#models-provider-filter")).to_have_value("")
    flash = page.locator("#llm-flash")
    expect(flash).to_contain_text("Added 2 models from Google AI; they are marked New")
    expect(flash).to_contain_text("(the filter that hid them was cleared)")
    expect(flash).not_to_contain_text("only")
    expect(rows).to_have_count(4)  # every model: the two earlier ones and the two new ones
    for model_id in added:
        row = page.locator(f'#models-body tr[data-provider-model-id="{model_id}"]')
        expect(row).to_be_visible()
        expect(row.locator(".llm-badge-new")).to_have_text("New")
    # both providers' earlier model (the same id at each) is still listed, not marked New
    earlier = page.locator(f'#models-body tr[data-provider-model-id="{kept}"]')
    expect(earlier).to_have_count(2)
    expect(earlier.locator(".llm-badge-new")).to_have_count(0)

    expect(page.locator("#models-body .llm-badge-new")).to_have_count(2)


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
    expect(page.locator("#llm-flash")).to_contain_text(
        "Added 1 model from Compat; it is marked New"
    )


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


def test_toggle_failure_rolls_back_with_a_message(page, live: LiveApp) -> None:
    """If the save fails, the toggle goes back and the page says why."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    page.goto("/llm#models")
    switch = page.get_by_role("switch").first
    expect(switch).to_be_checked()
    # the model disappears behind the page's back: the PATCH answers 404
    live.app.extensions["task_master_llm"].stores.models.collection.delete_many({})
    switch.click()  # not uncheck(): the page puts it back, which uncheck() calls an error
    expect(page.locator("#llm-flash")).to_contain_text("Could not disable")
    expect(switch).to_be_checked()
    assert seeded["models"]


def test_model_delete_in_use_asks_again_and_detaches(page, live: LiveApp) -> None:
    """Deleting a model agents use: the 409 names them; "Delete anyway" detaches them."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    create_agent(page, "Sticky", seeded["models"][0]["id"])
    page.goto("/llm#models")
    page.locator("#models-body tr").first.get_by_role("button", name=re.compile("^Delete")).click()
    confirm = page.locator("#confirm-dialog")
    confirm.get_by_role("button", name="Delete model").click()
    expect(confirm.get_by_role("heading")).to_contain_text("is in use")
    expect(confirm.locator("#confirm-list")).to_contain_text("Sticky")
    confirm.get_by_role("button", name="Delete and detach agents").click()
    expect(confirm).to_be_hidden()
    expect(page.locator("#models-empty")).to_be_visible()
    agents = live.app.extensions["task_master_llm"].stores.agents.collection
    agent = agents.find_one({"name": "Sticky"})
    assert agent.get("modelId") is None


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


def test_discover_says_which_models_came_without_details(page, live: LiveApp) -> None:
    """An Ollama model whose /api/show failed (or came too late) is still offered, with a
    line saying it is listed without its details."""
    ollama = live.providers["ollama"]
    ollama.show_errors = {"llava:latest": 404}  # type: ignore[attr-defined]
    login(page, ADMIN)
    created = page.request.post("/api/llm/providers", data={
        "name": "Local Ollama", "providerType": "ollama", "baseUrl": ollama.base_url})
    assert created.status == 201, created.text()
    page.goto("/llm#models")
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    dialog.get_by_role("button", name="Fetch models").click()
    late = dialog.locator("#discover-list > li", has_text="llava:latest")
    expect(late.locator(".llm-details-missing")).to_contain_text(
        "Listed without its details: /api/show failed (not_found)")
    others = dialog.locator("#discover-list > li", has_not_text="llava:latest")
    expect(others.first).to_be_visible()
    expect(dialog.locator("#discover-list .llm-details-missing")).to_have_count(1)
