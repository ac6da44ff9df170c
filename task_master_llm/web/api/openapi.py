"""``/api/llm/openapi.json``, generated from the facts each route declared with
:func:`~task_master_llm.web.api.common.endpoint` and from their schemas."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from task_master_llm.version import __version__
from task_master_llm.web.api.common import EndpointFacts, facts_of
from task_master_llm.web.schemas.common import ErrorSchema

_ERRORS = {
    400: "Invalid input; `fields` names each wrong field",
    401: "Not logged in",
    403: "Not an administrator",
    404: "No such record",
    409: "Duplicate or in use",
    413: "Body too large",
    415: "Body is not JSON",
    502: "The provider or the gateway failed; the message says what to check",
}
_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _schema_ref(spec: APISpec, schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=cls)
    return name


def build_spec(app: Flask, blueprint_names: frozenset[str]) -> dict[str, Any]:
    """Walk the app's URL map for the package's blueprints and describe each route."""
    spec = APISpec(
        title="Task Master LLM Registry",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Providers, models and agents of the LLM Model Registry."},
    )
    error_ref = _schema_ref(spec, ErrorSchema)
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in blueprint_names:
            continue
        facts = facts_of(app.view_functions[rule.endpoint])
        if facts is None:
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        path_names = _PATH_PARAM.findall(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                spec, facts, path_names, error_ref
            )
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(
    spec: APISpec, facts: EndpointFacts, path_names: list[str], error_ref: str
) -> dict[str, Any]:
    """One operation: parameters (path, then the query schema's fields), body, statuses."""
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_names
    ]
    if facts.query is not None:
        params.append({"in": "query", "schema": facts.query})  # expanded by the plugin
    op: dict[str, Any] = {"summary": facts.summary, "responses": {}}
    if params:
        op["parameters"] = params
    if facts.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{_schema_ref(spec, facts.body)}"}
                }
            },
        }
    for status, schema in facts.responses.items():
        if schema is None:
            op["responses"][str(status)] = {"description": "Done"}
            continue
        item: dict[str, Any] = {"$ref": f"#/components/schemas/{_schema_ref(spec, schema)}"}
        data = {"type": "array", "items": item} if facts.many else item
        op["responses"][str(status)] = {
            "description": "Success",
            "content": {
                "application/json": {"schema": {"type": "object", "properties": {"data": data}}}
            },
        }
    codes = [401] + ([403] if facts.auth != "user" else [])
    if path_names:
        codes.append(404)
    if facts.query is not None:
        codes.append(400)
    if facts.body is not None:
        codes += [400, 413, 415]
    codes += list(facts.errors)
    for code in sorted(set(codes)):
        op["responses"][str(code)] = {
            "description": _ERRORS.get(code, "Error"),
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{error_ref}"}}
            },
        }
    return op
