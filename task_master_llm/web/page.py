"""The registry page (``/llm``, admins) and the agents page (``/llm/agents``, members).

Both pages are plain Jinja templates plus ES modules (``lib/`` helpers, one module per
widget, one entry module per page: ``registry/page.js``, ``agents/page.js``) and one
stylesheet, served from this blueprint's static folder; they talk to the same JSON API as
any other client. Nothing secret is rendered into the HTML: the page only learns
``hasApiKey`` and ``****abcd`` from the API, like everybody else.

The host shows the navigation link with::

    {% from "task_master_llm/nav.html" import llm_nav_link, llm_agents_link %}
    {{ llm_nav_link() }}        {# "LLM Registry" with a plug icon, admins only #}

``llm_is_admin()`` and ``llm_page_urls()`` are Jinja globals on the host app, so the host's
own templates can ask the same questions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from task_master_llm.adapters.registry import BUILTIN_ADAPTERS, adapter_types
from task_master_llm.web.context import current_settings

PAGE_BLUEPRINT = "task_master_llm_page"
#: the package folder, which holds ``templates/`` and ``static/``
PACKAGE_ROOT = Path(__file__).resolve().parents[1]

_RULES = (("apiKey", "api_key"), ("baseUrl", "base_url"), ("orgId", "org_id"),
          ("deploymentId", "deployment_id"))


def provider_types() -> list[dict[str, Any]]:
    """The provider types the dialog offers, with the fields each one takes.

    Read from the adapter registry (each class's ``FieldRule``), so the page, the API and
    third-party types agree; built-ins first, in their own order.
    """
    builtin = [cls.type_name for cls in BUILTIN_ADAPTERS]
    types = adapter_types()
    order = builtin + sorted(set(types) - set(builtin))
    out: list[dict[str, Any]] = []
    for type_name in order:
        cls = types[type_name]
        fields = {
            api: getattr(cls.fields, attr)
            for api, attr in _RULES
            if getattr(cls.fields, attr) != "refused"
        }
        prefill = {"baseUrl": cls.default_base_url} if cls.prefill_base_url else {}
        out.append(
            {
                "value": type_name,
                "label": cls.display_name,
                "fields": fields,
                "defaultBaseUrl": cls.default_base_url,
                "prefill": prefill,
            }
        )
    return out


def llm_is_admin() -> bool:
    """Whether the logged-in user is a registry admin (False when nobody is logged in)."""
    if not getattr(current_user, "is_authenticated", False):
        return False
    return bool(current_settings().hooks.is_admin(current_user))


def _can_manage_agents() -> bool:
    if not getattr(current_user, "is_authenticated", False):
        return False
    return bool(current_settings().hooks.can_manage_agents(current_user))


def llm_page_urls() -> dict[str, str]:
    """URLs the pages and the host's navigation need."""
    urls = current_settings().urls
    return {
        "registry": url_for(f"{PAGE_BLUEPRINT}.registry"),
        "agents": url_for(f"{PAGE_BLUEPRINT}.agents"),
        "llmApi": urls.api.rstrip("/"),
        "agentsApi": urls.agents_api.rstrip("/"),
    }


def _url_of(target: str) -> str:
    """A path as it is ("/home"), else the URL of an endpoint name; BuildError if none."""
    return target if target.startswith("/") else url_for(target)


def _home_url() -> str:
    """Where "Task Master" in the top bar goes: ``TASK_MASTER_LLM_HOME_ENDPOINT`` (an
    endpoint or a path), else the host's ``home`` or ``index`` endpoint, else ``/``."""
    configured = current_settings()["TASK_MASTER_LLM_HOME_ENDPOINT"]
    if configured:
        return _url_of(configured)  # set on purpose: a wrong name is an error, not "/"
    for endpoint in ("home", "index"):
        try:
            return url_for(endpoint)
        except BuildError:
            continue
    return "/"


def _logout() -> dict[str, str] | None:
    """Log out as the host does it: ``{"url", "method"}`` (a POST form by default; a GET
    link with ``TASK_MASTER_LLM_LOGOUT_METHOD = "get"``), None without such an endpoint."""
    settings = current_settings()
    try:
        url = _url_of(settings["TASK_MASTER_LLM_LOGOUT_ENDPOINT"] or "logout")
    except BuildError:
        return None
    return {"url": url, "method": settings["TASK_MASTER_LLM_LOGOUT_METHOD"]}


def _user_label() -> str:
    """Who is logged in, for the top bar: ``TASK_MASTER_LLM_USER_LABEL(user)``, else the
    user's ``name``, else its ``email``."""
    label = current_settings()["TASK_MASTER_LLM_USER_LABEL"]
    if label is not None:
        return str(label(current_user) or "")
    return str(getattr(current_user, "name", None) or getattr(current_user, "email", None) or "")


def _render(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(
        template,
        urls=llm_page_urls(),
        home_url=_home_url(),
        logout=_logout(),
        is_admin=llm_is_admin(),
        can_manage_agents=_can_manage_agents(),
        user_label=_user_label(),
        llm_layout=current_settings()["TASK_MASTER_LLM_LAYOUT"],
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
        root_path=str(PACKAGE_ROOT),
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
