"""Fixtures of the serve suite: mocks and servers started once per module, emptied per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.helpdesks.intercom import IntercomMock
from tests.support.helpdesks.sunshine import SunshineMock
from tests.support.helpdesks.zendesk import ZendeskMock

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


@pytest.fixture(scope="module")
def _intercom_server() -> Iterator[IntercomMock]:
    with IntercomMock() as mock:
        yield mock


@pytest.fixture(scope="module")
def _zendesk_server() -> Iterator[ZendeskMock]:
    with ZendeskMock() as mock:
        yield mock


@pytest.fixture(scope="module")
def _sunshine_server() -> Iterator[SunshineMock]:
    with SunshineMock() as mock:
        yield mock


@pytest.fixture
def intercom(_intercom_server: IntercomMock) -> Iterator[IntercomMock]:
    _intercom_server.reset()
    yield _intercom_server
    _intercom_server.assert_clean()


@pytest.fixture
def zendesk(_zendesk_server: ZendeskMock) -> Iterator[ZendeskMock]:
    _zendesk_server.reset()
    _zendesk_server.identities.clear()
    yield _zendesk_server
    _zendesk_server.assert_clean()


@pytest.fixture
def sunshine(_sunshine_server: SunshineMock) -> Iterator[SunshineMock]:
    _sunshine_server.reset()
    yield _sunshine_server
    _sunshine_server.assert_clean()
