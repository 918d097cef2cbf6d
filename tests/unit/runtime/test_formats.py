"""Tool formats: export for each provider, a call in that provider's shape, the result back.

Shapes are checked against the providers' own SDK types (TypedDicts validated by pydantic, and
the SDKs' response objects as payloads), so a field renamed on our side fails here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.types import ToolParam, ToolResultBlockParam, ToolUseBlock
from openai.types.chat import (
    ChatCompletionMessageToolCall,
    ChatCompletionToolMessageParam,
    ChatCompletionToolParam,
)
from openai.types.responses import FunctionToolParam, ResponseFunctionToolCall
from openai.types.responses.response_input_param import FunctionCallOutput
from pydantic import TypeAdapter
from specagent_runtime import Identity, ToolResult, Toolset
from specagent_runtime._tools.formats import (
    ToolCallError,
    definitions,
    export_tools,
    format_result,
    parse_tool_call,
    run_tool_call,
    to_anthropic,
    to_openai_chat,
    to_openai_responses,
)

from tests.unit.runtime.fakepkg.client import FakeClient

PACKAGE = "tests.unit.runtime.fakepkg"
ADA = Identity(email="ada@example.com", verified=True)


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def toolset(client: FakeClient) -> Toolset:
    return Toolset.from_package(PACKAGE, client)


def content(message: dict[str, Any], key: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(message[key])
    return parsed


# --- export ---------------------------------------------------------------------------------


def test_definitions_follow_the_identity_and_hide_bound_arguments(toolset: Toolset) -> None:
    anonymous = [tool.name for tool in definitions(toolset, None)]
    assert anonymous == ["get_order", "search_products", "broken", "handoff_to_human"]
    verified = {tool.name: tool for tool in definitions(toolset, ADA, handoff=False)}
    assert list(verified) == [
        "get_my_account",
        "get_order",
        "cancel_order",
        "search_products",
        "broken",
    ]
    assert verified["get_my_account"].parameters["properties"] == {}
    assert "required" not in verified["get_my_account"].parameters
    assert verified["cancel_order"].parameters["required"] == ["orderId"]
    assert "email" not in json.dumps([tool.parameters for tool in verified.values()])


def test_each_format_matches_its_sdk_type(toolset: Toolset) -> None:
    tools = definitions(toolset, ADA)
    chat = to_openai_chat(tools)
    responses = to_openai_responses(tools)
    anthropic = to_anthropic(tools)
    for item in chat:
        TypeAdapter(ChatCompletionToolParam).validate_python(item)
    for item in responses:
        TypeAdapter(FunctionToolParam).validate_python(item)
    for item in anthropic:
        TypeAdapter(ToolParam).validate_python(item)
    assert chat[2]["function"]["name"] == "cancel_order"
    assert chat[2]["function"]["parameters"]["properties"] == {
        "orderId": {"type": "integer", "description": "The order to cancel."}
    }
    assert responses[2]["name"] == "cancel_order"
    assert responses[2]["strict"] is False
    assert responses[2]["parameters"] == chat[2]["function"]["parameters"]
    assert anthropic[2]["name"] == "cancel_order"
    assert anthropic[2]["input_schema"] == chat[2]["function"]["parameters"]
    assert anthropic[-1]["name"] == "handoff_to_human"
    assert anthropic[-1]["input_schema"]["required"] == ["reason"]


def test_exports_are_copies(toolset: Toolset) -> None:
    first = export_tools(toolset, "anthropic", ADA)
    first[0]["input_schema"]["properties"]["email"] = {"type": "string"}
    assert export_tools(toolset, "anthropic", ADA)[0]["input_schema"]["properties"] == {}
    assert toolset.get("get_my_account").input_schema["properties"]["email"]  # type: ignore[union-attr]


def test_export_tools_matches_the_agent_list(toolset: Toolset) -> None:
    assert export_tools(toolset, "openai_chat", ADA) == toolset.openai_tools(ADA)
    with pytest.raises(ValueError, match="unknown tool format 'gemini'"):
        export_tools(toolset, "gemini", ADA)  # type: ignore[arg-type]


# --- round trips ----------------------------------------------------------------------------


async def test_openai_chat_round_trip(toolset: Toolset, client: FakeClient) -> None:
    payload = ChatCompletionMessageToolCall.model_validate(
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_order", "arguments": '{"orderId": 7, "zip": "12345"}'},
        }
    )
    assert parse_tool_call(payload, "openai_chat") == (
        "get_order",
        {"orderId": 7, "zip": "12345"},
        "call_1",
    )
    message = await run_tool_call(toolset, payload, "openai_chat")
    TypeAdapter(ChatCompletionToolMessageParam).validate_python(message)
    assert message["role"] == "tool"
    assert message["tool_call_id"] == "call_1"
    assert content(message, "content") == {
        "tool": "get_order",
        "status": "ok",
        "data": {"id": 7, "status": "placed", "items": [{"sku": "MUG-1"}]},
    }
    assert client.calls == [("get_order", {"order_id": 7, "zip": "12345"})]


async def test_openai_responses_round_trip_fills_the_bound_argument(
    toolset: Toolset, client: FakeClient
) -> None:
    payload = ResponseFunctionToolCall(
        type="function_call", call_id="fc_1", name="get_my_account", arguments=""
    )
    item = await run_tool_call(toolset, payload, "openai_responses", ADA)
    TypeAdapter(FunctionCallOutput).validate_python(item)
    assert item["type"] == "function_call_output"
    assert item["call_id"] == "fc_1"
    result = content(item, "output")
    assert result["status"] == "ok"
    assert result["data"]["email"] == "ada@example.com"
    assert "password" not in result["data"]  # redacted as in the agent
    assert client.calls == [("get_account", {"email": "ada@example.com"})]


async def test_anthropic_round_trip_and_confirmation(toolset: Toolset, client: FakeClient) -> None:
    payload = ToolUseBlock(type="tool_use", id="toolu_1", name="cancel_order", input={"orderId": 7})
    block = await run_tool_call(toolset, payload, "anthropic", ADA)
    TypeAdapter(ToolResultBlockParam).validate_python(block)
    assert block["tool_use_id"] == "toolu_1"
    assert block["is_error"] is True
    assert "confirmation" in content(block, "content")["message"]
    assert client.calls == []  # nothing ran before the host confirmed
    block = await run_tool_call(toolset, payload, "anthropic", ADA, confirmed=True)
    assert "is_error" not in block
    assert content(block, "content")["status"] == "ok"
    assert client.calls == [("cancel_order", {"order_id": 7, "email": "ada@example.com"})]
    assert client.orders[7].status == "cancelled"


async def test_a_chosen_bound_argument_is_refused_in_every_format(
    toolset: Toolset, client: FakeClient
) -> None:
    payloads: dict[str, Any] = {
        "openai_chat": {
            "id": "c",
            "function": {"name": "get_my_account", "arguments": '{"email": "eve@example.com"}'},
        },
        "openai_responses": {
            "type": "function_call",
            "call_id": "c",
            "name": "get_my_account",
            "arguments": '{"email": "eve@example.com"}',
        },
        "anthropic": {
            "type": "tool_use",
            "id": "c",
            "name": "get_my_account",
            "input": {"email": "eve@example.com"},
        },
    }
    for format, payload in payloads.items():
        result = await run_tool_call(toolset, payload, format, ADA)  # type: ignore[arg-type]
        text = result.get("content") or result["output"]
        assert "you cannot choose `email`" in json.loads(text)["message"], format
    assert client.calls == []


async def test_handoff_runs_nothing(toolset: Toolset, client: FakeClient) -> None:
    payload = {"id": "h", "function": {"name": "handoff_to_human", "arguments": '{"reason": "x"}'}}
    message = await run_tool_call(toolset, payload, "openai_chat")
    assert content(message, "content") == {
        "tool": "handoff_to_human",
        "status": "ok",
        "data": "a human colleague will take over",
    }
    assert client.calls == []


# --- malformed calls ------------------------------------------------------------------------


async def test_bad_arguments_are_answered_to_the_model(toolset: Toolset) -> None:
    payload = {"id": "c9", "function": {"name": "get_order", "arguments": "{not json"}}
    message = await run_tool_call(toolset, payload, "openai_chat")
    assert message["tool_call_id"] == "c9"
    result = content(message, "content")
    assert result["status"] == "error"
    assert "the arguments must be a JSON object" in result["message"]
    block = await run_tool_call(
        toolset, {"type": "tool_use", "id": "t", "name": "get_order", "input": [1]}, "anthropic"
    )
    assert block["is_error"] is True
    assert "`input` must be an object" in content(block, "content")["message"]


@pytest.mark.parametrize(
    ("payload", "format", "message"),
    [
        ({"function": {"name": "x"}}, "openai_chat", "openai_chat tool call: `id` must be"),
        ({"id": "c"}, "openai_chat", "openai_chat tool call: `function` is missing"),
        ({"id": "c", "function": {}}, "openai_chat", "call c: `function.name` must be"),
        ({"type": "message"}, "openai_responses", "`type` is 'message', not 'function_call'"),
        ({"name": "x", "arguments": "{}"}, "openai_responses", "`call_id` must be"),
        ({"type": "text", "text": "hi"}, "anthropic", "`type` is 'text', not 'tool_use'"),
        ("get_order", "anthropic", "expected an object, got str"),
    ],
)
def test_unreadable_payloads_name_the_field(payload: Any, format: Any, message: str) -> None:
    with pytest.raises(ToolCallError) as caught:
        parse_tool_call(payload, format)
    assert message in str(caught.value)


async def test_a_call_without_an_id_cannot_be_answered(toolset: Toolset) -> None:
    with pytest.raises(ToolCallError, match="`id` must be a non-empty string"):
        await run_tool_call(toolset, {"function": {"name": "get_order"}}, "openai_chat")


def test_format_result_for_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="the formats are openai_chat, openai_responses"):
        format_result(ToolResult("t", "ok"), "c", "xml")  # type: ignore[arg-type]
