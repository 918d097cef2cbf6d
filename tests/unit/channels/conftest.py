"""Mock helpdesks for the channel tests: started once per session (loading Intercom's 1.3 MB
spec takes a second), emptied before each test, and checked after it: any request that broke
the helpdesk's spec fails the test that sent it."""

from __future__ import annotations

import pytest
from specagent_runtime import RetryPolicy

from tests.support.helpdesks.fixtures import (  # noqa: F401  # fixtures, used by name
    _intercom_server,
    _sunshine_server,
    _zendesk_server,
    intercom,
    sunshine,
    zendesk,
)


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """The channels' retry policy without the waiting."""
    return RetryPolicy(max_retries=3, base_delay=0.5, max_delay=8.0, async_sleep=_no_sleep)
