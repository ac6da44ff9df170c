"""The success envelope (``web/api/common.ok``) is encoded by orjson for speed (issue 13)
and says exactly what the standard library's encoding said, for every value a host's
document may put into a passthrough field."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from bson import Binary, Code, Int64, ObjectId
from bson.decimal128 import Decimal128
from flask import Flask

from task_master_llm.web.api.common import _json_text, ok


@dataclass
class _Point:
    x: int


def _deep(levels: int) -> object:
    value: object = "bottom"
    for _ in range(levels):
        value = [value]
    return value


VALUES = [
    {"text": "plain", "unicode": "Grüße, 模型 😀", "n": 3, "f": 0.001, "big": 1e16,
     "t": True, "none": None, "list": [1, "a", None], "tuple": (1, 2)},
    {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "in": [float("nan")]},
    {"id": ObjectId("0123456789abcdef01234567"), "dec": Decimal128("1.5"), "int64": Int64(7),
     "code": Code("x = 1"), "uuid": uuid.UUID(int=5)},
    {"when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "naive": datetime(2026, 1, 2)},
    {"bytes": b"\x00secret", "binary": Binary(b"key"), "ba": bytearray(b"k"),
     "mv": memoryview(b"k")},
    {"dataclass": _Point(1), "set": {1}},
    {"huge": 10**30, "negative": -(10**30)},  # beyond 64 bits: json's way
    {1: "int key", "nested": {2.5: "float key", None: "none key", True: "bool key"}},
    {"deep": _deep(300)},  # deeper than orjson goes
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_envelope_says_what_json_said(value) -> None:
    with Flask(__name__).app_context():
        response, status = ok(value, 201)
    assert status == 201 and response.status_code == 201
    assert response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert json.loads(text, parse_constant=pytest.fail) == json.loads(
        _json_text({"data": value}), parse_constant=pytest.fail)
    assert "secret" not in text  # bytes are never sent


def test_non_finite_numbers_and_bytes_become_null() -> None:
    with Flask(__name__).app_context():
        response, _ = ok({"nan": float("nan"), "bytes": b"\x00secret", "ok": 1.5})
    assert json.loads(response.get_data()) == {"data": {"nan": None, "bytes": None, "ok": 1.5}}
