"""Core fixtures: the services built with ``build_services`` on the test database, no
Flask app (settings come from a plain dict; the environment is ignored)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pymongo.database import Database

from standins.talon import TalonServer
from task_master_llm.config import load_settings
from task_master_llm.core.services import Services, build_services
from tests.support import TALON_TOKEN, TEST_KEY


@pytest.fixture
def make_services(db: Database) -> Callable[..., Services]:
    """``make_services(**config)``: the services of ``config`` (the test key unless given)
    on the test database, with their indexes, as the extension builds them."""

    def make(**config: Any) -> Services:
        values: dict[str, Any] = {
            "LLM_ENCRYPTION_KEY": TEST_KEY,
            "TASK_MASTER_LLM_CONNECT_TIMEOUT": 2.0,
            "TASK_MASTER_LLM_READ_TIMEOUT": 3.0,
        }
        values.update(config)
        services = build_services(load_settings(values, environ={}), db)
        services.stores.ensure_indexes()
        return services

    return make


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    """The services with Talon sync off (no gateway URL)."""
    return make_services()


@pytest.fixture
def synced(make_services: Callable[..., Services], talon: TalonServer) -> Services:
    """The services syncing agents to the local gateway ``talon``."""
    return make_services(
        TALON_GATEWAY_URL=talon.base_url,
        TALON_GATEWAY_TOKEN=TALON_TOKEN,
        TASK_MASTER_LLM_TALON_TIMEOUT=1.0,
    )
