"""The page tells the truth (issue 11), in a real browser: context sizes in decimal
(item 1), statuses that say what failed and when it was checked (2), detached agents that
need a model (3), Test inside the provider dialog (4), messages that are replaced or expire
and additions that hide nothing (6), counts that add up (7), the providers table at 1280 px
(8), and what disabling a used model means (10)."""

from __future__ import annotations

import re
import socket

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN,
    LiveApp,
    add_provider,
    create_agent,
    login,
    seed,
    select_starting_with,
)

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_provider(page, name: str, provider_type: str, **fields: str) -> dict:
    created = page.request.post(
        "/api/llm/providers", data={"name": name, "providerType": provider_type, **fields}
    )
    assert created.status == 201, created.text()
    return created.json()["data"]


def test_context_sizes_read_in_decimal(page, live: LiveApp) -> None:
    """128,000 read "125k" (binary); catalogs count tokens in decimal."""
    login(page, ADMIN)
    google = live.providers["google"]
    provider = make_provider(
        page, "Google AI", "google", apiKey=google.DEMO_KEY, baseUrl=google.base_url
    )
    sizes = {
        "ctx-128000": 128_000,
        "ctx-131072": 131_072,
        "ctx-200000": 200_000,
        "ctx-1048576": 1_048_576,
        "ctx-2000000": 2_000_000,
        "ctx-none": None,
    }
    shown = {
        "ctx-128000": "128k",
        "ctx-131072": "131k",
        "ctx-200000": "200k",
        "ctx-1048576": "1M",
        "ctx-2000000": "2M",
        "ctx-none": "unknown",
    }
    models = [
        {
            "providerModelId": k,
            "displayName": k,
            "modality": ["text"],
            **({"contextWindow": v} if v else {}),
        }
        for k, v in sizes.items()
    ]
    res = page.request.post(
        "/api/llm/models", data={"providerId": provider["id"], "models": models}
    )
    assert res.status in (200, 201), res.text()
    page.goto("/llm#models")
    for model_id, text in shown.items():
        cell = page.locator(
            f'#models-body tr[data-provider-model-id="{model_id}"] td[data-label="Context"]'
        )
        expect(cell).to_have_text(text)
    page.goto("/llm/agents")
    page.get_by_role("button", name="Create Agent").click()
    dialog = page.get_by_role("dialog", name="Create Agent")
    select_starting_with(dialog.get_by_label("Provider"), "Google AI")
    model = dialog.get_by_label("Model", exact=True)
    expect(model.locator("option", has_text="ctx-128000")).to_have_text("ctx-128000 (128k context)")
    expect(model.locator("option", has_text="ctx-none")).to_have_text("ctx-none")


def test_statuses_say_what_failed_and_when(page, live: LiveApp) -> None:
    """A refused connection, a wrong base URL and a wrong key all read "Invalid"; the
    Discover dropdown said "(invalid key)"; "Last validated: Never" hid a failed test."""
    login(page, ADMIN)
    google = live.providers["google"]
    compat = live.providers["openai_compatible"]
    made = [
        make_provider(
            page, "Wrong key", "google", apiKey="wrong-key-1234", baseUrl=google.base_url
        ),
        make_provider(
            page,
            "Refused",
            "openai_compatible",
            apiKey="k-1234",
            baseUrl=f"http://127.0.0.1:{free_port()}/v1",
        ),
        make_provider(
            page,
            "Wrong path",
            "openai_compatible",
            apiKey=compat.DEMO_KEY,
            baseUrl=f"{compat.base_url}/nowhere",
        ),
    ]
    page.goto("/llm")
    expected = {
        "Wrong key": "Key rejected",
        "Refused": "Not reachable",
        "Wrong path": "Wrong URL or deployment",
    }
    for provider in made:
        row = page.locator(f'tr[data-provider-name="{provider["name"]}"]')
        row.get_by_role("button", name="Test").click()
        status = row.locator('td[data-label="Status"]')
        expect(status.locator("output.llm-test-result")).to_contain_text("Check failed just now")
        expect(status.locator(".llm-status-invalid")).to_have_text(expected[provider["name"]])
        # the first thing in the cell is the last successful validation (then its health)
        expect(row.locator('td[data-label="Last validated"] > :first-child')).to_have_text("Never")
    expect(page.locator("#providers-body")).not_to_contain_text("Invalid")
    page.get_by_role("tab", name="Models").click()
    page.get_by_role("button", name="Discover models").click()
    options = page.locator("#discover-provider option").all_inner_texts()
    assert "Wrong key (Google, key rejected)" in options, options
    assert "Refused (OpenAI-compatible, not reachable)" in options, options
    assert not any("invalid key" in o for o in options), options


def test_a_detached_agent_needs_a_model(page, live: LiveApp) -> None:
    """After its provider was deleted an agent showed a green "Synced"; the delete
    confirmation did not say the agents would run without a key."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    create_agent(page, "Release Scribe", seeded["models"][0]["id"])
    page.goto("/llm")
    page.locator('tr[data-provider-name="Google AI"]').get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete Google AI?")
    expect(confirm).to_contain_text("run without a key until given a new model")
    expect(confirm.locator("#confirm-list")).to_contain_text("Release Scribe")
    confirm.get_by_role("button", name="Delete provider").click()
    expect(confirm).to_be_hidden()
    page.goto("/llm/agents")
    row = page.locator('tr[data-agent-name="Release Scribe"]')
    expect(row.locator(".llm-sync-needs-model")).to_have_text("Needs a model")
    expect(row.locator(".llm-model-warning")).to_contain_text("without a key")
    expect(row.locator(".llm-sync-synced")).to_have_count(0)


def test_test_inside_the_provider_dialog(page, live: LiveApp) -> None:
    """Test tries the typed values before saving, stores nothing, and when editing
    without retyping the key tests the stored key."""
    google = live.providers["google"]
    login(page, ADMIN)
    page.goto("/llm")
    page.get_by_role("button", name="Add provider").click()
    dialog = page.get_by_role("dialog", name="Add provider")
    dialog.get_by_label("Name").fill("Google AI")
    dialog.get_by_label("Type").select_option(label="Google")
    dialog.get_by_label(re.compile("^API key")).fill("typed-wrong-key-7777")
    dialog.get_by_label(re.compile("^Base URL")).fill(google.base_url)
    result = dialog.locator("#provider-test-result")
    dialog.get_by_role("button", name="Test").click()
    expect(result.locator(".llm-status-invalid")).to_have_text("Key rejected")
    expect(result).to_contain_text("Not saved yet.")
    assert page.request.get("/api/llm/providers").json()["data"] == []
    # typing makes the result stale: it goes away
    dialog.get_by_label(re.compile("^API key")).fill(google.DEMO_KEY)
    expect(result).to_be_hidden()
    dialog.get_by_role("button", name="Test").click()
    expect(result.locator(".llm-status-valid")).to_have_text("Valid")
    dialog.get_by_role("button", name="Add provider").click()
    expect(dialog).to_be_hidden()

    row = page.locator('tr[data-provider-name="Google AI"]')
    row.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("dialog", name="Edit Google AI")
    expect(edit.locator("#provider-test-result")).to_be_hidden()
    edit.get_by_role("button", name="Test").click()  # the stored key
    expect(edit.locator("#provider-test-result .llm-status-valid")).to_have_text("Valid")
    edit.get_by_label(re.compile("^API key")).fill("typed-wrong-key-8888")
    edit.get_by_role("button", name="Test").click()
    expect(edit.locator("#provider-test-result .llm-status-invalid")).to_have_text("Key rejected")
    edit.get_by_role("button", name="Cancel").click()
    stored = page.request.get("/api/llm/providers").json()["data"][0]
    assert stored["status"] == "unknown" and stored["apiKeyLast4"] == google.DEMO_KEY[-4:]
    for url, _status, body in live.responses:
        assert b"typed-wrong-key" not in (body or b""), url
        assert google.DEMO_KEY.encode() not in (body or b""), url


def test_messages_are_replaced_and_expire(page, live: LiveApp) -> None:
    """ "Added X. Use Test to check its key." stayed after the test passed and after tab
    switches; success messages now go when they stop being true, or after 10 s."""
    google = live.providers["google"]
    page.clock.install()
    login(page, ADMIN)
    page.goto("/llm")
    expect(page.locator("#llm-app")).to_have_attribute("data-ready", "true")
    # the page's clock stands still: nothing expires by itself unless the test moves it
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    flash = page.locator("#llm-flash")
    add_provider(
        page, "Google AI", "Google", {"API key": google.DEMO_KEY, "Base URL": google.base_url}
    )
    expect(flash).to_contain_text("Added Google AI. Use Test to check its key.")
    row = page.locator('tr[data-provider-name="Google AI"]')
    row.get_by_role("button", name="Test").click()
    expect(row.locator("output.llm-test-result")).to_contain_text("Check passed")
    expect(flash).to_be_hidden()
    add_provider(
        page, "Google Two", "Google", {"API key": google.DEMO_KEY, "Base URL": google.base_url}
    )
    expect(flash).to_contain_text("Added Google Two.")
    page.get_by_role("tab", name="Models").click()
    expect(flash).to_be_hidden()
    page.get_by_role("tab", name="Providers").click()
    add_provider(
        page, "Google Three", "Google", {"API key": google.DEMO_KEY, "Base URL": google.base_url}
    )
    expect(flash).to_be_visible()
    page.clock.fast_forward(9_000)
    expect(flash).to_be_visible()
    page.clock.fast_forward(2_000)
    expect(flash).to_be_hidden()


def test_adding_models_hides_none_of_the_others(page, live: LiveApp) -> None:
    """After Add to Registry with All providers chosen, the list kept every model (it used
    to switch to the provider's models only) and marks the added ones New."""
    login(page, ADMIN)
    seed(page, live, name="Google AI", models=1)
    other = seed(page, live, name="Other Google", models=1)
    page.goto("/llm#models")
    rows = page.locator("#models-body tr")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    dialog.get_by_label("Provider").select_option(value=other["provider"]["id"])
    dialog.get_by_role("button", name="Fetch models").click()
    dialog.locator("#discover-list input:not([disabled])").first.check()
    dialog.get_by_role("button", name="Add 1 to Registry").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#models-provider-filter")).to_have_value("")
    expect(rows).to_have_count(3)
    expect(page.locator("#models-body .llm-badge-new")).to_have_count(1)
    expect(page.locator("#llm-flash")).not_to_contain_text("cleared")
    expect(page.locator("#llm-flash")).not_to_contain_text("only")


def test_openai_test_counts_add_up_with_discover(page, live: LiveApp) -> None:
    """OpenAI's Test said "21 models visible" while Discover listed 9."""
    openai = live.providers["openai"]
    login(page, ADMIN)
    make_provider(page, "OpenAI", "openai", apiKey=openai.DEMO_KEY, baseUrl=openai.base_url)
    page.goto("/llm")
    row = page.locator('tr[data-provider-name="OpenAI"]')
    row.get_by_role("button", name="Test").click()
    message = row.locator(".llm-status-msg")
    expect(message).to_contain_text(re.compile(r"\(\d+ models, \d+ of them chat models\)"))
    listed, chat = map(
        int, re.search(r"\((\d+) models, (\d+) of them", message.inner_text()).groups()
    )
    assert listed > chat
    page.get_by_role("tab", name="Models").click()
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    dialog.get_by_role("button", name="Fetch models").click()
    expect(dialog.locator("#discover-list > li")).to_have_count(chat)


def test_providers_table_at_1280(page, live: LiveApp) -> None:
    """One long error widened Status and pushed Delete onto a second line in every row,
    the masked key wrapped, results sat in two places and a heading repeated the tab."""
    google = live.providers["google"]
    login(page, ADMIN)
    good = make_provider(
        page, "Google AI", "google", apiKey=google.DEMO_KEY, baseUrl=google.base_url
    )
    bad = make_provider(
        page, "Google wrong key", "google", apiKey="wrong-key-1234-key", baseUrl=google.base_url
    )
    for provider in (good, bad):
        tested = page.request.post(f"/api/llm/providers/{provider['id']}/test", data={})
        assert tested.status == 200, tested.text()
    long_error = "The provider refused the request because " + "of a very long reason " * 12
    live.db.LlmProvider.update_one(
        {"name": "Google wrong key"}, {"$set": {"statusMessage": long_error}}
    )
    page.goto("/llm")
    rows = page.locator("#providers-body tr")
    expect(rows).to_have_count(2)
    for name in ("Google AI", "Google wrong key"):
        row = page.locator(f'tr[data-provider-name="{name}"]')
        test_box = row.get_by_role("button", name="Test").bounding_box()
        delete_box = row.get_by_role("button", name="Delete").bounding_box()
        assert test_box and delete_box and abs(test_box["y"] - delete_box["y"]) < 2, name
        key = row.locator(".llm-key")
        assert key.evaluate("k => k.getClientRects().length") == 1, name  # never wraps
        # one place for the result: the Status cell
        expect(row.locator("output.llm-test-result")).to_have_count(1)
        expect(row.locator('td[data-label="Status"] output.llm-test-result')).to_have_count(1)
    status_cell = page.locator('tr[data-provider-name="Google wrong key"] td[data-label="Status"]')
    width = status_cell.evaluate("td => td.getBoundingClientRect().width")
    assert width <= 23 * 16, width  # the long error wraps inside the cell
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    # the tab names the panel; no second visible "Providers" heading
    heading = page.locator("#panel-providers h2")
    box = heading.bounding_box()
    assert box is None or box["width"] <= 1


def test_disabling_a_used_model_says_what_happens(page, live: LiveApp) -> None:
    """Disabling a model an agent uses only said "X is now disabled."."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    model = seeded["models"][0]
    create_agent(page, "Release Scribe", model["id"])
    page.goto("/llm#models")
    name = model["displayName"] or model["providerModelId"]
    page.get_by_role("switch", name=f"Enabled: {name}").uncheck()
    flash = page.locator("#llm-flash")
    expect(flash).to_contain_text(f"{name} is now disabled")
    expect(flash).to_contain_text("1 agent uses it (Release Scribe)")
    expect(flash).to_contain_text("keeps running on it until given another model")
    page.get_by_role("switch", name=f"Enabled: {name}").check()
    expect(flash).to_contain_text(f"{name} is now enabled")


def test_a_models_facts_can_be_edited_and_reset(page, live: LiveApp) -> None:
    """The API let admins edit a model's facts; the page had no way to."""
    login(page, ADMIN)
    model = seed(page, live, models=1)["models"][0]
    original = model["contextWindow"]
    source = model["meta"]["sources"]["contextWindow"]
    assert original and source in ("provider", "models.dev")
    page.goto("/llm#models")
    name = model["displayName"]
    page.get_by_role("button", name=f"Edit {name}").click()
    dialog = page.get_by_role("dialog", name=f"Edit {name}")
    context = dialog.get_by_label("Context window (tokens)", exact=True)
    expect(context).to_have_value(str(original))
    expect(dialog.locator("#mf-contextWindow-source")).to_contain_text("From the")
    expect(dialog.get_by_role("button", name="Reset Context window (tokens)")).to_be_hidden()
    context.fill("64000")
    dialog.get_by_label("Display name", exact=True).fill("My Gemini")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    row = page.locator(f'#models-body tr[data-model-id="{model["id"]}"]')
    expect(row.locator('td[data-label="Context"]')).to_have_text("64k")
    expect(row.locator("strong")).to_have_text("My Gemini")

    row.get_by_role("button", name="Edit My Gemini").click()
    dialog = page.get_by_role("dialog", name="Edit My Gemini")
    expect(dialog.locator("#mf-contextWindow-source")).to_contain_text("Set by an admin")
    dialog.get_by_role("button", name="Reset Context window (tokens)").click()
    expect(dialog.get_by_label("Context window (tokens)", exact=True)).to_have_value(str(original))
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    expect(row.locator('td[data-label="Context"]')).not_to_have_text("64k")
    stored = page.request.get("/api/llm/models").json()["data"]["items"][0]
    assert stored["contextWindow"] == original
    assert stored["meta"]["sources"]["contextWindow"] == source
    assert stored["displayName"] == "My Gemini"
    assert stored["meta"]["sources"]["displayName"] == "admin"
