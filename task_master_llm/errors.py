"""One exception tree for the whole package.

    LlmRegistryError                 base: code, HTTP status, message, per-field messages
    ├── ConfigurationError           bad setup, raised at ``init_app`` (never over HTTP)
    ├── DecryptionError              the vault's one opaque failure (no oracle, no detail)
    ├── ValidationError       400    bad input; ``fields`` names what is wrong
    ├── AuthenticationRequired 401   not logged in
    ├── PermissionDenied      403    logged in, not allowed
    ├── NotFound              404
    ├── Conflict              409    duplicate name/model, model in use
    ├── ProviderKeyUnreadable 409    a stored key cannot be decrypted with the current keys
    ├── UnsupportedMediaType  415    state-changing request without a JSON body
    └── UpstreamError         502    a provider or the gateway failed
        ├── ProviderError            an ``error_kind`` (auth, network, timeout, ...) and the
        │                            provider's own error code when it sent one
        └── GatewayError             the Talon gateway

Messages are written by us, never copied from a lower layer's exception text, so they
cannot carry a URL with a key, a header, or key material.
"""

from __future__ import annotations

from typing import Any, Literal, get_args


class LlmRegistryError(Exception):
    """Root of every error this package raises on purpose."""

    status: int = 500
    code: str = "llm_registry_error"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body: ``{"error": {"code", "message", "fields"}}``."""
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class ConfigurationError(LlmRegistryError):
    """The extension is set up wrongly; raised at ``init_app`` so the app refuses to start."""

    code = "configuration_error"


class DecryptionError(LlmRegistryError):
    """A ciphertext could not be decrypted. Deliberately carries no detail at all."""

    code = "decryption_failed"

    def __init__(self, message: str = "The ciphertext could not be decrypted.") -> None:
        super().__init__(message)


class ValidationError(LlmRegistryError):
    """The request is malformed; ``fields`` maps each wrong field to its messages."""

    status = 400
    code = "validation_error"


class AuthenticationRequired(LlmRegistryError):
    """No user is logged in."""

    status = 401
    code = "authentication_required"


class PermissionDenied(LlmRegistryError):
    """The user is logged in but may not do this."""

    status = 403
    code = "permission_denied"


class NotFound(LlmRegistryError):
    """The addressed record does not exist (or the id is malformed)."""

    status = 404
    code = "not_found"


class Conflict(LlmRegistryError):
    """Duplicate name or model, or a record still in use."""

    status = 409
    code = "conflict"


class ProviderKeyUnreadable(LlmRegistryError):
    """A provider's stored key does not decrypt with the configured master key(s)."""

    status = 409
    code = "provider_key_unreadable"

    def __init__(self, provider_name: str) -> None:
        super().__init__(
            f"The stored API key of provider '{provider_name}' cannot be decrypted with "
            "LLM_ENCRYPTION_KEY. If the master key was changed, put the old one in "
            "LLM_ENCRYPTION_KEY_PREVIOUS and run `flask llm rotate-key`; otherwise enter the "
            "provider's API key again."
        )


class UnsupportedMediaType(LlmRegistryError):
    """A state-changing request did not send JSON."""

    status = 415
    code = "unsupported_media_type"


class UpstreamError(LlmRegistryError):
    """A provider or the gateway failed; the message says what to check."""

    status = 502
    code = "upstream_error"


#: The kinds of provider failure, each with its own actionable message.
ErrorKind = Literal[
    "auth",
    "permission",
    "not_found",
    "rate_limited",
    "quota",
    "region",
    "network",
    "timeout",
    "bad_response",
]
ERROR_KINDS: tuple[ErrorKind, ...] = get_args(ErrorKind)


class ProviderError(UpstreamError):
    """A provider call failed. ``error_kind`` is one of :data:`ERROR_KINDS`. When the
    provider answered with an HTTP error, ``http_status`` is its status and
    ``provider_code`` its own structured error code (when it sent one)."""

    code = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        error_kind: ErrorKind = "bad_response",
        provider_code: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, fields={})
        self.error_kind: ErrorKind = error_kind
        self.provider_code = provider_code
        self.http_status = http_status

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body, with ``errorKind`` beside the code."""
        body = super().to_dict()
        body["error"]["errorKind"] = self.error_kind
        return body


class GatewayError(UpstreamError):
    """The Talon gateway failed or refused a payload."""

    code = "gateway_error"


__all__ = [
    "ERROR_KINDS",
    "ErrorKind",
    "AuthenticationRequired",
    "ConfigurationError",
    "Conflict",
    "DecryptionError",
    "GatewayError",
    "LlmRegistryError",
    "NotFound",
    "PermissionDenied",
    "ProviderError",
    "ProviderKeyUnreadable",
    "UnsupportedMediaType",
    "UpstreamError",
    "ValidationError",
]
