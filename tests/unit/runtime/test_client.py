"""AsyncApiClient end to end over httpx.MockTransport: URLs, responses, retries, errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field
from specagent_runtime import (
    ApiConnectionError,
    ApiStatusError,
    ApiTimeoutError,
    Arg,
    AsyncApiClient,
    NotFoundError,
    OperationSpec,
    RequestError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
)
from specagent_runtime._http import client as client_module

GET_ORDER = OperationSpec(
    id="getOrderById",
    method="GET",
    path="/store/order/{orderId}",
    args=(Arg("orderId", "orderId", "path"), Arg("token", "token", "query", explode=True)),
    responses=(("200", "successful operation"), ("404", "Order not found")),
)
PLACE_ORDER = OperationSpec(
    id="placeOrder",
    method="POST",
    path="/store/order",
    args=(Arg("id", "id", "body"), Arg("status", "status", "body")),
    body_media_type="application/json",
    body_flattened=True,
)


class Order(BaseModel):
    id: int
    pet_id: int | None = Field(default=None, alias="petId")
    status: str | None = None


class Owner(BaseModel):
    name: str
    orders: list[Order] = []


class Petstore(AsyncApiClient):
    default_base_url = "/api/v3"


Handler = Callable[[httpx.Request], httpx.Response]


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def _client(
    handler: Handler, *, sleeps: Sleeps | None = None, max_retries: int = 2, **kw: Any
) -> Petstore:
    policy = RetryPolicy(
        max_retries=max_retries, async_sleep=sleeps or Sleeps(), random=lambda: 0.0
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    kw.setdefault("base_url", "https://api.test/api/v3")
    return Petstore(http_client=http, retry_policy=policy, env={}, **kw)


def _json(status: int, data: object, **headers: str) -> Handler:
    return lambda request: httpx.Response(status, json=data, headers=headers)


# --- URLs --------------------------------------------------------------------------------------


async def test_url_is_base_plus_encoded_path_and_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 1})

    client = _client(handler, base_url="https://api.test/api/v3/")
    await client._call(GET_ORDER, {"orderId": 5, "token": "a b"}, Order)
    assert str(seen[0].url) == "https://api.test/api/v3/store/order/5?token=a%20b"


@pytest.mark.parametrize(
    "value", ["//evil.test/x", "http://evil.test", "@evil.test", "..", "../../..%2F", "\\evil"]
)
async def test_an_argument_cannot_move_the_request_to_another_host(value: str) -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"id": 1})

    client = _client(handler, base_url="https://api.test")
    try:
        await client._call(GET_ORDER, {"orderId": value}, Order)
    except RequestError:
        assert value == ".."
    for url in seen:
        assert url.host == "api.test"
        assert url.raw_path.startswith(b"/store/order/")
        assert url.raw_path.count(b"/") == 3


async def test_relative_default_base_url_asks_for_base_url() -> None:
    client = Petstore(http_client=httpx.AsyncClient(transport=httpx.MockTransport(_json(200, {}))))
    with pytest.raises(RequestError, match=r"'/api/v3' is relative: pass base_url=") as info:
        await client._call(GET_ORDER, {"orderId": 1}, Order)
    assert "Petstore(...)" in str(info.value)


async def test_empty_base_url_and_server_variables_are_refused() -> None:
    class NoServer(AsyncApiClient):
        pass

    with pytest.raises(RequestError, match="base URL is not set"):
        await NoServer()._call(GET_ORDER, {"orderId": 1}, None)
    with pytest.raises(RequestError, match="unfilled server variables"):
        await NoServer("https://{region}.api.test")._call(GET_ORDER, {"orderId": 1}, None)


async def test_base_url_query_is_kept() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(204)

    client = _client(handler, base_url="https://api.test/v1?api-version=2024-01")
    await client._call(GET_ORDER, {"orderId": 1, "token": "t"}, None)
    assert str(seen[0]) == "https://api.test/v1/store/order/1?api-version=2024-01&token=t"


async def test_default_headers_and_accept() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    op = OperationSpec(id="ping", method="GET", path="/ping", success_media_type="text/plain")
    client = _client(handler, headers={"X-Tenant": "acme"})
    assert await client._call(op, {}, str) == "ok"
    assert seen[0].headers["X-Tenant"] == "acme"
    assert seen[0].headers["Accept"] == "text/plain"
    assert seen[0].headers["User-Agent"].startswith("specagent-runtime/")


def test_constructor_headers_with_line_breaks_are_refused() -> None:
    with pytest.raises(RequestError, match="line break"):
        Petstore("https://api.test", headers={"X-Tenant": "a\r\nX-Admin: 1"})


# --- responses ---------------------------------------------------------------------------------


async def test_json_response_is_validated_into_the_model() -> None:
    order = await _client(_json(200, {"id": 7, "petId": 3}))._call(GET_ORDER, {"orderId": 7}, Order)
    assert order == Order(id=7, petId=3)


async def test_list_and_dict_response_types() -> None:
    orders = await _client(_json(200, [{"id": 1}, {"id": 2}]))._call(
        GET_ORDER, {"orderId": 1}, list[Order]
    )
    assert [o.id for o in orders] == [1, 2]
    counts = await _client(_json(200, {"a": 1}))._call(GET_ORDER, {"orderId": 1}, dict[str, int])
    assert counts == {"a": 1}


async def test_invalid_response_is_returned_leniently_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = {"name": "Ann", "orders": [{"id": 1}, {"id": "not-a-number", "petId": 9}], "x": 1}
    caplog.set_level(logging.WARNING, logger="specagent_runtime")
    owner = await _client(_json(200, data))._call(GET_ORDER, {"orderId": 1}, Owner)
    assert isinstance(owner, Owner)
    assert owner.name == "Ann"
    assert owner.orders[0] == Order(id=1)
    assert isinstance(owner.orders[1], Order)
    assert owner.orders[1].id == "not-a-number"  # type: ignore[comparison-overlap]
    assert owner.orders[1].pet_id == 9
    (record,) = caplog.records
    assert "getOrderById" in record.getMessage()
    assert "orders.1.id" in record.getMessage()
    assert "not-a-number" not in record.getMessage()


async def test_response_of_the_wrong_shape_is_returned_raw() -> None:
    result = await _client(_json(200, ["unexpected"]))._call(GET_ORDER, {"orderId": 1}, Order)
    assert result == ["unexpected"]  # type: ignore[comparison-overlap]


async def test_bytes_text_and_none_responses() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"\x89PNG")

    client = _client(handler)
    assert await client._call(GET_ORDER, {"orderId": 1}, bytes) == b"\x89PNG"
    await client._call(GET_ORDER, {"orderId": 1}, None)  # a body is ignored, not decoded


async def test_empty_success_body_is_none() -> None:
    client = _client(lambda request: httpx.Response(204))
    assert await client._call(GET_ORDER, {"orderId": 1}, Order) is None


async def test_invalid_json_is_a_decode_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>oops</html>", headers={"content-type": "text/html"})

    with pytest.raises(ResponseDecodeError, match="not valid JSON") as info:
        await _client(handler)._call(GET_ORDER, {"orderId": 1}, Order)
    assert info.value.operation_id == "getOrderById"
    assert info.value.path == "/store/order/1"


async def test_not_found_is_typed_with_the_spec_description() -> None:
    client = _client(_json(404, {"message": "no order 5"}))
    with pytest.raises(NotFoundError) as info:
        await client._call(GET_ORDER, {"orderId": 5, "token": "secret-token"}, Order)
    error = info.value
    assert (error.status, error.method, error.path) == (404, "GET", "/store/order/5")
    assert "Order not found" in error.model_message()
    assert "secret-token" not in str(error)


async def test_redirects_are_not_followed() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(302, headers={"Location": "https://evil.test/steal"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True)
    client = Petstore("https://api.test", http_client=http)
    with pytest.raises(ApiStatusError) as info:
        await client._call(GET_ORDER, {"orderId": 1}, Order)
    assert info.value.status == 302
    assert [url.host for url in seen] == ["api.test"]


# --- retries -----------------------------------------------------------------------------------


def _sequence(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


async def test_get_is_retried_with_backoff_then_succeeds() -> None:
    handler, seen = _sequence(
        httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"id": 1})
    )
    sleeps = Sleeps()
    order = await _client(handler, sleeps=sleeps)._call(GET_ORDER, {"orderId": 1}, Order)
    assert order.id == 1
    assert len(seen) == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_retries_are_bounded_and_the_last_error_raised() -> None:
    handler, seen = _sequence(*(httpx.Response(503) for _ in range(3)))
    with pytest.raises(ServerError) as info:
        await _client(handler)._call(GET_ORDER, {"orderId": 1}, Order)
    assert info.value.status == 503
    assert len(seen) == 3


async def test_retry_after_is_honoured() -> None:
    handler, _ = _sequence(
        httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(200, json={"id": 1})
    )
    sleeps = Sleeps()
    await _client(handler, sleeps=sleeps)._call(GET_ORDER, {"orderId": 1}, Order)
    assert sleeps.delays == [4.0]


async def test_post_is_not_retried_without_idempotency_key() -> None:
    handler, seen = _sequence(httpx.Response(503), httpx.Response(201, json={"id": 1}))
    with pytest.raises(ServerError):
        await _client(handler)._call(PLACE_ORDER, {"id": 1}, Order)
    assert len(seen) == 1
    assert "Idempotency-Key" not in seen[0].headers


async def test_post_with_idempotency_keys_is_retried_with_one_stable_key() -> None:
    handler, seen = _sequence(
        httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(201, json={"id": 1})
    )
    client = _client(handler, idempotency_keys=True)
    assert (await client._call(PLACE_ORDER, {"id": 1}, Order)).id == 1
    keys = {request.headers["Idempotency-Key"] for request in seen}
    assert len(seen) == 3
    assert len(keys) == 1
    assert seen[0].content == b'{"id":1}'


async def test_each_call_gets_its_own_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": 1})

    op = OperationSpec(id="pay", method="POST", path="/pay", idempotency_key=True)
    client = _client(handler)
    await client._call(op, {}, None)
    await client._call(op, {}, None)
    assert seen[0].headers["Idempotency-Key"] != seen[1].headers["Idempotency-Key"]


async def test_explicit_idempotency_key_is_sent_and_wins() -> None:
    handler, seen = _sequence(httpx.Response(503), httpx.Response(201, json={"id": 1}))
    op = OperationSpec(
        id="pay",
        method="POST",
        path="/pay",
        args=(Arg("key", "Idempotency-Key", "header"),),
        idempotency_key=True,
    )
    await _client(handler)._call(op, {"key": "from-model"}, None, idempotency_key="run-1:step-3")
    assert [r.headers["Idempotency-Key"] for r in seen] == ["run-1:step-3", "run-1:step-3"]


async def test_idempotency_key_argument_is_kept() -> None:
    handler, seen = _sequence(httpx.Response(201))
    op = OperationSpec(
        id="pay",
        method="POST",
        path="/pay",
        args=(Arg("key", "Idempotency-Key", "header"),),
        idempotency_key=True,
    )
    await _client(handler)._call(op, {"key": "given"}, None)
    assert seen[0].headers["Idempotency-Key"] == "given"


async def test_connection_errors_are_retried_then_typed() -> None:
    handler, seen = _sequence(*(httpx.ConnectError("refused") for _ in range(3)))
    with pytest.raises(ApiConnectionError) as info:
        await _client(handler)._call(PLACE_ORDER, {"id": 1}, Order)
    assert len(seen) == 3  # never sent: safe to retry even a POST
    assert info.value.operation_id == "placeOrder"
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_timeout_is_typed() -> None:
    handler, _ = _sequence(httpx.ReadTimeout("slow"))
    with pytest.raises(ApiTimeoutError) as info:
        await _client(handler, max_retries=0)._call(GET_ORDER, {"orderId": 1}, Order)
    assert "did not respond in time" in info.value.model_message()


# --- client lifecycle and transport settings ---------------------------------------------------


async def test_a_passed_http_client_is_not_closed() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(_json(200, {})))
    async with Petstore("https://api.test", http_client=http):
        pass
    assert not http.is_closed
    await http.aclose()


async def test_the_own_http_client_is_closed_and_has_default_timeouts() -> None:
    client = Petstore("https://api.test")
    http = client._http
    assert http.timeout == httpx.Timeout(30.0, connect=5.0)
    assert http.follow_redirects is False
    async with client:
        pass
    assert http.is_closed


async def test_timeout_argument_applies_per_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = _client(handler, timeout=2.0)
    await client._call(GET_ORDER, {"orderId": 1}, None)
    assert seen[0].extensions["timeout"] == {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}


def test_http2_only_when_h2_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert client_module.http2_available() is False
    monkeypatch.setattr("importlib.util.find_spec", lambda name: object())
    assert client_module.http2_available() is True


async def test_debug_log_has_method_path_status_but_no_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="specagent_runtime")
    client = _client(_json(200, {"id": 1}))
    await client._call(GET_ORDER, {"orderId": 424242, "token": "private-value"}, Order)
    messages = [r.getMessage() for r in caplog.records if r.name == "specagent_runtime"]
    assert any(
        m.startswith("GET /store/order/{orderId} -> 200 in") and "getOrderById" in m
        for m in messages
    )
    assert not any("private-value" in m or "424242" in m for m in messages)


async def test_header_names_merge_case_blind() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    op = OperationSpec(
        id="ping", method="GET", path="/ping", args=(Arg("t", "x-tenant", "header"),)
    )
    client = _client(handler, headers={"user-agent": "acme-bot/1", "X-Tenant": "default"})
    await client._call(op, {"t": "from-arg"}, None)
    assert seen[0].headers.get_list("User-Agent") == ["acme-bot/1"]
    assert seen[0].headers.get_list("X-Tenant") == ["from-arg"]


async def test_keys_only_on_unsafe_methods_unless_the_api_declares_the_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = _client(handler, idempotency_keys=True)
    await client._call(GET_ORDER, {"orderId": 1}, None)
    await client._call(
        OperationSpec(id="d", method="DELETE", path="/x", idempotency_key=True), {}, None
    )
    assert "Idempotency-Key" not in seen[0].headers
    assert "Idempotency-Key" in seen[1].headers
