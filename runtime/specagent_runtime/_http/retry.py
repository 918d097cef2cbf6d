"""When to retry a request and how long to wait, shared by the sync and async clients.

Retrying a request that changes state could do it twice (two orders, two refunds), so only
idempotent methods are retried, or unsafe ones that carry an `Idempotency-Key` the server uses
to deduplicate. A refused connection is the exception: nothing was sent, so any method may be
retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from specagent_runtime._lazy import lazy_module
from specagent_runtime._spec import IDEMPOTENT_METHODS

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")  # a cold start builds a RetryPolicy before any request

RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})
IDEMPOTENCY_HEADER = "Idempotency-Key"


async def _async_sleep(seconds: float) -> None:
    import asyncio  # noqa: PLC0415  # ~15 ms a cold start need not pay

    await asyncio.sleep(seconds)


def _never_sent(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Jittered exponential backoff: `base_delay` doubling up to `max_delay`.

    A `Retry-After` header is honoured up to `max_retry_after` seconds; a longer wait is not
    waited out: the error is raised with `retry_after` set, so the agent can tell the customer.
    `sleep`/`async_sleep`/`random` are injectable so tests never wait.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=_async_sleep, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def can_retry(self, method: str, headers: Mapping[str, str]) -> bool:
        """Whether a request may be sent again after it might have reached the server."""
        if method.upper() in IDEMPOTENT_METHODS:
            return True
        return any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers)

    def delay_after_error(
        self, attempt: int, method: str, headers: Mapping[str, str], exc: httpx.TransportError
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up."""
        if attempt >= self.max_retries:
            return None
        if not (_never_sent(exc) or self.can_retry(method, headers)):
            return None
        return self.backoff(attempt)

    def delay_after_response(
        self, attempt: int, method: str, headers: Mapping[str, str], response: httpx.Response
    ) -> float | None:
        """Seconds to wait before retrying after `response`, or None to give up."""
        if response.status_code not in RETRYABLE_STATUSES or attempt >= self.max_retries:
            return None
        if not self.can_retry(method, headers):
            return None
        retry_after = self.retry_after(response)
        if retry_after is None:
            return self.backoff(attempt)
        if retry_after > self.max_retry_after:
            return None
        return retry_after

    def backoff(self, attempt: int) -> float:
        delay = min(self.base_delay * 2.0**attempt, self.max_delay)
        # Up to 25 % less, so that clients failing together do not retry together.
        return delay * (1.0 - 0.25 * self.random())

    def retry_after(self, response: httpx.Response) -> float | None:
        """The `Retry-After` (or `retry-after-ms`) hint in seconds, if the server sent one."""
        millis = response.headers.get("retry-after-ms")
        if millis is not None:
            try:
                return max(0.0, float(millis) / 1000.0)
            except ValueError:
                pass
        value = response.headers.get("retry-after")
        if value is None:
            return None
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        import email.utils  # noqa: PLC0415  # rare: an HTTP date

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - self.clock())
