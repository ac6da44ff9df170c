"""Regression tests for problems found in an adversarial review (keys, contracts, inputs)."""

from __future__ import annotations

import time

import pytest
import requests_mock as rm

from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter

CANARY = "sk-CANARY-123456789abcdef"
GOOGLE_MODELS = "https://generativelanguage.googleapis.com/v1beta/models"


def _google(sleep=time.sleep):
    config = ProviderConfig("google", api_key=CANARY)
    return create_adapter(config, HttpSettings(sleep=sleep, backoff_base=0.0))


@pytest.mark.parametrize("delay", ["-5s", "nans", "infs", "-infs"])
def test_hostile_retry_delay_never_crashes_or_sleeps_oddly(requests_mock: rm.Mocker,
                                                           delay: str) -> None:
    """A provider's retry hint that is negative, NaN or infinite is no 500 (time.sleep
    refuses negative and NaN waits) and never shows up as "in nans" in the message."""
    exhausted = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}}
    requests_mock.get(GOOGLE_MODELS, status_code=429, json=exhausted)
    result = _google().test_connection()  # the real time.sleep: it must get a sane value
    assert (result.status, result.error_kind) == ("invalid", "quota")
    assert "nan" not in result.message and "inf" not in result.message
