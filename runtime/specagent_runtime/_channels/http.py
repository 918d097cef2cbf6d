"""Calls to a helpdesk's API: retries with backoff, typed failures, no credential in any message.

Replies are POSTs that the helpdesks do not deduplicate, so a retry after the request may have
arrived could show the customer the same answer twice. The rule is therefore narrower than the
tool client's: a request is sent again when it certainly was not processed (the connection was
refused, or the helpdesk answered 429 or 503, which refuse before doing anything); after a
timeout or a 500/502/504 only when the call is idempotent (lookups, PUTs that set state). A
Retry-After longer than the policy's limit is not waited out; the `DeliveryError` says it is
retryable so the serve step's outbox can try later. Backoff and Retry-After handling come from
the runtime's `RetryPolicy`.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from specagent_runtime import RetryPolicy, Secret
from specagent_runtime._channels.base import ChannelName
from specagent_runtime._channels.errors import ConfigError, DeliveryError

logger = logging.getLogger("specagent_runtime.channels")

REFUSED_STATUSES = frozenset({429, 503})  # the helpdesk did nothing: always safe to resend
MAYBE_PROCESSED_STATUSES = frozenset({408, 500, 502, 504})  # resend only idempotent calls
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_RETRY = RetryPolicy(max_retries=3, base_delay=0.5, max_delay=8.0, max_retry_after=30.0)
MASK = "**********"


def base_url(channel: ChannelName, value: str, setting: str) -> str:
    """A helpdesk base URL from configuration: http(s), no query, no trailing slash."""
    url = httpx.URL(value.strip())
    if url.scheme not in {"http", "https"} or not url.host:
        raise ConfigError(f"{channel}: {setting} must be an http(s) URL with a host")
    if url.query or url.fragment:
        raise ConfigError(f"{channel}: {setting} must not carry a query or a fragment")
    return str(url).rstrip("/")


def segment(value: str) -> str:
    """One path segment, percent-encoded: an id from a payload cannot add `/` or `..`."""
    return quote(value, safe="")


class SecretAuth(httpx.Auth):
    """`Authorization: <scheme> <credentials>` from secrets, revealed per request only."""

    def __init__(self, scheme: str, secret: Secret, username: str | None = None) -> None:
        self._scheme = scheme
        self._secret = secret
        self._username = username

    @classmethod
    def bearer(cls, token: Secret) -> SecretAuth:
        return cls("Bearer", token)

    @classmethod
    def basic(cls, username: str, password: Secret) -> SecretAuth:
        return cls("Basic", password, username)

    def __repr__(self) -> str:
        return f"SecretAuth({self._scheme!r}, **********)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._username is None:
            credentials = self._secret.reveal()
        else:
            pair = f"{self._username}:{self._secret.reveal()}".encode()
            credentials = base64.b64encode(pair).decode()
        request.headers["Authorization"] = f"{self._scheme} {credentials}"
        yield request


def _never_sent(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


class HelpdeskHttp:
    """One helpdesk API: base URL, auth, retry policy and the secrets to keep out of errors."""

    def __init__(
        self,
        channel: ChannelName,
        base: str,
        *,
        auth: httpx.Auth,
        secrets: Sequence[Secret],
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.channel: ChannelName = channel
        self.base = base.rstrip("/")
        self._retry = retry or DEFAULT_RETRY
        self._secrets = tuple(secrets)
        self._client = httpx.AsyncClient(
            auth=auth,
            headers={"Accept": "application/json", **(headers or {})},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,  # a redirect must not carry the credentials elsewhere
        )

    def __repr__(self) -> str:
        return f"HelpdeskHttp(channel={self.channel!r}, base={self.base!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """Send until a 2xx, or raise `DeliveryError` once retrying cannot help."""
        url = self.base + path
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"} if content is not None else {}
        attempt = 0
        while True:
            try:
                response = await self._client.request(
                    method, url, content=content, headers=headers, params=params
                )
            except httpx.TransportError as exc:
                if attempt < self._retry.max_retries and (idempotent or _never_sent(exc)):
                    await self._wait(operation, attempt, self._retry.backoff(attempt), None)
                    attempt += 1
                    continue
                raise DeliveryError(
                    self.channel,
                    operation,
                    f"{exc.__class__.__name__} talking to the helpdesk",
                    retryable=True,
                ) from None
            if response.is_success:
                return response
            delay = self._delay(attempt, response, idempotent)
            if delay is None:
                raise self._failure(operation, response)
            await self._wait(operation, attempt, delay, response.status_code)
            attempt += 1

    def _delay(self, attempt: int, response: httpx.Response, idempotent: bool) -> float | None:
        status = response.status_code
        maybe_processed = status in MAYBE_PROCESSED_STATUSES
        retryable = status in REFUSED_STATUSES or (idempotent and maybe_processed)
        if not retryable or attempt >= self._retry.max_retries:
            return None
        hint = self._retry.retry_after(response)
        if hint is None:
            return self._retry.backoff(attempt)
        return hint if hint <= self._retry.max_retry_after else None

    async def _wait(self, operation: str, attempt: int, delay: float, status: int | None) -> None:
        logger.info(
            "%s: %s: retrying in %.2fs (attempt %d, %s)",
            self.channel,
            operation,
            delay,
            attempt + 1,
            f"HTTP {status}" if status is not None else "no response",
        )
        await self._retry.async_sleep(delay)

    def _failure(self, operation: str, response: httpx.Response) -> DeliveryError:
        status = response.status_code
        retryable = status in REFUSED_STATUSES or status in MAYBE_PROCESSED_STATUSES
        return DeliveryError(
            self.channel,
            operation,
            self.redact(error_summary(response)),
            status=status,
            retryable=retryable,
        )

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)


def error_summary(response: httpx.Response) -> str:
    """The helpdesk's error codes (Intercom, Sunshine: `errors[].code`; Zendesk: `error`), not
    its free text, which can echo the request back."""
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase or "error"
    codes: list[str] = []
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list):
            codes = [str(e["code"]) for e in errors if isinstance(e, dict) and "code" in e]
        elif isinstance(data.get("error"), str):
            codes = [data["error"]]
    summary = ", ".join(code[:60] for code in codes[:5])
    return summary or response.reason_phrase or "error"


def redact(text: str, secrets: Iterable[Secret]) -> str:
    values = sorted((s.reveal() for s in secrets if len(s.reveal()) >= 4), key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    return text
