"""Consent and identity over MCP (streamable HTTP), driven by the official `mcp` client SDK.

PRODUCT.md: the runtime "exports the same tools for other hosts: ... an MCP server" with the same
promises (Consent; Identity: "bound parameters cannot be reached by any other path"). Issue 14
plans: a consequential tool's first call returns a confirmation token, the second call must
carry it (bound to session, identity and arguments); elicitation when the client supports it;
identity only from configured headers, and only from a signed assertion when a secret is set.

The attacker is the MCP host's model (it calls tools with whatever arguments it likes) and any
HTTP caller that can reach the server. The witness is the Acme API's log.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from mcp_types import ElicitResult

from ._api import ADA, GRACE, AcmeApi
from ._mcp import McpServer, envelope, mcp_client, token_of, tool_names
from ._support import cancelled, only_bound_values

AS_ADA = {"X-Verified-Email": ADA["email"]}
AS_GRACE = {"X-Verified-Email": GRACE["email"]}


@pytest.fixture(scope="module")
def mcp(acme: ModuleType, _api_server: AcmeApi) -> Iterator[McpServer]:
    """The acme package's MCP server as `python -m adv_acme mcp --http` configures it."""
    with McpServer("adv_acme", _api_server) as server:
        yield server


async def test_confirm_true_on_the_next_call_is_not_consent(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as client:
        first = envelope(await client.call_tool("cancel_order", {"orderId": 1}))
        assert first["status"] == "confirmation_required"
        await client.call_tool("cancel_order", {"orderId": 1, "confirm": True})
    assert cancelled(api) == []


async def test_control_the_token_of_the_first_call_runs_it_once(
    mcp: McpServer, api: AcmeApi
) -> None:
    async with mcp_client(mcp.url, AS_ADA) as client:
        token = token_of(await client.call_tool("cancel_order", {"orderId": 1}))
        assert token, "the first call returns a confirmation token"
        done = envelope(await client.call_tool("cancel_order", {"orderId": 1, "confirm": token}))
        assert done["status"] == "ok"
        again = await client.call_tool("cancel_order", {"orderId": 1, "confirm": token})
        assert again.is_error
    assert cancelled(api) == [1]


async def test_a_token_is_bound_to_the_arguments(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as client:
        token = token_of(await client.call_tool("cancel_order", {"orderId": 1}))
        assert token
        await client.call_tool("cancel_order", {"orderId": 3, "confirm": token})
    assert cancelled(api) == []


async def test_a_token_is_bound_to_the_session(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as first:
        token = token_of(await first.call_tool("cancel_order", {"orderId": 1}))
        assert token
        async with mcp_client(mcp.url, AS_ADA) as second:
            await second.call_tool("cancel_order", {"orderId": 1, "confirm": token})
    assert cancelled(api) == []


async def test_a_token_is_bound_to_the_identity(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as ada_client:
        token = token_of(await ada_client.call_tool("cancel_order", {"orderId": 1}))
        assert token
    async with mcp_client(mcp.url, AS_GRACE) as grace_client:
        await grace_client.call_tool("cancel_order", {"orderId": 1, "confirm": token})
    assert cancelled(api) == []


async def test_another_session_cannot_confirm_a_proposal(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as first:
        await first.call_tool("cancel_order", {"orderId": 1})
        async with mcp_client(mcp.url, AS_ADA) as second:
            await second.call_tool("cancel_order", {"orderId": 1, "confirm": True})
    assert cancelled(api) == []


async def test_an_anonymous_caller_cannot_confirm_anothers_proposal(
    mcp: McpServer, api: AcmeApi
) -> None:
    async with mcp_client(mcp.url) as first:
        await first.call_tool("cancel_order", {"orderId": 1})
    async with mcp_client(mcp.url) as stranger:
        await stranger.call_tool("cancel_order", {"orderId": 1, "confirm": True})
    assert cancelled(api) == []


async def test_an_anonymous_caller_cannot_confirm_a_verified_proposal(
    mcp: McpServer, api: AcmeApi
) -> None:
    async with mcp_client(mcp.url, AS_ADA) as ada_client:
        await ada_client.call_tool("cancel_order", {"orderId": 1})
        async with mcp_client(mcp.url) as stranger:
            await stranger.call_tool("cancel_order", {"orderId": 1, "confirm": True})
    assert cancelled(api) == []


async def test_an_unknown_verified_header_does_not_verify(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, {"X-Verified-Locale": "de"}) as client:
        listed = await tool_names(client)
        started = await client.call_tool("cancel_my_order", {"order_id": 1})
    assert "cancel_my_order" not in listed and "review_account" not in listed
    assert started.is_error
    assert api.seen() == []  # the task would fetch the order first


async def test_a_bound_argument_named_over_mcp_is_refused(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as client:
        refused = await client.call_tool("get_my_account", {"email": GRACE["email"]})
        assert refused.is_error
        mine = envelope(await client.call_tool("get_my_account", {}))  # control
    assert mine["data"]["name"] == ADA["name"]
    assert only_bound_values(api.seen("/api/accounts"), "email", ADA["email"]) == []


async def test_a_bound_argument_smuggled_over_mcp_is_refused(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as client:
        result = envelope(
            await client.call_tool("get_my_account", {"filter": {"email": GRACE["email"]}})
        )
    assert GRACE["phone"] not in str(result)
    assert only_bound_values(api.seen("/api/accounts"), "email", ADA["email"]) == []


async def _waiting_run(client: Any) -> str:
    started = envelope(await client.call_tool("cancel_my_order", {"order_id": 1}))
    assert started["data"]["waiting_for"] == "confirmation", started
    run: str = started["data"]["run_id"]
    return run


async def test_task_reply_yeah_no_is_not_a_yes(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as client:
        run = await _waiting_run(client)
        await client.call_tool("task_reply", {"run_id": run, "message": "yeah no"})
    assert cancelled(api) == []


async def test_task_reply_from_another_identity_is_refused(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as ada_client:
        run = await _waiting_run(ada_client)
        async with mcp_client(mcp.url, AS_GRACE) as grace_client:
            refused = await grace_client.call_tool("task_reply", {"run_id": run, "message": "yes"})
        assert refused.is_error
        assert cancelled(api) == []
        await ada_client.call_tool("task_reply", {"run_id": run, "message": "yes"})  # control
    assert cancelled(api) == [1]


class Elicitation:
    """A client that supports form elicitation and answers with `action`."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.asked: list[Any] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.asked.append(params)
        if self.action != "accept":
            return ElicitResult(action=self.action)  # type: ignore[arg-type]
        schema = getattr(params, "requested_schema", {}) or {}
        content: dict[str, str | int | float | bool | list[str] | None] = {
            name: True
            for name, field in schema.get("properties", {}).items()
            if field.get("type") == "boolean"
        }
        return ElicitResult(action="accept", content=content)


async def test_a_declined_elicitation_runs_nothing(mcp: McpServer, api: AcmeApi) -> None:
    user = Elicitation("decline")
    async with mcp_client(mcp.url, AS_ADA, elicitation_callback=user) as client:
        await client.call_tool("cancel_order", {"orderId": 1})
        await client.call_tool("cancel_order", {"orderId": 1, "confirm": True})
    assert user.asked, "the user was asked through elicitation"
    assert "1" in user.asked[0].message
    assert cancelled(api) == []


async def test_control_an_accepted_elicitation_runs_it_once(mcp: McpServer, api: AcmeApi) -> None:
    user = Elicitation("accept")
    async with mcp_client(mcp.url, AS_ADA, elicitation_callback=user) as client:
        result = envelope(await client.call_tool("cancel_order", {"orderId": 1}))
    assert user.asked
    assert result["status"] == "ok"
    assert cancelled(api) == [1]


async def test_a_redacted_field_does_not_reach_an_mcp_host(mcp: McpServer, api: AcmeApi) -> None:
    async with mcp_client(mcp.url, AS_ADA) as client:
        result = await client.call_tool("get_my_account", {})
    text = str(result.content)
    assert ADA["name"] in text  # the witness: the record arrived
    assert ADA["payment_token"] not in text
