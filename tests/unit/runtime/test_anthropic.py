"""The agent loop with Anthropic as the model: a scripted Messages server through the real
`anthropic` SDK, the same behaviours as with OpenAI (bindings, confirmation, hand-off, rounds)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from anthropic import AsyncAnthropic
from openai import AsyncOpenAI
from specagent_runtime import (
    Agent,
    ConfirmationExecuted,
    HandoffRequested,
    MemoryStore,
    ModelError,
    ToolCalled,
)
from specagent_runtime._agent.anthropic import (
    AnthropicChat,
    as_chat_client,
    from_anthropic_response,
    to_anthropic_messages,
)
from specagent_runtime._agent.rounds import FALLBACK_REPLY, HANDOFF_REPLY, SAFETY_PREAMBLE

from tests.support.fake_anthropic import FakeAnthropic, call, calls, problems, say
from tests.unit.runtime._agent_fixtures import ADA, PACKAGE, api, store
from tests.unit.runtime.fakepkg.client import FakeClient

__all__ = ["api", "store"]  # fixtures, used by name


@pytest.fixture
def model() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
async def anthropic_client(model: FakeAnthropic) -> AsyncIterator[AsyncAnthropic]:
    client = model.client()
    yield client
    await client.close()


@pytest.fixture
def agent(api: FakeClient, anthropic_client: AsyncAnthropic, store: MemoryStore) -> Agent:
    # Passed where an OpenAI client goes: the agent wraps it (what build_agent forwards).
    return Agent.from_package(
        PACKAGE, api, model="claude-test", openai_client=anthropic_client, store=store
    )


def results(model: FakeAnthropic, request: int = -1) -> list[dict[str, Any]]:
    """The tool results of one request, their envelopes parsed, `is_error` kept."""
    return [
        {**json.loads(block["content"]), "is_error": block.get("is_error", False)}
        for block in model.tool_results(request)
    ]


def cancels(api: FakeClient) -> list[int]:
    return [kwargs["order_id"] for name, kwargs in api.calls if name == "cancel_order"]


async def test_text_answer_system_prompt_and_request_shape(
    agent: Agent, model: FakeAnthropic
) -> None:
    model.add(say("Hello! How can I help?"))
    reply = await agent.respond("c1", "hi")
    assert reply.text == "Hello! How can I help?"
    request = model.requests[0]
    assert request["model"] == "claude-test"
    assert request["max_tokens"] == 1024
    assert request["system"].startswith("You help the shop's customers with their orders.")
    assert SAFETY_PREAMBLE in request["system"]
    assert request["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    names = [tool["name"] for tool in request["tools"]]
    assert names == ["get_order", "search_products", "broken", "handoff_to_human"]


async def test_bound_parameter_is_filled_and_hidden(
    agent: Agent, model: FakeAnthropic, api: FakeClient
) -> None:
    model.add(call("get_my_account"), say("You have two orders."))
    reply = await agent.respond("c1", "what are my orders?", identity=ADA)
    assert reply.text == "You have two orders."
    assert api.calls == [("get_account", {"email": "ada@example.com"})]
    tools = model.tools(0)
    assert tools["get_my_account"] == {"type": "object", "properties": {}}
    assert tools["cancel_order"]["properties"] == {
        "orderId": {"type": "integer", "description": "The order to cancel."}
    }
    assert "ada@example.com" not in json.dumps(model.requests[0])
    [result] = results(model, 1)
    assert (result["tool"], result["status"], result["is_error"]) == ("get_my_account", "ok", False)
    assert result["data"]["email"] == "ada@example.com"
    assert reply.events == [ToolCalled("get_my_account", {}, status="ok")]


async def test_a_chosen_bound_argument_is_refused_as_an_error_result(
    agent: Agent, model: FakeAnthropic, api: FakeClient
) -> None:
    model.add(call("get_my_account", email="eve@example.com"), say("I can't do that."))
    await agent.respond("c1", "show eve's account", identity=ADA)
    assert api.calls == []
    [result] = results(model, 1)
    assert result["is_error"] is True
    assert "you cannot choose `email`" in result["message"]


async def test_confirmation_needs_a_new_customer_message_and_runs_once(
    agent: Agent, model: FakeAnthropic, api: FakeClient
) -> None:
    model.add(
        call("cancel_order", orderId=7),
        call("cancel_order", orderId=7),
        say("Do you want me to cancel order 7?"),
    )
    first = await agent.respond("c1", "cancel order 7", identity=ADA)
    assert cancels(api) == []
    assert results(model, 1)[0]["status"] == "confirmation_required"
    refused = results(model, 2)[1]
    assert refused["is_error"] is True
    assert "already proposed" in refused["message"]
    assert [e.tool for e in first.pending_confirmations] == ["cancel_order"]

    # The runtime runs it on the customer's yes; the model then reports the outcome.
    model.add(say("Done: order 7 is cancelled."))
    reply = await agent.respond("c1", "yes please", identity=ADA)
    assert reply.text == "Done: order 7 is cancelled."
    assert cancels(api) == [7]
    assert results(model)[-1]["status"] == "ok"
    executed = [e for e in reply.events if isinstance(e, ConfirmationExecuted)]
    assert [(e.tool, e.by) for e in executed] == [("cancel_order", "customer")]
    # The whole history went back to the model as alternating turns.
    roles = [m["role"] for m in model.messages()]
    assert roles == ["user", "assistant"] * 4 + ["user"]


async def test_the_host_can_confirm_with_a_button(
    agent: Agent, model: FakeAnthropic, api: FakeClient
) -> None:
    model.add(call("cancel_order", orderId=7), say("Cancel order 7?"))
    proposed = await agent.respond("c1", "cancel order 7", identity=ADA)
    [requested] = proposed.pending_confirmations
    model.add(say("Order 7 is cancelled."))
    reply = await agent.confirm("c1", requested.action_id, identity=ADA)
    assert reply.text == "Order 7 is cancelled."
    assert cancels(api) == [7]
    # The host's call sits in the assistant turn after the model's question.
    turn = model.messages()[-2]
    assert [block["type"] for block in turn["content"]] == ["text", "tool_use"]


async def test_handoff_and_parallel_calls(
    agent: Agent, model: FakeAnthropic, api: FakeClient
) -> None:
    model.add(
        calls(("search_products", {"query": "mug"}), ("get_order", {"orderId": 7, "zip": "12345"}))
    )
    model.add(calls(("handoff_to_human", {"reason": "refund"})))
    reply = await agent.respond("c1", "mugs, my order, then a person")
    assert reply.text == HANDOFF_REPLY
    assert reply.handed_off
    assert HandoffRequested("refund") in reply.events
    assert [name for name, _ in api.calls] == ["search_products", "get_order"]
    # Both results answered the round in one user turn (the fake refuses anything else).
    assert [r["tool"] for r in results(model, 1)] == ["search_products", "get_order"]
    model.add(say("Back again?"))
    await agent.respond("c1", "hello?")


async def test_rounds_are_bounded(
    api: FakeClient, anthropic_client: AsyncAnthropic, model: FakeAnthropic
) -> None:
    chat = AnthropicChat(anthropic_client, max_tokens=200, options={"stop_sequences": ["###"]})
    agent = Agent.from_package(
        PACKAGE, api, model="m", openai_client=chat, store=MemoryStore(), max_rounds=2
    )
    model.add(call("search_products", query="a"), call("search_products", query="b"))
    reply = await agent.respond("c1", "search forever")
    assert reply.text == FALLBACK_REPLY
    assert reply.handed_off
    assert len(model.requests) == 2
    assert model.requests[0]["max_tokens"] == 200
    assert model.requests[0]["stop_sequences"] == ["###"]


async def test_model_failure_raises_and_saves_nothing(
    agent: Agent, model: FakeAnthropic, store: MemoryStore
) -> None:
    with pytest.raises(ModelError, match=r"InternalServerError \(HTTP 500\)"):
        await agent.respond("c1", "hi")
    assert await store.load("c1") is None


# --- translation ----------------------------------------------------------------------------


def test_history_translation_merges_turns_and_drops_empty_ones() -> None:
    system, turns = to_anthropic_messages(
        [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "anyone?"},
            {
                "role": "assistant",
                "content": "Looking.",
                "tool_calls": [
                    {"id": "a", "function": {"name": "get_order", "arguments": '{"orderId": 1}'}},
                    {"id": "b", "function": {"name": "broken", "arguments": "{oops"}},
                ],
            },
            {"role": "tool", "tool_call_id": "a", "content": '{"status":"ok"}'},
            {"role": "tool", "tool_call_id": "b", "content": '{"status":"error"}'},
        ]
    )
    assert system == "Be kind."
    assert turns == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "anyone?"}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Looking."},
                {"type": "tool_use", "id": "a", "name": "get_order", "input": {"orderId": 1}},
                {"type": "tool_use", "id": "b", "name": "broken", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "a", "content": '{"status":"ok"}'},
                {
                    "type": "tool_result",
                    "tool_use_id": "b",
                    "content": '{"status":"error"}',
                    "is_error": True,
                },
            ],
        },
    ]
    body = {"max_tokens": 1, "messages": [*turns, {"role": "assistant", "content": "ok"}]}
    assert problems(body) == []


def test_the_fake_server_refuses_what_the_api_refuses() -> None:
    body = {
        "max_tokens": 1,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "user", "content": [{"type": "text", "text": " "}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "x", "name": "t"}]},
            {"role": "user", "content": "no result"},
        ],
    }
    assert problems(body) == [
        "messages.1: roles must alternate",
        "messages.1: text blocks must be non-empty",
        "messages.3: tool_use ids ['x'] need tool_results",
    ]


def test_response_translation() -> None:
    completion = from_anthropic_response(
        {
            "model": "claude-x",
            "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "t1", "name": "get_order", "input": {"orderId": 5}},
            ],
            "usage": {"input_tokens": 3, "output_tokens": 4},
        },
        "fallback",
    )
    message = completion.choices[0].message
    assert message.content == "Let me check."
    assert message.tool_calls is not None
    [tool_call] = message.tool_calls
    assert (tool_call.id, tool_call.function.name) == ("t1", "get_order")
    assert json.loads(tool_call.function.arguments) == {"orderId": 5}
    assert completion.model == "claude-x"
    assert completion.usage == {"input_tokens": 3, "output_tokens": 4}
    empty = from_anthropic_response({"content": []}, "fallback")
    assert (empty.choices[0].message.content, empty.model) == (None, "fallback")


async def test_only_anthropic_clients_are_wrapped() -> None:
    openai_client = AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="x")
    anthropic_client = AsyncAnthropic(base_url="http://127.0.0.1:9", api_key="sk-ant-secret")
    try:
        assert as_chat_client(openai_client) is openai_client
        assert as_chat_client(None) is None
        wrapped = as_chat_client(anthropic_client)
        assert isinstance(wrapped, AnthropicChat)
        assert wrapped.client is anthropic_client
        assert "secret" not in repr(wrapped)
    finally:
        await openai_client.close()
        await anthropic_client.close()
    with pytest.raises(ValueError, match="max_tokens must be at least 1"):
        AnthropicChat(anthropic_client, max_tokens=0)
