"""The agent and the task engine when the store fails in the middle of a conversation.

The example petstore agent cancels order 2 (ask, then the customer's yes). The store fails at
the yes: locked by another process, or the disk full before or after the DELETE. The host gets
a `StoreError` naming what could not be saved; the stored conversation and run are the last
whole versions; and when the store works again, the redelivered message finishes the task with
exactly one successful DELETE (the server's request log is the witness).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType

import pytest
from openai import AsyncOpenAI
from specagent_runtime import Agent, ApiKey, AsyncApiClient, Identity, SQLiteStore, StoreError

from tests.storage.conftest import FullStore, integrity, locked
from tests.support.fake_openai import FakeOpenAI, call
from tests.support.petstore_server import PetstoreServer

CUSTOMER = Identity(username="user1", verified=True)
ASKED = "Cancel order 2 for 2 item(s)?"
DONE = "Order 2 is cancelled."
MakeAgent = Callable[[SQLiteStore], Agent]


@pytest.fixture
async def make_agent(
    example_package: ModuleType, petstore: PetstoreServer, fake_model: FakeOpenAI
) -> AsyncIterator[MakeAgent]:
    clients: list[AsyncApiClient] = []
    models: list[AsyncOpenAI] = []

    def make(store: SQLiteStore) -> Agent:
        client: AsyncApiClient = example_package.AsyncClient(
            petstore.base_url, credentials={"api_key": ApiKey(petstore.api_key)}
        )
        model = fake_model.client()
        clients.append(client)
        models.append(model)
        agent: Agent = example_package.build_agent(
            client, model="fake-model", openai_client=model, store=store
        )
        return agent

    yield make
    for client in clients:
        await client.aclose()
    for model in models:
        await model.close()


def deletes(petstore: PetstoreServer) -> list[int]:
    return [request.status for request in petstore.requests("/store/order", method="DELETE")]


async def _asked(agent: Agent, fake_model: FakeOpenAI) -> None:
    fake_model.add(call("cancel_order", order_id=2))
    asked = await agent.respond("c1", "Please cancel my order 2", identity=CUSTOMER)
    assert asked.text == ASKED


async def test_a_locked_store_fails_the_turn_before_anything_is_done(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer, tmp_path: Path
) -> None:
    path = tmp_path / "agent.db"
    store = SQLiteStore(path, busy_timeout=0.3)
    agent = make_agent(store)
    await _asked(agent, fake_model)
    before = await store.load("c1")

    with locked(path), pytest.raises(StoreError) as caught:
        await agent.respond("c1", "yes", identity=CUSTOMER)

    assert "locked by another process" in str(caught.value)
    # The inbox records the message's arrival before anything else: that write fails first.
    assert caught.value.kind == "inbox" and caught.value.key in str(caught.value)
    assert deletes(petstore) == []  # the attempt is saved before the call: nothing was sent
    assert await store.load("c1") == before
    assert agent.tasks is not None
    [run] = await agent.tasks.runs("c1")
    assert run.waiting_for == "confirmation"
    assert integrity(path) == "ok"

    again = await agent.respond("c1", "yes", identity=CUSTOMER)  # the host redelivers
    assert again.text == DONE
    assert deletes(petstore) == [200]
    assert len(fake_model.requests) == 1


async def test_a_full_disk_before_the_action_reports_the_run_and_does_nothing(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer, tmp_path: Path
) -> None:
    path = tmp_path / "agent.db"
    store = FullStore(path)
    agent = make_agent(store)
    await _asked(agent, fake_model)
    assert agent.tasks is not None
    [waiting] = await agent.tasks.runs("c1")
    before = await store.load("c1")
    store.fill()

    with pytest.raises(StoreError) as caught:
        await agent.respond("c1", "yes", identity=CUSTOMER)

    # The first write of a turn is the message's arrival in the inbox: nothing else is done.
    message = str(caught.value)
    assert caught.value.kind == "inbox_message" and caught.value.key in message
    assert "full" in message and "nothing was saved" in message
    assert deletes(petstore) == []
    assert await store.load("c1") == before
    [run] = await agent.tasks.runs("c1")
    assert (run.status, run.history) == (waiting.status, waiting.history)
    assert integrity(path) == "ok"

    store.free()
    assert (await agent.respond("c1", "yes", identity=CUSTOMER)).text == DONE
    assert deletes(petstore) == [200]


async def test_a_full_disk_after_the_action_is_recovered_without_a_second_cancellation(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer, tmp_path: Path
) -> None:
    """The DELETE went through but its outcome could not be saved: the run stays "call in
    progress"; once there is space, the redelivered yes repeats the DELETE with the same
    Idempotency-Key (safe for DELETE), finds the order gone and reports it cancelled."""
    path = tmp_path / "agent.db"
    store = FullStore(path)
    agent = make_agent(store)
    await _asked(agent, fake_model)
    # The yes saves the run three times: confirmed, the call's attempt, the call's outcome.
    store.fill_after_puts = 2

    with pytest.raises(StoreError) as caught:
        await agent.respond("c1", "yes", identity=CUSTOMER)

    assert caught.value.kind == "task_run" and "full" in str(caught.value)
    assert deletes(petstore) == [200]
    assert agent.tasks is not None
    [run] = await agent.tasks.runs("c1")
    assert run.status.value == "running"  # in doubt, as saved before the call
    assert run.history[-1].event == "call"
    assert integrity(path) == "ok"

    store.free()
    again = await agent.respond("c1", "yes", identity=CUSTOMER)

    assert again.text == DONE
    assert deletes(petstore) == [200, 404]  # one cancellation; the repeat found it gone
    [run] = await agent.tasks.runs("c1")
    assert run.status.value == "done"
    assert len(fake_model.requests) == 1
