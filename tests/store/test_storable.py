"""``storable``: provider data made storable and strict-JSON."""

from __future__ import annotations

from types import MappingProxyType

from task_master_llm.store import storable


def test_a_read_only_mapping_becomes_a_dict() -> None:
    """Discovered models share a read-only ``meta["sources"]``; it is stored as a dict."""
    meta = {"raw": {"id": "m", "bad.key": 1}, "sources": MappingProxyType({"modality": "provider"})}

    stored = storable(meta)

    assert stored == {"raw": {"id": "m"}, "sources": {"modality": "provider"}}
    assert type(stored["sources"]) is dict


def test_what_cannot_be_stored_is_dropped() -> None:
    assert storable({"$set": 1, "n": 2**70, "x": float("nan"), "t": "a\x00b", "l": [1, ()]}) \
        == {"n": None, "x": None, "t": "ab", "l": [1, None]}
