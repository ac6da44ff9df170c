"""What every route shares: auth checks, JSON bodies, the success envelope, errors, docs."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user
from marshmallow import Schema
from werkzeug.exceptions import HTTPException

from task_master_llm.config import Settings
from task_master_llm.errors import (
    AuthenticationRequired,
    LlmRegistryError,
    PermissionDenied,
    UnsupportedMediaType,
    ValidationError,
)
from task_master_llm.extension import get_state

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("task_master_llm.api")


def ok(data: Any, status: int = 200) -> tuple[Response, int]:
    """The success envelope ``{"data": ...}``."""
    return jsonify({"data": data}), status


def json_body() -> Any:
    """The request's JSON body; 415 when it is not JSON, 400 when it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType(
            "Send the request body as JSON with Content-Type: application/json."
        )
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationError(
            "The request body is not valid JSON.", fields={"_body": ["Not valid JSON."]}
        )
    try:  # JSON may escape a lone surrogate ("\ud800"); no database can store one
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "The request body contains text that is not valid Unicode (a lone surrogate).",
            fields={"_body": ["Not valid Unicode text."]},
        ) from None
    return data


def _user() -> Any:
    user = current_user
    if user is None or not getattr(user, "is_authenticated", False):
        raise AuthenticationRequired("Log in to use this API.")
    return user


def login_required(view: F) -> F:
    """401 JSON (never a redirect) when nobody is logged in."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _user()
        return view(*args, **kwargs)

    wrapper._openapi_auth = "user"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _role_required(
    allowed: Callable[[Settings], Callable[[Any], bool]], refusal: str
) -> Callable[[F], F]:
    """A decorator: 401 when nobody is logged in, 403 unless ``allowed(settings)(user)``."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = _user()
            if not allowed(get_state().settings)(user):
                raise PermissionDenied(refusal)
            return view(*args, **kwargs)

        wrapper._openapi_auth = "admin"  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


#: admins only (``TASK_MASTER_LLM_IS_ADMIN``)
admin_required = _role_required(lambda s: s.is_admin, "Only administrators may do this.")
#: who may change, delete and re-sync agents (``TASK_MASTER_LLM_CAN_MANAGE_AGENTS``)
agent_manager_required = _role_required(
    lambda s: s.can_manage_agents, "You may not change, delete or re-sync agents."
)


def is_admin() -> bool:
    """Whether the current user is an admin."""
    return bool(get_state().settings.is_admin(current_user))


def doc(
    summary: str,
    *,
    body: type[Schema] | Schema | None = None,
    responses: dict[int, type[Schema] | Schema | None] | None = None,
    params: list[dict[str, Any]] | None = None,
    many: bool = False,
    errors: tuple[int, ...] = (),
) -> Callable[[F], F]:
    """Attach OpenAPI facts to a view; ``/openapi.json`` is built from them.

    ``responses`` maps a success status to the schema of ``data`` (None: no body).
    Error statuses are added from the auth level and whether a body is taken; ``errors``
    names the others a route can answer (409, 502...).
    """

    def decorate(view: F) -> F:
        view._openapi = {  # type: ignore[attr-defined]
            "summary": summary,
            "body": body,
            "responses": responses or {200: None},
            "params": params or [],
            "many": many,
            "errors": errors,
        }
        return view

    return decorate


def handle_error(exc: Exception) -> tuple[Response, int]:
    """One place that turns errors into ``{"error": {...}}`` for the blueprint's routes."""
    if isinstance(exc, LlmRegistryError):
        status = exc.status if 400 <= exc.status < 600 else 500
        if status >= 500 and status != 502:
            log.error("registry error %s: %s", exc.code, exc.message)
        return jsonify(exc.to_dict()), status
    if isinstance(exc, HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        body = {"error": {"code": code, "message": exc.description or exc.name, "fields": {}}}
        return jsonify(body), exc.code or 500
    log.exception("unexpected error in %s %s", request.method, request.path)
    body = {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on the server; the error was logged.",
            "fields": {},
        }
    }
    return jsonify(body), 500


#: the body types a cross-site HTML form can send without a CORS preflight
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})


def guard_request() -> None:
    """Before every API request: cap the body size (``TASK_MASTER_LLM_MAX_BODY_BYTES``,
    unless the host's own cap is lower), and answer 415 for a state-changing request sent
    as a form, which with SameSite cookies keeps cross-site forms out of the routes that
    take no body (``/test``, ``/sync``) too."""
    cap = get_state().settings["TASK_MASTER_LLM_MAX_BODY_BYTES"]
    host_cap = request.max_content_length
    if cap and (host_cap is None or cap < host_cap):
        request.max_content_length = cap
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in FORM_TYPES:
        raise UnsupportedMediaType(
            "Send the request as JSON (Content-Type: application/json), or with no body."
        )


def install_error_handler(bp: Blueprint) -> None:
    """Scope the JSON error handler and the form guard to one blueprint (never the
    host's routes)."""
    bp.register_error_handler(Exception, handle_error)
    bp.before_request(guard_request)
