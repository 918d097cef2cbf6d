"""The duplicate-delivery mode of `benchmarks/load.py`, scaled down, as a correctness test (no
timings; issue 15, tests/faults/README.md lists it).

Twenty verified customers cancel their own orders through two worker processes sharing one
store (a SQLite file, or a PostgreSQL database on the session's server: the module runs on
both), each message dispatched as a helpdesk webhook with its message id; a seeded 10%
of the messages are delivered twice at the same moment, to both workers. The conversations
none of whose messages were doubled are the control: under the same load, at the same time,
they must all hold. The doubled ones must too: no second DELETE, no message whose expected
reply was never posted, no error, each customer message stored once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import httpx
import pytest

from benchmarks.load import FIRST_ORDER, Services, expected_replies
from benchmarks.load_duplicates import DispatchResult, check, run_dispatched
from tests.support.stores import SHARED_KINDS

CONVERSATIONS = 20
WORKERS = 2
LATENCY = 0.01
FRACTION = 0.1


@pytest.fixture(scope="module")
def running(load_services: Services) -> Services:
    return load_services  # the petstore and the model, shared with test_concurrency.py


@pytest.fixture(scope="module", params=SHARED_KINDS)
def dispatched(
    running: Services, request: pytest.FixtureRequest
) -> Iterator[tuple[DispatchResult, list[str]]]:
    kind = str(request.param)
    # Not the orders of tests/load/test_concurrency.py, nor of the other store's run.
    first = FIRST_ORDER + 50_000 + 1000 * SHARED_KINDS.index(kind)
    # On PostgreSQL: the module's database, with the store's schema (tests/support/postgres.py).
    sqlite = str(running.folder / "agent-dispatched.sqlite3")
    store = request.getfixturevalue("postgres_store_url") if kind == "postgres" else sqlite
    yield run_dispatched(
        running,
        f"{kind}, 2, dispatched, 10% twice",
        store=store,
        orders=list(range(first, first + CONVERSATIONS)),
        workers=WORKERS,
        latency=LATENCY,
        timeout=90,
        fraction=FRACTION,
        concurrency=3,  # fewer than each worker is sent: some deliveries wait their turn
    )


def _doubled(result: DispatchResult) -> set[int]:
    return {order for order, _ in result.duplicated}


def _about(problem: str, orders: set[int]) -> bool:
    return any(str(order) in problem for order in orders)


@pytest.mark.slow
def test_control_conversations_delivered_once_hold_beside_the_duplicates(
    dispatched: tuple[DispatchResult, list[str]],
) -> None:
    result, problems = dispatched
    doubled = _doubled(result)
    assert len(result.duplicated) == round(FRACTION * 3 * CONVERSATIONS)
    assert 0 < len(doubled) < CONVERSATIONS  # there is a control
    assert [p for p in problems if not _about(p, doubled)] == []
    clean = [order for order in result.orders if order not in doubled]
    for order in clean:
        replies = [result.deliveries[(order, turn)][0].get("reply") for turn in range(3)]
        assert replies == list(expected_replies(order))


@pytest.mark.slow
def test_duplicate_delivery_under_load_duplicates_no_action_and_loses_no_message(
    dispatched: tuple[DispatchResult, list[str]],
) -> None:
    result, problems = dispatched
    assert (result.actions_duplicated, result.messages_lost) == (0, 0), problems
    assert problems == []


@pytest.mark.slow
def test_the_checks_catch_a_second_action_a_lost_reply_and_a_reply_posted_twice(
    dispatched: tuple[DispatchResult, list[str]], running: Services
) -> None:
    """The control of the witness: damage clean conversations and see each check fire."""
    result, _ = dispatched
    clean = [order for order in result.orders if order not in _doubled(result)]
    twice, lost, posted_twice = clean[0], clean[1], clean[2]
    damaged = copy.deepcopy(result)
    with httpx.Client(base_url=running.petstore.base_url, timeout=10) as client:
        client.delete(f"/store/order/{twice}", headers={"api_key": running.petstore.api_key})
    damaged.deliveries[(lost, 1)][0]["reply"] = "Something else."
    reply = damaged.deliveries[(posted_twice, 2)][0]
    damaged.deliveries[(posted_twice, 2)].append(dict(reply))

    problems = check(damaged, running.petstore)

    assert f"order {twice}: 2 DELETEs (a second action)" in problems, problems
    assert f"order {lost} turn 1: the expected reply was never posted" in problems, problems
    assert f"order {posted_twice} turn 2: the reply was posted twice" in problems, problems
    damaged_orders = _doubled(result) | {twice, lost, posted_twice}
    assert all(_about(p, damaged_orders) for p in problems), problems
