"""Routes under ``/api/agents`` (a separate blueprint the host can turn off with
``TASK_MASTER_LLM_AGENTS_API = False`` when it keeps its own agent routes)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint
from flask_login import current_user

from task_master_llm.agents import AgentService
from task_master_llm.api.common import doc, install_error_handler, json_body, login_required, ok
from task_master_llm.api.models import errors
from task_master_llm.errors import PermissionDenied
from task_master_llm.extension import get_state
from task_master_llm.schemas import load_body
from task_master_llm.schemas.agents import (
    AgentCreateSchema,
    AgentDeleteResultSchema,
    AgentSchema,
    AgentUpdateSchema,
)

AGENTS_BLUEPRINT = "task_master_llm_agents"
F = TypeVar("F", bound=Callable[..., Any])


def manager_required(view: F) -> F:
    """401 when nobody is logged in; 403 unless ``TASK_MASTER_LLM_CAN_MANAGE_AGENTS``
    (default: admins) accepts the user."""

    @login_required
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not get_state().settings.can_manage_agents(current_user):
            raise PermissionDenied("You may not change or re-sync agents.")
        return view(*args, **kwargs)

    wrapper._openapi_auth = "admin"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _service() -> AgentService:
    return AgentService(get_state())


def make_agents_blueprint() -> Blueprint:
    """The ``/api/agents`` blueprint: agents bound to registered models, synced to Talon."""
    bp = Blueprint(AGENTS_BLUEPRINT, __name__)
    install_error_handler(bp)

    @bp.get("")
    @login_required
    @doc("List agents with their llmModel relation", responses={200: AgentSchema}, many=True)
    def list_agents() -> Any:
        return ok(AgentSchema(many=True).dump(_service().list()))

    @bp.post("")
    @login_required
    @errors(409)
    @doc("Create an agent and push it to the Talon gateway",
         body=AgentCreateSchema, responses={201: AgentSchema})
    def create_agent() -> Any:
        data = load_body(AgentCreateSchema(), json_body())
        return ok(AgentSchema().dump(_service().create(data)), 201)

    @bp.get("/<agent_id>")
    @login_required
    @doc("Get an agent", responses={200: AgentSchema})
    def get_agent(agent_id: str) -> Any:
        return ok(AgentSchema().dump(_service().get(agent_id)))

    @bp.patch("/<agent_id>")
    @manager_required
    @errors(409)
    @doc("Edit an agent (its Talon id never changes) and push the change",
         body=AgentUpdateSchema, responses={200: AgentSchema})
    def update_agent(agent_id: str) -> Any:
        service = _service()
        service.store.get(agent_id)  # 404 before validating the body
        data = load_body(AgentUpdateSchema(), json_body())
        return ok(AgentSchema().dump(service.update(agent_id, data)))

    @bp.delete("/<agent_id>")
    @manager_required
    @doc("Delete an agent, here and at the gateway (a gateway failure never blocks it)",
         responses={200: AgentDeleteResultSchema})
    def delete_agent(agent_id: str) -> Any:
        return ok(AgentDeleteResultSchema().dump(_service().delete(agent_id)))

    @bp.post("/<agent_id>/sync")
    @manager_required
    @errors(502)
    @doc("Push the agent to the Talon gateway again", responses={200: AgentSchema})
    def sync_agent(agent_id: str) -> Any:
        return ok(AgentSchema().dump(_service().sync(agent_id)))

    return bp
