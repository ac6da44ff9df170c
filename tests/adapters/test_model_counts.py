"""The OpenAI-style Test message says how many models the key sees and how many of them
are chat models (the ones Discover lists), so the two numbers add up (issue 11, item 7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from standins.providers import SERVER_CLASSES, FakeServer
from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter
from task_master_llm.adapters.openai import model_counts


@pytest.fixture
def openai_server() -> Iterator[FakeServer]:
    with SERVER_CLASSES["openai"]() as running:
        yield running


def test_the_test_message_counts_what_discover_lists(openai_server: FakeServer) -> None:
    config = ProviderConfig(
        "openai", name="counts", base_url=openai_server.base_url, api_key=openai_server.DEMO_KEY
    )
    adapter = create_adapter(config, HttpSettings(sleep=lambda _s: None))
    listed = requests.get(
        f"{openai_server.base_url}/models",
        timeout=5,
        headers={"Authorization": f"Bearer {openai_server.DEMO_KEY}"},
    ).json()["data"]
    chat = adapter.discover_models()
    assert 0 < len(chat) < len(listed), "the stand-in lists embedding/audio models too"
    result = adapter.test_connection()
    assert result.status == "valid", result.message
    assert f"({len(listed)} models, {len(chat)} of them chat models)" in result.message


@pytest.mark.parametrize(
    ("listed", "chat", "text"),
    [
        (21, 9, "21 models, 9 of them chat models"),
        (5, 5, "5 models, all of them chat models"),
        (1, 1, "1 model, a chat model"),
        (3, 1, "3 models, 1 of them a chat model"),
        (0, 0, "0 models, 0 of them chat models"),
    ],
)
def test_model_counts_wording(listed: int, chat: int, text: str) -> None:
    assert model_counts(listed, chat) == text
