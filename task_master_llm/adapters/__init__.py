"""Provider adapters: one class per provider type, looked up by name.

Use :func:`create_adapter` (or :func:`get_adapter_class`) from the routes; see
:mod:`task_master_llm.adapters.registry` for third-party types.
"""

from task_master_llm.adapters.base import (
    ConnectionResult,
    DiscoveredModel,
    FieldRule,
    HttpSettings,
    Lifecycle,
    ProviderAdapter,
    ProviderConfig,
)
from task_master_llm.adapters.registry import (
    ENTRY_POINT_GROUP,
    adapter_types,
    create_adapter,
    get_adapter_class,
    register_adapter,
    unregister_adapter,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ConnectionResult",
    "DiscoveredModel",
    "FieldRule",
    "HttpSettings",
    "Lifecycle",
    "ProviderAdapter",
    "ProviderConfig",
    "adapter_types",
    "create_adapter",
    "get_adapter_class",
    "register_adapter",
    "unregister_adapter",
]
