"""Browser fixtures: the example app on a free port, local provider and Talon servers,
and Playwright driving Debian's chromium (never a downloaded browser). The helpers the
tests call (users, login, seeding) are in ``tests/browser/support.py``.

If ``/usr/bin/chromium`` is missing the tests fail with a message saying how to install
it; they never skip silently. A failing test leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database
from werkzeug.serving import BaseWSGIServer, make_server

from tests.browser.support import LiveApp
from tests.support import TEST_KEY

CHROMIUM = os.environ.get("TASK_MASTER_LLM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TALON_TOKEN = "browser-test-talon-token"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def closing_bodies(app: Any) -> Any:
    """The app, with every response body read and closed before the server writes it.

    werkzeug's development server closes a response only after draining the request
    socket, and skips the close when that read fails (a browser that navigated away resets
    the connection): a static file stays open and the garbage collector's ResourceWarning
    fails whichever test is running then (``filterwarnings = error``). The test pages
    stream nothing, so buffering changes no behaviour."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture
def live(db: Database) -> Iterator[LiveApp]:
    """The example app on 127.0.0.1:<free port> against the test database."""
    from examples.app import create_app
    from standins.providers import DemoProviders
    from standins.talon import TalonServer

    with DemoProviders() as providers:
        talon = TalonServer(token=TALON_TOKEN)
        talon.start()
        try:
            app = create_app(
                db,
                {
                    "SECRET_KEY": "browser-test-secret",
                    "LLM_ENCRYPTION_KEY": TEST_KEY,
                    "TALON_GATEWAY_URL": talon.base_url,
                    "TALON_GATEWAY_TOKEN": TALON_TOKEN,
                    "TASK_MASTER_LLM_MAX_RETRY_AFTER": 1.0,
                    "TASK_MASTER_LLM_CONNECT_TIMEOUT": 2.0,
                    "TASK_MASTER_LLM_READ_TIMEOUT": 5.0,
                },
            )
            server: BaseWSGIServer = make_server("127.0.0.1", 0, closing_bodies(app),
                                                 threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield LiveApp(
                    url=f"http://127.0.0.1:{server.server_port}",
                    app=app,
                    db=db,
                    providers=providers,
                    talon=talon,
                )
            finally:
                server.shutdown()
                server.server_close()
                thread.join(timeout=5)
        finally:
            talon.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the session; fails loudly when it is not installed."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. The browser tests drive Debian's "
            "chromium: run `bash scripts/install-chromium.sh` (scripts/test.sh does), and "
            "never `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


#: (label, seconds) measured by the tests, printed in the terminal summary
TIMINGS_KEY = pytest.StashKey[list[tuple[str, float]]]()


@pytest.fixture
def timings(request: pytest.FixtureRequest) -> list[tuple[str, float]]:
    """Append (label, seconds) to have a measurement printed after the run."""
    return request.config.stash.setdefault(TIMINGS_KEY, [])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print what the browser tests measured (e.g. empty registry -> synced agent)."""
    measured = config.stash.get(TIMINGS_KEY, [])
    if measured:
        terminalreporter.section("browser timings")
        for label, seconds in measured:
            terminalreporter.write_line(f"{label}: {seconds:.1f} s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Remember each phase's report on the item so fixtures can see a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser: Any, live: LiveApp, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context at 1280x800 that records every response it sees.

    On failure, a full-page screenshot goes to ``test-artifacts/<test name>.png``.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()

    def record(response: Any) -> None:
        # read the body now: after a navigation the browser discards it
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - redirects have no body
            body = None
        live.responses.append((response.url, response.status, body))

    tab.on("response", record)
    console_errors: list[str] = []
    tab.on("pageerror", lambda exc: console_errors.append(str(exc)))
    tab.console_errors = console_errors  # type: ignore[attr-defined]
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            try:
                tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - the test's own failure matters more
                print(f"could not save a failure screenshot: {exc}")
        context.close()
