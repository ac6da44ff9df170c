"""Everything that imports Flask: the JSON API, the pages, the commands, and the accessor
of one app's services (:mod:`~task_master_llm.web.context`)."""

from __future__ import annotations

from flask import Flask

from task_master_llm.core.services import Services
from task_master_llm.web.api import make_agents_blueprint, make_llm_blueprint
from task_master_llm.web.api.common import unrouted_api_answer
from task_master_llm.web.cli import llm_cli
from task_master_llm.web.context import EXTENSION_KEY
from task_master_llm.web.page import make_page_blueprint


def register(app: Flask, services: Services) -> None:
    """Put ``services`` on ``app`` and register the API, the agents API and the page
    (unless turned off) and the ``flask llm`` commands."""
    app.extensions[EXTENSION_KEY] = services
    urls = services.settings.urls
    app.register_blueprint(make_llm_blueprint(), url_prefix=urls.api)
    prefixes = [urls.api]
    if urls.serve_agents_api:
        app.register_blueprint(make_agents_blueprint(), url_prefix=urls.agents_api)
        prefixes.append(urls.agents_api)
    app.before_request(unrouted_api_answer(tuple(prefixes)))
    if urls.serve_page:
        app.register_blueprint(make_page_blueprint(), url_prefix=urls.page)
    app.cli.add_command(llm_cli)


__all__ = ["EXTENSION_KEY", "register"]
