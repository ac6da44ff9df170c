"""task_master_llm: the LLM Model Registry for the Task Master backend, as a Flask extension."""

from task_master_llm.errors import (
    AuthenticationRequired,
    ConfigurationError,
    Conflict,
    DecryptionError,
    GatewayError,
    LlmRegistryError,
    NotFound,
    PermissionDenied,
    ProviderError,
    UpstreamError,
    ValidationError,
)
from task_master_llm.extension import LlmRegistry
from task_master_llm.version import __version__

__all__ = [
    "AuthenticationRequired",
    "ConfigurationError",
    "Conflict",
    "DecryptionError",
    "GatewayError",
    "LlmRegistry",
    "LlmRegistryError",
    "NotFound",
    "PermissionDenied",
    "ProviderError",
    "UpstreamError",
    "ValidationError",
    "__version__",
]
