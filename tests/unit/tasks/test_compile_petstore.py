"""The Petstore tasks compile to a `tasks.py` that passes ruff and mypy --strict, and run.

One generated package (session fixture) serves the static checks and a run of both tasks
through the real generated client against the reference Petstore server.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from specagent_runtime import Identity, MemoryStore, RunStatus, TaskEngine

from tests.support.imports import imported_from
from tests.support.petstore_server import PetstoreServer

from ._package import REPO, build_petstore_package


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_petstore_package(tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="module")
def tasks_module(package: Path) -> Iterator[ModuleType]:
    with imported_from(package.parent, "petstore_agent", "tasks") as module:
        yield module.tasks


def test_tasks_py_passes_ruff_and_mypy_strict(package: Path) -> None:
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", str(package / "tasks.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(REPO / ".mypy_cache"),
            "-p",
            "petstore_agent.tasks",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=package.parent,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_tasks_py_reads_like_the_agent_file(package: Path) -> None:
    source = (package / "tasks.py").read_text()
    assert "def _cancel_order_2(ctx: TaskContext) -> Effect:" in source
    assert 'order = ctx.result("order", models.Order)\n    if order.status == "delivered":' in (
        source
    )
    assert "operation=_operations.DELETE_ORDER," in source
    assert "eval(" not in source and "exec(" not in source


def test_each_task_is_one_tool_with_its_inputs(tasks_module: ModuleType) -> None:
    cancel = tasks_module.TASKS["cancel_order"]
    assert cancel.input_schema() == {
        "type": "object",
        "properties": {"order_id": {"type": "integer", "description": "The order number"}},
        "required": ["order_id"],
        "additionalProperties": False,
    }
    place = tasks_module.TASKS["place_order"]
    assert place.input_schema()["required"] == []  # both inputs are asked for when missing
    assert place.input_schema()["properties"]["quantity"]["maximum"] == 5
    assert cancel.lines["2"] == "petstore_agent.yaml:46"  # the `if:` step


@pytest.fixture
def server() -> Iterator[PetstoreServer]:
    with PetstoreServer() as running:
        yield running


async def test_both_tasks_against_the_reference_server(
    tasks_module: ModuleType, server: PetstoreServer
) -> None:
    client_module = importlib.import_module("petstore_agent.client")
    form = {
        "grant_type": "client_credentials",
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "scope": "read:pets write:pets",
    }
    token = httpx.post(server.token_url, data=form, timeout=10).json()["access_token"]
    env = {"PETSTORE_AGENT_API_KEY": server.api_key, "PETSTORE_AGENT_PETSTORE_AUTH_TOKEN": token}
    client = client_module.AsyncClient(server.base_url, env=env)
    engine = TaskEngine(MemoryStore(), client, tasks_module)
    customer = Identity(username="user1", verified=True)
    try:
        turn = await engine.start("cancel_order", {"order_id": 3}, customer, "c1")
        assert turn.messages == ("Order 3 was already delivered, so it can't be cancelled.",)

        turn = await engine.start("cancel_order", {"order_id": 1}, customer, "c1")
        assert turn.messages == ("Cancel order 1 for 1 item(s)?",)
        turn = await engine.resume(turn.run_id, "yes", customer)
        assert (turn.status, turn.messages) == (RunStatus.DONE, ("Order 1 is cancelled.",))
        assert server.order(1) is None
        deletes = server.requests("/store/order", method="DELETE")
        assert len(deletes) == 1
        assert deletes[0].headers.get("idempotency-key", "").startswith("task-")

        turn = await engine.start("place_order", {"pet_id": 4}, None, "c2")
        assert (turn.status, turn.messages) == (
            RunStatus.CANCELLED,
            ("Sorry, Goldie is not available right now.",),
        )
        turn = await engine.start("place_order", {}, None, "c2")
        turn = await engine.resume(turn.run_id, "pet 2 please")
        assert turn.messages == ("How many Kitty would you like (1 to 5)?",)
        turn = await engine.resume(turn.run_id, "12")
        assert turn.status is RunStatus.WAITING_INPUT
        turn = await engine.resume(turn.run_id, "2")
        assert turn.messages == ("Order 2 x Kitty?",)
        turn = await engine.resume(turn.run_id, "yes")
        assert turn.status is RunStatus.DONE
        placed = server.requests("/store/order", method="POST")
        assert len(placed) == 1 and placed[0].body["petId"] == 2
        order_id = int(turn.messages[0].removeprefix("Your order number is ").rstrip("."))
        assert server.order(order_id) is not None

        turn = await engine.start("pet_count", {"status": "sold"}, None, "c3")
        assert turn.messages == ("1 pet(s) are sold, for example Goldie.",)
    finally:
        await client.aclose()
