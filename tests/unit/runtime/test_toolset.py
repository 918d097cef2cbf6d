"""Toolset: offering per identity, the schema the model sees, checks before a call, shaping."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from specagent_runtime import Identity, ToolResult, Toolset, ToolSpec
from specagent_runtime._tools.shaping import expose, fit, redact

from tests.unit.runtime.fakepkg.client import FakeClient

PACKAGE = "tests.unit.runtime.fakepkg"
ADA = Identity(email="ada@example.com", verified=True)


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def toolset(client: FakeClient) -> Toolset:
    return Toolset.from_package(PACKAGE, client)


def names(specs: list[ToolSpec]) -> list[str]:
    return [spec.name for spec in specs]


def test_reads_agent_json(toolset: Toolset) -> None:
    assert toolset.agent.name == "Shop support"
    assert names(toolset.specs) == [
        "get_my_account",
        "get_order",
        "cancel_order",
        "search_products",
        "broken",
    ]
    assert toolset.get("cancel_order") is not None
    assert toolset.get("cancel_order").confirm  # type: ignore[union-attr]


def test_tool_specs_read_the_client_method_under_its_old_key_too() -> None:
    """agent.json called the client method "method" before "client_method"; packages generated
    then are committed in users' repositories (this test package's agent.json is one)."""
    base = {"name": "t", "description": "d", "operation": "getT", "args_model": "TArgs"}
    schema = {"input_schema": {"type": "object"}}
    assert ToolSpec.from_json({**base, **schema, "method": "get_t"}).client_method == "get_t"
    new = ToolSpec.from_json({**base, **schema, "client_method": "get_t"})
    assert new.client_method == "get_t"


def test_bound_tools_are_offered_only_with_the_identity_field(toolset: Toolset) -> None:
    unbound = ["get_order", "search_products", "broken"]
    assert names(toolset.offered(None)) == unbound
    assert names(toolset.offered(Identity(user_id="u1", verified=True))) == unbound
    assert names(toolset.offered(Identity(email="", verified=True))) == unbound
    assert "get_my_account" in names(toolset.offered(ADA))


def test_identity_fields_and_extra_and_repr_hides_values() -> None:
    identity = Identity(email="ada@example.com", extra={"account": "A-1"}, verified=True)
    assert identity.get("email") == "ada@example.com"
    assert identity.get("identity.email") == "ada@example.com"
    assert identity.get("account") == "A-1"
    assert identity.get("username") is None
    assert "ada@example.com" not in repr(identity)
    assert "A-1" not in repr(identity)
    assert identity == Identity(email="ada@example.com", extra={"account": "A-1"}, verified=True)
    assert (
        len({identity, Identity(email="ada@example.com", extra={"account": "A-1"}, verified=True)})
        == 1
    )
    assert Identity(user_id=42, verified=True).get("user_id") == "42"  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Identity\.email must be a str"):
        Identity(email=["a"], verified=True)  # type: ignore[arg-type]


def test_model_schema_hides_bound_arguments(toolset: Toolset) -> None:
    spec = toolset.get("cancel_order")
    assert spec is not None
    schema = toolset.model_schema(spec)
    assert schema["properties"] == {
        "orderId": {"type": "integer", "description": "The order to cancel."}
    }
    assert schema["required"] == ["orderId"]
    assert "email" in spec.input_schema["properties"]  # the spec itself is untouched
    account = toolset.get("get_my_account")
    assert account is not None
    assert "required" not in toolset.model_schema(account)


def test_openai_tools_add_the_handoff_tool(toolset: Toolset) -> None:
    tools = toolset.openai_tools(None)
    by_name = {tool["function"]["name"]: tool["function"] for tool in tools}
    assert list(by_name) == ["get_order", "search_products", "broken", "handoff_to_human"]
    assert by_name["handoff_to_human"]["parameters"]["required"] == ["reason"]
    assert all(tool["type"] == "function" for tool in tools)


def test_duplicate_or_reserved_tool_names_are_refused(client: FakeClient) -> None:
    spec = ToolSpec("handoff_to_human", "x", "op", "m", "BrokenArgs", {"type": "object"})
    with pytest.raises(ValueError, match="handoff_to_human"):
        Toolset([spec], client, package=PACKAGE)


def test_missing_package_data_names_the_file(client: FakeClient) -> None:
    with pytest.raises(ValueError, match=r"tests\.unit\.runtime/agent\.json"):
        Toolset.from_package("tests.unit.runtime", client)


async def test_execute_fills_bindings_from_the_identity(
    toolset: Toolset, client: FakeClient
) -> None:
    result = await toolset.execute("get_my_account", {}, ADA)
    assert result.status == "ok"
    assert client.calls == [("get_account", {"email": "ada@example.com"})]
    assert result.data["email"] == "ada@example.com"


@pytest.mark.parametrize(
    ("name", "arguments", "identity", "expected"),
    [
        ("nope", {}, None, "there is no tool `nope`"),
        ("get_my_account", {}, None, "works only for a verified customer"),
        ("get_my_account", {"email": "eve@example.com"}, ADA, "you cannot choose `email`"),
        ("get_order", {"orderId": 7, "zip": "12345", "x": 1}, None, "unknown arguments ['x']"),
        ("get_order", {"orderId": "seven", "zip": "12345"}, None, "`orderId`: Input should be"),
        ("get_order", {"orderId": 7}, None, "`zip`: Field required"),
    ],
)
async def test_refusals_send_nothing(
    toolset: Toolset,
    client: FakeClient,
    name: str,
    arguments: dict[str, Any],
    identity: Identity | None,
    expected: str,
) -> None:
    result = await toolset.execute(name, arguments, identity)
    assert result.is_error
    assert expected in result.message
    assert client.calls == []


async def test_invalid_argument_message_does_not_echo_the_value(toolset: Toolset) -> None:
    result = await toolset.execute("get_order", {"orderId": 7, "zip": "secret-zip"}, None)
    assert result.is_error
    assert "`zip`" in result.message
    assert "secret-zip" not in result.message


async def test_invalid_bound_value_is_labelled_as_the_customers(client: FakeClient) -> None:
    spec = ToolSpec(
        "get_order",
        "d",
        "getOrder",
        "get_order",
        "GetOrderArgs",
        {"type": "object", "properties": {"orderId": {}, "zip": {}}},
        bindings={"zip": "zip_code"},
    )
    toolset = Toolset([spec], client, package=PACKAGE)
    identity = Identity(extra={"zip_code": "not-a-zip"}, verified=True)
    result = await toolset.execute("get_order", {"orderId": 7}, identity)
    assert "`zip` (the verified customer's)" in result.message
    assert "not-a-zip" not in result.message
    assert client.calls == []


async def test_confirm_tools_need_an_explicit_confirmed_flag(
    toolset: Toolset, client: FakeClient
) -> None:
    refused = await toolset.execute("cancel_order", {"orderId": 7}, ADA)
    assert refused.is_error
    assert "confirmation" in refused.message
    assert client.calls == []
    done = await toolset.execute("cancel_order", {"orderId": 7}, ADA, confirmed=True)
    assert done.status == "ok"
    assert done.data is None
    assert client.calls == [("cancel_order", {"order_id": 7, "email": "ada@example.com"})]


async def test_api_errors_become_the_model_message(toolset: Toolset) -> None:
    result = await toolset.execute("get_order", {"orderId": 7, "zip": "99999"}, None)
    assert result.is_error
    assert result.message == (
        'The service answered 404 (Not Found): Order not found. Its message: "no such order".'
    )


async def test_unexpected_errors_are_generic_for_the_model_and_logged(
    toolset: Toolset, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="specagent_runtime.tools"):
        result = await toolset.execute("broken", {}, None)
    assert result.is_error
    assert "technical reason" in result.message
    assert "sk-very-secret" not in result.for_model()
    assert any(record.exc_info for record in caplog.records)


async def test_expose_keeps_only_listed_paths_inside_lists(toolset: Toolset) -> None:
    result = await toolset.execute("get_order", {"orderId": 7, "zip": "12345"}, None)
    assert result.data == {"id": 7, "status": "placed", "items": [{"sku": "MUG-1"}]}


async def test_redact_removes_paths_inside_lists(toolset: Toolset) -> None:
    result = await toolset.execute("get_my_account", {}, ADA)
    text = result.for_model()
    assert "password" not in text
    assert "hunter2" not in text
    assert "internalNote" not in text
    assert "fraud check" not in text
    assert result.data["orders"][0]["items"] == [{"sku": "MUG-1", "priceCents": 1200}]


async def test_results_are_cut_to_the_budget(client: FakeClient) -> None:
    client.products = 200
    toolset = Toolset.from_package(PACKAGE, client, result_budget=1500)
    result = await toolset.execute("search_products", {"query": "mug"}, None)
    assert result.truncated
    assert len(json.dumps(result.data)) <= 1600
    assert isinstance(result.data, list)
    assert result.data[-1].endswith("more items not shown")
    envelope = json.loads(result.for_model())
    assert envelope["truncated"] is True
    small = await toolset.execute("search_products", {"query": "mug", "limit": 2}, None)
    assert not small.truncated
    assert len(small.data) == 2


def test_envelope_labels_the_tool_and_status() -> None:
    ok = json.loads(ToolResult("t", "ok", data={"a": 1}).for_model())
    assert ok == {"tool": "t", "status": "ok", "data": {"a": 1}}
    error = json.loads(ToolResult.error("t", "nope").for_model())
    assert error == {"tool": "t", "status": "error", "message": "nope"}


def test_shaping_paths() -> None:
    data = {"a": {"b": 1, "c": 2}, "d": [{"e": 1, "f": 2}, {"e": 3}], "g": "x"}
    assert expose(data, ["a.b", "d.e"]) == {"a": {"b": 1}, "d": [{"e": 1}, {"e": 3}]}
    assert expose(data, ["a", "a.b"]) == {"a": {"b": 1, "c": 2}}
    assert expose(data, ["g.h"]) == {}  # a scalar where an object was expected is not kept
    assert expose(data, []) == data
    assert redact(data, ["a.c", "d.f", "g"]) == {"a": {"b": 1}, "d": [{"e": 1}, {"e": 3}]}
    assert redact([{"p": 1, "q": 2}], ["p"]) == [{"q": 2}]


def test_fit_keeps_small_values_and_cuts_long_text() -> None:
    assert fit({"a": 1}, 100) == ({"a": 1}, False)
    data, cut = fit({"note": "x" * 1000}, 300)
    assert cut
    assert data["note"].endswith("(800 more characters)")
    text, cut = fit("y" * 1000, 50)
    assert cut
    assert isinstance(text, str)
    assert text.endswith("[cut: 50 of 1002 characters shown]")


async def test_a_missing_argument_model_is_logged_not_raised(
    client: FakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    spec = ToolSpec("ghost", "d", "ghost", "ghost", "GhostArgs", {"type": "object"})
    toolset = Toolset([spec], client, package=PACKAGE)
    with caplog.at_level(logging.ERROR, logger="specagent_runtime.tools"):
        result = await toolset.execute("ghost", {}, None)
    assert result.is_error
    assert "not available" in result.message
    assert "GhostArgs" in caplog.text
