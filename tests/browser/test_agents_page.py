"""The agents page in a real browser: creating an agent (failure paths, empty states, a
failed sync and its retry), editing and deleting agents (the prefilled dialog, also for a
legacy agent with only a model string; PATCH with only the changed fields; the gateway's
PUT and DELETE under the same Talon id), fallback models of another provider (picked in
the dialog, shown in the list, cleared on edit), and no Edit/Delete for members."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN,
    MEMBER,
    LiveApp,
    create_agent,
    login,
    seed,
    select_starting_with,
)

pytestmark = pytest.mark.browser


def record_bodies(page, method: str, fragment: str) -> list[dict[str, Any]]:
    """The JSON bodies of the page's ``method`` requests whose URL contains ``fragment``."""
    bodies: list[dict[str, Any]] = []

    def on_request(request: Any) -> None:
        if request.method == method and fragment in request.url:
            bodies.append(json.loads(request.post_data or "null"))

    page.on("request", on_request)
    return bodies


def test_failed_sync_shows_reason_and_retry_works(page, live: LiveApp) -> None:
    """Gateway down: the agent is saved, the page says why the sync failed, Retry fixes it."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    live.talon.down()
    page.goto("/llm/agents")
    page.get_by_role("button", name="Create Agent").click()
    dialog = page.get_by_role("dialog", name="Create Agent")
    dialog.get_by_label("Name").fill("Offline Otto")
    dialog.get_by_label("Role").fill("Waits")
    select_starting_with(dialog.get_by_label("Provider"), "Google AI")
    expect(dialog.get_by_label("Model", exact=True)).to_have_value(seeded["models"][0]["id"])
    dialog.get_by_role("button", name="Create Agent").click()
    expect(dialog).to_be_hidden()
    flash = page.locator("#llm-flash")
    expect(flash).to_contain_text("syncing to Talon failed")
    row = page.locator('tr[data-agent-name="Offline Otto"]')
    expect(row.locator(".llm-sync-failed")).to_be_visible()
    reason = row.locator(".llm-status-msg")
    expect(reason).not_to_be_empty()
    live.talon.up()
    row.get_by_role("button", name="Retry sync").click()
    expect(row.locator(".llm-sync-synced")).to_be_visible()
    expect(flash).to_contain_text("Synced to Talon")
    assert any(a["name"] == "Offline Otto" for a in live.talon.sub_agents.values())


def test_agent_form_errors_and_empty_states(page, live: LiveApp) -> None:
    """No enabled models: the member is told why; admins get a link to the registry.
    A duplicate name comes back next to the Name field."""
    login(page, MEMBER)
    page.goto("/llm/agents")
    page.get_by_role("button", name="Create Agent").click()
    dialog = page.get_by_role("dialog", name="Create Agent")
    expect(dialog.locator("#af-model-hint")).to_contain_text("Ask an administrator")
    expect(dialog.get_by_role("link", name="Open the LLM Registry")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Create Agent")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.context.clear_cookies()
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    page.request.patch(f"/api/llm/models/{seeded['models'][0]['id']}", data={"enabled": False})
    seed(page, live, name="Second Google", models=1)
    page.goto("/llm/agents")
    page.get_by_role("button", name="Create Agent").click()
    # the first provider has no enabled model now: it is not offered (read the options
    # once the dialog has loaded the enabled models and listed their providers)
    provider_options = dialog.get_by_label("Provider").locator("option")
    expect(provider_options.filter(has_text="Second Google")).to_have_count(1)
    options = provider_options.all_inner_texts()
    assert not any(o.startswith("Google AI") for o in options), options
    select_starting_with(dialog.get_by_label("Provider"), "Second Google")
    dialog.get_by_label("Name").fill("Twin")
    dialog.get_by_label("Role").fill("First")
    dialog.get_by_role("button", name="Create Agent").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Create Agent").click()
    dialog.get_by_label("Name").fill("Twin")
    dialog.get_by_label("Role").fill("Second")
    select_starting_with(dialog.get_by_label("Provider"), "Second Google")
    dialog.get_by_role("button", name="Create Agent").click()
    shown = dialog.locator("#af-name-error, #agent-form-error").filter(has_text=re.compile(r"\S"))
    expect(shown.first).to_be_visible()
    expect(dialog).to_be_visible()


def test_edit_changes_name_and_model_and_puts_the_same_talon_id(page, live: LiveApp) -> None:
    """Edit opens the dialog prefilled; Save sends only what changed; the gateway gets a PUT
    under the agent's Talon id; the row and the message show the result."""
    login(page, ADMIN)
    seeded = seed(page, live, models=2)
    first, second = seeded["models"]
    agent = create_agent(page, "Editable Eve", first["id"])
    talon_id = agent["talonId"]
    assert talon_id in live.talon.sub_agents
    page.goto("/llm/agents")
    row = page.locator('tr[data-agent-name="Editable Eve"]')
    row.get_by_role("button", name="Edit Editable Eve").click()
    dialog = page.get_by_role("dialog", name="Edit Editable Eve")
    expect(dialog.get_by_label("Name")).to_have_value("Editable Eve")
    expect(dialog.get_by_label("Role")).to_have_value("Helper")
    expect(dialog.get_by_label("Provider")).to_have_value(seeded["provider"]["id"])
    expect(dialog.get_by_label("Model", exact=True)).to_have_value(first["id"])
    expect(dialog.locator("#af-model-legacy")).to_be_hidden()

    patches = record_bodies(page, "PATCH", "/api/agents/")
    dialog.get_by_label("Name").fill("Edited Eve")
    dialog.get_by_label("Model", exact=True).select_option(value=second["id"])
    before = len([r for r in live.talon.requests if r.method == "PUT"])
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#llm-flash")).to_contain_text("Agent “Edited Eve” saved. Synced to Talon.")
    assert patches == [{"name": "Edited Eve", "modelId": second["id"]}]

    edited = page.locator('tr[data-agent-name="Edited Eve"]')
    expect(edited).to_contain_text(second["displayName"])
    expect(edited.locator(".llm-sync-synced")).to_be_visible()
    expect(page.locator('tr[data-agent-name="Editable Eve"]')).to_have_count(0)
    puts = [r for r in live.talon.requests if r.method == "PUT"][before:]
    assert [r.path for r in puts] == [f"/v1/agents/{talon_id}"]
    at_gateway = live.talon.sub_agents
    assert list(at_gateway) == [talon_id]
    assert at_gateway[talon_id]["name"] == "Edited Eve"
    assert second["providerModelId"] in at_gateway[talon_id]["model"]

    # the create dialog is itself again afterwards
    page.get_by_role("button", name="Create Agent").click()
    create = page.get_by_role("dialog", name="Create Agent")
    expect(create.get_by_label("Name")).to_have_value("")
    expect(create.get_by_role("button", name="Create Agent")).to_be_visible()


def test_edit_legacy_agent_and_field_errors(page, live: LiveApp) -> None:
    """A legacy agent (model string, no modelId) opens with no model chosen and a note naming
    its string; saving keeps it legacy. A taken name comes back next to the Name field."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    create_agent(page, "Taken Name", seeded["models"][0]["id"])
    created = page.request.post(
        "/api/agents", data={"name": "Old Otis", "role": "Legacy", "model": "openai/gpt-4o"}
    )
    assert created.status == 201, created.text()
    legacy = created.json()["data"]
    assert legacy["modelId"] is None
    page.goto("/llm/agents")
    page.get_by_role("button", name="Edit Old Otis").click()
    dialog = page.get_by_role("dialog", name="Edit Old Otis")
    note = dialog.locator("#af-model-legacy")
    expect(note).to_be_visible()
    expect(note).to_contain_text("legacy model string openai/gpt-4o")
    expect(dialog.get_by_label("Provider")).to_have_value("")
    expect(dialog.get_by_label("Model", exact=True)).to_have_value("")

    patches = record_bodies(page, "PATCH", "/api/agents/")
    dialog.get_by_label("Name").fill("Taken Name")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.locator("#af-name-error")).to_be_visible()
    expect(dialog.locator("#af-name-error")).not_to_be_empty()
    expect(dialog.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_be_visible()

    dialog.get_by_label("Name").fill("Old Otis")
    dialog.get_by_label("Role").fill("Still legacy")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    assert patches == [{"name": "Taken Name"}, {"role": "Still legacy"}]
    row = page.locator('tr[data-agent-name="Old Otis"]')
    expect(row).to_contain_text("Still legacy")
    expect(row).to_contain_text("openai/gpt-4o")
    expect(row).to_contain_text("not in registry")
    assert live.talon.sub_agents[legacy["talonId"]]["role"] == "Still legacy"


def test_delete_asks_removes_the_row_and_the_gateway_agent(page, live: LiveApp) -> None:
    """Delete names the agent, removes the row and the gateway's copy; with the gateway
    down the agent is still deleted and the message says why the gateway kept its copy."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    doomed = create_agent(page, "Doomed Dan", seeded["models"][0]["id"])
    offline = create_agent(page, "Offline Olga", seeded["models"][0]["id"])
    page.goto("/llm/agents")
    page.get_by_role("button", name="Delete Doomed Dan").click()
    confirm = page.get_by_role("dialog", name="Delete Doomed Dan?")
    expect(confirm).to_contain_text("Delete the agent “Doomed Dan”?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(page.locator('tr[data-agent-name="Doomed Dan"]')).to_have_count(1)

    page.get_by_role("button", name="Delete Doomed Dan").click()
    confirm.get_by_role("button", name="Delete agent").click()
    expect(confirm).to_be_hidden()
    expect(page.locator('tr[data-agent-name="Doomed Dan"]')).to_have_count(0)
    expect(page.locator("#llm-flash")).to_contain_text(
        "Agent “Doomed Dan” deleted, here and at the Talon gateway."
    )
    assert doomed["talonId"] not in live.talon.sub_agents
    assert any(
        r.method == "DELETE" and r.path == f"/v1/agents/{doomed['talonId']}"
        for r in live.talon.requests
    )

    live.talon.down()
    page.get_by_role("button", name="Delete Offline Olga").click()
    page.get_by_role("dialog", name="Delete Offline Olga?").get_by_role(
        "button", name="Delete agent"
    ).click()
    expect(page.locator('tr[data-agent-name="Offline Olga"]')).to_have_count(0)
    flash = page.locator("#llm-flash")
    expect(flash).to_contain_text(
        re.compile(r"Agent “Offline Olga” deleted\. The gateway could not remove it: \S")
    )
    expect(flash).to_have_class(re.compile(r"llm-flash-warning"))
    expect(flash).not_to_contain_text("?.")
    live.talon.up()
    assert offline["talonId"] in live.talon.sub_agents  # still there: the gateway was down
    listed = page.request.get("/api/agents").json()["data"]["items"]
    assert not any(a["name"] in ("Doomed Dan", "Offline Olga") for a in listed)


def test_member_sees_no_edit_or_delete(page, live: LiveApp) -> None:
    """Members (the default hook: admins only) see the agents but no Edit/Delete buttons."""
    login(page, ADMIN)
    seeded = seed(page, live, models=1)
    create_agent(page, "Shared Sam", seeded["models"][0]["id"])
    page.context.clear_cookies()
    login(page, MEMBER)
    page.goto("/llm/agents")
    row = page.locator('tr[data-agent-name="Shared Sam"]')
    expect(row).to_be_visible()
    expect(page.locator("#llm-app")).to_have_attribute("data-can-manage", "false")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^(Edit|Delete) "))).to_have_count(0)
    expect(page.locator("#confirm-dialog")).to_have_count(0)


def test_fallbacks_of_another_provider_reach_the_gateway_and_clear(page, live: LiveApp) -> None:
    """The Fallback models picker offers every enabled model but the primary (any provider,
    "Provider · model"), keeps its choice when the primary changes, sends
    ``fallbackModelIds`` on create, and the gateway gets ``{primary, fallbacks}``; the row
    says "then: ...". Clearing it on edit PATCHes ``[]`` and the gateway model is a string."""
    login(page, ADMIN)
    google = seed(page, live, models=2)
    anthropic = seed(page, live, name="Anthropic", provider_type="anthropic", models=1)
    first, second = google["models"]
    [claude] = anthropic["models"]
    page.goto("/llm/agents")
    posts = record_bodies(page, "POST", "/api/agents")
    page.get_by_role("button", name="Create Agent").click()
    dialog = page.get_by_role("dialog", name="Create Agent")
    dialog.get_by_label("Name").fill("Resilient Rita")
    dialog.get_by_label("Role").fill("Never down")
    select_starting_with(dialog.get_by_label("Provider"), "Google AI")
    model = dialog.get_by_label("Model", exact=True)
    model.select_option(value=first["id"])
    picker = dialog.get_by_label("Fallback models")
    expect(picker).to_have_attribute("multiple", "")
    expect(dialog.locator("#af-fallbacks-hint")).to_contain_text(
        "Tried in order when the model fails; any provider")
    options = picker.locator("option")
    claude_label = f"Anthropic · {claude['displayName']}"
    # sorted by provider, then name; the primary is not offered
    expect(options).to_have_text([claude_label, f"Google AI · {second['displayName']}"])
    picker.select_option(value=[claude["id"]])
    expect(dialog.locator("#af-fallbacks-order")).to_have_text(
        f"Tried in this order: 1. {claude_label}.")

    # a new primary: the old one is offered instead, the choice is kept
    model.select_option(value=second["id"])
    expect(options).to_have_text([claude_label, f"Google AI · {first['displayName']}"])
    expect(picker).to_have_values([claude["id"]])
    model.select_option(value=first["id"])
    expect(picker).to_have_values([claude["id"]])

    # disabled meanwhile: the API's {"0": [why]} lands on the field, naming the model
    page.request.patch(f"/api/llm/models/{claude['id']}", data={"enabled": False})
    dialog.get_by_role("button", name="Create Agent").click()
    error = dialog.locator("#af-fallbackModelIds-error")
    expect(error).to_contain_text(f"{claude_label}: ")
    expect(error).to_contain_text("disabled")
    expect(picker).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator("#agent-form-error")).to_have_text("Check the marked field.")
    page.request.patch(f"/api/llm/models/{claude['id']}", data={"enabled": True})
    dialog.get_by_role("button", name="Create Agent").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#llm-flash")).to_contain_text("Synced to Talon")
    assert [b.get("fallbackModelIds") for b in posts] == [[claude["id"]]] * 2
    row = page.locator('tr[data-agent-name="Resilient Rita"]')
    expect(row.locator(".llm-fallbacks")).to_have_text(f"then: {claude['displayName']}")
    [agent] = [a for a in page.request.get("/api/agents").json()["data"]["items"]
               if a["name"] == "Resilient Rita"]
    assert live.talon.sub_agents[agent["talonId"]]["model"] == {
        "primary": f"google/{first['providerModelId']}",
        "fallbacks": [f"anthropic/{claude['providerModelId']}"],
    }

    patches = record_bodies(page, "PATCH", "/api/agents/")
    row.get_by_role("button", name="Edit Resilient Rita").click()
    edit = page.get_by_role("dialog", name="Edit Resilient Rita")
    picker = edit.get_by_label("Fallback models")
    expect(picker).to_have_values([claude["id"]])
    picker.select_option(value=[])
    expect(edit.locator("#af-fallbacks-order")).to_have_text(
        "None chosen: only the model is tried.")
    edit.get_by_role("button", name="Save changes").click()
    expect(edit).to_be_hidden()
    expect(page.locator("#llm-flash")).to_contain_text("saved. Synced to Talon.")
    assert patches == [{"fallbackModelIds": []}]
    expect(row.locator(".llm-fallbacks")).to_have_count(0)
    expect(row).to_contain_text(first["displayName"])
    assert live.talon.sub_agents[agent["talonId"]]["model"] == f"google/{first['providerModelId']}"
    assert page.console_errors == []
