"""Model lifecycle and re-discovery as a diff, never a wipe.

Every registered model has ``lifecycle`` ``{status: active | deprecated | gone,
deprecatedAt, retiresAt, lastSeenAt, source}``. The provider's own facts set it when a
model is registered or re-discovered (Anthropic ``lifecycle``/``deprecated_at``/
``retires_at``, OpenAI ``shutdown_date``, Azure ``lifecycle_status``/``deprecation``), the
models.dev catalog's status otherwise. ``gone`` means the provider's complete listing no
longer has the model: it is never deleted, its agents keep it until an admin acts, and it is
active again when it comes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from task_master_llm.adapters import DiscoveredModel
from task_master_llm.store import storable
from task_master_llm.store.models import FACT_FIELDS

STATUSES = ("active", "deprecated", "gone")
ADMIN = "admin"
#: lifecycle keys a discovery compares (lastSeenAt changes on every listing)
_COMPARED = ("status", "deprecatedAt", "retiresAt")


def lifecycle_of(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A model's lifecycle as the API shows it; a model registered before lifecycles were
    kept is active, last seen when it was last synced."""
    stored = doc.get("lifecycle")
    stored = stored if isinstance(stored, Mapping) else {}
    status = stored.get("status")
    return {
        "status": status if status in STATUSES else "active",
        "deprecatedAt": _date(stored.get("deprecatedAt")),
        "retiresAt": _date(stored.get("retiresAt")),
        "lastSeenAt": _date(stored.get("lastSeenAt")) or _date(doc.get("lastSyncedAt")),
        "source": stored.get("source") if isinstance(stored.get("source"), str) else None,
    }


def lifecycle_update(given: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The ``$set`` of a model seen in a listing: the facts given (discovery's lifecycle;
    ``gone`` is never taken from a client), ``lastSeenAt`` now."""
    given = given or {}
    status = given.get("status")
    source = given.get("source")
    return {
        "lifecycle.status": status if status in ("active", "deprecated") else "active",
        "lifecycle.deprecatedAt": _date(given.get("deprecatedAt")),
        "lifecycle.retiresAt": _date(given.get("retiresAt")),
        "lifecycle.source": source if isinstance(source, str) and source != ADMIN else "listing",
        "lifecycle.lastSeenAt": now,
    }


def discovered_item(model: DiscoveredModel) -> dict[str, Any]:
    """A discovered model as the discover route lists it (before the diff fields)."""
    return {
        "providerModelId": model.provider_model_id,
        "displayName": model.display_name,
        "modality": list(model.modality),
        "contextWindow": model.context_window,
        "maxOutputTokens": model.max_output_tokens,
        "inputCostPer1k": model.input_cost_per_1k,
        "outputCostPer1k": model.output_cost_per_1k,
        "meta": storable(model.meta),  # provider data: keep what can be stored
        "lifecycle": model.lifecycle.as_dict(),
        "warnings": list(model.warnings),
        "detailsMissing": bool(model.details_missing),
        "note": model.note,
    }


def changed_fields(item: Mapping[str, Any], doc: Mapping[str, Any]) -> list[str]:
    """The provider facts of ``item`` that differ from the registered ``doc`` (facts an
    admin owns are not compared: re-registering keeps them), e.g. ``["contextWindow",
    "lifecycle.status"]``."""
    sources = (doc.get("meta") or {}).get("sources") or {}
    out = []
    for field in FACT_FIELDS:
        new = item.get(field)
        if sources.get(field) == ADMIN or new in (None, "", []):
            continue
        old = doc.get(field)
        if field == "modality":
            same = sorted(map(str, new)) == sorted(map(str, old or []))
        else:
            same = new == old
        if not same:
            out.append(field)
    current = lifecycle_of(doc)
    given = item.get("lifecycle") or {}
    for key in _COMPARED:
        new_value = given.get(key, "active" if key == "status" else None)
        if key != "status":
            new_value = _date(new_value)
        if new_value != current[key]:
            out.append(f"lifecycle.{key}")
    return out


def diff(
    found: list[DiscoveredModel],
    registered: Iterable[Mapping[str, Any]],
    *,
    incomplete: str | None,
) -> dict[str, Any]:
    """Discovery against the registry: each listed model marked ``new``, ``changed``
    (with ``changedFields``) or ``unchanged``; ``gone`` = registered models not listed.

    An empty or incomplete listing proves nothing about absence: ``gone`` is then empty and
    ``listing.complete`` false with the reason."""
    by_id = {d["providerModelId"]: d for d in registered}
    items = []
    seen: set[str] = set()
    for model in found:
        if model.provider_model_id in seen:  # across pages, or a plugin's adapter
            continue
        seen.add(model.provider_model_id)
        item = discovered_item(model)
        doc = by_id.get(model.provider_model_id)
        item["registered"] = doc is not None
        item["modelId"] = str(doc["_id"]) if doc is not None else None
        if doc is None:
            item.update(change="new", changedFields=[])
        else:
            fields = changed_fields(item, doc)
            item.update(change="changed" if fields else "unchanged", changedFields=fields)
        items.append(item)
    note = incomplete
    if note is None and not found:
        note = "the provider listed no chat models"
    listed = {m.provider_model_id for m in found}
    gone = [] if note else [
        {"modelId": str(d["_id"]), "providerModelId": d["providerModelId"],
         "displayName": d.get("displayName") or d["providerModelId"],
         "lifecycle": lifecycle_of(d)}
        for d in by_id.values() if d["providerModelId"] not in listed
    ]
    return {
        "items": items,
        "total": len(items),
        "gone": gone,
        "listing": {
            "complete": note is None,
            "count": len(found),
            "note": None if note is None else f"{note}: nothing is marked gone.",
        },
    }


def counts(result: Mapping[str, Any]) -> dict[str, int]:
    """``{"new", "changed", "unchanged", "gone"}`` of a :func:`diff`."""
    out = {"new": 0, "changed": 0, "unchanged": 0}
    for item in result["items"]:
        out[item["change"]] += 1
    out["gone"] = len(result["gone"])
    return out


def _date(value: Any) -> datetime | None:
    """A UTC datetime at BSON's millisecond precision (so a stored date equals the one
    discovery parsed) from a date or ISO text; anything else is None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=value.microsecond // 1000 * 1000)


__all__ = ["STATUSES", "changed_fields", "counts", "diff", "discovered_item",
           "lifecycle_of", "lifecycle_update"]
