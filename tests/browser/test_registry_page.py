"""The registry page as a whole, in a real browser: who may open it (admins; members get
a 403 page and no link to it, anonymous users the host's login), the tabs and dialogs from
the keyboard, and the layout of every view at 1280 and 390 px (with screenshots)."""

from __future__ import annotations

import os
import re
from pathlib import Path

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


def test_member_gets_403_page(page, live: LiveApp) -> None:
    """A member who opens /llm gets a 403 HTML page, and no registry link in the nav."""
    login(page, MEMBER)
    expect(page.get_by_role("link", name="LLM Registry")).to_have_count(0)
    response = page.goto("/llm")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_anonymous_goes_to_the_host_login(page, live: LiveApp) -> None:
    """Nobody logged in: /llm goes through the host's login and comes back."""
    page.goto("/llm")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/llm$"))
    expect(page.get_by_role("heading", name="LLM Registry")).to_be_visible()


def test_admin_sees_the_nav_link(page, live: LiveApp) -> None:
    """The host's nav shows "LLM Registry" with the plug icon after "Agents" to admins."""
    login(page, ADMIN)
    page.goto("/")
    link = page.get_by_role("link", name="LLM Registry")
    expect(link).to_be_visible()
    expect(link.locator("svg")).to_have_count(1)
    names = page.locator("header a").all_inner_texts()
    assert names.index("Agents") < [n.strip() for n in names].index("LLM Registry")


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


def test_dialogs_work_from_the_keyboard(page, live: LiveApp) -> None:
    """Tabs switch with arrow keys; the Add provider dialog opens, takes focus, closes with
    Escape and gives focus back; focus is visible."""
    login(page, ADMIN)
    page.goto("/llm")
    page.get_by_role("tab", name="Providers").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Models")).to_be_focused()
    expect(page.get_by_role("tab", name="Models")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowLeft")
    add = page.get_by_role("button", name="Add provider")
    add.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add provider")
    expect(dialog.get_by_label("Name")).to_be_focused()
    outline = dialog.get_by_label("Name").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(add).to_be_focused()


SHOTS = os.environ.get("TASK_MASTER_LLM_SCREENSHOTS")


def test_layout_at_1280_and_390_with_screenshots(page, live: LiveApp, tmp_path: Path) -> None:
    """Every view fits 390 px without sideways scrolling; screenshots of each tab at
    1280x800 go to $TASK_MASTER_LLM_SCREENSHOTS (docs/screenshots) when it is set."""
    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    google = live.providers["google"]
    login(page, ADMIN)
    seeded = seed(page, live, models=3)
    ollama = live.providers["ollama"]
    page.request.post("/api/llm/providers", data={
        "name": "Local Ollama", "providerType": "ollama", "baseUrl": ollama.base_url})
    page.request.post("/api/llm/providers", data={
        "name": "OpenAI (old key)", "providerType": "openai", "apiKey": "sk-revoked-0000",
        "baseUrl": live.providers["openai"].base_url})
    for p in page.request.get("/api/llm/providers").json()["data"]:
        page.request.post(f"/api/llm/providers/{p['id']}/test", data={})
    page.request.patch(f"/api/llm/models/{seeded['models'][2]['id']}", data={"enabled": False})
    create_agent(page, "Release Scribe", seeded["models"][0]["id"])
    live.talon.down()
    create_agent(page, "Night Shift", seeded["models"][1]["id"])
    live.talon.up()
    assert google.base_url

    page.goto("/llm")
    expect(page.locator("#providers-body tr")).to_have_count(3)
    google_row = page.locator('tr[data-provider-name="Google AI"]')
    google_row.get_by_role("button", name="Test").click()
    expect(google_row.locator("output.llm-test-result")).to_contain_text("Check passed")
    page.mouse.move(0, 0)
    page.screenshot(path=str(out / "providers.png"))
    page.get_by_role("tab", name="Models").click()
    expect(page.locator("#models-body tr")).to_have_count(3)
    page.screenshot(path=str(out / "models.png"))
    page.get_by_role("tab", name="Activity").click()
    expect(page.locator("#activity-body tr").first).to_be_visible()
    page.screenshot(path=str(out / "activity.png"))
    page.get_by_role("tab", name="Models").click()
    page.get_by_role("button", name="Discover models").click()
    dialog = page.get_by_role("dialog", name="Discover models")
    dialog.get_by_role("button", name="Fetch models").click()
    expect(dialog.locator("#discover-list > li").first).to_be_visible()
    dialog.locator("#discover-list input:not([disabled])").nth(0).check()
    dialog.locator("#discover-list input:not([disabled])").nth(1).check()
    dialog.locator("#discover-list").evaluate("list => { list.scrollTop = 0; }")
    page.screenshot(path=str(out / "discover.png"))
    page.keyboard.press("Escape")
    page.goto("/llm/agents")
    expect(page.locator("#agents-body tr")).to_have_count(2)
    page.screenshot(path=str(out / "agents.png"))
    page.get_by_role("button", name="Create Agent").click()
    agent_dialog = page.get_by_role("dialog", name="Create Agent")
    agent_dialog.get_by_label("Name").fill("Triage Bot")
    agent_dialog.get_by_label("Role").fill("Sorts incoming issues")
    select_starting_with(agent_dialog.get_by_label("Provider"), "Google AI")
    page.screenshot(path=str(out / "create-agent.png"))
    page.keyboard.press("Escape")

    page.set_viewport_size({"width": 390, "height": 844})
    for url, ready in (("/llm", "#providers-body tr"), ("/llm#models", "#models-body tr"),
                       ("/llm#activity", "#activity-body tr"),
                       ("/llm/agents", "#agents-body tr")):
        page.goto(url)
        expect(page.locator(ready).first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (url, overflow)
        if url == "/llm":
            page.mouse.move(0, 0)
            page.screenshot(path=str(out / "providers-list-390.png"), full_page=True)
    page.screenshot(path=str(out / "agents-390.png"), full_page=True)
    page.get_by_role("button", name="Create Agent").click()
    box = page.get_by_role("dialog", name="Create Agent").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.keyboard.press("Escape")
    page.goto("/llm")
    page.get_by_role("button", name="Add provider").click()
    box = page.get_by_role("dialog", name="Add provider").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(out / "providers-390.png"))
