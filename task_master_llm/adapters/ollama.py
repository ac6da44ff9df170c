"""Ollama (http://localhost:11434 by default; ollama.com with a key).

Discovery lists ``/api/tags`` and asks ``/api/show`` about each model with bounded
concurrency, all within the one deadline of the discovery (``HttpSettings.deadline``); a
failed or late ``/api/show`` leaves that model listed with fewer facts, marked
``details_missing`` with a note (and ``meta["showError"]``), never failing the whole
discovery or holding it past the deadline.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from task_master_llm.adapters.base import DiscoveredModel, FieldRule
from task_master_llm.adapters.common import (
    HttpProviderAdapter,
    as_dict,
    as_int,
    as_list,
    as_str,
    items_of,
)
from task_master_llm.adapters.http import ProviderHttp
from task_master_llm.errors import ProviderError


class OllamaAdapter(HttpProviderAdapter):
    """Local or cloud Ollama; the key (optional) goes in ``Authorization: Bearer``."""

    type_name = "ollama"
    gateway_credential: ClassVar[str | None] = "ollama"
    display_name = "Ollama"
    default_base_url = "http://localhost:11434"
    fields = FieldRule(api_key="optional", base_url="optional")
    prefill_base_url = True
    refused_hint = "is Ollama running?"

    def auth_headers(self) -> dict[str, str]:
        """Bearer key for ollama.com; nothing locally."""
        if self.config.api_key:
            return {"Authorization": f"Bearer {self.config.api_key}"}
        return {}

    def probe(self, http: ProviderHttp) -> str:
        """``GET /api/version``."""
        body = http.get_json("/api/version")
        version = as_str(as_dict(body).get("version"))
        if version is None:
            raise ProviderError(
                f"The server at {http.host} answered /api/version without a version - is it "
                "Ollama?",
                error_kind="bad_response",
            )
        return f"Ollama {version} answers at {http.host}."

    def discover_models(self) -> list[DiscoveredModel]:
        """Chat models from ``/api/tags``, detailed by ``/api/show`` (one deadline for
        all of it: details that do not arrive in time are left out and said to be)."""
        with self.http(listing=True) as http:
            tags = items_of(http.get_json("/api/tags"), "models", http, id_key="name")
            workers = max(1, min(self.settings.show_concurrency, len(tags) or 1))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                shows = list(pool.map(lambda tag: _show(http, tag["name"]), tags))
        models = []
        for tag, (show, show_error) in zip(tags, shows, strict=True):
            model = self._model(tag, show, show_error)
            if model is not None:
                if show_error:
                    model.details_missing = True
                    model.note = f"Listed without its details: {show_error}"
                models.append(model)
        return models

    def _model(
        self, tag: dict[str, Any], show: dict[str, Any], show_error: str | None
    ) -> DiscoveredModel | None:
        name = tag["name"]
        details = {**as_dict(tag.get("details")), **as_dict(show.get("details"))}
        capabilities = _capabilities(show) or _capabilities(tag)
        if not _is_chat(name, capabilities):
            return None
        modality = ["text"]
        decided: tuple[str, ...] = ()
        if capabilities is not None:
            decided = tuple(_CAPABILITY_VALUES.values())
            modality += [v for c, v in _CAPABILITY_VALUES.items() if c in capabilities]
        raw: dict[str, Any] = {
            k: details[k] for k in ("family", "parameter_size", "quantization_level")
            if as_str(details.get(k)) is not None
        }
        if capabilities is not None:
            raw["capabilities"] = capabilities
        context = _context_length(show, details)
        if context:
            raw["contextLength"] = context
        meta: dict[str, Any] = {"raw": raw}
        if decided:
            meta["sources"] = {"modality": "provider"}
        if show_error:
            meta["showError"] = show_error
        model = DiscoveredModel(provider_model_id=name, display_name=name, modality=modality,
                                context_window=context, meta=meta)
        return self.finish(model, decided=decided)


def _show(http: ProviderHttp, name: str) -> tuple[dict[str, Any], str | None]:
    """``POST /api/show`` for one model: (details, None) or ({}, what went wrong)."""
    try:
        body = http.post_json("/api/show", {"model": name},
                              max_bytes=http.settings.max_response_bytes)
    except ProviderError as err:
        return {}, f"/api/show failed ({err.error_kind}): {err.message}"
    if not isinstance(body, dict):
        return {}, "/api/show answered with an unexpected shape"
    return _facts(body), None


def _facts(show: dict[str, Any]) -> dict[str, Any]:
    """The part of a ``/api/show`` body discovery uses (details, capabilities, the context
    length of ``model_info``): kept per model while the others are asked, instead of the
    whole body (license, modelfile, template, tensors...), so memory stays flat."""
    info = as_dict(show.get("model_info"))
    arch = as_str(info.get("general.architecture"))
    kept: dict[str, Any] = {"details": show.get("details"),
                            "capabilities": show.get("capabilities")}
    if arch:
        kept["model_info"] = {"general.architecture": arch,
                              f"{arch}.context_length": info.get(f"{arch}.context_length")}
    return kept


def _capabilities(body: dict[str, Any]) -> list[str] | None:
    """The strings of ``body["capabilities"]``; None when there are none (no facts)."""
    found = [c for c in as_list(body.get("capabilities")) if isinstance(c, str)]
    return found or None


#: Ollama capability -> the registry's capability value in ``modality``
_CAPABILITY_VALUES = {"vision": "vision", "tools": "tools", "thinking": "reasoning"}


def _is_chat(name: str, capabilities: list[str] | None) -> bool:
    """Ollama refuses chat for a model whose capabilities lack ``completion`` (embedding
    and image-generation models); without capability facts, by name."""
    if capabilities:
        return "completion" in capabilities
    return "embed" not in name.lower()


def _context_length(show: dict[str, Any], details: dict[str, Any]) -> int | None:
    info = as_dict(show.get("model_info"))
    arch = as_str(info.get("general.architecture"))
    value = as_int(info.get(f"{arch}.context_length")) if arch else None
    return value or as_int(details.get("context_length"))
