"""The shop scenario end to end: the committed `examples/shop/shop_agent` through `build_agent`,
the scripted model server and the shop's reference server (`examples/shop/server.py`).

Only the model's words are scripted; identity binding, the user context, the task engine, the
instruction steps and the HTTP traffic are the real runtime's, and every "it happened once" is
read from the reference server's own request log. The agent runs on each store (memory,
SQLite, PostgreSQL), and the demo once more with ``SPECAGENT_STORE`` naming a PostgreSQL
database whose rows are then read.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openai import AsyncOpenAI
from specagent_runtime import (
    Agent,
    ClientCredentials,
    HandoffRequested,
    Identity,
    Store,
    TaskFinished,
)

from tests.support.fake_openai import FakeOpenAI, call, say
from tests.support.postgres import PostgresServer

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
MODEL = "shop-test-model"
ADA = Identity(email="ada@example.com", verified=True)


def _load_server() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shop_reference_server", SHOP / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


shop_server = _load_server()


@pytest.fixture(scope="module")
def shop_agent() -> Iterator[ModuleType]:
    sys.path.insert(0, str(SHOP))
    try:
        yield importlib.import_module("shop_agent")
    finally:
        sys.path.remove(str(SHOP))


@pytest.fixture
def shop() -> Iterator[Any]:
    with shop_server.ShopServer() as server:
        yield server


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def agent(
    shop_agent: ModuleType, shop: Any, fake: FakeOpenAI, any_store: Store
) -> AsyncIterator[Agent]:
    """The shop's agent on each store: memory, SQLite and PostgreSQL (tests/support/stores.py)."""
    credentials = ClientCredentials(shop_server.CLIENT_ID, shop_server.CLIENT_SECRET)
    client = shop_agent.AsyncClient(shop.base_url, credentials={"supportOAuth": credentials})
    model: AsyncOpenAI = fake.client()
    built: Agent = shop_agent.build_agent(client, model=MODEL, openai_client=model, store=any_store)
    yield built
    await client.aclose()
    await model.close()


def system_prompt(fake: FakeOpenAI, request: int) -> str:
    return str(fake.messages(request)[0]["content"])


def context_message(fake: FakeOpenAI, request: int) -> str:
    """The context the model was given: a data message of its own ("" when none)."""
    texts = [str(m["content"]) for m in fake.messages(request)]
    return next((text for text in texts if text.startswith("[context]")), "")


def posts(shop: Any, path: str) -> list[Any]:
    return list(shop.calls("POST", path))


# --- 1. the verified customer, with context -------------------------------------------------


async def test_verified_customer_gets_their_context_once(
    agent: Agent, fake: FakeOpenAI, shop: Any
) -> None:
    fake.add(say("You are on the Plus plan, renewing on 2027-01-15."), say("You're welcome!"))

    first = await agent.respond("c1", "Which plan am I on?", identity=ADA)
    await agent.respond("c1", "Thanks!", identity=ADA)

    assert first.text == "You are on the Plus plan, renewing on 2027-01-15."
    system = context_message(fake, 0)
    assert system.startswith("[context] About the verified customer")
    assert '"plan":"plus"' in system.replace(" ", "")
    assert "Coffee mug" in system  # recent orders
    assert "Coffee mug" not in system_prompt(fake, 0)  # data, never the instructions
    assert "tok_ada_4242" not in json.dumps(fake.requests)  # redacted by the tool's override
    # Fetched once with the bound email, then reused within refresh_after.
    lookups = shop.calls("GET", "/customers/by-email")
    assert [r.query for r in lookups] == [{"email": "ada@example.com"}]
    assert context_message(fake, 1) == system
    # The bound parameter is not the model's to choose.
    assert "email" not in fake.tools(0)["get_my_account"].get("properties", {})


async def test_context_is_refetched_after_an_action(
    agent: Agent, fake: FakeOpenAI, shop: Any
) -> None:
    fake.add(call("cancel_order", order_hint="the mugs"), call("finish_step", order_id=1002))
    fake.add(say("Anything else?"))

    await agent.respond("c1", "Cancel my mug order", identity=ADA)
    await agent.respond("c1", "yes", identity=ADA)
    await agent.respond("c1", "What's the status of my mug order now?", identity=ADA)

    assert '"status":"cancelled"' in context_message(fake, -1).replace(" ", "")
    assert '"status":"placed"' in context_message(fake, 0).replace(" ", "")


# --- 2. lookups for anyone --------------------------------------------------------------------


async def test_anonymous_lookup_with_a_wrong_zip_is_refused_and_explained(
    agent: Agent, fake: FakeOpenAI, shop: Any
) -> None:
    fake.add(
        call("lookup_order", orderId=1002, zip="99999"),
        say("I couldn't find order 1002 with that zip code. Could you check it?"),
    )

    reply = await agent.respond("a1", "Where is order 1002? My zip is 99999.")

    assert reply.text.startswith("I couldn't find order 1002")
    result = json.loads(fake.messages(1)[-1]["content"])
    assert result["status"] == "error"
    assert "No order with this number ships to that zip" in result["message"]
    assert [r.status for r in shop.calls("GET", "/orders/1002")] == [404]
    # No identity: no context, no account tool, no verified-only task.
    assert context_message(fake, 0) == ""
    assert shop.calls("GET", "/customers") == []
    offered = set(fake.tools(0))
    assert {"lookup_order", "book_demo"} <= offered
    assert not offered & {"get_my_account", "get_my_order", "cancel_order", "refund_order"}


async def test_anonymous_lookup_with_the_right_zip(
    agent: Agent, fake: FakeOpenAI, shop: Any
) -> None:
    fake.add(call("lookup_order", orderId=1003, zip="10115"), say("It has shipped."))

    await agent.respond("a1", "Order 1003, zip 10115?")

    result = json.loads(fake.messages(1)[-1]["content"])
    assert result["status"] == "ok"
    assert result["data"]["status"] == "shipped"


# --- 3. tasks ---------------------------------------------------------------------------------


async def test_cancel_order_happy_path_runs_once(agent: Agent, fake: FakeOpenAI, shop: Any) -> None:
    fake.add(call("cancel_order", order_hint="the coffee mugs"), call("finish_step", order_id=1002))

    asked = await agent.respond("c1", "Please cancel the coffee mugs I ordered", identity=ADA)
    done = await agent.respond("c1", "yes", identity=ADA)

    assert asked.text == "Cancel order 1002 from 2026-11-20 (38.5 EUR)?"
    assert done.text == "Order 1002 is cancelled."
    assert shop.order_status(1002) == "cancelled"
    # The instruction step saw the recent orders and the customer's words, not the identity.
    step_request = json.dumps(fake.requests[1])
    assert "the coffee mugs" in step_request and "Coffee mug" in step_request
    assert "finish_step" in fake.tools(1)
    assert '"identity"' not in str(fake.messages(1)[0]["content"])
    cancels = posts(shop, "/orders/1002/cancel")
    assert len(cancels) == 1
    assert cancels[0].body == {"email": "ada@example.com"}
    assert cancels[0].idempotency_key and cancels[0].idempotency_key.startswith("task-")
    # A second "yes" is not a second cancellation: the run is over, the model answers.
    fake.add(say("It is already cancelled."))
    await agent.respond("c1", "yes", identity=ADA)
    assert len(posts(shop, "/orders/1002/cancel")) == 1


async def test_cancel_order_that_has_shipped(agent: Agent, fake: FakeOpenAI, shop: Any) -> None:
    fake.add(call("cancel_order", order_hint="keyboard"), call("finish_step", order_id=1003))

    reply = await agent.respond("c1", "Cancel the keyboard", identity=ADA)

    assert reply.text == "Order 1003 has shipped already, so it can't be cancelled."
    assert posts(shop, "/orders/") == []


async def test_cancel_order_declined(agent: Agent, fake: FakeOpenAI, shop: Any) -> None:
    fake.add(call("cancel_order", order_hint="mugs"), call("finish_step", order_id=1002))

    await agent.respond("c1", "Cancel the mugs", identity=ADA)
    reply = await agent.respond("c1", "no, keep it", identity=ADA)

    assert reply.text == "All right, order 1002 stays as it is."
    assert posts(shop, "/orders/") == []
    assert shop.order_status(1002) == "placed"


async def test_instruct_output_invalid_is_reasked_then_used(
    agent: Agent, fake: FakeOpenAI, shop: Any
) -> None:
    fake.add(
        call("cancel_order", order_hint="the mugs"),
        call("finish_step", order_id="the mugs"),
        call("finish_step", order_id=1002),
    )

    reply = await agent.respond("c1", "Cancel the mugs", identity=ADA)

    assert reply.text == "Cancel order 1002 from 2026-11-20 (38.5 EUR)?"
    told = json.loads(fake.messages(2)[-1]["content"])
    assert told["status"] == "error" and "order_id" in told["message"]


async def test_instruct_output_invalid_three_times_hands_off(
    agent: Agent, fake: FakeOpenAI, shop: Any
) -> None:
    fake.add(
        call("cancel_order", order_hint="that one"),
        call("finish_step", order_id="?"),
        call("finish_step", order_id=None),
        call("finish_step", order_id=1002, extra=1),
    )

    reply = await agent.respond("c1", "Cancel that one", identity=ADA)

    assert "colleague" in reply.text
    handoffs = [e for e in reply.events if isinstance(e, HandoffRequested)]
    assert handoffs and "no valid step output after 3 tries" in handoffs[0].reason
    assert TaskFinished in {type(e) for e in reply.events}
    assert posts(shop, "/orders/") == []


async def test_refund_order_happy_path(agent: Agent, fake: FakeOpenAI, shop: Any) -> None:
    fake.add(
        call("refund_order", request="the USB cables arrived broken"),
        call("finish_step", order_id=1004, reason="damaged"),
    )

    asked = await agent.respond("r1", "My USB cables arrived broken", identity=ADA)
    done = await agent.respond("r1", "yes please", identity=ADA)

    assert asked.text == "Refund 24 EUR for order 1004 (reason: damaged)?"
    assert done.text == "Done: 24 EUR for order 1004 will be refunded (refund 1)."
    refunds = posts(shop, "/orders/1004/refund")
    assert [r.body for r in refunds] == [{"email": "ada@example.com", "reason": "damaged"}]
    assert shop.count("refunds") == 1


async def test_refund_reason_outside_the_enum_is_reasked(
    agent: Agent, fake: FakeOpenAI, shop: Any
) -> None:
    fake.add(
        call("refund_order", request="cables broken"),
        call("finish_step", order_id=1004, reason="broken"),
        call("finish_step", order_id=1004, reason="damaged"),
    )

    asked = await agent.respond("r1", "cables broken", identity=ADA)

    assert asked.text == "Refund 24 EUR for order 1004 (reason: damaged)?"
    told = json.loads(fake.messages(2)[-1]["content"])
    assert "Please choose one of: damaged, late, wrong_item, changed_mind, other" in told["message"]


async def test_refund_above_the_limit_is_handed_off(
    agent: Agent, fake: FakeOpenAI, shop: Any
) -> None:
    fake.add(
        call("refund_order", request="the lamp was late"),
        call("finish_step", order_id=1001, reason="late"),
    )

    reply = await agent.respond("r1", "Refund the lamp, it was late", identity=ADA)

    reasons = [e.reason for e in reply.events if isinstance(e, HandoffRequested)]
    assert reasons == ["Refund of 249 EUR for order 1001 (late) is above the 100 limit"]
    assert posts(shop, "/orders/") == []


async def test_refund_of_an_order_not_delivered(agent: Agent, fake: FakeOpenAI, shop: Any) -> None:
    fake.add(
        call("refund_order", request="refund the mugs"),
        call("finish_step", order_id=1002, reason="changed_mind"),
    )

    reply = await agent.respond("r1", "refund the mugs", identity=ADA)

    assert reply.text == "Order 1002 can't be refunded: it is placed."
    assert posts(shop, "/orders/") == []


async def test_book_demo_for_anyone(agent: Agent, fake: FakeOpenAI, shop: Any) -> None:
    fake.add(call("book_demo"))

    texts = [(await agent.respond("d1", "I'd like a demo of the business plan")).text]
    for message in (
        "Grace",
        "Hopper Labs",
        "grace@gmail.com",
        "it's grace@hopperlabs.example",
        "yes",
    ):
        texts.append((await agent.respond("d1", message)).text)

    assert texts == [
        "Happy to set up a demo! What is your name?",
        "Thanks Grace. Which company are you with?",
        "What is your work email address? The invite goes there.",
        "That is not a valid work email address. What is your work email address? The"
        " invite goes there.",
        "Book a demo for Grace (Hopper Labs) and send the invite to grace@hopperlabs.example?",
        "Your demo is booked for 2026-12-01 10:00 UTC; the invite is on its way to"
        " grace@hopperlabs.example.",
    ]
    bookings = posts(shop, "/demo-bookings")
    assert [r.body for r in bookings] == [
        {"name": "Grace", "company": "Hopper Labs", "email": "grace@hopperlabs.example"}
    ]
    assert len(posts(shop, "/calendar-invites")) == 1
    assert len(fake.requests) == 1  # the engine asked; the model never answered for the customer


def test_demo_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, str(SHOP / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Order 1002 is cancelled." in done.stdout


def test_the_demo_on_postgresql_keeps_its_conversations_there(
    postgres_server: PostgresServer,
) -> None:
    """`SPECAGENT_STORE=postgresql://... python examples/shop/demo.py` (issue 18): every check
    holds, and the conversations, the task runs and the audit trail are rows of the database,
    each customer message once."""
    url = postgres_server.create_database()
    try:
        done = subprocess.run(
            [sys.executable, str(SHOP / "demo.py")],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            cwd=REPO,
            env={**os.environ, "SPECAGENT_STORE": url},
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "PostgresStore('postgresql://postgres@127.0.0.1" in done.stdout
        database = url.rsplit("/", 1)[1]
        rows = postgres_server.execute(
            "SELECT kind, key, value FROM specagent_records ORDER BY kind, key", database=database
        )
        conversations = {
            key: json.loads(value) for kind, key, value in rows if kind == "conversation"
        }
        assert sorted(key.split("-")[0] for key in conversations) == ["ada", "guest", "lead"]
        ada = next(value for key, value in conversations.items() if key.startswith("ada-"))
        said = [m["content"] for m in ada["messages"] if m["role"] == "user"]
        assert said.count("Please cancel the coffee mugs.") == 1
        assert said.count("Yes, please.") == 1
        runs = [json.loads(value) for kind, _, value in rows if kind == "task_run"]
        assert sorted(run["task"] for run in runs) == [
            "book_demo",
            "cancel_order",
            "refund_order",
            "refund_order",
        ]
        audit = postgres_server.execute("SELECT entry FROM specagent_audit", database=database)
        assert any("/orders/1002/cancel" in str(row[0]) for row in audit), audit
    finally:
        postgres_server.drop_database(url)


async def test_the_reference_server_honours_idempotency_keys(
    shop_agent: ModuleType, shop: Any
) -> None:
    credentials = ClientCredentials(shop_server.CLIENT_ID, shop_server.CLIENT_SECRET)
    client = shop_agent.AsyncClient(shop.base_url, credentials={"supportOAuth": credentials})
    op = shop_agent._operations.REFUND_ORDER
    args = {"orderId": 1004, "email": "ada@example.com", "reason": "late"}
    assert op.idempotency_key  # declared in the spec, so the engine may retry with the key
    try:
        first = await client._call(op, args, shop_agent.models.Refund, idempotency_key="same")
        again = await client._call(op, args, shop_agent.models.Refund, idempotency_key="same")
    finally:
        await client.aclose()

    assert first == again
    assert shop.count("refunds") == 1
    assert [r.idempotency_key for r in posts(shop, "/orders/1004/refund")] == ["same", "same"]
