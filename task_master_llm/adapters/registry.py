"""Provider types by name: the built-ins, entry points, and explicit registrations.

Third parties add a type by publishing an adapter class under the entry-point group
``task_master_llm.adapters`` (the entry point's name is ignored; the class's
``type_name`` is the key), or by calling :func:`register_adapter` at import time.
Lookup is one dictionary access: no chain of conditions over provider names.
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import entry_points

from task_master_llm.adapters.anthropic import AnthropicAdapter
from task_master_llm.adapters.azure import AzureOpenAIAdapter
from task_master_llm.adapters.base import HttpSettings, ProviderAdapter, ProviderConfig
from task_master_llm.adapters.google import GoogleAdapter
from task_master_llm.adapters.ollama import OllamaAdapter
from task_master_llm.adapters.openai import OpenAIAdapter
from task_master_llm.adapters.openai_compatible import OpenAICompatibleAdapter
from task_master_llm.errors import ValidationError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "task_master_llm.adapters"

BUILTIN_ADAPTERS: tuple[type[ProviderAdapter], ...] = (
    GoogleAdapter,
    OpenAIAdapter,
    AnthropicAdapter,
    AzureOpenAIAdapter,
    OllamaAdapter,
    OpenAICompatibleAdapter,
)

_registered: dict[str, type[ProviderAdapter]] = {}


def register_adapter(cls: type[ProviderAdapter], *, replace: bool = False) -> type[ProviderAdapter]:
    """Add a provider type (usable as a class decorator).

    Raises ``ValueError`` when the name is taken by another class, unless ``replace``.
    """
    _check_adapter_class(cls)
    existing = adapter_types().get(cls.type_name)
    if existing is not None and existing is not cls and not replace:
        raise ValueError(
            f"Provider type '{cls.type_name}' is already registered by "
            f"{existing.__module__}.{existing.__qualname__}; pass replace=True to override it."
        )
    _registered[cls.type_name] = cls
    return cls


def unregister_adapter(type_name: str) -> None:
    """Remove a type added with :func:`register_adapter` (built-ins stay)."""
    _registered.pop(type_name, None)


def adapter_types() -> dict[str, type[ProviderAdapter]]:
    """Every known provider type: entry points, then built-ins, then registrations
    (later ones win, so an entry point cannot silently replace a built-in)."""
    types = dict(_entry_point_adapters())
    types.update({cls.type_name: cls for cls in BUILTIN_ADAPTERS})
    types.update(_registered)
    return types


def get_adapter_class(provider_type: str) -> type[ProviderAdapter]:
    """The adapter class of ``provider_type``; a :class:`ValidationError` naming the
    field ``providerType`` and the valid choices when unknown."""
    types = adapter_types()
    try:
        return types[provider_type]
    except (KeyError, TypeError):
        choices = ", ".join(sorted(types))
        message = f"Unknown provider type '{provider_type}'. Choose one of: {choices}."
        raise ValidationError(message, fields={"providerType": [message]}) from None


def create_adapter(config: ProviderConfig, settings: HttpSettings | None = None) -> ProviderAdapter:
    """An adapter for one operation on ``config``."""
    return get_adapter_class(config.provider_type)(config, settings)


def reload_entry_points() -> None:
    """Forget the cached entry points (after installing a plugin, or in tests)."""
    _entry_point_adapters.cache_clear()


@functools.lru_cache(maxsize=1)
def _entry_point_adapters() -> dict[str, type[ProviderAdapter]]:
    found: dict[str, type[ProviderAdapter]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = entry.load()
            _check_adapter_class(cls)
        except Exception as exc:  # a broken plugin must not take the registry down
            log.warning("Skipping provider adapter entry point %r: %s: %s",
                        entry.name, type(exc).__name__, exc)
            continue
        found[cls.type_name] = cls
    return found


def _check_adapter_class(cls: object) -> None:
    if not (isinstance(cls, type) and issubclass(cls, ProviderAdapter)):
        raise TypeError(f"{cls!r} is not a ProviderAdapter subclass")
    name = getattr(cls, "type_name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__qualname__} has no type_name")
