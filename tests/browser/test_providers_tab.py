"""The Providers tab in a real browser: the type's fields, add, test (valid and failed),
edit, delete with its consequences, form errors, and data shown as text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN, LiveApp, add_provider, create_agent, login, seed

pytestmark = pytest.mark.browser


def test_type_fields_follow_the_type(page, live: LiveApp) -> None:
    """Each type shows only its fields; Ollama's base URL is prefilled; keys are password inputs."""
    login(page, ADMIN)
    page.goto("/llm")
    page.get_by_role("button", name="Add provider").click()
    dialog = page.get_by_role("dialog", name="Add provider")
    type_select = dialog.get_by_label("Type")
    options = type_select.locator("option").all_inner_texts()
    assert options == [
        "Google", "OpenAI", "Anthropic", "Azure OpenAI", "Ollama", "OpenAI-compatible",
    ]
    expected = {
        "Google": {"API key", "Base URL"},
        "OpenAI": {"API key", "Base URL", "Organization ID"},
        "Anthropic": {"API key", "Base URL"},
        "Azure OpenAI": {"API key", "Base URL", "Deployment ID"},
        "Ollama": {"API key", "Base URL"},
        "OpenAI-compatible": {"API key", "Base URL"},
    }
    all_fields = {"API key", "Base URL", "Organization ID", "Deployment ID"}
    for label, shown in expected.items():
        type_select.select_option(label=label)
        for field in all_fields:
            locator = dialog.get_by_label(re.compile("^" + field))
            if field in shown:
                expect(locator).to_be_visible()
            else:
                expect(locator).to_be_hidden()
        assert dialog.get_by_label(re.compile("^API key")).get_attribute("type") == "password"
    type_select.select_option(label="Ollama")
    expect(dialog.get_by_label(re.compile("^Base URL"))).to_have_value("http://localhost:11434")
    type_select.select_option(label="OpenAI-compatible")
    expect(dialog.get_by_label(re.compile("^Base URL"))).to_have_value("")
    # a required field left empty is named next to the field, nothing is sent
    dialog.get_by_label("Name").fill("Local vLLM")
    dialog.get_by_role("button", name="Add provider").click()
    expect(dialog.locator("#pf-baseUrl-error")).to_contain_text("Required")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_failed_test_shows_the_providers_message(page, live: LiveApp) -> None:
    """A wrong key: Test shows invalid with the provider's message, and the row turns red."""
    google = live.providers["google"]
    login(page, ADMIN)
    page.goto("/llm")
    add_provider(page, "Google wrong key", "Google",
                 {"API key": "wrong-key-1234", "Base URL": google.base_url})
    row = page.locator('tr[data-provider-name="Google wrong key"]')
    expect(row.get_by_text("Not tested")).to_be_visible()
    row.get_by_role("button", name="Test").click()
    result = row.locator("output.llm-test-result")
    expect(result).to_contain_text("Check failed")
    expect(row.locator(".llm-status-invalid")).to_have_text("Key rejected")
    provider = live.app.extensions["task_master_llm"].stores.providers.collection.find_one(
        {"name": "Google wrong key"}
    )
    assert provider["statusMessage"]
    expect(row.locator(".llm-status-msg")).to_have_text(provider["statusMessage"])
    expect(row.locator(".llm-status-invalid")).to_be_visible()


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
    expect(result).to_contain_text("Check failed")
    message = row.locator(".llm-status-msg")
    expect(message).not_to_be_empty()
    assert row.inner_text().count(message.inner_text()) == 1, row.inner_text()
    # a valid result still carries the provider's message next to the latency
    page.request.patch(f"/api/llm/providers/{created.json()['data']['id']}",
                       data={"apiKey": google.DEMO_KEY})
    page.reload()
    row.get_by_role("button", name="Test").click()
    expect(result).to_contain_text(re.compile(r"Check passed just now · \d+ ms"))
    expect(row.locator(".llm-status-valid")).to_have_text("Valid")
    expect(message).to_contain_text("accepted the API key")


def test_edit_keeps_the_key_unless_a_new_one_is_typed(page, live: LiveApp) -> None:
    """Editing shows ****abcd only, keeps the key when left empty, replaces it when typed."""
    google = live.providers["google"]
    login(page, ADMIN)
    page.goto("/llm")
    add_provider(
        page, "Google", "Google", {"API key": "wrong-key-9999", "Base URL": google.base_url}
    )
    row = page.locator('tr[data-provider-name="Google"]')
    row.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit Google")
    key = dialog.get_by_label(re.compile("^API key"))
    expect(key).to_have_value("")
    expect(key).to_have_attribute("placeholder", "****9999")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("****9999")
    row.get_by_role("button", name="Edit").click()
    key.fill(google.DEMO_KEY)
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("****" + google.DEMO_KEY[-4:])
    row.get_by_role("button", name="Test").click()
    expect(row.locator("output.llm-test-result")).to_contain_text("Check passed")
    expect(row.locator(".llm-status-valid")).to_be_visible()
    # last validated: relative text, the exact time on hover
    validated = row.locator('td[data-label="Last validated"] time')
    expect(validated).to_have_text("just now")
    expect(validated).to_have_attribute("title", re.compile(r"\d{4}-\d\d-\d\dT"))


def test_duplicate_name_is_shown_next_to_the_field(page, live: LiveApp) -> None:
    """A 409 for a duplicate name appears in the dialog, not silently."""
    google = live.providers["google"]
    login(page, ADMIN)
    page.goto("/llm")
    add_provider(page, "Twin", "Google", {"API key": "k-1234", "Base URL": google.base_url})
    page.get_by_role("button", name="Add provider").click()
    dialog = page.get_by_role("dialog", name="Add provider")
    dialog.get_by_label("Name").fill("Twin")
    dialog.get_by_label(re.compile("^API key")).fill("k-5678")
    dialog.get_by_role("button", name="Add provider").click()
    shown = dialog.locator(".llm-form-error, #pf-name-error").filter(has_text=re.compile(r"\S"))
    expect(shown.first).to_be_visible()
    expect(dialog).to_be_visible()


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


def test_provider_delete_says_what_it_affects(page, live: LiveApp) -> None:
    """The confirmation names the model count and the agents; the row goes away."""
    login(page, ADMIN)
    seeded = seed(page, live, models=2)
    create_agent(page, "Dependent One", seeded["models"][0]["id"])
    page.goto("/llm")
    row = page.locator('tr[data-provider-name="Google AI"]')
    row.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete Google AI?")
    expect(confirm).to_contain_text("2 registered models")
    expect(confirm.locator("#confirm-list")).to_contain_text("Dependent One")
    confirm.get_by_role("button", name="Delete provider").click()
    expect(confirm).to_be_hidden()
    expect(row).to_have_count(0)
    expect(page.locator("#llm-flash")).to_contain_text("Dependent One")
    expect(page.locator("#providers-empty")).to_be_visible()


def test_api_data_is_text_never_markup(page, live: LiveApp) -> None:
    """A provider named like an HTML tag shows as text and runs nothing."""
    google = live.providers["google"]
    login(page, ADMIN)
    name = '<img src=x onerror="window.__xss=1">'
    created = page.request.post(
        "/api/llm/providers",
        data={"name": name, "providerType": "google", "apiKey": "k-0001",
              "baseUrl": google.base_url},
    )
    assert created.status == 201, created.text()
    page.goto("/llm")
    expect(page.locator("#providers-body strong").first).to_have_text(name)
    assert page.evaluate("window.__xss") is None
    expect(page.locator("#providers-body img")).to_have_count(0)


def test_the_page_says_whose_key_the_gateway_runs_on(page, live: LiveApp) -> None:
    """The first Google provider is the gateway's; a second one says the gateway uses
    another key, and its agents say whose key they really run with."""
    login(page, ADMIN)
    page.goto("/llm")
    seed(page, live, name="Google AI", models=1)
    second = seed(page, live, name="Google Two", models=1)
    create_agent(page, "Runs Elsewhere", second["models"][0]["id"])
    page.goto("/llm")
    first_row = page.locator('tr[data-provider-name="Google AI"]')
    second_row = page.locator('tr[data-provider-name="Google Two"]')
    expect(first_row).to_contain_text("Gateway runs on this key")
    expect(second_row).to_contain_text("Gateway uses another provider's key")
    page.goto("/llm/agents")
    row = page.locator("tr", has_text="Runs Elsewhere")
    expect(row).to_contain_text("this agent runs with the key of provider 'Google AI'")
