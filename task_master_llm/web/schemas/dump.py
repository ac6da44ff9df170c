"""A faster ``Schema().dump`` for response bodies, with the same output.

marshmallow's dump walks its generic machinery (accessors, hooks, per-call field binding)
for every field of every item: on a page of 100 agents with nested models, or 200
providers, that is most of a request's time (issue 13). :func:`dump` compiles each
response schema once into a list of ``(key, attribute, field)`` and serializes a
dictionary with each field's own ``_serialize``, recursing into ``Nested`` and ``List``
of ``Nested`` itself. Schemas remain the one description of a response (OpenAPI is
generated from them); a schema with dump hooks, or a field whose value is not read from
an attribute, is dumped by marshmallow as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from marshmallow import Schema, fields
from marshmallow.utils import missing

from task_master_llm.web.schemas.common import ObjectIdField

Dumper = Callable[[Any], Any]


def dump(schema: type[Schema], data: Any, *, many: bool = False) -> Any:
    """``schema(many=many).dump(data)``, faster for dictionaries."""
    one = _compiled(schema)
    if many:
        return [one(item) for item in data]
    return one(data)


@cache
def _compiled(schema_cls: type[Schema]) -> Dumper:
    schema = schema_cls()
    if any(schema._hooks.get(tag) for tag in ("pre_dump", "post_dump")):
        return schema.dump
    # (key, attribute, field, a faster dumper of the value or None, passthrough type)
    plan: list[tuple[str, str, fields.Field, Dumper | None, Any]] = []
    for name, field in schema.dump_fields.items():
        if not getattr(field, "_CHECK_ATTRIBUTE", True):
            return schema.dump  # Method/Function fields: marshmallow's way
        key = field.data_key or name
        attr = field.attribute or name
        plan.append((key, attr, field, _nested(field) or _shortcut(field), _passthrough(field)))

    def one(obj: Any) -> Any:
        if not isinstance(obj, Mapping):
            return schema.dump(obj)
        out: dict[str, Any] = {}
        for key, attr, field, convert, same in plan:
            value = obj.get(attr, missing)
            if value is missing:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is missing:
                    continue
            if value is None or same is _ANY or type(value) is same:
                out[key] = value  # what _serialize would return unchanged
            elif convert is not None:
                out[key] = convert(value)
            else:
                out[key] = field._serialize(value, attr, obj)
        return out

    return one


#: The passthrough marker of a field whose ``_serialize`` returns every value unchanged.
_ANY = object()


def _passthrough(field: fields.Field) -> Any:
    """The value type this field's ``_serialize`` returns unchanged (``_ANY``: every
    value, as ``Raw`` and ``Boolean`` do), or None when every value goes through it.

    Only marshmallow's own classes qualify (a subclass may override ``_serialize``), and
    every one of them gives None for None, which the caller passes through too."""
    kind = type(field)
    if kind in (fields.Raw, fields.Boolean) \
            and kind._serialize is fields.Field._serialize:
        return _ANY
    if kind is fields.String:
        return str
    if kind in (fields.Integer, fields.Float) and not field.as_string:  # type: ignore[attr-defined]
        return field.num_type  # type: ignore[attr-defined]
    return None


def _shortcut(field: fields.Field) -> Dumper | None:
    """A faster function giving what ``field._serialize`` gives for every value but None
    (which the caller passes through), for the fields a page has many of: a ``List`` of
    plain strings (a list of ``str`` comes out as a copy), an id (its text); None for
    other fields."""
    if type(field) is ObjectIdField:
        return str
    if type(field) is fields.List and _passthrough(field.inner) is str:
        serialize = field._serialize

        def strings(value: Any) -> Any:
            if type(value) is list and all(type(v) is str for v in value):
                return value[:]
            return serialize(value, None, None)

        return strings
    return None


def _nested(field: fields.Field) -> Dumper | None:
    """The dumper of a ``Nested`` field (or a ``List`` of them); None for other fields."""
    if isinstance(field, fields.Nested) and isinstance(field.nested, type) \
            and issubclass(field.nested, Schema) and not field.only and not field.exclude:
        inner = _compiled(field.nested)
        if field.many:
            return lambda value: [inner(v) for v in value]
        return inner
    if isinstance(field, fields.List) and _nested(field.inner) is not None:
        item = _nested(field.inner)
        assert item is not None
        return lambda value: [None if v is None else item(v) for v in value]
    return None


__all__ = ["dump"]
