"""``/api/llm/openapi.json``, generated from the views' ``@doc`` facts and their schemas."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from task_master_llm.schemas.common import ErrorSchema
from task_master_llm.version import __version__

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


def build_spec(app: Flask, blueprint_names: set[str]) -> dict[str, Any]:
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
        view = app.view_functions[rule.endpoint]
        facts = getattr(view, "_openapi", None)
        if facts is None:
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PATH_PARAM.findall(rule.rule)
        ] + list(facts["params"])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {"summary": facts["summary"], "responses": {}}
            if params:
                op["parameters"] = params
            if facts["body"] is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/"
                                       f"{_schema_ref(spec, facts['body'])}"}
                        }
                    },
                }
            for status, schema in facts["responses"].items():
                if schema is None:
                    op["responses"][str(status)] = {"description": "Done"}
                    continue
                item: dict[str, Any] = {"$ref": f"#/components/schemas/{_schema_ref(spec, schema)}"}
                data = {"type": "array", "items": item} if facts["many"] else item
                op["responses"][str(status)] = {
                    "description": "Success",
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "properties": {"data": data}}
                        }
                    },
                }
            auth = getattr(view, "_openapi_auth", None)
            codes = [401] + ([403] if auth == "admin" else [])
            if params and any(p["in"] == "path" for p in params):
                codes.append(404)
            if facts["body"] is not None:
                codes += [400, 413, 415]
            codes += list(facts.get("errors", []))
            for code in sorted(set(codes)):
                op["responses"][str(code)] = {
                    "description": _ERRORS.get(code, "Error"),
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{error_ref}"}
                        }
                    },
                }
            paths.setdefault(path, {})[method.lower()] = op
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()
