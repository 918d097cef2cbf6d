"""One message, one visitor or one conversation cannot make the agent do without bound.

The issue's two abuses, tried again: an anonymous visitor who guesses an order's zip code (400
order+zip combinations, the shop's reference server counting what arrived), and one message
whose model asks for 800 API calls. Every refusal is a tool result the model can act on, and a
log line. The counters live in the store, so they hold across workers (two agents on one
SQLite file) and restarts; a simulated week shows how far a patient guesser gets.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel
from specagent_runtime import (
    Agent,
    ClientCredentials,
    ConfigurationError,
    Identity,
    Limits,
    MemoryStore,
    SQLiteStore,
    Store,
    ToolResult,
    ToolSpec,
)
from specagent_runtime._tools.limits import DAY, HOUR, Limiter, client_of, is_lookup, missed
from specagent_runtime._tools.toolset import PreparedCall

from tests.support.fake_openai import FakeOpenAI, Turn, calls, say

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
ORDER, ZIP = 1002, "10115"  # a real order of the shop's reference data, and its zip code
GUESSES = [f"{10000 + n:05d}" for n in range(400)]  # the right zip is the 116th


def _load_shop_server() -> ModuleType:
    spec = importlib.util.spec_from_file_location("limits_shop_server", SHOP / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


shop_server = _load_shop_server()


@pytest.fixture(scope="module")
def shop_agent() -> Iterator[ModuleType]:
    sys.path.insert(0, str(SHOP))
    try:
        yield __import__("shop_agent")
    finally:
        sys.path.remove(str(SHOP))


@pytest.fixture
def shop() -> Iterator[Any]:
    with shop_server.ShopServer() as server:
        yield server


class Workers:
    """Agents as webhook workers build them: one per call, all on the same store."""

    def __init__(self, package: ModuleType, shop: Any, model: FakeOpenAI, store: Store) -> None:
        self.package, self.shop, self.fake, self.store = package, shop, model, store
        self.agents: list[Agent] = []
        self.models: list[Any] = []

    def new(self, limits: Limits | None = None) -> Agent:
        credentials = ClientCredentials(shop_server.CLIENT_ID, shop_server.CLIENT_SECRET)
        client = self.package.AsyncClient(
            self.shop.base_url, credentials={"supportOAuth": credentials}
        )
        model = self.fake.client()
        agent: Agent = self.package.build_agent(
            client, model="m", openai_client=model, store=self.store
        )
        if limits is not None:
            agent.limiter.limits = limits
        self.agents.append(agent)
        self.models.append(model)
        return agent

    async def close(self) -> None:
        for agent in self.agents:
            await agent.toolset.client.aclose()
        for model in self.models:
            await model.close()


def _round(zips: list[str], order: int = ORDER) -> Turn:
    return calls(*(("lookup_order", {"orderId": order, "zip": z}) for z in zips))


def _new_results(fake: FakeOpenAI, request: int) -> list[dict[str, Any]]:
    """The tool results the model saw for the first time in one request."""
    return fake.tool_results(request)[len(fake.tool_results(request - 1)) :]


def _order_lookups(shop: Any) -> list[Any]:
    return shop.calls("GET", f"/orders/{ORDER}")


# --- the guesser -------------------------------------------------------------------------------


def test_an_anonymous_visitor_guessing_400_zip_codes(
    shop_agent: ModuleType, shop: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue's attack: 400 order+zip lookups, 10 to a round, a new conversation for every
    message, two workers taking turns on one SQLite store. The visitor's client key (an IP)
    is all that ties the messages together."""
    caplog.set_level(logging.INFO, logger="specagent_runtime.limits")
    store = SQLiteStore(tmp_path / "store.sqlite3")
    with FakeOpenAI() as fake:
        for start in range(0, len(GUESSES), 10):
            fake.add(_round(GUESSES[start : start + 10]), say("None of those matched."))

        async def attack() -> list[str]:
            workers = Workers(shop_agent, shop, fake, store)
            pool = [workers.new(), workers.new()]
            replies = []
            for message in range(40):
                agent = pool[message % 2]
                reply = await agent.respond(
                    f"visitor-{message}", "is my order there?", client_key="203.0.113.9"
                )
                replies.append(reply.text)
            await workers.close()
            return replies

        replies = asyncio.run(attack())
        results = [r for n in range(len(fake.requests)) for r in fake.tool_results(n)]

    sent = _order_lookups(shop)
    assert len(sent) == 3, [r.query for r in sent]  # three misses, then the lockout
    assert all(r.status == 404 for r in sent)
    assert ZIP not in {r.query["zip"] for r in sent}
    assert replies == ["None of those matched."] * 40  # every turn finished normally
    assert len(results) == 400 and all(r["status"] == "error" for r in results)
    # 3 answers from the API (404), and 397 refusals, each saying what to do instead.
    refused = [r for r in results if r["message"].startswith("not run: ")]
    assert len(refused) == 397
    paused = [r for r in refused if "paused" in r["message"]]
    assert len(paused) > 300 and "check the details and try later" in paused[0]["message"]
    assert any("lookups locked for client" in m for m in caplog.messages)


def test_the_lockout_also_holds_without_a_client_key_within_a_conversation(
    shop_agent: ModuleType, shop: Any
) -> None:
    with FakeOpenAI() as fake:
        fake.add(_round(GUESSES[:5]), say("no"), _round([ZIP]), say("still no"))

        async def attack() -> list[dict[str, Any]]:
            workers = Workers(shop_agent, shop, fake, MemoryStore())
            agent = workers.new()
            await agent.respond("one", "guess")
            await agent.respond("one", "and this one?")
            await workers.close()
            return fake.tool_results()

        last = asyncio.run(attack())
    assert len(_order_lookups(shop)) == 3
    assert last[-1]["status"] == "error" and "paused" in last[-1]["message"]


def test_a_found_order_is_not_a_miss_and_quotas_still_apply(
    shop_agent: ModuleType, shop: Any
) -> None:
    """A customer who looks up their order again and again is not locked out, but the
    per-conversation lookup budget (10 by default) ends it. At most 3 lookups are in flight
    at once (the misses still allowed before a lockout)."""
    with FakeOpenAI() as fake:
        for _ in range(4):
            fake.add(_round([ZIP] * 4), say("found"))

        async def run() -> list[list[dict[str, Any]]]:
            workers = Workers(shop_agent, shop, fake, MemoryStore())
            agent = workers.new()
            for _ in range(4):
                await agent.respond("c", "my order", client_key="visitor-1")
            await workers.close()
            return [_new_results(fake, n) for n in range(1, 8, 2)]

        rounds = asyncio.run(run())
    assert len(_order_lookups(shop)) == 10
    assert [[r["status"] for r in results] for results in rounds] == [
        ["ok", "ok", "ok", "error"],
        ["ok", "ok", "ok", "error"],
        ["ok", "ok", "ok", "error"],
        ["ok", "error", "error", "error"],
    ]
    assert "still waiting for their answers" in rounds[0][-1]["message"]
    assert "may be used 10 times in one conversation" in rounds[-1][-1]["message"]


# --- one message, many calls -------------------------------------------------------------------


def test_one_message_cannot_make_800_calls(shop_agent: ModuleType, shop: Any) -> None:
    """8 rounds of 100 parallel calls: 8 answered a round, 24 in the turn, the rest refused
    with a reason the model can follow."""
    hundred = [("get_my_account", {}) for _ in range(100)]
    with FakeOpenAI() as fake:
        fake.add(*[calls(*hundred) for _ in range(8)])  # max_rounds is 8: then a hand-off

        async def run() -> str:
            workers = Workers(shop_agent, shop, fake, MemoryStore())
            agent = workers.new()
            ada = Identity(email="ada@example.com", verified=True)
            reply = await agent.respond("c", "everything", identity=ada)
            await workers.close()
            return reply.text

        asyncio.run(run())
        per_round = [_new_results(fake, n) for n in range(1, 8)]
    sent = shop.calls("GET", "/customers/by-email")
    assert len(sent) == 24 + 1  # the turn's calls, plus the context fetched up front
    answered = [
        sum(not r.get("message", "").startswith("not run") for r in results)
        for results in per_round
    ]
    assert answered == [8, 8, 8, 0, 0, 0, 0]
    assert "at most 8 tool calls are answered in one round" in per_round[0][-1]["message"]
    assert "used its 24 tool calls" in per_round[3][0]["message"]


# --- the arithmetic, with a clock ------------------------------------------------------------


class _NoArgs(BaseModel):
    pass


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


LOOKUP = ToolSpec(
    name="lookup_order",
    description="",
    operation="getOrder",
    client_method="get_order",
    args_model="Args",
    input_schema={},
    read_only=True,
)


async def _guess_for(seconds: float, limits: Limits, store: Store) -> tuple[int, bool]:
    """A patient guesser with one client key who retries the moment a lockout ends: how many
    guesses reached the API in `seconds`, and whether one was right (the zip is the 100th)."""
    clock = Clock()
    limiter = Limiter(store, limits, clock=clock)
    end = clock.now + seconds
    sent, found, conversation = 0, False, 0
    call = PreparedCall(LOOKUP, {}, {}, _NoArgs())

    async def send(_call: PreparedCall) -> ToolResult:
        nonlocal sent, found
        sent += 1
        if sent == 100:
            found = True
            return ToolResult("lookup_order", "ok", data={"id": 1})
        return ToolResult("lookup_order", "error", message="not found", api_status=404)

    while clock.now < end and not found:
        conversation += 1  # a new conversation each time: only the client key remains
        turn = limiter.turn(f"c{conversation}", client_key="attacker")
        result = await turn.run(call, send)
        clock.now += 60.0 if result.api_status is None and result.is_error else 1.0
    return sent, found


def test_guessing_a_zip_among_100_takes_longer_than_a_week() -> None:
    sent, found = asyncio.run(_guess_for(7 * DAY, Limits(), MemoryStore()))
    assert not found
    assert sent == 15  # 3 misses, then one per lockout: 15 of 100 zip codes (docs/security.md)
    sent_month, _ = asyncio.run(_guess_for(30 * DAY, Limits(), MemoryStore()))
    assert sent_month > sent  # the lockout ends: a customer can come back
    assert sent_month <= 100


def test_the_lockout_numbers_in_the_docs() -> None:
    limits = Limits()
    lockouts = [limits.lockout(level) / 60 for level in range(9)]
    assert lockouts == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]
    # 49 misses (the expected number before the right zip of 100): 3 before the first
    # lockout, then one per lockout, so 47 lockouts.
    total_days = sum(limits.lockout(level) for level in range(47)) / DAY
    assert 41 < total_days < 42


# --- configuration -----------------------------------------------------------------------------


def test_limits_are_checked_and_read_from_agent_json() -> None:
    with pytest.raises(ConfigurationError, match="tool_calls_per_round"):
        Limits(tool_calls_per_round=0)
    with pytest.raises(ConfigurationError, match="unknown tool_calls; the limits are"):
        Limits.from_json({"tool_calls": 3})
    assert Limits.from_json({"lookup_limit": 3}).lookup_limit == 3
    assert Limits().replace(parallel_calls=2).parallel_calls == 2


def test_what_counts_as_a_lookup_and_a_miss() -> None:
    bound = ToolSpec("me", "", "op", "m", "A", {}, bindings={"email": "email"}, read_only=True)
    limited = ToolSpec("act", "", "op", "m", "A", {}, lookup_limit=2)
    assert is_lookup(LOOKUP) and is_lookup(limited) and not is_lookup(bound)
    assert missed(ToolResult("t", "error", message="x", api_status=404))
    assert missed(ToolResult("t", "ok", data=[]))
    assert not missed(ToolResult("t", "error", message="x", api_status=500))
    assert not missed(ToolResult("t", "ok", data={"id": 1}))
    assert ToolSpec.from_json({**_spec_json(), "lookup_limit": 5}).lookup_limit == 5


def test_only_a_digest_of_the_client_key_is_stored() -> None:
    digest = client_of("conv", "203.0.113.9", None)
    assert "203.0.113" not in digest and len(digest) == 32
    assert digest != client_of("conv", None, None)


def _spec_json() -> dict[str, Any]:
    return {
        "name": "t",
        "description": "",
        "operation": "op",
        "client_method": "m",
        "args_model": "A",
        "input_schema": {},
    }


# --- the message itself ------------------------------------------------------------------------


def test_a_4_mb_message_reaches_neither_the_model_nor_the_store_whole(
    shop_agent: ModuleType, shop: Any, tmp_path: Path
) -> None:
    """The issue's 4 MB message: answered in the runtime's words, never sent to the model, kept
    cut to the size cap (8,000 characters), and the conversation goes on normally."""
    huge = "order 1002 " * 400_000  # 4.4 MB
    store_path = tmp_path / "store.sqlite3"
    with FakeOpenAI() as fake:
        fake.add(say("How can I help?"))

        async def run() -> list[str]:
            workers = Workers(shop_agent, shop, fake, SQLiteStore(store_path))
            agent = workers.new()
            first = await agent.respond("c", huge)
            second = await agent.respond("c", "sorry, where is my order?")
            await workers.close()
            return [first.text, second.text]

        replies = asyncio.run(run())
        sent = [len(json.dumps(request["messages"])) for request in fake.requests]
    assert "too long" in replies[0] and replies[1] == "How can I help?"
    assert len(sent) == 1 and sent[0] < 20_000  # only the second message reached the model
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("store.sqlite3*"))
    assert stored.count(b"order 1002") < 1_000  # 8,000 characters at most, not 400,000 copies


def test_a_lone_surrogate_is_cleaned_and_the_next_delivery_still_works(
    shop_agent: ModuleType, shop: Any, tmp_path: Path
) -> None:
    """Invalid Unicode once made every delivery of the message fail (the host retried forever)."""
    with FakeOpenAI() as fake:
        fake.add(say("Hello!"), say("Anything else?"))

        async def run() -> list[str]:
            workers = Workers(shop_agent, shop, fake, SQLiteStore(tmp_path / "store.sqlite3"))
            agent = workers.new()
            first = await agent.respond("c", "hi \ud800 there", message_id="m1")
            again = await agent.respond("c", "hi \ud800 there", message_id="m1")
            second = await agent.respond("c", "thanks \udfff", message_id="m2")
            await workers.close()
            assert again.duplicate
            return [first.text, again.text, second.text]

        assert asyncio.run(run()) == ["Hello!", "Hello!", "Anything else?"]
        said = [m["content"] for m in fake.messages() if m["role"] == "user"]
    assert said[-2:] == ["hi \ufffd there", "thanks \ufffd"]


@pytest.mark.parametrize("message", [None, {"text": "yes"}, b"yes", 42], ids=repr)
def test_a_message_that_is_not_text_is_a_type_error_and_stores_nothing(
    shop_agent: ModuleType, shop: Any, message: object
) -> None:
    with FakeOpenAI() as fake:
        fake.add(say("Hello!"))

        async def run() -> str:
            store = MemoryStore()
            workers = Workers(shop_agent, shop, fake, store)
            agent = workers.new()
            with pytest.raises(TypeError, match="must be a str, not"):
                await agent.respond("c", message)  # type: ignore[arg-type]
            assert await store.load("c") is None
            reply = await agent.respond("c", "hello")
            await workers.close()
            return reply.text

        assert asyncio.run(run()) == "Hello!"
        assert [m["content"] for m in fake.messages() if m["role"] == "user"] == ["hello"]


# --- the stored budgets, across workers --------------------------------------------------------


ACTION = ToolSpec("update_note", "", "updateNote", "update_note", "Args", {})  # not a lookup


def test_the_stored_budgets_hold_across_two_workers_and_reset_with_time(tmp_path: Path) -> None:
    """API calls per conversation, per client per hour, and lookups per client per day, each
    counted in the store: two limiters (two workers) on one SQLite file share them, a new
    conversation does not reset the client's, and the next hour or day does."""
    clock = Clock()
    store = SQLiteStore(tmp_path / "store.sqlite3")
    limits = Limits(
        api_calls_per_conversation=3, api_calls_per_hour=5, lookups_per_client_per_day=4
    )
    workers = [Limiter(store, limits, clock=clock), Limiter(store, limits, clock=clock)]
    sent: list[str] = []

    async def send(call: PreparedCall) -> ToolResult:
        sent.append(call.spec.name)
        return ToolResult(call.spec.name, "ok", data={"id": 1})  # found: never a miss

    async def use(number: int, conversation: str, spec: ToolSpec) -> str:
        turn = workers[number % 2].turn(conversation, client_key="visitor-7")
        result = await turn.run(PreparedCall(spec, {}, {}, _NoArgs()), send)
        return "ok" if result.status == "ok" else str(result.message)

    async def run() -> list[str]:
        outcomes = [await use(n, "c1", ACTION) for n in range(4)]  # per conversation: 3
        outcomes += [await use(n, "c2", ACTION) for n in range(3)]  # per client hour: 5 in all
        clock.now += HOUR
        outcomes += [await use(n, f"d{n}", LOOKUP) for n in range(5)]  # lookups a day: 4
        clock.now += DAY
        outcomes.append(await use(0, "e1", LOOKUP))
        return outcomes

    outcomes = asyncio.run(run())
    assert outcomes[:3] == ["ok"] * 3
    assert "this conversation has used its 3 calls" in outcomes[3]
    assert outcomes[4:6] == ["ok"] * 2
    assert "at most 5 calls an hour" in outcomes[6]
    assert outcomes[7:11] == ["ok"] * 4
    assert "at most 4 lookups a day" in outcomes[11]
    assert outcomes[12] == "ok"
    assert len(sent) == 3 + 2 + 4 + 1
