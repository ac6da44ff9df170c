"""Any server that speaks OpenAI's ``GET {base}/models``: vLLM, LM Studio, OpenRouter,
Groq, Together, a LiteLLM proxy, Ollama's /v1...

Every listed model is offered except ones whose id says they cannot chat (embedding,
rerank, speech, moderation) or whose ``architecture.output_modalities`` (OpenRouter) lack
text: these servers name their models freely, so OpenAI's prefix filter would hide most of
them. Extra facts some servers add (``context_length``, ``max_model_len``, OpenRouter's
per-token ``pricing``, ``top_provider.max_completion_tokens``, ``supported_parameters``
and ``architecture.input_modalities``) are used when present; otherwise the catalog of the
service the base URL points at (matched by host) fills gaps.
"""

from __future__ import annotations

import math
from typing import Any

from task_master_llm.adapters.base import DiscoveredModel, FieldRule
from task_master_llm.adapters.common import as_dict, as_int, as_list, as_number, as_str
from task_master_llm.adapters.openai import OpenAIAdapter

_NOT_CHAT = ("embed", "rerank", "whisper", "tts", "transcribe", "moderation")
#: OpenRouter ``supported_parameters`` -> the registry's capability value
_PARAMETER_CAPABILITIES = {"tools": "tools", "reasoning": "reasoning",
                           "structured_outputs": "structured_output"}


class OpenAICompatibleAdapter(OpenAIAdapter):
    """An OpenAI-shaped ``/models`` endpoint at a base URL the admin gives."""

    type_name = "openai_compatible"
    gateway_credential = None
    display_name = "OpenAI-compatible"
    default_base_url = None
    fields = FieldRule(api_key="optional", base_url="required")

    def is_chat(self, model_id: str) -> bool:
        """All ids except the obviously non-chat ones."""
        lowered = model_id.lower()
        return not any(word in lowered for word in _NOT_CHAT)

    def outputs_text(self, item: dict[str, Any]) -> bool:
        """False when ``architecture.output_modalities`` (OpenRouter) declares an output
        other than text only (images, speech); True when it declares nothing."""
        outputs = _strings(as_dict(item.get("architecture")).get("output_modalities"))
        return not outputs or outputs == ["text"]

    def provider_facts(self, model: DiscoveredModel, item: dict[str, Any]) -> tuple[str, ...]:
        """Context length, output limit, prices and capabilities when the server reports
        them; returns the capability values it decided."""
        for key in ("context_length", "max_model_len"):
            value = as_int(item.get(key))
            if value is not None:
                model.context_window = value
                model.meta["raw"][key] = value
                break
        pricing = item.get("pricing")
        if isinstance(pricing, dict):
            model.input_cost_per_1k = _per_1k_tokens(pricing.get("prompt"))
            model.output_cost_per_1k = _per_1k_tokens(pricing.get("completion"))
            model.meta["raw"]["pricing"] = {
                k: pricing[k] for k in ("prompt", "completion") if k in pricing
            }
        name = as_str(item.get("name"))
        if name:
            model.display_name = name.strip()
        top = as_dict(item.get("top_provider"))
        max_output = as_int(top.get("max_completion_tokens"))
        if max_output is not None:
            model.max_output_tokens = max_output
            model.meta["raw"]["maxCompletionTokens"] = max_output
        return _capabilities(model, item)


def _capabilities(model: DiscoveredModel, item: dict[str, Any]) -> tuple[str, ...]:
    """Capability values from ``supported_parameters`` and ``architecture`` (OpenRouter)."""
    decided: list[str] = []
    params = _strings(item.get("supported_parameters"))
    if params:
        model.meta["raw"]["supportedParameters"] = params[:64]
        for param, value in _PARAMETER_CAPABILITIES.items():
            decided.append(value)
            if param in params and value not in model.modality:
                model.modality.append(value)
    inputs = _strings(as_dict(item.get("architecture")).get("input_modalities"))
    if inputs:
        decided.append("vision")
        if "image" in inputs and "vision" not in model.modality:
            model.modality.append("vision")
    return tuple(decided)


def _strings(value: Any) -> list[str]:
    """The strings of a JSON array (anything else: none)."""
    return [v for v in as_list(value) if isinstance(v, str)]


def _per_1k_tokens(per_token: Any) -> float | None:
    """OpenRouter prices are USD per token, as strings; None unless a finite number >= 0."""
    value = as_number(per_token)
    if value is None or value < 0:
        return None
    per_1k = round(value * 1000, 9)
    return per_1k if math.isfinite(per_1k) else None
