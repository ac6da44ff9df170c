"""The accessor of one app's services, for routes, pages and commands.

It imports nothing that wires the registry (like flask-smorest's ``globals.py``): the
extension stores :class:`~task_master_llm.core.services.Services` under
:data:`EXTENSION_KEY` and everything in the web layer reads it from here.
"""

from __future__ import annotations

from flask import Flask, current_app

from task_master_llm.config import Settings
from task_master_llm.core.services import Services
from task_master_llm.errors import ConfigurationError

EXTENSION_KEY = "task_master_llm"


def services_of(app: Flask) -> Services:
    """The registry services of ``app``; a clear error when it has none."""
    try:
        services: Services = app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "LlmRegistry is not registered on this app. Did you forget "
            "LlmRegistry(app) or registry.init_app(app)?"
        ) from None
    return services


def current_services() -> Services:
    """The registry services of the current app."""
    return services_of(current_app)


def current_settings() -> Settings:
    """The registry settings of the current app."""
    return current_services().settings


def require_user_loader() -> None:
    """Before the registry's routes: a clear error when flask-login cannot load users
    (flask-login itself says only "Missing user_loader or request_loader"). Checked at
    the first request, not at ``init_app``: hosts often declare the loader afterwards."""
    manager = getattr(current_app, "login_manager", None)
    if manager is None or getattr(manager, "_user_callback", None) or getattr(
        manager, "_request_callback", None
    ):
        return
    raise ConfigurationError(
        "flask-login has no user loader, so LlmRegistry cannot tell who is logged in. "
        "Register one on the host's LoginManager: @login_manager.user_loader "
        "def load_user(user_id): return <the user with this id, or None> (or a "
        "request_loader)."
    )


__all__ = ["EXTENSION_KEY", "current_services", "current_settings", "require_user_loader",
           "services_of"]
