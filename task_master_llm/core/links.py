"""How the provider and model services reach the agents: one typed interface.

The agent service implements it; :func:`~task_master_llm.core.services.build_services`
hands it to the provider and model services, so a change of credentials or a delete
reaches the agents through a method call that a type checker sees (no string-keyed hooks).
"""

from __future__ import annotations

from typing import Any, Protocol

from bson import ObjectId


class AgentLinks(Protocol):
    """What providers and models need to know of, and do to, the agents that use them."""

    def request_deadline(self) -> float:
        """The :func:`time.monotonic` instant by which a request's agent re-syncs stop
        (the gateway timeout and a margin from now)."""
        ...

    def agents_using(self, model_ids: list[ObjectId]) -> list[dict[str, Any]]:
        """The agents bound to any of these models."""
        ...

    def detach_from_models(
        self, model_ids: list[ObjectId], deadline: float | None = None
    ) -> list[dict[str, str]]:
        """Models are about to go: detach their agents (they keep the model string),
        re-sync them (until ``deadline``, a :func:`time.monotonic` instant; the rest stay
        owed), and return ``[{"id", "name"}]`` of each."""
        ...

    def drop_fallbacks(
        self, model_ids: list[ObjectId], deadline: float | None = None
    ) -> list[dict[str, str]]:
        """Models are being disabled or deleted: take them off the agents' fallback lists,
        re-sync those agents (until ``deadline``), and return ``[{"id", "name"}]`` of each."""
        ...

    def resync_provider(self, provider_id: ObjectId, deadline: float | None = None) -> None:
        """A provider's key, base URL or deployment changed: push its agents again (until
        ``deadline``; the rest stay owed)."""
        ...

    def count_by_model(self, model_ids: list[ObjectId]) -> dict[ObjectId, int]:
        """How many agents use each model, as primary or fallback (an agent counts once)."""
        ...

    def move_model(
        self, from_model: dict[str, Any], to_model: dict[str, Any], provider: dict[str, Any]
    ) -> dict[str, Any]:
        """Re-bind every agent of ``from_model`` (primary or fallback) to ``to_model`` of
        ``provider`` and sync them; returns ``{"agents": [{"id", "name"}], "failed": n}``."""
        ...


__all__ = ["AgentLinks"]
