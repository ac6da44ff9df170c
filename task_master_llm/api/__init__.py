"""The package's blueprints; :func:`register_blueprints` is called by ``init_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app, jsonify

from task_master_llm.api import models, providers
from task_master_llm.api.agents import AGENTS_BLUEPRINT, make_agents_blueprint
from task_master_llm.api.common import doc, install_error_handler, login_required, ok
from task_master_llm.api.openapi import build_spec

if TYPE_CHECKING:
    from task_master_llm.extension import RegistryState

LLM_BLUEPRINT = "task_master_llm_api"
#: blueprints whose routes the OpenAPI document describes
API_BLUEPRINTS: frozenset[str] = frozenset({LLM_BLUEPRINT, AGENTS_BLUEPRINT})


def make_llm_blueprint() -> Blueprint:
    """The ``/api/llm`` blueprint: providers, models, the OpenAPI document."""
    bp = Blueprint(LLM_BLUEPRINT, __name__)
    install_error_handler(bp)
    providers.register(bp)
    models.register(bp)

    @bp.get("/openapi.json")
    @login_required
    @doc("This OpenAPI document")
    def openapi() -> Any:
        return jsonify(build_spec(current_app, API_BLUEPRINTS))

    return bp


def register_blueprints(app: Flask, state: RegistryState) -> None:
    """Register the API, the agents API (unless turned off) and the page on ``app``."""
    from task_master_llm.page import make_page_blueprint

    settings = state.settings
    app.register_blueprint(make_llm_blueprint(), url_prefix=settings["TASK_MASTER_LLM_URL_PREFIX"])
    if settings["TASK_MASTER_LLM_AGENTS_API"]:
        app.register_blueprint(
            make_agents_blueprint(), url_prefix=settings["TASK_MASTER_LLM_AGENTS_URL_PREFIX"]
        )
    if settings["TASK_MASTER_LLM_PAGE"]:
        app.register_blueprint(
            make_page_blueprint(), url_prefix=settings["TASK_MASTER_LLM_PAGE_URL"]
        )


__all__ = ["API_BLUEPRINTS", "doc", "ok", "register_blueprints"]
