"""Retry decisions and backoff delays (no sleeping: pure decisions)."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from specagent_runtime import RetryPolicy

NOW = 1_700_000_000.0


def _policy(**kw: object) -> RetryPolicy:
    return RetryPolicy(random=lambda: 0.0, clock=lambda: NOW, **kw)  # type: ignore[arg-type]


def _response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


def test_backoff_doubles_from_half_a_second_up_to_eight() -> None:
    policy = _policy(max_retries=10)
    assert [policy.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_jitter_shortens_by_at_most_a_quarter() -> None:
    policy = RetryPolicy(random=lambda: 1.0)
    assert policy.backoff(0) == pytest.approx(0.375)
    assert policy.backoff(3) == pytest.approx(3.0)


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_retryable_statuses_for_idempotent_methods(status: int) -> None:
    assert _policy().delay_after_response(0, "GET", {}, _response(status)) == 0.5


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 500, 501])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert _policy().delay_after_response(0, "GET", {}, _response(status)) is None


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_unsafe_methods_are_not_retried_without_an_idempotency_key(method: str) -> None:
    policy = _policy()
    assert policy.delay_after_response(0, method, {}, _response(503)) is None
    keyed = {"idempotency-key": "k1"}
    assert policy.delay_after_response(0, method, keyed, _response(503)) == 0.5


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
def test_idempotent_methods(method: str) -> None:
    assert _policy().can_retry(method, {})


def test_gives_up_after_max_retries() -> None:
    policy = _policy(max_retries=2)
    assert policy.delay_after_response(1, "GET", {}, _response(503)) == 1.0
    assert policy.delay_after_response(2, "GET", {}, _response(503)) is None
    assert _policy(max_retries=0).delay_after_response(0, "GET", {}, _response(503)) is None


def test_retry_after_seconds_is_honoured() -> None:
    response = _response(429, **{"Retry-After": "3"})
    assert _policy().delay_after_response(0, "GET", {}, response) == 3.0


def test_retry_after_http_date_is_honoured() -> None:
    date = email.utils.formatdate(NOW + 7, usegmt=True)
    response = _response(503, **{"Retry-After": date})
    assert _policy().delay_after_response(0, "GET", {}, response) == pytest.approx(7.0)


def test_retry_after_ms() -> None:
    response = _response(429, **{"retry-after-ms": "250"})
    assert _policy().delay_after_response(0, "GET", {}, response) == 0.25


def test_a_retry_after_beyond_the_cap_is_not_waited_out() -> None:
    response = _response(429, **{"Retry-After": "3600"})
    policy = _policy(max_retry_after=30.0)
    assert policy.delay_after_response(0, "GET", {}, response) is None
    assert policy.retry_after(response) == 3600.0


def test_unparseable_retry_after_falls_back_to_backoff() -> None:
    response = _response(503, **{"Retry-After": "soon"})
    assert _policy().delay_after_response(1, "GET", {}, response) == 1.0


def test_past_http_date_means_no_wait() -> None:
    date = email.utils.formatdate(NOW - 100, usegmt=True)
    assert _policy().retry_after(_response(503, **{"Retry-After": date})) == 0.0


def test_connection_refused_is_retried_for_any_method() -> None:
    refused = httpx.ConnectError("refused")
    assert _policy().delay_after_error(0, "POST", {}, refused) == 0.5


def test_a_read_timeout_on_post_is_not_retried() -> None:
    # The server may have acted on the request: sending it again could act twice.
    timeout = httpx.ReadTimeout("slow")
    assert _policy().delay_after_error(0, "POST", {}, timeout) is None
    assert _policy().delay_after_error(0, "GET", {}, timeout) == 0.5
    assert _policy().delay_after_error(0, "POST", {"Idempotency-Key": "k"}, timeout) == 0.5
