"""What every route shares: one decorator that authorizes, loads, dumps and documents;
JSON bodies; the success envelope; the error handler.

A route is declared once::

    @bp.patch("/providers/<provider_id>")
    @endpoint("Edit a provider", auth="admin", exists=provider_exists,
              body=ProviderUpdateSchema, response=ProviderSchema, errors=(409,))
    def update_provider(services, data, provider_id): ...

and ``/openapi.json`` is built from the same facts (:class:`EndpointFacts`), so the
document cannot drift from what the route does (like flask-smorest's ``arguments`` and
``response`` decorators).
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson
from flask import Blueprint, Response, jsonify, request
from flask_login import current_user
from marshmallow import Schema
from pymongo.errors import AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)

from task_master_llm.config import Settings
from task_master_llm.core.services import Services
from task_master_llm.errors import (
    AuthenticationRequired,
    LlmRegistryError,
    PermissionDenied,
    UnsupportedMediaType,
    ValidationError,
)
from task_master_llm.web.context import current_services, current_settings
from task_master_llm.web.schemas import load_body
from task_master_llm.web.schemas.dump import dump

log = logging.getLogger("task_master_llm.api")

#: who may call a route: any logged-in user, admins, or who may manage agents
Auth = Literal["user", "admin", "agent_manager"]
View = Callable[..., Any]
#: checks the addressed record exists before the body is validated (a 404 first)
Exists = Callable[..., Any]
BodyLoader = Callable[[Schema, Any], dict[str, Any]]

_REFUSALS: dict[Auth, tuple[Callable[[Settings], Callable[[Any], bool]], str]] = {
    "admin": (lambda s: s.hooks.is_admin, "Only administrators may do this."),
    "agent_manager": (lambda s: s.hooks.can_manage_agents,
                      "You may not change, delete or re-sync agents."),
}


@dataclass(frozen=True)
class EndpointFacts:
    """What :func:`endpoint` declared about a route; the OpenAPI builder reads it."""

    summary: str
    auth: Auth
    body: type[Schema] | None
    query: type[Schema] | None
    responses: dict[int, type[Schema] | None]
    many: bool
    errors: tuple[int, ...]


@dataclass(frozen=True)
class Status:
    """A view's result with a status other than the route's default."""

    value: Any
    status: int


#: orjson writes a datetime (as text) and a dataclass through :func:`_as_text`, as json does
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def ok(data: Any, status: int = 200) -> tuple[Response, int]:
    """The success envelope ``{"data": ...}``, always strict JSON: a non-finite number
    (``NaN``, ``Infinity``: not JSON, a page's ``JSON.parse`` fails on it) becomes null.

    Encoded by orjson (a page of 100 models in a fifteenth of json's time, issue 13); what
    orjson refuses (an integer beyond 64 bits, a key that is not text, nesting deeper than
    254) is encoded by json as before."""
    body = {"data": data}
    try:
        text: str | bytes = orjson.dumps(body, default=_as_text, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is one
        text = _json_text(body)
    return Response(text, status=status, mimetype="application/json"), status


def _json_text(body: dict[str, Any]) -> str:
    """``body`` as JSON by the standard library, non-finite numbers as null."""
    try:
        return json.dumps(body, allow_nan=False, ensure_ascii=False, default=_as_text)
    except ValueError:
        return json.dumps(_finite(body), allow_nan=False, ensure_ascii=False,
                          default=_as_text)


def _as_text(value: Any) -> Any:
    """A value JSON has no type for, from a host's document (an ObjectId or a Decimal128
    in a field the schema passes through): its text; bytes never (they may be secret)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None
    return str(value)


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def facts_of(view: View) -> EndpointFacts | None:
    """The facts :func:`endpoint` attached to ``view`` (None: not an API route)."""
    return getattr(view, "_endpoint", None)


def endpoint(
    summary: str,
    *,
    auth: Auth = "user",
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    response: type[Schema] | None = None,
    many: bool = False,
    status: int = 200,
    also: tuple[int, ...] = (),
    errors: tuple[int, ...] = (),
    exists: Exists | None = None,
    load: BodyLoader | None = None,
) -> Callable[[View], View]:
    """Declare an API route: who may call it, its body and query schemas, the schema its
    result is dumped with, and its statuses.

    The view is called as ``view(services, **path_params)`` plus ``data=`` (the loaded
    body) and ``args=`` (the loaded query) when declared. It returns the object to dump
    with ``response`` (``many`` for a list), or a :class:`Status` for another status
    (listed in ``also``). Without ``response`` the view returns a Flask response itself.
    ``exists(services, **path_params)`` runs before the body is validated, so a missing
    record is a 404 whatever the body. ``errors`` names the statuses a route can answer
    beyond those its declaration implies (409, 502...). ``load`` replaces
    :func:`load_body` for bodies whose errors need their own shape.
    """
    responses: dict[int, type[Schema] | None] = {status: response}
    responses.update({code: response for code in also})
    facts = EndpointFacts(summary, auth, body, query, responses, many, errors)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(**params: Any) -> Any:
            services = current_services()
            _authorize(auth, services)
            if exists is not None:
                exists(services, **params)
            kwargs = dict(params)
            if body is not None:
                kwargs["data"] = (load or load_body)(body(), json_body())
            if query is not None:
                kwargs["args"] = load_body(query(), {k: request.args.get(k) for k in request.args})
            result = view(services, **kwargs)
            if response is None:
                return result
            code = status
            if isinstance(result, Status):
                result, code = result.value, result.status
            return ok(dump(response, result, many=many), code)

        wrapper._endpoint = facts  # type: ignore[attr-defined]
        return wrapper

    return decorate


def viewer_is_admin(services: Services) -> bool:
    """Whether the logged-in user is an admin (admins see operators' details: hosts,
    ports, the gateway's address)."""
    return bool(services.settings.hooks.is_admin(current_user))


def _authorize(auth: Auth, services: Services) -> None:
    """401 JSON (never a redirect) when nobody is logged in; 403 unless allowed."""
    user = current_user
    if user is None or not getattr(user, "is_authenticated", False):
        raise AuthenticationRequired("Log in to use this API.")
    if auth in _REFUSALS:
        allowed, refusal = _REFUSALS[auth]
        if not allowed(services.settings)(user):
            raise PermissionDenied(refusal)


def json_body() -> Any:
    """The request's JSON body; 415 when it is not JSON, 400 when it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType(
            "Send the request body as JSON with Content-Type: application/json."
        )
    raw = _body_bytes()
    depth = nesting_depth(raw)
    if depth > MAX_BODY_DEPTH:
        raise ValidationError(
            f"The request body nests deeper than {MAX_BODY_DEPTH} levels.",
            fields={"_body": [f"Nested deeper than {MAX_BODY_DEPTH} levels."]},
        )
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except _NonFinite:
        raise ValidationError(
            "The request body contains NaN or Infinity, which are not JSON numbers.",
            fields={"_body": ["NaN and Infinity are not allowed."]},
        ) from None
    except (ValueError, RecursionError):
        data = None
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


def _body_bytes() -> bytes:
    """The raw body, at most the size cap: a larger one is a 413, also when it comes
    chunked (no Content-Length), which would otherwise arrive cut off and look like bad
    JSON."""
    cap = request.max_content_length
    if request.content_length is None and cap is not None:
        raw = request.stream.read(cap)
        if request.stream.read(1):  # werkzeug's limited stream raises 413 here itself
            raise RequestEntityTooLarge()
        return raw
    return request.get_data(cache=True)  # over the cap: 413


class _NonFinite(ValueError):
    """``NaN``/``Infinity`` in a request body."""


def _refuse_constant(name: str) -> Any:
    raise _NonFinite(name)


#: how deep a request body may nest (arrays and objects)
MAX_BODY_DEPTH = 32


def nesting_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, counted without parsing it
    (so a body of a thousand brackets is refused before the parser recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_BODY_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _database_down(exc: Exception) -> bool:
    return isinstance(exc, (ServerSelectionTimeoutError, AutoReconnect, NetworkTimeout))


def handle_error(exc: Exception) -> tuple[Response, int]:
    """One place that turns errors into ``{"error": {...}}`` for the blueprint's routes."""
    if _database_down(exc):
        log.error("database unreachable in %s %s: %s", request.method, request.path,
                  type(exc).__name__)
        body = {"error": {"code": "database_unavailable", "message": (
            "The registry's database did not answer in time; try again shortly (the "
            "operator can check TASK_MASTER_LLM_MONGO_URI and the database server)."
        ), "fields": {}}}
        return jsonify(body), 503
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
    cap = current_settings().max_body_bytes
    host_cap = request.max_content_length
    if cap and (host_cap is None or cap < host_cap):
        request.max_content_length = cap
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.mimetype in FORM_TYPES:
        raise UnsupportedMediaType(
            "Send the request as JSON (Content-Type: application/json), or with no body."
        )
    # A cross-site fetch in no-cors mode can send neither a JSON content type nor a custom
    # header without a preflight, so one of them proves the request is not such a forgery.
    if request.mimetype != "application/json" and not request.headers.get(CSRF_HEADER):
        raise UnsupportedMediaType(
            "State-changing requests need Content-Type: application/json (send {} when "
            f"there is no body) or an {CSRF_HEADER} header."
        )
    if request.headers.get("Sec-Fetch-Site") == "cross-site" or not _same_origin():
        raise PermissionDenied("Cross-site requests are refused.")


#: the header the page sends on every request (any value)
CSRF_HEADER = "X-Requested-With"


def _same_origin() -> bool:
    """True without an ``Origin`` header, or when it names this host."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def no_store(response: Response) -> Response:
    """API answers carry key tails, base URLs and errors: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def unrouted_api_answer(prefixes: tuple[str, ...]) -> Callable[[], Response | None]:
    """An app-level ``before_request`` hook: a path under one of ``prefixes`` that no
    route matches (404), or matches with another method (405), gets the API's JSON error
    instead of the host's HTML page. Routing failures happen before any blueprint is
    known, so a blueprint's handler never sees them; a hook leaves the host's own error
    handlers alone for every other path."""
    roots = tuple(root for root in (prefix.rstrip("/") for prefix in prefixes) if root)

    def answer() -> Response | None:
        exc = request.routing_exception
        if request.url_rule is not None or not isinstance(exc, (NotFound, MethodNotAllowed)):
            return None
        path = request.path
        if not any(path == root or path.startswith(root + "/") for root in roots):
            return None
        response, status = handle_error(exc)
        response.status_code = status
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return no_store(response)

    return answer


def install_error_handler(bp: Blueprint) -> None:
    """Scope the JSON error handler and the form guard to one blueprint (never the
    host's routes)."""
    bp.register_error_handler(Exception, handle_error)
    bp.before_request(guard_request)
    bp.after_request(no_store)


__all__ = [
    "Auth",
    "EndpointFacts",
    "Status",
    "endpoint",
    "facts_of",
    "handle_error",
    "install_error_handler",
    "unrouted_api_answer",
    "json_body",
    "ok",
]
