"""Fixtures for the storage fault tests: stores that fail like real disks do, a second process
holding the store's lock, and the example petstore agent with the reference API and model."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import SQLiteStore

from tests.e2e.conftest import EXAMPLE, EXAMPLE_PACKAGE, REPO, _import_from
from tests.support.fake_openai import FakeOpenAI
from tests.support.petstore_server import PetstoreServer


class FullStore(SQLiteStore):
    """A SQLite store whose disk fills up on demand.

    `fill()` compacts the file (no free pages left to reuse) and caps it at its current size
    with `PRAGMA max_page_count`, so the next save that needs a new page fails with SQLITE_FULL
    as on a full disk; `free()` lifts the cap. `fill_after_puts` fills the disk right before
    that many more saves of `fill_kind` records.
    """

    def __init__(self, path: Path, **options: Any) -> None:
        self.cap: int | None = None  # set first: the constructor already connects
        self.fill_after_puts: int | None = None
        self.fill_kind = "task_run"
        # Small pages: every record of a task run spans several (overflow) pages, and SQLite
        # writes an updated record's new pages before it frees the old ones, so once the file
        # is compacted and capped, every save of a run needs a page the disk does not have.
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
            connection.execute("PRAGMA page_size = 512")
            connection.execute("CREATE TABLE IF NOT EXISTS full_store (page_size INTEGER)")
        super().__init__(path, **options)

    def fill(self) -> None:
        with contextlib.closing(sqlite3.connect(self.path, isolation_level=None)) as connection:
            connection.execute("VACUUM")
            self.cap = int(connection.execute("PRAGMA page_count").fetchone()[0])

    def free(self) -> None:
        self.cap = None

    def _connect(self) -> Any:
        connection = super()._connect()
        if self.cap is not None:
            connection.__enter__().execute(f"PRAGMA max_page_count = {self.cap:d}")
        return connection

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int:
        if kind == self.fill_kind and self.fill_after_puts is not None:
            if self.fill_after_puts == 0:
                self.fill_after_puts = None
                self.fill()
            else:
                self.fill_after_puts -= 1
        return await super().put(kind, key, value, version=version)


def integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def child(*args: str, **options: Any) -> subprocess.Popen[str]:
    """`python -m tests.storage._child ARGS` with the repository importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storage._child", *args],
        env=env,
        cwd=REPO,
        text=True,
        **options,
    )


@contextlib.contextmanager
def locked(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds an open `BEGIN EXCLUSIVE` transaction on the store's file."""
    process = child("lock", str(path), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        yield process
    finally:
        release(process)


def release(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture(scope="module")
def example_package() -> Iterator[ModuleType]:
    yield from _import_from(EXAMPLE, EXAMPLE_PACKAGE)


@pytest.fixture
def petstore() -> Iterator[PetstoreServer]:
    with PetstoreServer() as server:
        yield server


@pytest.fixture
def fake_model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


# The exactly-once suite's environment (issue 15): see tests/faults/_delivery.py.
from tests.faults._delivery import eo  # noqa: E402, F401
