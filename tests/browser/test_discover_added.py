"""After "Add to Registry" in the Discover dialog, the Models tab shows the models just
added: filtered to their provider (and says so), search cleared, first page, marked New."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, LiveApp, login
from tests.browser.test_models_tab import seed

pytestmark = pytest.mark.browser


def test_models_list_shows_the_models_just_added(page, live: LiveApp) -> None:
    """A search typed before (which hides the new models) is cleared, the provider filter is
    set to the provider whose models were added, and the message says so."""
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
    expect(page.locator("#models-provider-filter")).to_have_value(seeded["provider"]["id"])
    flash = page.locator("#llm-flash")
    expect(flash).to_contain_text("Added 2 models to the registry")
    expect(flash).to_contain_text("The list now shows only Google AI’s models (search cleared)")
    expect(rows).to_have_count(3)  # the provider's earlier model and the two new ones
    for model_id in added:
        row = page.locator(f'#models-body tr[data-provider-model-id="{model_id}"]')
        expect(row).to_be_visible()
        expect(row.locator(".llm-badge-new")).to_have_text("New")
    earlier = page.locator(f'#models-body tr[data-provider-model-id="{kept}"]')
    expect(earlier).to_have_count(1)
    expect(earlier.locator(".llm-badge-new")).to_have_count(0)

    # "All providers" shows every model again; only the added ones carry the badge
    page.locator("#models-provider-filter").select_option(value="")
    expect(rows).to_have_count(4)
    expect(page.locator("#models-body .llm-badge-new")).to_have_count(2)
