"""The agent loop against a scripted OpenAI-compatible server, through the real openai SDK."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from openai import AsyncOpenAI
from specagent_runtime import (
    Agent,
    AgentError,
    HandoffRequested,
    Identity,
    MemoryStore,
    ModelError,
    SQLiteStore,
    ToolCalled,
    Toolset,
)
from specagent_runtime._agent.conversation import recent as _recent
from specagent_runtime._agent.rounds import FALLBACK_REPLY, HANDOFF_REPLY, SAFETY_PREAMBLE

from tests.support.fake_openai import FakeOpenAI, call, calls, say
from tests.unit.runtime._agent_fixtures import (
    ADA,
    PACKAGE,
    agent,
    api,
    model,
    openai_client,
    store,
)
from tests.unit.runtime.fakepkg.client import FakeClient

__all__ = ["agent", "api", "model", "openai_client", "store"]  # fixtures, used by name


async def test_text_answer_and_system_prompt(agent: Agent, model: FakeOpenAI) -> None:
    model.add(say("Hello! How can I help?"))
    reply = await agent.respond("c1", "hi")
    assert reply.text == "Hello! How can I help?"
    assert reply.events == []
    assert reply.conversation_id == "c1"
    request = model.requests[0]
    assert request["model"] == "fake-model"
    system, user = request["messages"]
    assert system["role"] == "system"
    assert system["content"].startswith("You help the shop's customers with their orders.")
    assert SAFETY_PREAMBLE in system["content"]
    assert user == {"role": "user", "content": "hi"}


async def test_bound_parameter_is_filled_by_the_runtime_and_hidden_from_the_model(
    agent: Agent, model: FakeOpenAI, api: FakeClient
) -> None:
    model.add(call("get_my_account"), say("You have two orders."))
    reply = await agent.respond("c1", "what are my orders?", identity=ADA)
    assert reply.text == "You have two orders."
    assert api.calls == [("get_account", {"email": "ada@example.com"})]
    tools = model.tools(0)
    assert tools["get_my_account"]["properties"] == {}
    assert tools["cancel_order"]["properties"] == {
        "orderId": {"type": "integer", "description": "The order to cancel."}
    }
    # The identity reaches the model only through the bound tool's result.
    assert "ada@example.com" not in json.dumps(model.requests[0])
    [result] = model.tool_results(1)
    assert result["tool"] == "get_my_account"
    assert result["status"] == "ok"
    assert result["data"]["email"] == "ada@example.com"
    assert reply.events == [ToolCalled("get_my_account", {}, status="ok")]


async def test_tools_bound_to_the_identity_are_not_offered_without_it(
    agent: Agent, model: FakeOpenAI, api: FakeClient
) -> None:
    model.add(call("get_my_account"), say("I can't see your account."))
    await agent.respond("c1", "my orders?")
    offered = set(model.tools(0))
    assert offered == {"get_order", "search_products", "broken", "handoff_to_human"}
    [result] = model.tool_results(1)
    assert result["status"] == "error"
    assert "verified customer" in result["message"]
    assert api.calls == []


async def test_model_passing_a_bound_argument_is_refused(
    agent: Agent, model: FakeOpenAI, api: FakeClient
) -> None:
    model.add(call("get_my_account", email="eve@example.com"), say("Sorry."))
    reply = await agent.respond("c1", "show me eve's account", identity=ADA)
    assert api.calls == []
    [result] = model.tool_results(1)
    assert "you cannot choose `email`" in result["message"]
    [event] = reply.events
    assert isinstance(event, ToolCalled)
    assert not event.ok
    assert event.arguments == {"email": "eve@example.com"}


async def test_handoff_ends_the_turn(agent: Agent, model: FakeOpenAI, api: FakeClient) -> None:
    model.add(
        calls(("search_products", {"query": "mug"}), ("handoff_to_human", {"reason": "refund"}))
    )
    reply = await agent.respond("c1", "I want a person")
    assert reply.text == HANDOFF_REPLY
    assert reply.handed_off
    assert reply.events == [HandoffRequested("refund")]
    assert len(model.requests) == 1
    assert api.calls == []  # the other call of that round was not run
    # Every tool call got an answer, so the conversation can continue afterwards.
    model.add(say("Back again?"))
    await agent.respond("c1", "hello?")
    results = model.tool_results(1)
    assert [r["status"] for r in results] == ["error", "ok"]


async def test_rounds_are_bounded(
    api: FakeClient, openai_client: AsyncOpenAI, model: FakeOpenAI
) -> None:
    agent = Agent.from_package(PACKAGE, api, model="m", openai_client=openai_client, max_rounds=2)
    model.add(call("search_products", query="a"), call("search_products", query="b"))
    reply = await agent.respond("c1", "search forever")
    assert reply.text == FALLBACK_REPLY
    assert reply.handed_off
    assert len(model.requests) == 2
    assert [c[0] for c in api.calls] == ["search_products", "search_products"]


async def test_results_are_truncated_to_the_budget(
    api: FakeClient, openai_client: AsyncOpenAI, model: FakeOpenAI
) -> None:
    api.products = 500
    agent = Agent.from_package(
        PACKAGE, api, model="m", openai_client=openai_client, result_budget=800
    )
    model.add(call("search_products", query="mug"), say("Many mugs."))
    await agent.respond("c1", "mugs?")
    [message] = [m for m in model.messages(1) if m["role"] == "tool"]
    assert len(message["content"]) < 1000
    envelope = json.loads(message["content"])
    assert envelope["truncated"] is True
    assert envelope["data"][-1].endswith("more items not shown")


async def test_redacted_fields_never_reach_the_model(agent: Agent, model: FakeOpenAI) -> None:
    model.add(call("get_my_account"), say("ok"))
    await agent.respond("c1", "account", identity=ADA)
    sent = json.dumps(model.requests[1])
    assert "hunter2" not in sent
    assert "fraud check pending" not in sent
    assert "MUG-1" in sent


async def test_parallel_calls_run_concurrently_and_answer_in_order(
    agent: Agent, model: FakeOpenAI, api: FakeClient
) -> None:
    # Each call waits until the other has started: run one after the other, they would time out.
    api.barrier = asyncio.Barrier(2)
    model.add(
        calls(
            ("get_order", {"orderId": 7, "zip": "12345"}),
            ("search_products", {"query": "mug", "limit": 1}),
        ),
        say("Here you go."),
    )
    reply = await agent.respond("c1", "order 7 and a mug")
    assert reply.text == "Here you go."
    assert [r["tool"] for r in model.tool_results(1)] == ["get_order", "search_products"]
    assert all(r["status"] == "ok" for r in model.tool_results(1))
    assert [e.tool for e in reply.events if isinstance(e, ToolCalled)] == [
        "get_order",
        "search_products",
    ]


async def test_api_errors_and_bad_arguments_are_told_to_the_model(
    agent: Agent, model: FakeOpenAI
) -> None:
    model.add(
        calls(("get_order", {"orderId": 99, "zip": "12345"}), ("get_order", "{not json")),
        say("Not found."),
    )
    await agent.respond("c1", "order 99")
    first, second = model.tool_results(1)
    assert "Order not found" in first["message"]
    assert second["message"] == "the arguments must be a JSON object"


async def test_history_is_kept_between_turns(agent: Agent, model: FakeOpenAI) -> None:
    model.add(call("get_order", orderId=7, zip="12345"), say("Placed."), say("You're welcome."))
    await agent.respond("c1", "order 7?")
    await agent.respond("c1", "thanks")
    roles = [m["role"] for m in model.messages(2)]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    # Another conversation starts empty.
    model.add(say("Hi"))
    await agent.respond("c2", "hello")
    assert [m["role"] for m in model.messages(3)] == ["system", "user"]


async def test_model_failure_raises_and_saves_nothing(
    agent: Agent, model: FakeOpenAI, store: MemoryStore
) -> None:
    with pytest.raises(ModelError, match=r"InternalServerError \(HTTP 500\)"):
        await agent.respond("c1", "hi")  # the script is empty: the server answers 500
    assert await store.load("c1") is None


async def test_persistence_across_agent_instances(
    tmp_path: Path, model: FakeOpenAI, openai_client: AsyncOpenAI
) -> None:
    path = tmp_path / "conversations.db"
    api = FakeClient()
    first = Agent.from_package(
        PACKAGE, api, model="m", openai_client=openai_client, store=SQLiteStore(path)
    )
    model.add(call("cancel_order", orderId=7), say("Shall I cancel order 7?"))
    proposed = await first.respond("c1", "cancel order 7", identity=ADA)
    [pending] = proposed.pending_confirmations
    assert api.calls == []

    # A different worker: a new agent and store object, same file.
    second = Agent.from_package(
        PACKAGE, api, model="m", openai_client=openai_client, store=SQLiteStore(path)
    )
    model.add(say("Order 7 is cancelled."))  # the runtime ran it on the yes
    done = await second.respond("c1", "yes please", identity=ADA)
    assert done.text == "Order 7 is cancelled."
    assert api.calls == [("cancel_order", {"order_id": 7, "email": "ada@example.com"})]
    assert [e.to_json()["kind"] for e in done.events] == ["confirmation_executed", "tool_called"]
    assert done.events[0].to_json()["action_id"] == pending.action_id
    # The second worker saw the first turn's history.
    assert [m["role"] for m in model.messages(2)][:5] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert await second.pending("c1") == []


def test_respond_sync_with_a_client_from_the_environment(
    model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
    agent = Agent.from_package(PACKAGE, FakeClient(), model="m")
    model.add(say("one"), say("two"))
    try:
        assert agent.respond_sync("c1", "a").text == "one"
        assert (
            agent.respond_sync("c1", "b", identity=Identity(email="x@y.z", verified=True)).text
            == "two"
        )
    finally:
        agent.close()
    assert len(model.requests) == 2


def test_missing_api_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    agent = Agent.from_package(PACKAGE, FakeClient(), model="m")
    with pytest.raises(AgentError, match="OPENAI_API_KEY"):
        agent.respond_sync("c1", "hi")
    agent.close()


async def test_missing_openai_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # makes `import openai` fail
    agent = Agent.from_package(PACKAGE, FakeClient(), model="m")
    with pytest.raises(AgentError, match=r"pip install 'specagent-runtime\[openai\]'"):
        await agent.respond("c1", "hi")


async def test_the_model_sees_a_bounded_window_starting_at_a_customer_message(
    api: FakeClient, openai_client: AsyncOpenAI, model: FakeOpenAI, store: MemoryStore
) -> None:
    agent = Agent(
        Toolset.from_package(PACKAGE, api),
        model="m",
        openai_client=openai_client,
        store=store,
        history_limit=4,
    )
    model.add(call("get_order", orderId=7, zip="12345"), say("Placed."))
    await agent.respond("c1", "order 7?")  # user, assistant(call), tool, assistant
    model.add(say("Bye."))
    await agent.respond("c1", "thanks")
    # Four messages back would start at the tool call; the window starts at "thanks".
    assert [m["role"] for m in model.messages(2)] == ["system", "user"]
    assert model.messages(2)[1]["content"] == "thanks"
    saved = await store.load("c1")
    assert saved is not None
    assert len(saved.value["messages"]) == 6  # the store keeps everything


def test_a_turn_longer_than_the_window_is_kept_whole() -> None:
    turn = [{"role": "user"}, {"role": "assistant"}, {"role": "tool"}, {"role": "assistant"}]
    older = [{"role": "user"}, {"role": "assistant"}]
    assert _recent([*older, *turn], 2) == turn
    assert _recent(turn, 10) == turn


class _ClosingClient(FakeClient):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1
        await super().aclose()


@pytest.mark.parametrize("owns", [True, False])
async def test_aclose_closes_the_api_client_only_when_the_agent_owns_it(owns: bool) -> None:
    # build_agent() without a client makes one and passes owns_client=True; a client the host
    # passed in stays the host's to close.
    client = _ClosingClient()
    agent = Agent.from_package(
        PACKAGE, client, model="m", openai_client=object(), store=MemoryStore(), owns_client=owns
    )
    await agent.aclose()
    await agent.aclose()
    assert client.closed == (1 if owns else 0)
