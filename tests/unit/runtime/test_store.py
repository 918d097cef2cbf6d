"""Stores: versioned JSON records, conflicts, and several writers on one SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from specagent_runtime import MemoryStore, SQLiteStore, Store, StoreConflict, StoreError


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        yield SQLiteStore(tmp_path / "state.db")


async def test_put_get_and_versions(store: Store) -> None:
    assert await store.get("run", "a") is None
    assert await store.put("run", "a", {"n": 1}, version=0) == 1
    assert await store.put("run", "a", {"n": 2}, version=1) == 2
    found = await store.get("run", "a")
    assert found is not None
    assert (found.value, found.version) == ({"n": 2}, 2)
    assert await store.get("other", "a") is None  # kinds are separate namespaces


async def test_stale_version_and_second_create_conflict(store: Store) -> None:
    await store.put("run", "a", [1], version=0)
    with pytest.raises(StoreConflict, match="'a'"):
        await store.put("run", "a", [2], version=0)
    with pytest.raises(StoreConflict):
        await store.put("run", "a", [2], version=5)
    found = await store.get("run", "a")
    assert found is not None
    assert found.value == [1]


async def test_unconditional_put_and_delete(store: Store) -> None:
    assert await store.put("k", "x", "v1") == 1
    assert await store.put("k", "x", "v2") == 2
    await store.delete("k", "x")
    assert await store.get("k", "x") is None
    await store.delete("k", "x")  # deleting twice is fine


async def test_conversations_are_records_too(store: Store) -> None:
    assert await store.load("c1") is None
    version = await store.save("c1", {"messages": [], "turn": 1}, version=0)
    loaded = await store.load("c1")
    assert loaded is not None
    assert loaded.value == {"messages": [], "turn": 1}
    with pytest.raises(StoreConflict):
        await store.save("c1", {}, version=version - 1)


async def test_stored_values_cannot_be_mutated_through_the_caller(store: Store) -> None:
    value = {"items": [1]}
    await store.put("k", "x", value)
    value["items"].append(2)
    found = await store.get("k", "x")
    assert found is not None
    found.value["items"].append(3)
    again = await store.get("k", "x")
    assert again is not None
    assert again.value == {"items": [1]}


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "s.db")
    with sqlite3.connect(tmp_path / "s.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()


async def _increment(store: SQLiteStore, times: int) -> int:
    conflicts = 0
    for _ in range(times):
        while True:
            found = await store.get("counter", "c")
            assert found is not None
            try:
                await store.put("counter", "c", found.value + 1, version=found.version)
                break
            except StoreConflict:
                conflicts += 1
    return conflicts


async def test_sqlite_optimistic_writers_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    await SQLiteStore(path).put("counter", "c", 0, version=0)
    # Separate store objects: separate connections, as separate workers would have.
    stores = [SQLiteStore(path) for _ in range(4)]
    await asyncio.gather(*(_increment(store, 15) for store in stores))
    found = await SQLiteStore(path).get("counter", "c")
    assert found is not None
    assert found.value == 60


_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from specagent_runtime import SQLiteStore, StoreConflict

    async def main(path):
        store = SQLiteStore(path)
        for _ in range(20):
            while True:
                found = await store.get("counter", "c")
                try:
                    await store.put("counter", "c", found.value + 1, version=found.version)
                    break
                except StoreConflict:
                    pass

    asyncio.run(main(sys.argv[1]))
    """
)


def test_sqlite_is_safe_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "procs.db"
    asyncio.run(SQLiteStore(path).put("counter", "c", 0, version=0))
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(path)], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr.decode()
    found = asyncio.run(SQLiteStore(path).get("counter", "c"))
    assert found is not None
    assert found.value == 40


def test_sqlite_file_that_cannot_be_opened_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "state.db"
    with pytest.raises(StoreError, match=r"no-such-dir/state\.db: cannot open"):
        SQLiteStore(missing)
