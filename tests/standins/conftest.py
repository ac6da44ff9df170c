"""Fixtures of the stand-in server tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A plain requests session, closed afterwards."""
    session = requests.Session()
    yield session
    session.close()
