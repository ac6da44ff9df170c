"""Any server that speaks OpenAI's ``GET {base}/models``: vLLM, LM Studio, OpenRouter,
Groq, Together, a LiteLLM proxy, Ollama's /v1...

Every listed model is offered except ones whose id says they cannot chat (embedding,
rerank, speech, moderation): these servers name their models freely, so OpenAI's prefix
filter would hide most of them. Extra facts some servers add (``context_length``,
``max_model_len``, OpenRouter's per-token ``pricing``) are used when present; otherwise
the catalog of the service the base URL points at (matched by host) fills gaps.
"""

from __future__ import annotations

import math
from typing import Any

from task_master_llm.adapters.base import DiscoveredModel, FieldRule
from task_master_llm.adapters.common import as_int, as_number, as_str
from task_master_llm.adapters.openai import OpenAIAdapter

_NOT_CHAT = ("embed", "rerank", "whisper", "tts", "transcribe", "moderation")


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

    def provider_facts(self, model: DiscoveredModel, item: dict[str, Any]) -> None:
        """Context length and prices when the server reports them."""
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


def _per_1k_tokens(per_token: Any) -> float | None:
    """OpenRouter prices are USD per token, as strings; None unless a finite number >= 0."""
    value = as_number(per_token)
    if value is None or value < 0:
        return None
    per_1k = round(value * 1000, 9)
    return per_1k if math.isfinite(per_1k) else None
