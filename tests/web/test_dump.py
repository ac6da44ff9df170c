"""The faster response dump (``web/schemas/dump.py``) gives exactly what marshmallow's
``Schema().dump`` gives, on real service results and on odd host documents."""

from __future__ import annotations

from datetime import datetime, timezone

from bson import ObjectId
from bson.decimal128 import Decimal128
from marshmallow import Schema, fields, post_dump

from task_master_llm.web.schemas import ProviderSchema
from task_master_llm.web.schemas.agents import AgentPageSchema, AgentSchema
from task_master_llm.web.schemas.dump import dump
from task_master_llm.web.schemas.models import ModelPageSchema, ModelRegisterResultSchema
from tests.support import make_provider, register


def same(schema: type[Schema], data, many: bool = False):
    expected = schema(many=many).dump(data)
    assert dump(schema, data, many=many) == expected
    return expected


def test_real_results_dump_the_same(admin, app, db) -> None:
    services = app.extensions["task_master_llm"]
    provider = make_provider(admin)
    make_provider(admin, "anthropic", name="second")
    register(admin, provider["id"], "gpt-4o", "gpt-4o-mini")
    [model, other] = services.models.page()["items"]
    db.Agent.insert_many([
        {"name": "bound", "modelId": model["_id"], "fallbackModelIds": [other["_id"]],
         "talonSyncStatus": "synced", "createdAt": datetime.now(timezone.utc)},
        {"name": "legacy", "model": "openai/gpt-4"},
        {"name": "Typed", "status": ObjectId(), "createdAt": "yesterday"},
        {"name": "Priced", "status": Decimal128("1.5"), "updatedAt": 12},
        {"name": 7, "role": ["not", "text"], "status": b"\x00secret"},
    ])
    assert len(same(ProviderSchema, services.providers.all(), many=True)) == 2
    assert len(same(ModelPageSchema, services.models.page(limit=1))["items"]) == 1
    page = same(AgentPageSchema, services.agents.page())
    assert [a["name"] for a in page["items"]][:2] == ["7", "Priced"]
    same(AgentSchema, services.agents.page()["items"], many=True)
    same(ModelRegisterResultSchema, services.models.register(
        provider["id"], [{"providerModelId": "gpt-4o", "meta": {"family": "gpt"}}]))


def test_schemas_with_hooks_are_dumped_by_marshmallow() -> None:
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {k: v.upper() for k, v in data.items()}

    class Outer(Schema):
        inner = fields.Nested(Hooked, allow_none=True)
        inners = fields.List(fields.Nested(Hooked))
        count = fields.Integer(dump_default=3)

    data = {"inner": {"name": "a"}, "inners": [{"name": "b"}]}
    assert same(Outer, data) == {"inner": {"name": "A"}, "inners": [{"name": "B"}], "count": 3}
    assert same(Outer, {"inner": None}) == {"inner": None, "count": 3}


def test_lists_of_strings_and_ids_on_odd_values_dump_the_same() -> None:
    """The shortcuts for a list of strings and an id give what marshmallow gives for
    every value a host's document may hold there (issue 13)."""
    from task_master_llm.web.schemas.common import ObjectIdField

    class Odd(Schema):
        id = ObjectIdField(attribute="_id")
        tags = fields.List(fields.String())
        ids = fields.List(ObjectIdField())

    oid = ObjectId()
    for value in (["a", "b"], [], ("a", "b"), ["a", 1, None], "ab", [oid], {"k": "v"}):
        data = {"_id": value if not isinstance(value, list) else oid, "tags": value}
        dumped = same(Odd, data)
        if isinstance(value, list):
            assert dumped["tags"] is not value  # a copy: the document stays the caller's
    same(Odd, {"_id": 12, "ids": [oid, "text", 3]})
    same(Odd, {"_id": None, "tags": None, "ids": None})

    class Text(str):
        pass

    assert same(Odd, {"tags": [Text("x")]}) == {"tags": ["x"]}
