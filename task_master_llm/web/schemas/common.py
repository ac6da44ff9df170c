"""Shared schema pieces: ids, dates, the error body, and loading a request body."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate
from marshmallow import ValidationError as MarshmallowValidationError

from task_master_llm.errors import ValidationError
from task_master_llm.store import iso, storable_problem

_HEX24 = re.compile(r"[0-9a-fA-F]{24}")


class ObjectIdField(fields.String):
    """An ObjectId dumped as its 24-hex string (a string in OpenAPI)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        # 24 ASCII hex digits: int(value, 16) would also take "+00..." or Arabic-Indic digits
        if not isinstance(value, str) or not _HEX24.fullmatch(value):
            raise MarshmallowValidationError("Must be a 24-character id.")
        return value


class UtcDateTime(fields.DateTime):
    """A BSON date dumped as ISO 8601 in UTC with a ``Z`` (a date-time in OpenAPI)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        # a host's document may hold anything here (a string, a number): not a date, null
        return iso(value) if isinstance(value, datetime) else None


class StrictBoolean(fields.Boolean):
    """A JSON ``true``/``false`` only (no ``"yes"``, ``1`` or ``"on"``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class FlagField(fields.Boolean):
    """A query-string flag such as ``?force=true``: true/1/yes/on or false/0/no/off/empty."""

    _TRUE = frozenset({"1", "true", "yes", "on"})
    _FALSE = frozenset({"", "0", "false", "no", "off"})

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        text = (value or "").strip().lower() if isinstance(value, str) else None
        if text in self._TRUE:
            return True
        if text in self._FALSE:
            return False
        raise MarshmallowValidationError("Not a boolean.")


class StrippedSchema(Schema):
    """Strips surrounding whitespace of string inputs; in the fields named by
    ``blank_is_none`` an empty string means "none" (clears an optional value)."""

    blank_is_none: ClassVar[frozenset[str]] = frozenset()

    @pre_load
    def _strip(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "" and key in self.blank_is_none:
                    value = None
            out[key] = value
        return out


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")
    errorKind = fields.String()


class ErrorSchema(Schema):
    """``{"error": {"code", "message", "fields"}}``"""

    error = fields.Nested(ErrorDetailSchema, required=True)


def load_body(schema: Schema, data: Any) -> dict[str, Any]:
    """Validate ``data`` with ``schema``; failures become a 400 naming each field."""
    if not isinstance(data, dict):
        raise ValidationError(
            "The request body must be a JSON object.", fields={"_body": ["Expected an object."]}
        )
    try:
        return schema.load(data)
    except MarshmallowValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_body": exc.messages}
        unknown = [k for k, v in messages.items() if v == ["Unknown field."]]
        names = ", ".join(sorted(str(k) for k in messages))
        text = f"Invalid fields: {names}."
        if unknown and len(unknown) == len(messages):
            text = f"Unknown fields: {', '.join(sorted(unknown))}."
        raise ValidationError(text, fields=messages) from None


def storable_json(value: Any) -> None:
    """A marshmallow validator: ``value`` can be stored in MongoDB as it is (nesting at most
    :data:`~task_master_llm.store.base.MAX_STORED_DEPTH` levels, keys without NUL, a leading
    ``$`` or a ``.``, integers that fit in 8 bytes, finite numbers, text without NUL)."""
    problem = storable_problem(value)
    if problem:
        raise MarshmallowValidationError(problem)


class PageQuerySchema(Schema):
    """The paging parameters of a list that counts only when asked (``GET /models``,
    ``GET /audit``); other parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))
    count = FlagField(load_default=False, metadata={
        "description": "Count every match for total (one more query; without it total is "
                       "null unless this page reaches the end)"})


class PageSchema(Schema):
    """One page of a list read with ``limit + 1``: subclasses add ``items``."""

    hasMore = fields.Boolean(required=True, metadata={
        "description": "Whether another page follows this one"})
    total = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Every match, exact: counted when count=true, else known only when "
                       "this page reaches the end (null otherwise)"})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
