"""ApiRecorder: every request matched to its operation, answered from stubs or passed on."""

from __future__ import annotations

import httpx
import pytest
from specagent_runtime import ApiKeyScheme, Arg, OperationSpec
from specagent_runtime.testing import ApiRecorder, Stub

OPERATIONS = (
    OperationSpec(id="getOrder", method="GET", path="/orders/{orderId}"),
    OperationSpec(id="searchOrders", method="GET", path="/orders/search"),
    OperationSpec(id="cancelOrder", method="POST", path="/orders/{orderId}/cancel"),
    OperationSpec(
        id="getStatus", method="GET", path="/status", server="/v2",
        args=(Arg("key", "key", "query"),),
    ),
)  # fmt: skip
SCHEMES = {"key": ApiKeyScheme("key", "X-Shop-Key", "header", "SHOP_KEY")}


def _recorder(**options: object) -> ApiRecorder:
    return ApiRecorder(
        OPERATIONS, base_url="https://api.example/v1", security_schemes=SCHEMES, **options
    )  # type: ignore[arg-type]


async def test_requests_are_matched_to_the_most_specific_operation() -> None:
    recorder = _recorder(stubs={"getOrder": {"id": 7}, "searchOrders": [], "getStatus": "up"})
    async with httpx.AsyncClient(transport=recorder, base_url="https://api.example/v1") as http:
        order = await http.get("/orders/7", headers={"X-Shop-Key": "secret"})
        await http.get("/orders/search", params={"email": "a@b.c"})
        await http.get("https://api.example/v2/status")  # the operation's own server
    assert order.json() == {"id": 7}
    first, second, third = recorder.requests
    assert (first.operation, first.path, dict(first.path_params)) == (
        "getOrder",
        "/orders/7",
        {"orderId": "7"},
    )
    assert first.headers["x-shop-key"] == "***"  # credentials never recorded
    assert (second.operation, dict(second.query)) == ("searchOrders", {"email": "a@b.c"})
    assert third.operation == "getStatus" and third.response == "up"
    assert all(r.stubbed for r in recorder.requests)


async def test_stubs_apply_by_parameter_and_body_and_in_order() -> None:
    recorder = _recorder(
        stubs={
            "getOrder": [
                Stub(status=404, body={"message": "no"}, when={"orderId": 9}),
                Stub(body={"id": 1}),
            ],
            "cancelOrder": Stub(body={"ok": True}, when={"email": "ada@example.com"}),
        }
    )
    async with httpx.AsyncClient(transport=recorder, base_url="https://api.example/v1") as http:
        assert (await http.get("/orders/9")).status_code == 404
        assert (await http.get("/orders/1")).json() == {"id": 1}
        ok = await http.post("/orders/1/cancel", json={"email": "ada@example.com"})
        refused = await http.post("/orders/1/cancel", json={"email": "grace@example.com"})
    assert ok.json() == {"ok": True}
    assert refused.status_code == 501  # no stub applies and no server to pass it on to
    assert recorder.requests[-1].answered is False and recorder.requests[-1].unsafe
    assert recorder.requests[-1].body == {"email": "grace@example.com"}


async def test_unstubbed_requests_go_to_the_server() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"from": "server", "path": request.url.path})

    recorder = _recorder(forward=httpx.MockTransport(server), stubs={"getOrder": {"id": 1}})
    async with httpx.AsyncClient(transport=recorder, base_url="https://api.example/v1") as http:
        stubbed = await http.get("/orders/1")
        served = await http.post("/orders/1/cancel")
        unknown = await http.get("/nothing")
    assert stubbed.json() == {"id": 1}
    assert served.json() == {"from": "server", "path": "/v1/orders/1/cancel"}
    assert unknown.status_code == 200 and recorder.requests[-1].operation is None
    assert [r.stubbed for r in recorder.requests] == [True, False, False]


def test_a_stub_for_an_unknown_operation_is_refused_with_the_closest_name() -> None:
    with pytest.raises(
        ValueError, match=r"no operation 'getOrders' in this package\. did you mean `getOrder`"
    ):
        _recorder(stubs={"getOrders": {}})


def test_the_sync_client_is_recorded_too() -> None:
    recorder = _recorder(stubs={"getOrder": {"id": 3}})
    with httpx.Client(transport=recorder, base_url="https://api.example/v1") as http:
        assert http.get("/orders/3").json() == {"id": 3}
    assert recorder.made("getOrder")[0].status == 200
