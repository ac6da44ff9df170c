"""Routes under ``/api/llm/audit``: the audit log (admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from task_master_llm.core.services import Services
from task_master_llm.web.api.common import endpoint
from task_master_llm.web.schemas.audit import AuditListQuerySchema, AuditPageSchema


def register(bp: Blueprint) -> None:
    """Add the audit route to the ``/api/llm`` blueprint."""

    @bp.get("/audit")
    @endpoint("List audit events, newest first (paginated; filters by target and action)",
              auth="admin", query=AuditListQuerySchema, response=AuditPageSchema)
    def list_audit(services: Services, args: dict[str, Any]) -> Any:
        return services.audit.page(
            target_id=args.get("targetId"),
            target_type=args.get("targetType"),
            action=args.get("action"),
            limit=args["limit"],
            offset=args["offset"],
            count=args["count"],
        )
