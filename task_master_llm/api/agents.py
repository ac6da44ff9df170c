"""Routes under ``/api/agents`` (a separate blueprint the host can turn off with
``TASK_MASTER_LLM_AGENTS_API = False`` when it keeps its own agent routes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from task_master_llm.agents import AgentService
from task_master_llm.api.common import (
    agent_manager_required,
    doc,
    install_error_handler,
    json_body,
    login_required,
    ok,
)
from task_master_llm.extension import get_state
from task_master_llm.schemas import load_body
from task_master_llm.schemas.agents import (
    AgentCreateSchema,
    AgentDeleteResultSchema,
    AgentSchema,
    AgentUpdateSchema,
)

AGENTS_BLUEPRINT = "task_master_llm_agents"
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
    @doc("Create an agent and push it to the Talon gateway",
         body=AgentCreateSchema, responses={201: AgentSchema}, errors=(409,))
    def create_agent() -> Any:
        data = load_body(AgentCreateSchema(), json_body())
        return ok(AgentSchema().dump(_service().create(data)), 201)

    @bp.get("/<agent_id>")
    @login_required
    @doc("Get an agent", responses={200: AgentSchema})
    def get_agent(agent_id: str) -> Any:
        return ok(AgentSchema().dump(_service().get(agent_id)))

    @bp.patch("/<agent_id>")
    @agent_manager_required
    @doc("Edit an agent (its Talon id never changes) and push the change",
         body=AgentUpdateSchema, responses={200: AgentSchema}, errors=(409,))
    def update_agent(agent_id: str) -> Any:
        service = _service()
        service.store.get(agent_id)  # 404 before validating the body
        data = load_body(AgentUpdateSchema(), json_body())
        return ok(AgentSchema().dump(service.update(agent_id, data)))

    @bp.delete("/<agent_id>")
    @agent_manager_required
    @doc("Delete an agent, here and at the gateway (a gateway failure never blocks it)",
         responses={200: AgentDeleteResultSchema})
    def delete_agent(agent_id: str) -> Any:
        return ok(AgentDeleteResultSchema().dump(_service().delete(agent_id)))

    @bp.post("/<agent_id>/sync")
    @agent_manager_required
    @doc("Push the agent to the Talon gateway again", responses={200: AgentSchema},
         errors=(502,))
    def sync_agent(agent_id: str) -> Any:
        return ok(AgentSchema().dump(_service().sync(agent_id)))

    return bp
