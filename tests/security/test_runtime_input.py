"""Hostile tool calls: what a model (or a customer steering it) can put into arguments.

Every refusal must come back as a `ToolResult` the model can act on (it names the argument and
what to do) and must send nothing to the API; every value that is accepted must reach the wire
as data, inside the operation it was given for, on the configured host.
"""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any
from urllib.parse import quote, unquote

import pytest
from specagent_runtime import ApiKey, Identity, MemoryStore, RequestError, ToolResult

from tests.support.fake_openai import FakeOpenAI, call, calls, say

from ._mock import BASE_URL, Recorder, mock_client, toolset

HOST = "api.example.test"


def execute(
    package: ModuleType,
    name: str,
    arguments: dict[str, Any],
    identity: Identity | None = None,
    *,
    confirmed: bool = False,
) -> tuple[ToolResult, Recorder]:
    recorder = Recorder()
    credentials = {"api_key": ApiKey("k-123456")}
    tools = toolset(package, recorder, credentials=credentials)
    result = asyncio.run(tools.execute(name, arguments, identity, confirmed=confirmed))
    return result, recorder


@pytest.mark.parametrize(
    "value",
    [
        "../../store/inventory",
        "a/b",
        "%2F..%2Fadmin",
        "x?admin=true",
        "x#fragment",
        "https://evil.example/steal",
        "//evil.example/x",
        "..\\..\\admin",
        "%2e%2e",
        "user 1;DROP",
    ],
)
def test_path_value_stays_one_segment_on_the_api_host(package: ModuleType, value: str) -> None:
    result, recorder = execute(package, "delete_user", {"username": value}, confirmed=True)
    assert result.status == "ok", result.message
    (request,) = recorder.requests
    assert request.method == "DELETE"
    assert (request.url.scheme, request.url.host) == ("https", HOST)
    raw = request.url.raw_path
    assert raw == b"/api/v3/user/" + quote(value, safe="").encode()
    assert request.url.query == b""
    segment = raw.removeprefix(b"/api/v3/user/").decode()
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert unquote(segment) == value  # the server reads back exactly what was given


@pytest.mark.parametrize("value", ["..", ".", ""])
def test_dot_segments_are_refused(package: ModuleType, value: str) -> None:
    result, recorder = execute(package, "delete_user", {"username": value}, confirmed=True)
    assert result.status == "error"
    assert "username" in result.message
    assert recorder.requests == []


@pytest.mark.parametrize(
    "value", ["key\r\nX-Injected: 1", "key\nX-Injected: 1", "key\rX", "key\x00", "\r\n\r\nGET /"]
)
def test_header_values_with_line_breaks_are_refused(package: ModuleType, value: str) -> None:
    result, recorder = execute(
        package, "delete_pet", {"petId": 1, "api_key": value}, confirmed=True
    )
    assert result.status == "error"
    assert "api_key" in result.message
    assert recorder.requests == []


def test_bound_argument_is_refused(package: ModuleType) -> None:
    identity = Identity(username="alice", verified=True)
    result, recorder = execute(package, "get_my_account", {"username": "bob"}, identity)
    assert result.status == "error"
    assert "`username`" in result.message and "again without it" in result.message
    assert recorder.requests == []


def test_bound_value_from_the_identity_is_data(package: ModuleType) -> None:
    identity = Identity(username="../admin?x=1", verified=True)
    result, recorder = execute(package, "get_my_account", {}, identity)
    assert result.status == "ok"
    (request,) = recorder.requests
    assert request.url.raw_path == b"/api/v3/user/..%2Fadmin%3Fx%3D1"


@pytest.mark.parametrize(
    "arguments",
    [
        {"orderId": 1, "admin": True},
        {"orderId": 1, "Username": "bob"},
        {"orderId": 1, "base_url": "https://evil.example"},
        {"orderId": 1, "confirmed": True},
    ],
)
def test_unknown_arguments_are_refused(package: ModuleType, arguments: dict[str, Any]) -> None:
    result, recorder = execute(package, "get_order", arguments)
    assert result.status == "error"
    assert "unknown arguments" in result.message and "orderId" in result.message
    assert recorder.requests == []


@pytest.mark.parametrize(
    "value",
    [
        "1 OR 1=1",
        "https://evil.example/store/order/1",
        "../1",
        [1, 2],
        {"$gt": 0},
        1.5,
        True,
    ],
)
def test_wrong_types_are_refused(package: ModuleType, value: Any) -> None:
    result, recorder = execute(package, "get_order", {"orderId": value})
    assert result.status == "error"
    assert "`orderId`" in result.message
    assert recorder.requests == []


def test_query_value_cannot_add_parameters(package: ModuleType) -> None:
    result, recorder = execute(package, "find_pets_by_status", {"status": "available&status=sold"})
    assert result.status == "error"
    assert "`status`" in result.message
    assert recorder.requests == []


def test_bound_tool_is_not_offered_or_run_without_identity(package: ModuleType) -> None:
    recorder = Recorder()
    tools = toolset(package, recorder)
    offered = {tool["function"]["name"] for tool in tools.openai_tools(None)}
    assert "get_my_account" not in offered
    assert "get_my_account" in {
        t["function"]["name"] for t in tools.openai_tools(Identity(username="a", verified=True))
    }
    result = asyncio.run(tools.execute("get_my_account", {}))
    assert result.status == "error" and "not verified" in result.message
    invented = asyncio.run(tools.execute("delete_all_orders", {}))
    assert invented.status == "error" and "there is no tool" in invented.message
    assert "get_order" in invented.message  # it lists what the model can use instead
    assert recorder.requests == []


def test_confirmed_tool_does_not_run_unconfirmed(package: ModuleType) -> None:
    result, recorder = execute(package, "cancel_order", {"orderId": 5})
    assert result.status == "error" and "confirmation" in result.message
    assert recorder.requests == []


# --- the model cannot confirm on its own ------------------------------------------------------


def _agent_turns(
    package: ModuleType, fake_model: FakeOpenAI, messages: list[str]
) -> tuple[list[Any], Recorder]:
    recorder = Recorder()

    async def run() -> list[Any]:
        model = fake_model.client()
        client = mock_client(package, recorder)
        agent = package.build_agent(client, model="fake", openai_client=model, store=MemoryStore())
        try:
            return [await agent.respond("c1", text) for text in messages]
        finally:
            await model.close()

    return asyncio.run(run()), recorder


def test_model_cannot_confirm_in_the_same_round(
    package: ModuleType, fake_model: FakeOpenAI
) -> None:
    fake_model.add(
        calls(("cancel_order", {"orderId": 5}), ("cancel_order", {"orderId": 5})),
        call("cancel_order", orderId=5),
        say("Cancelled!"),
    )
    (reply,), recorder = _agent_turns(package, fake_model, ["Cancel order 5"])
    assert recorder.requests == []
    statuses = [(e.tool, e.status) for e in reply.events if hasattr(e, "status")]
    assert statuses == [
        ("cancel_order", "confirmation_required"),
        ("cancel_order", "error"),
        ("cancel_order", "error"),
    ]
    refusal = fake_model.tool_results(2)[-1]["message"]
    assert "Only the customer can confirm it" in refusal


def test_customer_yes_in_a_new_turn_runs_it_once(
    package: ModuleType, fake_model: FakeOpenAI
) -> None:
    fake_model.add(
        call("cancel_order", orderId=5),
        say("Shall I cancel order 5?"),
        call("cancel_order", orderId=5),  # the yes was used by the runtime: refused
        call("cancel_order", orderId=5),
        say("Done."),
    )
    replies, recorder = _agent_turns(package, fake_model, ["Cancel order 5", "yes"])
    assert [r.method for r in recorder.requests] == ["DELETE"]
    assert recorder.requests[0].url == f"{BASE_URL}/store/order/5"
    second = [(e.tool, e.status) for e in replies[1].events if hasattr(e, "status")]
    assert second == [("cancel_order", "ok"), ("cancel_order", "error"), ("cancel_order", "error")]


# --- the generated client called directly (by a host, not the model) ------------------------


@pytest.mark.parametrize("value", ["..", "."])
def test_client_refuses_dot_segments(package: ModuleType, value: str) -> None:
    recorder = Recorder()
    with pytest.raises(RequestError) as caught:
        asyncio.run(mock_client(package, recorder).delete_user(value))
    assert "username" in str(caught.value)
    assert recorder.requests == []


def test_client_refuses_line_breaks_in_header_arguments(package: ModuleType) -> None:
    recorder = Recorder()
    with pytest.raises(RequestError) as caught:
        asyncio.run(mock_client(package, recorder).delete_pet(1, api_key="k\r\nX-Evil: 1"))
    assert "api_key" in str(caught.value)
    assert recorder.requests == []


def test_client_refuses_line_breaks_in_configured_headers(package: ModuleType) -> None:
    with pytest.raises(RequestError):
        mock_client(package, Recorder(), headers={"X-Trace": "a\r\nX-Evil: 1"})


def test_malformed_tool_arguments_are_refused(package: ModuleType, fake_model: FakeOpenAI) -> None:
    fake_model.add(
        call("get_order", "not json {"),
        call("get_order", "[5]"),
        call("get_order", '"5"'),
        say("Sorry."),
    )
    (reply,), recorder = _agent_turns(package, fake_model, ["order 5?"])
    assert recorder.requests == []
    results = [fake_model.tool_results(i)[-1] for i in (1, 2, 3)]
    assert all(r["status"] == "error" for r in results)
    assert all("JSON object" in r["message"] for r in results)
    assert reply.text == "Sorry."
