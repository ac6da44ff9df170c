"""The registry page (``/llm``, admins) and the agents page (``/llm/agents``, members).

Both pages are plain Jinja templates plus one ES module and one stylesheet served from this
blueprint's static folder; they talk to the same JSON API as any other client. Nothing
secret is rendered into the HTML: the page only learns ``hasApiKey`` and ``****abcd``
from the API, like everybody else.

The host shows the navigation link with::

    {% from "task_master_llm/nav.html" import llm_nav_link, llm_agents_link %}
    {{ llm_nav_link() }}        {# "LLM Registry" with a plug icon, admins only #}

``llm_is_admin()`` and ``llm_page_urls()`` are Jinja globals on the host app, so the host's
own templates can ask the same questions.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_login import current_user

from task_master_llm.extension import get_state

PAGE_BLUEPRINT = "task_master_llm_page"

#: providerType -> (label, adapter module, class); the order of the type dropdown
_BUILTIN_TYPES: tuple[tuple[str, str, str, str], ...] = (
    ("google", "Google", "task_master_llm.adapters.google", "GoogleAdapter"),
    ("openai", "OpenAI", "task_master_llm.adapters.openai", "OpenAIAdapter"),
    ("anthropic", "Anthropic", "task_master_llm.adapters.anthropic", "AnthropicAdapter"),
    ("azure", "Azure OpenAI", "task_master_llm.adapters.azure", "AzureAdapter"),
    ("ollama", "Ollama", "task_master_llm.adapters.ollama", "OllamaAdapter"),
    (
        "openai_compatible",
        "OpenAI-compatible",
        "task_master_llm.adapters.openai_compatible",
        "OpenAICompatibleAdapter",
    ),
)

#: what each built-in type takes when its adapter cannot be imported (mirrors FieldRule)
_FALLBACK_FIELDS: dict[str, dict[str, str]] = {
    "google": {"apiKey": "required", "baseUrl": "optional"},
    "openai": {"apiKey": "required", "baseUrl": "optional", "orgId": "optional"},
    "anthropic": {"apiKey": "required", "baseUrl": "optional"},
    "azure": {"apiKey": "required", "baseUrl": "required", "deploymentId": "required"},
    "ollama": {"apiKey": "optional", "baseUrl": "optional"},
    "openai_compatible": {"apiKey": "optional", "baseUrl": "required"},
}
_PREFILL = {"ollama": {"baseUrl": "http://localhost:11434"}}


def _adapter_class(type_name: str, module: str, cls_name: str) -> Any:
    """The adapter class for ``type_name``, or None when it is not importable."""
    try:
        from task_master_llm.adapters import get_adapter_class

        return get_adapter_class(type_name)
    except Exception:  # noqa: BLE001 - fall back to the module path below
        pass
    try:
        return getattr(importlib.import_module(module), cls_name, None)
    except Exception:  # noqa: BLE001 - the page still works from the fallback table
        return None


def provider_types() -> list[dict[str, Any]]:
    """The provider types the dialog offers, with the fields each one takes.

    Read from the adapter classes (``FieldRule``) so the page and the API agree; falls back
    to a built-in table for a type whose adapter is missing.
    """
    out: list[dict[str, Any]] = []
    for type_name, label, module, cls_name in _BUILTIN_TYPES:
        cls = _adapter_class(type_name, module, cls_name)
        fields = dict(_FALLBACK_FIELDS[type_name])
        default_base_url = None
        if cls is not None and getattr(cls, "fields", None) is not None:
            rule = cls.fields
            fields = {
                name: value
                for name, value in (
                    ("apiKey", rule.api_key),
                    ("baseUrl", rule.base_url),
                    ("orgId", rule.org_id),
                    ("deploymentId", rule.deployment_id),
                )
                if value != "refused"
            }
            label = getattr(cls, "display_name", label) or label
            default_base_url = getattr(cls, "default_base_url", None)
        out.append(
            {
                "value": type_name,
                "label": label,
                "fields": fields,
                "defaultBaseUrl": default_base_url,
                "prefill": _PREFILL.get(type_name, {}),
            }
        )
    return out


def llm_is_admin() -> bool:
    """Whether the logged-in user is a registry admin (False when nobody is logged in)."""
    if not getattr(current_user, "is_authenticated", False):
        return False
    return bool(get_state().settings.is_admin(current_user))


def _can_manage_agents() -> bool:
    if not getattr(current_user, "is_authenticated", False):
        return False
    return bool(get_state().settings.can_manage_agents(current_user))


def llm_page_urls() -> dict[str, str]:
    """URLs the pages and the host's navigation need."""
    settings = get_state().settings
    return {
        "registry": url_for(f"{PAGE_BLUEPRINT}.registry"),
        "agents": url_for(f"{PAGE_BLUEPRINT}.agents"),
        "llmApi": settings["TASK_MASTER_LLM_URL_PREFIX"].rstrip("/"),
        "agentsApi": settings["TASK_MASTER_LLM_AGENTS_URL_PREFIX"].rstrip("/"),
    }


def _home_url() -> str:
    """Where "back to the app" goes: the host's index when it has one."""
    try:
        return url_for("home")
    except Exception:  # noqa: BLE001 - a host without an endpoint called "home"
        try:
            return url_for("index")
        except Exception:  # noqa: BLE001
            return "/"


def _logout_url() -> str | None:
    try:
        return url_for("logout")
    except Exception:  # noqa: BLE001 - the host has no endpoint called "logout"
        return None


def _render(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(
        template,
        urls=llm_page_urls(),
        home_url=_home_url(),
        logout_url=_logout_url(),
        is_admin=llm_is_admin(),
        can_manage_agents=_can_manage_agents(),
        user_label=str(
            getattr(current_user, "name", None) or getattr(current_user, "email", None) or ""
        ),
        **context,
    )
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def make_page_blueprint() -> Blueprint:
    """The page blueprint: the prefix itself (registry, admins) and ``/agents`` (members)."""
    bp = Blueprint(
        PAGE_BLUEPRINT,
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    bp.add_app_template_global(llm_is_admin, "llm_is_admin")
    bp.add_app_template_global(llm_page_urls, "llm_page_urls")

    @bp.get("")
    def registry() -> Any:
        """The registry page: providers and models tabs."""
        if not getattr(current_user, "is_authenticated", False):
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        if not llm_is_admin():
            return _render("task_master_llm/forbidden.html", status=403)
        return _render("task_master_llm/registry.html", provider_types=provider_types())

    @bp.get("/agents")
    def agents() -> Any:
        """The agents page: list and Create Agent form."""
        if not getattr(current_user, "is_authenticated", False):
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return _render("task_master_llm/agents.html", provider_types=provider_types())

    return bp


__all__ = [
    "PAGE_BLUEPRINT",
    "llm_is_admin",
    "llm_page_urls",
    "make_page_blueprint",
    "provider_types",
]
