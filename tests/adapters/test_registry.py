"""The provider-type registry: built-ins, explicit registration and entry points."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from task_master_llm.adapters import (
    ConnectionResult,
    DiscoveredModel,
    FieldRule,
    ProviderAdapter,
    ProviderConfig,
    adapter_types,
    create_adapter,
    get_adapter_class,
    register_adapter,
    unregister_adapter,
)
from task_master_llm.adapters.registry import reload_entry_points
from task_master_llm.errors import ValidationError

BUILTINS = {
    "google": ("Google", "https://generativelanguage.googleapis.com",
               FieldRule(api_key="required", base_url="optional")),
    "openai": ("OpenAI", "https://api.openai.com/v1",
               FieldRule(api_key="required", base_url="optional", org_id="optional")),
    "anthropic": ("Anthropic", "https://api.anthropic.com",
                  FieldRule(api_key="required", base_url="optional")),
    "azure": ("Azure OpenAI", None,
              FieldRule(api_key="required", base_url="required", deployment_id="required")),
    "ollama": ("Ollama", "http://localhost:11434",
               FieldRule(api_key="optional", base_url="optional")),
    "openai_compatible": ("OpenAI-compatible", None,
                          FieldRule(api_key="optional", base_url="required")),
}


class EchoAdapter(ProviderAdapter):
    """A third-party type that needs no network."""

    type_name = "echo"
    display_name = "Echo"
    fields = FieldRule(api_key="optional", base_url="refused")

    def test_connection(self) -> ConnectionResult:
        return ConnectionResult("valid", "echo", 0)

    def discover_models(self) -> list[DiscoveredModel]:
        return [DiscoveredModel("echo-1", "Echo 1")]

    def talon_credentials(self, provider_model_id: str) -> dict[str, str]:
        return {"model": f"echo/{provider_model_id}"}


@pytest.fixture(autouse=True)
def clean_registry():
    yield
    unregister_adapter("echo")
    unregister_adapter("plugged")
    reload_entry_points()


@pytest.mark.parametrize("type_name", sorted(BUILTINS))
def test_builtins(type_name: str) -> None:
    cls = get_adapter_class(type_name)
    display, default_url, rule = BUILTINS[type_name]
    assert (cls.type_name, cls.display_name, cls.default_base_url, cls.fields) == (
        type_name, display, default_url, rule)


def test_unknown_type_is_a_validation_error_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        get_adapter_class("cohere")
    (message,) = info.value.fields["providerType"]
    assert "Unknown provider type 'cohere'" in message and "openai_compatible" in message


def test_register_adapter() -> None:
    register_adapter(EchoAdapter)
    assert adapter_types()["echo"] is EchoAdapter
    adapter = create_adapter(ProviderConfig("echo"))
    assert adapter.discover_models()[0].provider_model_id == "echo-1"
    unregister_adapter("echo")
    with pytest.raises(ValidationError):
        get_adapter_class("echo")


def test_register_refuses_to_shadow_silently() -> None:
    clash = type("FakeGoogle", (EchoAdapter,), {"type_name": "google"})
    with pytest.raises(ValueError, match="already registered"):
        register_adapter(clash)
    register_adapter(clash, replace=True)
    assert get_adapter_class("google") is clash
    unregister_adapter("google")
    assert get_adapter_class("google").__name__ == "GoogleAdapter"


def test_register_rejects_non_adapters() -> None:
    with pytest.raises(TypeError):
        register_adapter(object)  # type: ignore[arg-type]


def _install_plugin(root: Path, body: str) -> None:
    """A real distribution on sys.path declaring the entry-point group."""
    (root / "tml_plugin.py").write_text(textwrap.dedent(body))
    dist = root / "tml_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tml-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[task_master_llm.adapters]\nplugged = tml_plugin:PluggedAdapter\n"
        "broken = tml_plugin:DoesNotExist\n")


def test_entry_point_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            caplog: pytest.LogCaptureFixture) -> None:
    _install_plugin(tmp_path, """
        from task_master_llm.adapters.base import ConnectionResult, ProviderAdapter

        class PluggedAdapter(ProviderAdapter):
            type_name = "plugged"
            display_name = "Plugged"
            def test_connection(self):
                return ConnectionResult("valid", "plugged in", 1)
            def discover_models(self):
                return []
            def talon_credentials(self, provider_model_id):
                return {"model": "plugged/" + provider_model_id}
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    reload_entry_points()

    cls = get_adapter_class("plugged")
    assert cls.display_name == "Plugged"
    assert create_adapter(ProviderConfig("plugged")).test_connection().message == "plugged in"
    assert "Skipping provider adapter entry point 'broken'" in caplog.text
    assert set(BUILTINS) < set(adapter_types())


def test_entry_points_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    import task_master_llm.adapters.registry as registry

    def fake_entry_points(group: str) -> list:
        calls.append(group)
        return []

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    reload_entry_points()
    adapter_types()
    adapter_types()
    assert calls == ["task_master_llm.adapters"]



def test_a_registered_type_is_offered_by_the_page_and_the_api(app, admin) -> None:
    from task_master_llm.web.page import provider_types

    register_adapter(EchoAdapter)
    types = provider_types()
    assert [t["value"] for t in types][:6] == list(BUILTINS)
    echo = next(t for t in types if t["value"] == "echo")
    assert echo == {
        "value": "echo", "label": "Echo", "fields": {"apiKey": "optional"},
        "defaultBaseUrl": None, "prefill": {},
    }
    assert next(t for t in types if t["value"] == "ollama")["prefill"] == {
        "baseUrl": "http://localhost:11434"
    }
    res = admin.post("/api/llm/providers", json={"name": "e", "providerType": "echo"})
    assert res.status_code == 201, res.json
    test = admin.post(f"/api/llm/providers/{res.json['data']['id']}/test").json["data"]
    assert test["status"] == "valid" and test["message"] == "echo"
