"""Mock helpdesks for the channel tests: started once per session (loading Intercom's 1.3 MB
spec takes a second), emptied before each test, and checked after it: any request that broke
the helpdesk's spec fails the test that sent it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from specagent_runtime import RetryPolicy

from tests.support.helpdesks.intercom import IntercomMock
from tests.support.helpdesks.sunshine import SunshineMock
from tests.support.helpdesks.zendesk import ZendeskMock


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """The channels' retry policy without the waiting."""
    return RetryPolicy(max_retries=3, base_delay=0.5, max_delay=8.0, async_sleep=_no_sleep)


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
