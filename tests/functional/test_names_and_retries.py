"""Spec names that are not Python names reach the wire unchanged, operation servers are
honoured, and retries follow the operation: GETs and declared idempotency keys are retried, a
plain POST never is."""

from __future__ import annotations

import uuid
from datetime import date
from types import ModuleType

import httpx
import pytest
from specagent_runtime import (
    ApiConnectionError,
    ApiTimeoutError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)

from ._harness import Mode, Recorder, Session, call, empty_reply, json_body, json_reply

ORDER = {"id": 1, "petId": 1, "quantity": 1, "status": "placed", "complete": False}


def test_keyword_dotted_dashed_and_digit_names(styles: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply([{"id": "a", "name": "A"}]))
    items = call(
        styles,
        mode,
        "search",
        from_=date(2024, 1, 31),
        class__query="gold",
        page_size=20,
        sort_by="name",
        field_2fa=True,
        class__header="vip",
        recorder=recorder,
    )
    request = recorder.last
    assert request.url.query == b"from=2024-01-31&class=gold&page.size=20&sort-by=name"
    assert request.headers["2fa"] == "true"
    assert request.headers["class"] == "vip"
    assert [item.name for item in items] == ["A"]


class _Sleeps:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def sleep(self, delay: float) -> None:
        self.delays.append(delay)

    async def async_sleep(self, delay: float) -> None:
        self.delays.append(delay)

    def policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=2, sleep=self.sleep, async_sleep=self.async_sleep)


def test_get_is_retried_after_503_honouring_retry_after(petstore: ModuleType, mode: Mode) -> None:
    sleeps = _Sleeps()
    busy = json_reply({"message": "busy"}, 503, {"Retry-After": "2"})
    recorder = Recorder(busy, json_reply(ORDER))
    order = call(
        petstore,
        mode,
        "get_order_by_id",
        1,
        recorder=recorder,
        options={"retry_policy": sleeps.policy()},
    )
    assert order.id == 1
    assert len(recorder.requests) == 2
    assert sleeps.delays == [2.0]


def test_plain_post_is_not_retried(petstore: ModuleType, mode: Mode) -> None:
    sleeps = _Sleeps()
    recorder = Recorder(json_reply({"message": "busy"}, 503), json_reply(ORDER))
    with pytest.raises(ServerError) as caught:
        call(
            petstore,
            mode,
            "place_order",
            pet_id=1,
            recorder=recorder,
            options={"retry_policy": sleeps.policy()},
        )
    assert caught.value.status == 503
    assert len(recorder.requests) == 1
    assert "idempotency-key" not in recorder.last.headers
    assert sleeps.delays == []


def test_declared_idempotency_key_is_sent_and_kept_across_retries(
    styles: ModuleType, mode: Mode
) -> None:
    sleeps = _Sleeps()
    recorder = Recorder(json_reply({"message": "busy"}, 503), empty_reply(201))
    options = {"retry_policy": sleeps.policy()}
    assert call(styles, mode, "create_payment", 250, recorder=recorder, options=options) is None
    first, second = recorder.requests
    assert json_body(first) == {"amount": 250}
    key = first.headers["idempotency-key"]
    assert uuid.UUID(key).version == 4
    assert second.headers["idempotency-key"] == key
    assert len(sleeps.delays) == 1
    call(styles, mode, "create_payment", 250, recorder=recorder, options=options)
    assert recorder.last.headers["idempotency-key"] != key  # a new call is a new operation


def test_429_gives_up_with_the_retry_after_hint(petstore: ModuleType, mode: Mode) -> None:
    sleeps = _Sleeps()
    limited = json_reply({"message": "slow down"}, 429, {"Retry-After": "120"})
    recorder = Recorder(limited)
    with pytest.raises(RateLimitError) as caught:
        call(
            petstore,
            mode,
            "get_order_by_id",
            1,
            recorder=recorder,
            options={"retry_policy": sleeps.policy()},
        )
    assert caught.value.retry_after == 120.0
    assert caught.value.model_message() == (
        "The service is receiving too many requests; try again in 120 seconds."
    )
    assert len(recorder.requests) == 1  # longer than max_retry_after: not waited out
    assert sleeps.delays == []


def test_operation_level_server_is_used(styles: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(204))
    call(styles, mode, "get_export", recorder=recorder)
    assert str(recorder.last.url) == "https://files.example.test/v2/exports"


class _Failing:
    """Raises `error` for the first `times` requests, then answers with `reply`."""

    def __init__(self, error: httpx.TransportError, times: int, reply: httpx.Response) -> None:
        self._error = error
        self._left = times
        self._reply = reply
        self.attempts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self._left:
            self._left -= 1
            raise self._error
        return httpx.Response(self._reply.status_code, json=self._reply.json())


def test_get_is_retried_after_a_connection_error(petstore: ModuleType, mode: Mode) -> None:
    sleeps = _Sleeps()
    handler = _Failing(httpx.ConnectError("refused"), 1, httpx.Response(200, json=ORDER))
    with Session(petstore, mode, handler, retry_policy=sleeps.policy()) as session:
        order = session.call("get_order_by_id", 1)
    assert order.id == 1
    assert handler.attempts == 2
    assert len(sleeps.delays) == 1


def test_post_timeout_is_not_retried(petstore: ModuleType, mode: Mode) -> None:
    sleeps = _Sleeps()
    handler = _Failing(httpx.ReadTimeout("slow"), 1, httpx.Response(200, json=ORDER))
    with (
        Session(petstore, mode, handler, retry_policy=sleeps.policy()) as session,
        pytest.raises(ApiTimeoutError) as caught,
    ):
        session.call("place_order", pet_id=1)
    assert handler.attempts == 1  # it may have reached the server: never sent twice
    assert caught.value.operation_id == "placeOrder"
    # It may have placed the order: the model must not be invited to send it again.
    message = caught.value.model_message()
    assert message.startswith("The service did not respond in time. It is not known whether")
    assert "try again" not in message.lower()


def test_connection_errors_exhaust_the_retries(petstore: ModuleType, mode: Mode) -> None:
    sleeps = _Sleeps()
    handler = _Failing(httpx.ConnectError("refused"), 99, httpx.Response(200, json=ORDER))
    with (
        Session(petstore, mode, handler, retry_policy=sleeps.policy()) as session,
        pytest.raises(ApiConnectionError) as caught,
    ):
        session.call("get_order_by_id", 1)
    assert handler.attempts == 3  # the first try and max_retries=2
    assert "refused" not in caught.value.model_message()
    assert caught.value.model_message() == "The service could not be reached. Try again later."
