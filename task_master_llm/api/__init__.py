"""The package's blueprints; :func:`register_blueprints` is called by ``init_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app

from task_master_llm.api import providers
from task_master_llm.api.common import doc, install_error_handler, login_required, ok
from task_master_llm.api.openapi import build_spec

if TYPE_CHECKING:
    from task_master_llm.extension import RegistryState

LLM_BLUEPRINT = "task_master_llm_api"
#: blueprints whose routes the OpenAPI document describes
API_BLUEPRINTS: set[str] = {LLM_BLUEPRINT}


def make_llm_blueprint() -> Blueprint:
    """The ``/api/llm`` blueprint: providers, models, the OpenAPI document."""
    bp = Blueprint(LLM_BLUEPRINT, __name__)
    install_error_handler(bp)
    providers.register(bp)
    _register_optional(bp, "task_master_llm.api.models")

    @bp.get("/openapi.json")
    @login_required
    @doc("This OpenAPI document")
    def openapi() -> Any:
        from flask import jsonify

        return jsonify(build_spec(current_app, API_BLUEPRINTS))

    return bp


def _register_optional(bp: Blueprint, module: str) -> None:
    """Routes added by later modules register themselves if present."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return
    mod.register(bp)


def register_blueprints(app: Flask, state: RegistryState) -> None:
    """Register the API (and, when present, the agents API and page) on ``app``."""
    settings = state.settings
    app.register_blueprint(make_llm_blueprint(), url_prefix=settings["TASK_MASTER_LLM_URL_PREFIX"])
    if settings["TASK_MASTER_LLM_AGENTS_API"]:
        try:
            from task_master_llm.api.agents import make_agents_blueprint
        except ModuleNotFoundError as exc:
            if exc.name != "task_master_llm.api.agents":
                raise
        else:
            bp = make_agents_blueprint()
            API_BLUEPRINTS.add(bp.name)
            app.register_blueprint(bp, url_prefix=settings["TASK_MASTER_LLM_AGENTS_URL_PREFIX"])
    if settings["TASK_MASTER_LLM_PAGE"]:
        try:
            from task_master_llm.page import make_page_blueprint
        except ModuleNotFoundError as exc:
            if exc.name != "task_master_llm.page":
                raise
        else:
            app.register_blueprint(
                make_page_blueprint(), url_prefix=settings["TASK_MASTER_LLM_PAGE_URL"]
            )


__all__ = ["doc", "ok", "register_blueprints"]
