"""The mock helpdesks as pytest fixtures, for the suites that talk to them (tests/serve,
tests/unit/channels: their conftests import these names). Each mock starts once per session
(loading Intercom's 1.3 MB spec takes a second), is emptied before each test and checked after
it: a request that broke the helpdesk's spec fails the test that sent it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.helpdesks.intercom import IntercomMock
from tests.support.helpdesks.sunshine import SunshineMock
from tests.support.helpdesks.zendesk import ZendeskMock

__all__ = [
    "_intercom_server",
    "_sunshine_server",
    "_zendesk_server",
    "intercom",
    "sunshine",
    "zendesk",
]


@pytest.fixture(scope="session")
def _intercom_server() -> Iterator[IntercomMock]:
    with IntercomMock() as mock:
        yield mock


@pytest.fixture(scope="session")
def _zendesk_server() -> Iterator[ZendeskMock]:
    with ZendeskMock() as mock:
        yield mock


@pytest.fixture(scope="session")
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
