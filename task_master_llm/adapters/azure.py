"""Azure OpenAI (https://RESOURCE.openai.azure.com): the deployment is the model."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

import requests

from task_master_llm.adapters.base import DiscoveredModel, FieldRule, Lifecycle
from task_master_llm.adapters.common import (
    ErrorTable,
    HttpProviderAdapter,
    as_code,
    as_datetime,
    as_dict,
    as_str,
    error_dict,
    items_of,
)
from task_master_llm.adapters.http import ProviderHttp
from task_master_llm.errors import ProviderError

MODELS_API_VERSION = "2024-10-21"
DEPLOYMENTS_API_VERSION = "2023-03-15-preview"
DEPLOYMENT_NOT_FOUND = "DeploymentNotFound"
#: Azure's lifecycle_status values that mean the model is on its way out
_RETIRING = frozenset({"deprecating", "deprecated", "retiring", "retired"})


class AzureOpenAIAdapter(HttpProviderAdapter):
    """Checks the key on ``/openai/models`` and the deployment on ``/openai/deployments``."""

    type_name = "azure"
    display_name = "Azure OpenAI"
    default_base_url = None
    fields = FieldRule(api_key="required", base_url="required", deployment_id="required")

    ERRORS: ClassVar[ErrorTable] = {
        "401": ("auth", "Azure OpenAI rejected the key or the endpoint is wrong (401) - check "
                        "the key and that the base URL is https://RESOURCE.openai.azure.com."),
        DEPLOYMENT_NOT_FOUND: ("not_found", "Azure has no deployment named {deployment} on "
                                            "this resource (DeploymentNotFound)."),
        "404": ("not_found", "Azure OpenAI at {host} answered 404 Resource not found - the base "
                             "URL should be https://RESOURCE.openai.azure.com (without /openai)."),
        "429": ("rate_limited", "Azure OpenAI is rate limiting requests (429) - try again "
                                "{retry}."),
        "InsufficientQuota": ("quota", "The Azure OpenAI resource has no quota left "
                                       "(InsufficientQuota)."),
    }

    def auth_headers(self) -> dict[str, str]:
        """The key in ``api-key``."""
        return {"api-key": self.config.api_key or ""}

    def error_code(self, body: Any, response: requests.Response) -> str | None:
        """``error.code`` (Azure uses both names and HTTP statuses as strings)."""
        return as_code(error_dict(body).get("code"))

    @property
    def deployment(self) -> str:
        """The configured deployment id."""
        return self.config.deployment_id or ""

    def probe(self, http: ProviderHttp) -> str:
        """Key and endpoint via the models list, then the deployment when it can be seen."""
        self._check_key(http)
        latency = http.last_latency_ms  # report the key check, not the deployment lookup
        underlying, confirmed = self._deployment(http)
        http.last_latency_ms = latency
        if not confirmed:
            return (f"Azure OpenAI accepted the key at {http.host}. The deployment "
                    f"{self.deployment} could not be confirmed (this resource does not list "
                    "deployments); it is checked when an agent first uses it.")
        serves = f" (serving {underlying})" if underlying else ""
        return (f"Azure OpenAI accepted the key at {http.host}; deployment "
                f"{self.deployment}{serves} exists.")

    def discover_models(self) -> list[DiscoveredModel]:
        """The configured deployment, described by its underlying model when known."""
        with self.http(listing=True) as http:
            listed = self._check_key(http)
            underlying, confirmed = self._deployment(http)
        raw: dict[str, Any] = {"deploymentId": self.deployment, "confirmed": confirmed}
        entry: dict[str, Any] = {}
        if underlying:
            raw["model"] = underlying
            entry = listed.get(underlying, {})
            caps = as_dict(entry.get("capabilities"))
            if caps:
                raw["capabilities"] = caps
            for key in ("lifecycle_status", "deprecation"):
                if key in entry:
                    raw[key] = entry[key]
        model = DiscoveredModel(
            provider_model_id=self.deployment,
            display_name=f"{self.deployment} ({underlying})" if underlying else self.deployment,
            modality=["text"],
            meta={"raw": raw, "underlyingModel": underlying},
            lifecycle=_lifecycle(entry),
        )
        if not confirmed:
            model.warnings += (
                f"Azure could not confirm that deployment {self.deployment!r} exists (this "
                "resource does not list deployments): check its spelling - a typo is "
                "possible and shows only when an agent first uses it.",
            )
        return [self.finish(model, catalog_id=underlying)]

    def _check_key(self, http: ProviderHttp) -> dict[str, dict[str, Any]]:
        """``GET /openai/models``; returns ``{model id: model object}``."""
        body = http.get_json("/openai/models", params={"api-version": MODELS_API_VERSION})
        items = items_of(body, "data", http, id_key="id")
        return {i["id"]: i for i in items}

    def _deployment(self, http: ProviderHttp) -> tuple[str | None, bool]:
        """(underlying model, confirmed). A plain 404 proves nothing on newer resources;
        only ``DeploymentNotFound`` means the deployment is missing."""
        if not self.deployment:
            raise ProviderError("Set the deployment id of this Azure OpenAI provider.",
                                error_kind="not_found")
        path = f"/openai/deployments/{quote(self.deployment, safe='')}"
        try:
            body = http.get_json(path, params={"api-version": DEPLOYMENTS_API_VERSION})
        except ProviderError as err:
            if (err.http_status is not None and err.error_kind == "not_found"
                    and err.provider_code != DEPLOYMENT_NOT_FOUND):
                return None, False
            raise
        return as_str(as_dict(body).get("model")), True


def _lifecycle(entry: dict[str, Any]) -> Lifecycle:
    """``lifecycle_status`` and ``deprecation.inference`` (when inference ends) of the
    deployment's underlying model."""
    stage = as_str(entry.get("lifecycle_status"))
    retires_at = as_datetime(as_dict(entry.get("deprecation")).get("inference"))
    if stage is None and retires_at is None:
        return Lifecycle()
    deprecated = stage is not None and stage.lower() in _RETIRING
    return Lifecycle(status="deprecated" if deprecated else "active", retires_at=retires_at,
                     source="provider")
