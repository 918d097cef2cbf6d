"""Fixtures of the serve suite: the mock helpdesks (tests/support/helpdesks/fixtures.py) and
the servers the tests talk to, emptied per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.helpdesks.fixtures import (  # noqa: F401  # fixtures, used by name
    _intercom_server,
    _sunshine_server,
    _zendesk_server,
    intercom,
    sunshine,
    zendesk,
)

from ._support import GatedModel, load_shop_server


@pytest.fixture
def shop() -> Iterator[Any]:
    with load_shop_server().ShopServer() as server:
        yield server


@pytest.fixture
def model() -> Iterator[GatedModel]:
    with GatedModel() as server:
        yield server


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "serve.sqlite3"
