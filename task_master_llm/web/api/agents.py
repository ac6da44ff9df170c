"""Routes under ``/api/agents`` (a separate blueprint the host can turn off with
``TASK_MASTER_LLM_AGENTS_API = False`` when it keeps its own agent routes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from task_master_llm.core.services import Services
from task_master_llm.web.api.common import endpoint, install_error_handler, viewer_is_admin
from task_master_llm.web.schemas.agents import (
    AgentCreateSchema,
    AgentDeleteResultSchema,
    AgentListQuerySchema,
    AgentPageSchema,
    AgentSchema,
    AgentUpdateSchema,
)

AGENTS_BLUEPRINT = "task_master_llm_agents"


def for_viewer(
    services: Services, agent: dict[str, Any], *, admin: bool | None = None
) -> dict[str, Any]:
    """Members do not see the gateway's address in sync messages (admins do); ``admin``
    says whether the viewer is one when the caller knows (a page asks once)."""
    sync = agent.get("talonSync")
    url = services.talon.base_url
    if not url or not isinstance(sync, dict):
        return agent
    if viewer_is_admin(services) if admin is None else admin:
        return agent
    error = sync.get("error")
    if isinstance(error, str):
        sync = {**sync, "error": error.replace(f" at {url}", "").replace(url, "the gateway")}
    return {**agent, "talonSync": sync}


def agent_exists(services: Services, agent_id: str) -> None:
    """404 unless the agent exists (checked before the body is validated)."""
    services.stores.agents.get(agent_id)


def make_agents_blueprint() -> Blueprint:
    """The ``/api/agents`` blueprint: agents bound to registered models, synced to Talon."""
    bp = Blueprint(AGENTS_BLUEPRINT, __name__)
    install_error_handler(bp)

    @bp.get("")
    @endpoint("List agents with their llmModel relation (paginated, by name)",
              query=AgentListQuerySchema, response=AgentPageSchema)
    def list_agents(services: Services, args: dict[str, Any]) -> Any:
        page = services.agents.page(limit=args["limit"], offset=args["offset"])
        admin = viewer_is_admin(services)
        page["items"] = [for_viewer(services, a, admin=admin) for a in page["items"]]
        return page

    @bp.post("")
    @endpoint("Create an agent and push it to the Talon gateway", body=AgentCreateSchema,
              response=AgentSchema, status=201, errors=(409,))
    def create_agent(services: Services, data: dict[str, Any]) -> Any:
        return for_viewer(services, services.agents.create(data))

    @bp.get("/<agent_id>")
    @endpoint("Get an agent", response=AgentSchema)
    def get_agent(services: Services, agent_id: str) -> Any:
        return for_viewer(services, services.agents.get(agent_id))

    @bp.patch("/<agent_id>")
    @endpoint("Edit an agent (its Talon id never changes) and push the change",
              auth="agent_manager", exists=agent_exists, body=AgentUpdateSchema,
              response=AgentSchema, errors=(409,))
    def update_agent(services: Services, data: dict[str, Any], agent_id: str) -> Any:
        return for_viewer(services, services.agents.update(agent_id, data))

    @bp.delete("/<agent_id>")
    @endpoint("Delete an agent, here and at the gateway (a gateway failure never blocks it)",
              auth="agent_manager", response=AgentDeleteResultSchema)
    def delete_agent(services: Services, agent_id: str) -> Any:
        return for_viewer(services, services.agents.delete(agent_id))

    @bp.post("/<agent_id>/sync")
    @endpoint("Push the agent to the Talon gateway again", auth="agent_manager",
              response=AgentSchema, errors=(502,))
    def sync_agent(services: Services, agent_id: str) -> Any:
        return for_viewer(services, services.agents.sync(agent_id))

    return bp
