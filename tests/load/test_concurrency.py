"""The load scenario of `benchmarks/load.py`, scaled down, as a correctness test (no timings).

Twenty verified customers cancel their own orders at the same time through four worker
processes sharing one store (a SQLite file, or a PostgreSQL database on the session's server:
the module runs on both), against the reference petstore and a fake model in
their own processes. Every property is read from the server's request log and the store file:
all conversations completed, no update lost, each order deleted exactly once, no conversation
saw another's order or customer. The last test damages a finished run on purpose to show the
checks do catch each kind of failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from specagent_runtime import open_store

from benchmarks.load import (
    FIRST_ORDER,
    RunResult,
    Services,
    check,
    expected_replies,
    run_checked,
)
from tests.support.stores import SHARED_KINDS

CONVERSATIONS = 20
WORKERS = 4
LATENCY = 0.01


@pytest.fixture(scope="module")
def running(load_services: Services) -> Services:
    return load_services  # shared with test_duplicate_load.py (conftest)


@pytest.fixture(scope="module", params=SHARED_KINDS)
def finished(
    running: Services, request: pytest.FixtureRequest
) -> Iterator[tuple[RunResult, list[str]]]:
    kind = str(request.param)
    first = FIRST_ORDER + 1000 * SHARED_KINDS.index(kind)  # each store's run its own orders
    orders = list(range(first, first + CONVERSATIONS))
    # On PostgreSQL: the module's database, with the store's schema (tests/support/postgres.py).
    sqlite = str(running.folder / "agent.sqlite3")
    store = request.getfixturevalue("postgres_store_url") if kind == "postgres" else sqlite
    yield run_checked(
        running,
        f"{kind}, 4",
        store=store,
        orders=orders,
        workers=WORKERS,
        latency=LATENCY,
        timeout=120,
    )


def test_concurrent_conversations_on_one_shared_store_all_hold(
    finished: tuple[RunResult, list[str]], running: Services
) -> None:
    result, problems = finished
    assert problems == []
    assert result.errors == []
    assert len(result.turns) == 3 * CONVERSATIONS
    # Spread over the workers, and the model really was asked twice per conversation.
    assert sum(turn["completions"] for turn in result.turns) == 2 * CONVERSATIONS
    first = result.orders[0]
    assert [t["reply"] for t in result.turns if t["order"] == first] == list(
        expected_replies(first)
    )
    mine = {f"/store/order/{order}" for order in result.orders}
    deletes = running.petstore.requests("/store/order", method="DELETE")
    assert sorted(r.path for r in deletes if r.path in mine) == sorted(mine)


def test_the_checks_catch_a_double_cancel_a_lost_update_and_a_leak(
    finished: tuple[RunResult, list[str]], running: Services
) -> None:
    result, _ = finished
    victim, other, stale = result.orders[0], result.orders[1], result.orders[2]
    with httpx.Client(base_url=running.petstore.base_url, timeout=10) as client:
        client.delete(f"/store/order/{victim}", headers={"api_key": running.petstore.api_key})
    store = open_store(result.store)

    async def damage() -> None:
        leaked = await store.load(f"load-{other}")
        assert leaked is not None
        value = dict(leaked.value)
        value["messages"] = [*value["messages"], {"role": "user", "content": f"order {victim}"}]
        await store.save(f"load-{other}", value, version=leaked.version)
        lost = await store.load(f"load-{stale}")
        assert lost is not None
        value = dict(lost.value)
        value["messages"] = value["messages"][:-2]  # the last turn's save never happened
        await store.put("conversation", f"load-{stale}", value)

    asyncio.run(damage())
    store.close()
    problems = check(result, running.petstore)

    assert any(p.startswith(f"order {victim}: DELETEs by status") for p in problems), problems
    assert f"load-{other}: mentions another order" in problems
    assert any(p.startswith(f"load-{stale}:") and "lost" in p for p in problems), problems
    # Nothing is reported about the conversations that were left alone.
    damaged = (str(victim), str(other), str(stale))
    assert all(any(number in problem for number in damaged) for problem in problems), problems


def test_the_benchmark_module_needs_no_network(running: Services) -> None:
    assert running.model_url.startswith("http://127.0.0.1:")
    assert running.petstore.base_url.startswith("http://127.0.0.1:")
    assert Path(running.folder).is_dir()
