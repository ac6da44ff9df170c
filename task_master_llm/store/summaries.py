"""The small views of one record that other records' responses carry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: provider fields a model list shows; everything else (keys!) stays out of the query
PROVIDER_SUMMARY = {"name": 1, "providerType": 1, "status": 1, "deleting": 1,
                    "credentialsVersion": 1, "gatewayCredential": 1}


def provider_summary(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The summary of a provider that model and agent responses carry."""
    if doc is None:
        return None
    return {k: doc.get(k) for k in ("_id", "name", "providerType", "status")}


def model_string(model: Mapping[str, Any], provider: Mapping[str, Any] | None) -> str:
    """``providerType/providerModelId``, the form the gateway and legacy agents use."""
    if provider is None:
        return str(model["providerModelId"])
    return f"{provider['providerType']}/{model['providerModelId']}"


__all__ = ["PROVIDER_SUMMARY", "model_string", "provider_summary"]
