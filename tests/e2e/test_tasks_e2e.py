"""The example's tasks end to end: the committed `examples/petstore/petstore_agent` built with
`build_agent`, a scripted model behind the real `openai` SDK, real HTTP to the reference petstore.

The model only starts a task; every later message of the customer goes to the task engine, so
each test checks three witnesses: the replies, what the model was sent (the fake model server
records every request: it never sees the customer's answers), and what reached the API (the
petstore server's own request log: an action happens exactly once, or not at all).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openai import AsyncOpenAI
from specagent_runtime import (
    Agent,
    ApiKey,
    AsyncApiClient,
    Event,
    HandoffRequested,
    Identity,
    MemoryStore,
    Reply,
    SQLiteStore,
    Store,
    TaskEngine,
    TaskFinished,
    TaskStarted,
    TaskWaiting,
    ToolCalled,
)

from tests.support.fake_openai import FakeOpenAI, call, say
from tests.support.petstore_server import PetstoreServer

from .conftest import EXAMPLE, REPO

MODEL = "fake-model"
USER1 = Identity(username="user1", verified=True)
USER2 = Identity(username="user2", verified=True)
MakeAgent = Callable[..., Agent]


@pytest.fixture
async def make_agent(
    example_package: ModuleType, petstore: PetstoreServer, fake_model: FakeOpenAI
) -> AsyncIterator[MakeAgent]:
    """Agents as a host builds them; each call is a new worker (own API and model clients)."""
    clients: list[AsyncApiClient] = []
    models: list[AsyncOpenAI] = []

    def make(store: Store | None = None) -> Agent:
        credentials = {"api_key": ApiKey(petstore.api_key)}
        client: AsyncApiClient = example_package.AsyncClient(
            petstore.base_url, credentials=credentials
        )
        model = fake_model.client()
        clients.append(client)
        models.append(model)
        agent: Agent = example_package.build_agent(
            client, model=MODEL, openai_client=model, store=store or MemoryStore()
        )
        return agent

    yield make
    for client in clients:
        await client.aclose()
    for model in models:
        await model.close()


def of(reply: Reply, kind: type[Event]) -> list[Any]:
    return [event for event in reply.events if isinstance(event, kind)]


def actions(petstore: PetstoreServer) -> list[tuple[str, str, int]]:
    """The requests that change something, as the server logged them."""
    return [
        (request.method, request.path, request.status)
        for request in petstore.requests("/store")
        if request.method != "GET"
    ]


# --- what the model is offered ---------------------------------------------------------------


async def test_tasks_are_tools_for_verified_customers_only(
    make_agent: MakeAgent, fake_model: FakeOpenAI
) -> None:
    fake_model.add(say("Hello!"), say("Hello!"))
    agent = make_agent()
    await agent.respond("v", "hi", identity=USER1)
    await agent.respond("a", "hi")

    verified, anonymous = fake_model.tools(0), fake_model.tools(1)
    assert verified["cancel_order"]["required"] == ["order_id"]
    assert verified["cancel_order"]["properties"]["order_id"]["type"] == "integer"
    assert set(verified["place_order"]["properties"]) == {"pet_id", "quantity"}
    assert verified["place_order"]["properties"]["quantity"]["maximum"] == 5
    assert verified["place_order"].get("required", []) == []  # the task asks for them
    # deleteOrder is not a tool of its own: the model cannot skip the task's checks.
    assert "delete_order" not in verified
    assert list(verified)[-1] == "handoff_to_human"
    assert "cancel_order" not in anonymous and "place_order" not in anonymous


def test_task_names_must_differ_from_tool_names(
    make_agent: MakeAgent, example_package: ModuleType
) -> None:
    toolset = make_agent().toolset
    cancel = example_package.tasks.TASKS["cancel_order"]
    for name in ("get_order", "handoff_to_human"):
        engine = TaskEngine(MemoryStore(), toolset.client, {name: cancel})
        with pytest.raises(ValueError, match=name):
            Agent(toolset, model=MODEL, tasks=engine)


async def test_an_anonymous_customer_cannot_start_a_verified_task(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("cancel_order", order_id=2), say("Please sign in first."))
    reply = await make_agent().respond("a", "cancel order 2")

    assert reply.text == "Please sign in first."
    [tool] = of(reply, ToolCalled)
    assert tool.status == "error" and "verified" in tool.error
    assert of(reply, TaskStarted) == []
    assert petstore.requests("/store") == []


# --- cancel_order ------------------------------------------------------------------------------


async def test_cancel_order_confirmed_by_the_customer(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("cancel_order", order_id=2))
    agent = make_agent()

    asked = await agent.respond("c", "Please cancel my order 2", identity=USER1)

    assert asked.text == "Cancel order 2 for 2 item(s)?"
    [started] = of(asked, TaskStarted)
    assert started.task == "cancel_order"
    assert of(asked, TaskWaiting) == [TaskWaiting(started.run_id, "cancel_order", "confirmation")]
    assert of(asked, ToolCalled) == [ToolCalled("cancel_order", {"order_id": 2})]
    assert [(r.method, r.path) for r in petstore.requests("/store")] == [("GET", "/store/order/2")]

    done = await agent.respond("c", "Yes, go ahead", identity=USER1)

    assert done.text == "Order 2 is cancelled."
    assert done.events == [TaskFinished(started.run_id, "cancel_order", "done")]
    assert len(fake_model.requests) == 1  # the customer's yes never went to the model
    [delete] = petstore.requests("/store/order/2", method="DELETE")
    assert delete.status == 200
    assert delete.headers["idempotency-key"].startswith("task-")
    assert petstore.order(2) is None

    # Back to the model: it sees what the task told the customer and how the run ended.
    fake_model.add(say("Anything else?"))
    await agent.respond("c", "Thanks!", identity=USER1)
    history = fake_model.messages()
    said = [m["content"] for m in history if m["role"] == "assistant" and m.get("content")]
    assert said == ["Cancel order 2 for 2 item(s)?", "Order 2 is cancelled."]
    [result] = [json.loads(m["content"]) for m in history if m["role"] == "tool"]
    assert result["tool"] == "cancel_order"
    assert result["data"]["status"] == "waiting_confirmation"
    assert actions(petstore) == [("DELETE", "/store/order/2", 200)]


async def test_cancel_order_already_delivered(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("cancel_order", order_id=3))
    reply = await make_agent().respond("c", "cancel order 3", identity=USER1)

    assert reply.text == "Order 3 was already delivered, so it can't be cancelled."
    [finished] = of(reply, TaskFinished)
    assert finished.status == "done"
    assert actions(petstore) == []
    assert petstore.order(3) is not None


async def test_cancel_order_customer_says_no(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("cancel_order", order_id=1))
    agent = make_agent()
    asked = await agent.respond("c", "cancel order 1", identity=USER1)
    assert asked.text == "Cancel order 1 for 1 item(s)?"

    unclear = await agent.respond("c", "hmm, what would that mean?", identity=USER1)
    assert unclear.text == "Please answer yes or no. Cancel order 1 for 1 item(s)?"
    assert [event.kind for event in unclear.events] == ["task_waiting"]

    declined = await agent.respond("c", "No, keep it", identity=USER1)

    assert declined.text == "All right, I have not done it."
    [finished] = of(declined, TaskFinished)
    assert finished.status == "cancelled"
    assert actions(petstore) == []
    assert petstore.order(1) is not None
    assert len(fake_model.requests) == 1


async def test_cancel_order_of_an_unknown_order_fails_with_the_apis_words(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("cancel_order", order_id=99))
    reply = await make_agent().respond("c", "cancel order 99", identity=USER1)

    assert reply.text.startswith("Sorry, that did not work:")
    assert "404" in reply.text
    [finished] = of(reply, TaskFinished)
    assert finished.status == "failed"
    assert actions(petstore) == []


async def test_cancel_order_of_another_customers_order_is_refused_before_anything_is_shown(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    """The example's `owner:` check: order 2 is user1's, user2 asks to cancel it."""
    fake_model.add(call("cancel_order", order_id=2))
    reply = await make_agent().respond("c", "cancel order 2", identity=USER2)

    assert "does not belong to your account" in reply.text
    assert "2 item" not in reply.text  # nothing of user1's order is described
    [finished] = of(reply, TaskFinished)
    assert finished.status == "failed"
    assert [(r.method, r.path) for r in petstore.requests("/store")] == [("GET", "/store/order/2")]
    assert actions(petstore) == []
    assert petstore.order(2) is not None


async def test_the_host_button_confirms_a_task(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("cancel_order", order_id=1))
    agent = make_agent()
    asked = await agent.respond("c", "cancel order 1", identity=USER1)
    [waiting] = of(asked, TaskWaiting)

    done = await agent.confirm_task("c", waiting.run_id, True, identity=USER1)

    assert done.text == "Order 1 is cancelled."
    assert actions(petstore) == [("DELETE", "/store/order/1", 200)]


async def test_another_customer_cannot_answer_a_waiting_task(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("cancel_order", order_id=2), say("I can't help with that."))
    agent = make_agent()
    asked = await agent.respond("c", "cancel order 2", identity=USER1)
    [waiting] = of(asked, TaskWaiting)

    other = await agent.respond("c", "yes", identity=USER2)

    assert other.text == "I can't help with that."  # the model answered, not the run
    assert actions(petstore) == []
    assert agent.tasks is not None
    run = await agent.tasks.get(waiting.run_id)
    assert run.waiting_for == "confirmation"


async def test_a_second_worker_continues_the_task_from_sqlite(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer, tmp_path: Path
) -> None:
    database = tmp_path / "agent.db"
    fake_model.add(call("cancel_order", order_id=2))
    first = make_agent(SQLiteStore(database))
    asked = await first.respond("zendesk-9", "cancel order 2", identity=USER1)
    assert asked.text == "Cancel order 2 for 2 item(s)?"

    second = make_agent(SQLiteStore(database))  # another process of the webhook handler
    done = await second.respond("zendesk-9", "yes", identity=USER1)

    assert done.text == "Order 2 is cancelled."
    assert actions(petstore) == [("DELETE", "/store/order/2", 200)]
    assert second.tasks is not None
    [run] = await second.tasks.runs("zendesk-9")
    assert (run.task, run.status.value) == ("cancel_order", "done")


# --- place_order -------------------------------------------------------------------------------


async def test_place_order_asks_checks_confirms_and_orders(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("place_order"))
    agent = make_agent()

    which = await agent.respond("p", "I want to buy a pet", identity=USER1)
    assert which.text == "Which pet would you like to order? Please give its ID."
    assert [e.waiting_for for e in of(which, TaskWaiting)] == ["input:pet_id"]

    many = await agent.respond("p", "The parrot, number 5", identity=USER1)
    assert many.text == "How many Polly would you like (1 to 5)?"
    assert [e.waiting_for for e in of(many, TaskWaiting)] == ["input:quantity"]
    assert [(r.method, r.path) for r in petstore.requests("/pet")] == [("GET", "/pet/5")]

    sure = await agent.respond("p", "2 please", identity=USER1)
    assert sure.text == "Order 2 x Polly (pet 5)?"
    assert actions(petstore) == []

    done = await agent.respond("p", "yes", identity=USER1)

    [placed] = petstore.requests("/store/order", method="POST")
    assert placed.status == 200
    assert placed.headers["idempotency-key"].startswith("task-")
    number = re.fullmatch(r"Your order number is (\d+)\.", done.text)
    assert number is not None, done.text
    order = petstore.order(int(number.group(1)))
    assert order is not None
    assert (order["petId"], order["quantity"], order["status"]) == (5, 2, "placed")
    assert [e.status for e in of(done, TaskFinished)] == ["done"]
    assert len(fake_model.requests) == 1


async def test_place_order_pet_not_available(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("place_order", pet_id=3))
    reply = await make_agent().respond("p", "I'd like Rex (pet 3)", identity=USER1)

    assert reply.text == "Sorry, Rex is not available right now."
    assert [e.status for e in of(reply, TaskFinished)] == ["cancelled"]
    assert actions(petstore) == []


async def test_place_order_customer_says_no(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("place_order", pet_id=1, quantity=1))
    agent = make_agent()
    asked = await agent.respond("p", "one doggie please", identity=USER1)
    assert asked.text == "Order 1 x doggie (pet 1)?"  # both inputs given: nothing to ask

    declined = await agent.respond("p", "no, not today", identity=USER1)

    assert declined.text == "All right, I have not placed the order."
    assert [e.status for e in of(declined, TaskFinished)] == ["cancelled"]
    assert actions(petstore) == []


async def test_place_order_invalid_answers_are_asked_again(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    # The model's quantity is out of range: dropped, and the customer is asked instead.
    fake_model.add(call("place_order", pet_id=1, quantity=9))
    agent = make_agent()
    asked = await agent.respond("p", "nine doggies!", identity=USER1)
    assert asked.text == "How many doggie would you like (1 to 5)?"

    too_many = await agent.respond("p", "7", identity=USER1)
    assert too_many.text.endswith("How many doggie would you like (1 to 5)?")
    assert "at most 5" in too_many.text
    no_number = await agent.respond("p", "lots of them", identity=USER1)
    assert no_number.text.endswith("How many doggie would you like (1 to 5)?")
    assert no_number.text != asked.text  # says what was wrong

    sure = await agent.respond("p", "ok, 3", identity=USER1)
    assert sure.text == "Order 3 x doggie (pet 1)?"
    await agent.respond("p", "yes", identity=USER1)

    [placed] = petstore.requests("/store/order", method="POST")
    assert (placed.body["petId"], placed.body["quantity"]) == (1, 3)
    assert len(fake_model.requests) == 1


async def test_three_bad_answers_hand_the_customer_to_a_human(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("place_order", pet_id=1))
    agent = make_agent()
    await agent.respond("p", "a doggie", identity=USER1)
    for answer in ("0", "6"):
        again = await agent.respond("p", answer, identity=USER1)
        assert not again.handed_off

    last = await agent.respond("p", "a hundred", identity=USER1)

    assert last.handed_off
    [handoff] = of(last, HandoffRequested)
    assert "quantity" in handoff.reason
    assert [e.status for e in of(last, TaskFinished)] == ["handed_off"]
    assert actions(petstore) == []


async def test_the_customer_can_stop_a_waiting_task(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("place_order"))
    agent = make_agent()
    await agent.respond("p", "I want a pet", identity=USER1)

    stopped = await agent.respond("p", "never mind", identity=USER1)

    assert stopped.text == "All right, I have stopped."
    assert [e.status for e in of(stopped, TaskFinished)] == ["cancelled"]
    assert petstore.requests("/pet") == [] and actions(petstore) == []


# --- crash and resume in separate processes ----------------------------------------------------

CRASH_EXIT = 17
# Saves of the cancel_order run over both messages: created, GET recorded + settled, branch,
# confirmation asked + delivered; the yes, DELETE recorded + settled, respond, end, delivered.
SAVES = 12
MESSAGES = ("Please cancel my order 2", "yes")


def _worker(
    petstore: PetstoreServer,
    fake_model: FakeOpenAI,
    store: Path,
    messages: tuple[str, ...],
    *crash: str,
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(EXAMPLE), str(REPO)])
    env["PETSTORE_AGENT_API_KEY"] = petstore.api_key
    # A killed worker's conversation lease lapses after this, and the next worker takes over.
    env["SPECAGENT_LEASE_TTL"] = "0.5"
    command = [
        sys.executable,
        "-m",
        "tests.e2e._task_worker",
        "--store",
        str(store),
        "--api",
        petstore.base_url,
        "--model",
        fake_model.base_url,
        "--conversation",
        "webhook-1",
        *(part for message in messages for part in ("--message", message)),
        *crash,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False
    )


def _lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _crash_then_resume(
    petstore: PetstoreServer, fake_model: FakeOpenAI, tmp_path: Path, *crash: str
) -> list[dict[str, Any]]:
    """Run the conversation until the worker dies, then let a new worker take the message that
    got no reply (the host redelivers it) and the rest; the new worker's output lines."""
    store = tmp_path / "agent.db"
    fake_model.add(call("cancel_order", order_id=2))
    crashed = _worker(petstore, fake_model, store, MESSAGES, *crash)
    assert crashed.returncode == CRASH_EXIT, crashed.stderr
    in_flight = [line["sending"] for line in _lines(crashed) if "sending" in line][-1]
    resumed = _worker(petstore, fake_model, store, MESSAGES[in_flight:])
    assert resumed.returncode == 0, resumed.stderr
    return _lines(resumed)


def _deletes(petstore: PetstoreServer) -> list[tuple[int, str | None]]:
    return [
        (request.status, request.headers.get("idempotency-key"))
        for request in petstore.requests("/store/order/2", method="DELETE")
    ]


@pytest.mark.parametrize("saves", range(1, SAVES))
def test_killed_at_a_step_boundary_then_resumed(
    petstore: PetstoreServer, fake_model: FakeOpenAI, tmp_path: Path, saves: int
) -> None:
    lines = _crash_then_resume(petstore, fake_model, tmp_path, "--crash-after-puts", str(saves))
    assert lines[-1]["reply"] == "Order 2 is cancelled."
    assert [status for status, _ in _deletes(petstore)] == [200]
    assert petstore.order(2) is None
    assert len(fake_model.requests) == 1  # the redelivered message did not restart the task


def test_killed_in_the_middle_of_the_delete_call_then_resumed(
    petstore: PetstoreServer, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    lines = _crash_then_resume(petstore, fake_model, tmp_path, "--crash-in-call", "deleteOrder")
    assert lines[-1]["reply"] == "Order 2 is cancelled."
    # The lost attempt deleted the order; the retry (same Idempotency-Key: DELETE is
    # idempotent) found nothing left. One cancellation, and the run knows it is done.
    deletes = _deletes(petstore)
    assert [status for status, _ in deletes] == [200, 404]
    assert deletes[0][1] is not None and deletes[0][1] == deletes[1][1]
    assert petstore.order(2) is None


def test_killed_after_the_last_save_the_model_answers_the_redelivered_message(
    petstore: PetstoreServer, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    """The run had finished and handed over its messages when the worker died, so the
    redelivered "yes" finds no task to resume and goes to the model; a model that starts the
    task again only learns that the order is gone. Still one cancellation."""
    fake_model.add(call("cancel_order", order_id=2))
    lines = _crash_then_resume(petstore, fake_model, tmp_path, "--crash-after-puts", str(SAVES))
    assert lines[-1]["reply"].startswith("Sorry, that did not work:")
    assert [status for status, _ in _deletes(petstore)] == [200]


def test_saves_are_counted_right(
    petstore: PetstoreServer, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    """Keeps SAVES honest: the whole conversation saves the run exactly that often."""
    fake_model.add(call("cancel_order", order_id=2))
    whole = _worker(
        petstore, fake_model, tmp_path / "a.db", MESSAGES, "--crash-after-puts", str(SAVES + 1)
    )
    assert whole.returncode == 0, whole.stderr
    replies = [line["reply"] for line in _lines(whole) if "reply" in line]
    assert replies == ["Cancel order 2 for 2 item(s)?", "Order 2 is cancelled."]
    assert [status for status, _ in _deletes(petstore)] == [200]
