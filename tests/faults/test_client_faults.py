"""The generated client against an API that misbehaves: what it retries, what it reports.

Each scenario queues faults on the fault server, makes one call with the generated client (sync
and async: they share request building, not the sending loop) and checks the outcome and the
exact number of requests the server received. Retries only ever repeat what is safe: GET and
DELETE, or a POST carrying an Idempotency-Key; a plain POST is sent once, whatever happens.
Backoff sleeps are recorded instead of waited.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
)

from tests.support.fault_server import (
    Fault,
    FaultServer,
    hang,
    json_response,
    malformed_json,
    reset_mid_response,
    retry_after,
    slow_drip,
    status,
    truncated_body,
    truncated_json,
    wrong_content_type,
)

API = "/api/v3"
ORDER = {"id": 1, "petId": 7, "quantity": 2, "status": "placed", "complete": False}
TIMEOUT = 0.75  # long enough for a loaded machine, short enough for the hang faults


@dataclass
class Sleeps:
    """Stands in for time.sleep/asyncio.sleep in the retry policy."""

    waited: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.waited.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.waited.append(seconds)


def make_client(
    package: ModuleType, server: FaultServer, mode: str, sleeps: Sleeps, **kw: Any
) -> Any:
    policy = RetryPolicy(max_retries=2, sleep=sleeps.sleep, async_sleep=sleeps.async_sleep)
    cls = package.AsyncClient if mode == "async" else package.Client
    return cls(server.root_url + API, timeout=TIMEOUT, retry_policy=policy, **kw)


def call(client: Any, mode: str, method: str, *args: Any, **kwargs: Any) -> Any:
    if mode == "sync":
        with client:
            return getattr(client, method)(*args, **kwargs)

    async def run() -> Any:
        async with client:
            return await getattr(client, method)(*args, **kwargs)

    return asyncio.run(run())


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: tuple[Fault, ...]
    sent: int  # requests the server must have received
    error: type[ApiError] | None = None  # None: the call succeeds


GET_SCENARIOS = [
    Scenario("5xx burst then ok", (status(503), status(502)), 3),
    Scenario("5xx burst outlasts the retries", (status(503),) * 3, 3, ServerError),
    Scenario("500 is not retried", (status(500),), 1, ServerError),
    Scenario("429 with Retry-After then ok", (retry_after(1),), 2),
    Scenario("429 asking for too long a wait", (retry_after(120),), 1, RateLimitError),
    Scenario("timeout then ok", (hang(2.0),), 2),
    Scenario("timeouts outlast the retries", (hang(2.0),) * 3, 3, ApiTimeoutError),
    Scenario("connection reset mid-response then ok", (reset_mid_response(),), 2),
    Scenario("body cut short then ok", (truncated_body(),), 2),
    Scenario("truncated JSON", (truncated_json(),), 1, ResponseDecodeError),
    Scenario("malformed JSON", (malformed_json(),), 1, ResponseDecodeError),
    Scenario("HTML instead of JSON", (wrong_content_type(),), 1, ResponseDecodeError),
    Scenario("slow drip within the timeout", (slow_drip(ORDER, 0.005),), 1),
    Scenario("drip slower than the timeout then ok", (slow_drip(ORDER, TIMEOUT * 2),), 2),
]

POST_SCENARIOS = [
    Scenario("503", (status(503),), 1, ServerError),
    Scenario("429 with a short Retry-After", (retry_after(1),), 1, RateLimitError),
    Scenario("connection reset mid-response", (reset_mid_response(),), 1, ApiConnectionError),
    Scenario("body cut short", (truncated_body(),), 1, ApiConnectionError),
    Scenario("timeout", (hang(2.0),), 1, ApiTimeoutError),
]


@pytest.fixture(params=["async", "sync"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.mark.parametrize("scenario", GET_SCENARIOS, ids=[s.name for s in GET_SCENARIOS])
def test_get(package: ModuleType, server: FaultServer, mode: str, scenario: Scenario) -> None:
    path = f"{API}/store/order/1"
    server.route("GET", path, json_response(ORDER))
    server.fail_next("GET", path, *scenario.faults)
    sleeps = Sleeps()
    client = make_client(package, server, mode, sleeps)
    if scenario.error is None:
        order = call(client, mode, "get_order_by_id", 1)
        assert (order.id, order.pet_id, order.quantity) == (1, 7, 2)
    else:
        with pytest.raises(scenario.error) as caught:
            call(client, mode, "get_order_by_id", 1)
        message = caught.value.model_message()
        assert message and "Traceback" not in message
        assert caught.value.operation_id == "getOrderById"
    assert len(server.requests("GET", path)) == scenario.sent
    assert len(sleeps.waited) == scenario.sent - 1


def test_retry_after_is_honoured(package: ModuleType, server: FaultServer) -> None:
    path = f"{API}/store/order/1"
    server.route("GET", path, json_response(ORDER))
    server.fail_next("GET", path, retry_after(3), retry_after("1.5"))
    sleeps = Sleeps()
    call(make_client(package, server, "async", sleeps), "async", "get_order_by_id", 1)
    assert sleeps.waited == [3.0, 1.5]


def test_long_retry_after_reaches_the_model(package: ModuleType, server: FaultServer) -> None:
    path = f"{API}/store/order/1"
    server.fail_next("GET", path, retry_after(120))
    with pytest.raises(RateLimitError) as caught:
        call(make_client(package, server, "async", Sleeps()), "async", "get_order_by_id", 1)
    assert caught.value.retry_after == 120
    assert "120 seconds" in caught.value.model_message()


@pytest.mark.parametrize("scenario", POST_SCENARIOS, ids=[s.name for s in POST_SCENARIOS])
def test_post_is_sent_once(
    package: ModuleType, server: FaultServer, mode: str, scenario: Scenario
) -> None:
    path = f"{API}/store/order"
    server.route("POST", path, json_response(ORDER))
    server.fail_next("POST", path, *scenario.faults)
    client = make_client(package, server, mode, Sleeps())
    assert scenario.error is not None
    with pytest.raises(scenario.error):
        call(client, mode, "place_order", pet_id=7, quantity=2)
    sent = server.requests("POST", path)
    assert len(sent) == 1
    assert "idempotency-key" not in sent[0].headers


def test_post_with_idempotency_keys_is_retried_with_one_key(
    package: ModuleType, server: FaultServer, mode: str
) -> None:
    path = f"{API}/store/order"
    server.route("POST", path, json_response(ORDER))
    server.fail_next("POST", path, status(503), reset_mid_response())
    client = make_client(package, server, mode, Sleeps(), idempotency_keys=True)
    order = call(client, mode, "place_order", pet_id=7, quantity=2)
    assert order.id == 1
    sent = server.requests("POST", path)
    assert len(sent) == 3
    keys = {request.headers.get("idempotency-key") for request in sent}
    assert len(keys) == 1 and None not in keys
    assert all(request.json() == {"petId": 7, "quantity": 2} for request in sent)


def test_delete_is_retried(package: ModuleType, server: FaultServer, mode: str) -> None:
    path = f"{API}/store/order/5"
    server.route("DELETE", path, json_response({}, 200))
    server.fail_next("DELETE", path, status(503), reset_mid_response())
    call(make_client(package, server, mode, Sleeps()), mode, "delete_order", 5)
    assert len(server.requests("DELETE", path)) == 3


def test_refused_connection_is_retried_even_for_post(package: ModuleType, mode: str) -> None:
    """Nothing was sent when the connection was refused, so even a POST may be tried again."""
    with FaultServer() as closed:
        url = closed.root_url
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=2, sleep=sleeps.sleep, async_sleep=sleeps.async_sleep)
    cls = package.AsyncClient if mode == "async" else package.Client
    client = cls(url + API, timeout=TIMEOUT, retry_policy=policy)
    with pytest.raises(ApiConnectionError) as caught:
        call(client, mode, "place_order", pet_id=7, quantity=2)
    assert len(sleeps.waited) == 2
    assert caught.value.model_message() == "The service could not be reached. Try again later."
