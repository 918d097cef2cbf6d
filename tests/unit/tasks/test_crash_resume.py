"""Crash and resume: a worker process dies at every step boundary of `cancel_order` and in the
middle of the delete call; another process (this one) finishes the run from the store; the
Petstore server's own request log shows the order was deleted exactly once."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.support.petstore_server import PetstoreServer

from ._package import REPO, build_petstore_package

CRASH_EXIT = 17
# Saves of one run from start to done: created, call 1 recorded + settled, branch, confirmation
# asked + delivered, answer, call 4 recorded + settled, respond, end, delivered.
SAVES = 12


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_petstore_package(tmp_path_factory.mktemp("crash"))


@pytest.fixture(scope="module")
def worker(package: Path) -> Iterator[ModuleType]:
    """The worker module imported here too, to finish runs in this process."""
    sys.path.insert(0, str(package.parent))
    try:
        yield importlib.import_module("tests.unit.tasks._crash_worker")
    finally:
        sys.path.remove(str(package.parent))
        for name in list(sys.modules):
            if name.startswith("petstore_agent") or name.endswith("._crash_worker"):
                del sys.modules[name]


@pytest.fixture(scope="module")
def server() -> Iterator[PetstoreServer]:
    with PetstoreServer() as running:
        yield running


def _new_order(server: PetstoreServer) -> int:
    """A fresh order; the log is cleared because ids of deleted orders are handed out again."""
    server.clear_requests()
    body = {"petId": 1, "quantity": 2, "status": "placed", "username": "user1"}  # the worker's
    response = httpx.post(f"{server.base_url}/store/order", json=body, timeout=10)
    response.raise_for_status()
    return int(response.json()["id"])


def _run_worker(
    package: Path, server: PetstoreServer, store: Path, order_id: int, *crash: str
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(package.parent), str(REPO)])
    env["SPECAGENT_LEASE_TTL"] = "0.5"  # a killed worker's run lease lapses quickly
    command = [
        sys.executable,
        "-m",
        "tests.unit.tasks._crash_worker",
        "--store",
        str(store),
        "--base-url",
        server.base_url,
        "--run-id",
        f"run-{order_id}",
        "--order-id",
        str(order_id),
        *crash,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False
    )


async def _crash_then_finish(
    worker: ModuleType, package: Path, server: PetstoreServer, store: Path, *crash: str
) -> int:
    order_id = _new_order(server)
    crashed = _run_worker(package, server, store, order_id, *crash)
    assert crashed.returncode == CRASH_EXIT, crashed.stderr
    options = argparse.Namespace(
        store=str(store),
        base_url=server.base_url,
        run_id=f"run-{order_id}",
        order_id=order_id,
        crash_after_puts=None,
        crash_in_call=None,
    )
    assert await worker.advance(options) == {"status": "done", "reason": None}
    return order_id


def _deletes(server: PetstoreServer, order_id: int) -> list[tuple[int, str | None]]:
    return [
        (request.status, request.headers.get("idempotency-key"))
        for request in server.requests(f"/store/order/{order_id}", method="DELETE")
        if request.path == f"/store/order/{order_id}"
    ]


@pytest.mark.parametrize("saves", range(1, SAVES + 1))
async def test_killed_at_a_step_boundary(
    worker: ModuleType, package: Path, server: PetstoreServer, tmp_path: Path, saves: int
) -> None:
    store = tmp_path / "runs.db"
    order_id = await _crash_then_finish(
        worker, package, server, store, "--crash-after-puts", str(saves)
    )
    assert server.order(order_id) is None
    assert [status for status, _ in _deletes(server, order_id)] == [200]


async def test_killed_in_the_middle_of_the_delete_call(
    worker: ModuleType, package: Path, server: PetstoreServer, tmp_path: Path
) -> None:
    store = tmp_path / "runs.db"
    order_id = await _crash_then_finish(
        worker, package, server, store, "--crash-in-call", "deleteOrder"
    )
    assert server.order(order_id) is None
    # The lost attempt deleted it; the retry (same Idempotency-Key, DELETE is idempotent) found
    # nothing left to delete. One deletion, and the run knows it is done.
    deletes = _deletes(server, order_id)
    assert [status for status, _ in deletes] == [200, 404]
    assert deletes[0][1] is not None and deletes[0][1] == deletes[1][1]


def test_saves_are_counted_right(package: Path, server: PetstoreServer, tmp_path: Path) -> None:
    """Keeps SAVES honest: a whole run saves exactly that often, so every boundary is hit."""
    order_id = _new_order(server)
    whole = _run_worker(
        package, server, tmp_path / "a.db", order_id, "--crash-after-puts", str(SAVES + 1)
    )
    assert whole.returncode == 0, whole.stderr
    assert [status for status, _ in _deletes(server, order_id)] == [200]
    last = _run_worker(
        package, server, tmp_path / "b.db", _new_order(server), "--crash-after-puts", str(SAVES)
    )
    assert last.returncode == CRASH_EXIT, last.stderr
