"""Everything that imports Flask: the JSON API, the pages, the commands, and the accessor
of one app's services (:mod:`~task_master_llm.web.context`)."""

from __future__ import annotations

from flask import Flask

from task_master_llm.core.services import Services
from task_master_llm.web.api import make_agents_blueprint, make_llm_blueprint
from task_master_llm.web.api.common import unrouted_api_answer
from task_master_llm.web.cli import llm_cli
from task_master_llm.web.context import EXTENSION_KEY, require_user_loader
from task_master_llm.web.page import make_page_blueprint


def register(app: Flask, services: Services) -> None:
    """Put ``services`` on ``app`` and register the API, the agents API and the page
    (unless turned off) and the ``flask llm`` commands."""
    app.extensions[EXTENSION_KEY] = services
    urls = services.settings.urls
    blueprints = [(make_llm_blueprint(), urls.api)]
    prefixes = [urls.api]
    if urls.serve_agents_api:
        blueprints.append((make_agents_blueprint(), urls.agents_api))
        prefixes.append(urls.agents_api)
    app.before_request(unrouted_api_answer(tuple(prefixes)))
    if urls.serve_page:
        blueprints.append((make_page_blueprint(), urls.page))
    for blueprint, prefix in blueprints:
        # first, so a host without a user loader hears why before anything else runs
        blueprint.before_request_funcs.setdefault(None, []).insert(0, require_user_loader)
        app.register_blueprint(blueprint, url_prefix=prefix)
    app.cli.add_command(llm_cli)


__all__ = ["EXTENSION_KEY", "register"]
