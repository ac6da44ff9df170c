"""The JSON API's blueprints: ``/api/llm`` (providers, models, the OpenAPI document) and
``/api/agents``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from task_master_llm.core.services import Services
from task_master_llm.web.api import audit, models, providers
from task_master_llm.web.api.agents import AGENTS_BLUEPRINT, make_agents_blueprint
from task_master_llm.web.api.common import endpoint, install_error_handler
from task_master_llm.web.api.openapi import build_spec

LLM_BLUEPRINT = "task_master_llm_api"
#: blueprints whose routes the OpenAPI document describes
API_BLUEPRINTS: frozenset[str] = frozenset({LLM_BLUEPRINT, AGENTS_BLUEPRINT})


def make_llm_blueprint() -> Blueprint:
    """The ``/api/llm`` blueprint: providers, models, the audit log, the OpenAPI document."""
    bp = Blueprint(LLM_BLUEPRINT, __name__)
    install_error_handler(bp)
    providers.register(bp)
    models.register(bp)
    audit.register(bp)

    @bp.get("/openapi.json")
    @endpoint("This OpenAPI document")
    def openapi(services: Services) -> Any:
        return jsonify(build_spec(current_app, API_BLUEPRINTS))

    return bp


__all__ = ["AGENTS_BLUEPRINT", "API_BLUEPRINTS", "LLM_BLUEPRINT", "make_agents_blueprint",
           "make_llm_blueprint"]
