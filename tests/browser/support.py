"""Constants and helpers of the browser tests (``from tests.browser.support import ...``):
the demo users, the served app, logging in, and shortcuts that set up the registry
through the API or the page. The fixtures are in ``tests/browser/conftest.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import expect
from pymongo.database import Database

ADMIN = ("admin@example.com", "admin-demo")
MEMBER = ("member@example.com", "member-demo")


@dataclass
class LiveApp:
    """The example app served over HTTP, with the servers it talks to."""

    url: str
    app: Any
    db: Database
    providers: dict[str, Any]
    talon: Any
    #: (url, status, body or None) of every response the browser received
    responses: list[tuple[str, int, bytes | None]] = field(default_factory=list)


def login(page: Any, who: tuple[str, str]) -> None:
    """Log in through the host's login form."""
    page.goto("/login")
    page.get_by_label("Email").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def logout(page: Any) -> None:
    """Log out with the top bar's button."""
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login.*"))


def seed(
    page, live: LiveApp, *, name: str = "Google AI", models: int = 2, provider_type: str = "google"
) -> dict[str, Any]:
    """Register a provider (Google unless ``provider_type`` names another stand-in) and
    ``models`` of its models through the API."""
    server = live.providers[provider_type]
    created = page.request.post(
        "/api/llm/providers",
        data={"name": name, "providerType": provider_type, "apiKey": server.DEMO_KEY,
              "baseUrl": server.base_url},
    )
    assert created.status == 201, created.text()
    provider = created.json()["data"]
    listing = page.request.get(f"/api/llm/providers/{provider['id']}/discover").json()["data"]
    found = listing["items"]
    registered = page.request.post(
        "/api/llm/models", data={"providerId": provider["id"], "models": found[:models]}
    )
    assert registered.status in (200, 201), registered.text()
    return {"provider": provider, "models": registered.json()["data"]["models"]}


def create_agent(page, name: str, model_id: str) -> dict[str, Any]:
    """Create an agent through the API."""
    response = page.request.post(
        "/api/agents", data={"name": name, "role": "Helper", "modelId": model_id}
    )
    assert response.status == 201, response.text()
    return response.json()["data"]


def add_provider(page, name: str, type_label: str, fields: dict[str, str]) -> None:
    """Fill the Add provider dialog and save it."""
    page.get_by_role("button", name="Add provider").click()
    dialog = page.get_by_role("dialog", name="Add provider")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Type").select_option(label=type_label)
    for label, value in fields.items():
        dialog.get_by_label(label).fill(value)
    dialog.get_by_role("button", name="Add provider").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f'tr[data-provider-name="{name}"]')).to_be_visible()


def select_starting_with(select, prefix: str) -> None:
    """Choose the option whose text starts with ``prefix``, once the page has put it there
    (the agent dialog fills its Provider select after loading the enabled models)."""
    starting = re.compile("^" + re.escape(prefix))
    expect(select.locator("option", has_text=starting).first).to_be_attached()
    value = select.locator("option").evaluate_all(
        "(els, prefix) => (els.find(e => e.textContent.startsWith(prefix)) || {}).value", prefix
    )
    assert value, f"no option starting with {prefix!r}"
    select.select_option(value=value)
