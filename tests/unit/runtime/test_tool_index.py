"""The compact tool index: find_tools/call_tool instead of every schema, with the same checks."""

from __future__ import annotations

import json

from specagent_runtime import Identity, ToolResult, Toolset
from specagent_runtime._tools.index import summary

from tests.unit.runtime.fakepkg.client import FakeClient

PACKAGE = "tests.unit.runtime.fakepkg"
ADA = Identity(email="ada@example.com", verified=True)


def _toolset(index_above: int | None) -> tuple[Toolset, FakeClient]:
    client = FakeClient()
    toolset = Toolset.from_package(PACKAGE, client)
    toolset.index_above = index_above
    return toolset, client


def _names(tools: list[dict[str, object]]) -> list[str]:
    return [t["function"]["name"] for t in tools]  # type: ignore[index]


def test_small_lists_and_no_option_send_every_schema() -> None:
    for index_above in (None, 10):
        toolset, _ = _toolset(index_above)
        assert _names(toolset.openai_tools(None)) == [
            "get_order",
            "search_products",
            "broken",
            "handoff_to_human",
        ]


def test_above_the_limit_the_model_sees_an_index_of_the_offered_tools() -> None:
    toolset, _ = _toolset(2)
    tools = toolset.openai_tools(None)
    assert _names(tools) == ["find_tools", "call_tool", "handoff_to_human"]
    index = tools[0]["function"]["description"]
    assert "get_order: " in index
    assert "get_my_account" not in index  # bound to an identity this customer does not have
    assert "get_my_account" in toolset.openai_tools(ADA)[0]["function"]["description"]
    assert "properties" not in json.dumps(tools[0]["function"]["description"])


def test_find_tools_returns_schemas_by_name_and_by_words() -> None:
    toolset, _ = _toolset(1)
    result = toolset.prepare("find_tools", {"names": ["cancel_order", "nope"]}, ADA)
    assert isinstance(result, ToolResult) and result.status == "ok"
    data = result.data
    [found] = data["tools"]
    assert found["name"] == "cancel_order"
    assert "email" not in found["parameters"]["properties"]  # bound: hidden as usual
    by_words = toolset.prepare("find_tools", {"query": "search products"}, None)
    assert by_words.data["tools"][0]["name"] == "search_products"  # type: ignore[union-attr]


async def test_call_tool_goes_through_the_usual_checks() -> None:
    toolset, client = _toolset(1)
    refused = await toolset.execute(
        "call_tool", {"name": "get_order", "arguments": {"orderId": 7, "email": "x"}}, None
    )
    assert refused.is_error and "unknown arguments" in refused.message
    bound = await toolset.execute("call_tool", {"name": "get_my_account", "arguments": {}}, None)
    assert bound.is_error and "verified customer" in bound.message
    ok = await toolset.execute(
        "call_tool", {"name": "get_order", "arguments": {"orderId": 7, "zip": "12345"}}, None
    )
    assert not ok.is_error
    assert client.calls[-1][0] == "get_order"
    wrong = await toolset.execute("call_tool", {"name": 3}, None)
    assert wrong.is_error and "`name`" in wrong.message


def test_summary_is_one_short_line() -> None:
    assert summary("Find an order.  Returns it with\n its lines.") == "Find an order."
    assert len(summary("x" * 300)) == 80
