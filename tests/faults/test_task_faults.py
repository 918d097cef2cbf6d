"""Tasks over a failing API never perform an action twice, counted from the server's log.

The engine records each call before sending it and gives it an Idempotency-Key derived from
(run, step). The petstore spec declares no Idempotency-Key header, so the API cannot be assumed
to deduplicate: a POST whose outcome is unknown must not be sent again (the engine hands the
run to a human instead), while a DELETE may be repeated. A finished run cannot be pushed into
acting again by more "yes" messages.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import MemoryStore, RetryPolicy, RunStatus, TaskEngine, TaskError

from tests.security.conftest import forget, generate_into
from tests.support.fault_server import (
    Fault,
    FaultServer,
    hang,
    json_response,
    reset_mid_response,
    status,
    truncated_body,
)

HERE = Path(__file__).resolve().parent
PACKAGE = "flt_tasks"
API = "/api/v3"
ORDER = {"id": 11, "petId": 7, "quantity": 2, "status": "placed", "complete": False}


@pytest.fixture(scope="module")
def tasks_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("task_faults_package")
    spec = HERE.parent / "security" / "petstore.yaml"
    module = generate_into(root, spec, HERE / "tasks_agent.yaml", PACKAGE)
    sys.path.insert(0, str(root))
    yield module
    sys.path.remove(str(root))
    forget(PACKAGE)


async def _no_wait(_seconds: float) -> None:
    return None


def package_client(package: ModuleType, server: FaultServer, policy: RetryPolicy) -> Any:
    return package.AsyncClient(server.root_url + API, timeout=0.75, retry_policy=policy)


def place_order(
    package: ModuleType, server: FaultServer, answers: list[str]
) -> tuple[list[Any], list[str]]:
    """Start the place_order task, then send the customer's `answers`; the turns and any
    TaskError messages."""
    tasks = __import__(f"{PACKAGE}.tasks", fromlist=["TASKS"])

    async def run() -> tuple[list[Any], list[str]]:
        policy = RetryPolicy(max_retries=2, async_sleep=_no_wait)
        client = package_client(package, server, policy)
        engine = TaskEngine(MemoryStore(), client, tasks)
        turns = [await engine.start("place_order", {"pet_id": 7, "quantity": 2})]
        refused = []
        for answer in answers:
            try:
                turns.append(await engine.resume(turns[0].run_id, answer))
            except TaskError as exc:
                refused.append(str(exc))
        await client.aclose()
        return turns, refused

    return asyncio.run(run())


def test_place_order_once_when_all_is_well(tasks_package: ModuleType, server: FaultServer) -> None:
    path = f"{API}/store/order"
    server.route("POST", path, json_response(ORDER))
    turns, refused = place_order(tasks_package, server, ["yes", "yes", "yes please"])
    assert turns[0].status is RunStatus.WAITING_CONFIRMATION
    assert turns[1].status is RunStatus.DONE
    assert turns[1].messages[-1] == "Order 11 is placed."
    assert len(refused) == 2  # the run is finished: later "yes" messages do nothing
    (sent,) = server.requests("POST", path)
    assert sent.json() == {"petId": 7, "quantity": 2}
    assert sent.headers.get("idempotency-key")


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(status(500), id="500"),
        pytest.param(
            status(503),
            id="503",
        ),
        pytest.param(
            reset_mid_response(ORDER),
            id="reset",
        ),
        pytest.param(
            truncated_body(ORDER),
            id="short-body",
        ),
        pytest.param(
            hang(2.0),
            id="timeout",
        ),
    ],
)
def test_failed_post_is_sent_once(
    tasks_package: ModuleType, server: FaultServer, fault: Fault
) -> None:
    path = f"{API}/store/order"
    server.route("POST", path, json_response(ORDER))
    server.fail_next("POST", path, fault, fault, fault)
    turns, _ = place_order(tasks_package, server, ["yes", "yes"])
    assert turns[1].status in (RunStatus.FAILED, RunStatus.HANDED_OFF)
    assert turns[1].messages, "the customer is told something"
    assert len(server.requests("POST", path)) == 1


def test_delete_may_be_repeated_with_one_key(
    tasks_package: ModuleType, server: FaultServer
) -> None:
    tasks = __import__(f"{PACKAGE}.tasks", fromlist=["TASKS"])
    order = f"{API}/store/order/11"
    server.route("GET", order, json_response(ORDER))
    server.route("DELETE", order, json_response({}))
    server.fail_next("DELETE", order, reset_mid_response({}), status(503))

    async def run() -> list[Any]:
        policy = RetryPolicy(max_retries=2, async_sleep=_no_wait)
        client = package_client(tasks_package, server, policy)
        engine = TaskEngine(MemoryStore(), client, tasks)
        first = await engine.start("cancel_order", {"order_id": 11})
        second = await engine.resume(first.run_id, "yes")
        await client.aclose()
        return [first, second]

    first, second = asyncio.run(run())
    assert first.status is RunStatus.WAITING_CONFIRMATION
    assert second.status is RunStatus.DONE
    deletes = server.requests("DELETE", order)
    assert len(deletes) == 3
    assert len({d.headers.get("idempotency-key") for d in deletes}) == 1
