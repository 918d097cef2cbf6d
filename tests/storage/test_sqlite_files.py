"""The SQLite store's files: private to their owner (0600) whatever the umask, and older files
(made before the schema had versions) carried over with their records."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from specagent_runtime import AuditEntry, SQLiteStore


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077])
def test_the_file_and_its_wal_and_shm_are_private_whatever_the_umask(
    tmp_path: Path, mask: int
) -> None:
    path = tmp_path / "state.db"
    with umask(mask):
        store = SQLiteStore(path)
        # A second connection holds the database open, so SQLite keeps -wal and -shm around.
        with contextlib.closing(sqlite3.connect(path)) as reader:
            reader.execute("SELECT count(*) FROM specagent_records").fetchone()
            asyncio.run(store.put("conversation", "c1", {"text": "my card ends 4242"}))
            wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
            assert wal.exists() and shm.exists()
            assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)


def test_an_existing_world_readable_store_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with umask(0o022), contextlib.closing(sqlite3.connect(path)) as other:
        # Made by an older release, still open in another worker: -wal and -shm are 0644 too.
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("CREATE TABLE t (x)")
        other.execute("INSERT INTO t VALUES (1)")
        other.commit()
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert [mode(file) for file in files] == [0o644] * 3
        SQLiteStore(path)
        assert [mode(file) for file in files] == [0o600] * 3


def test_a_file_from_before_schema_versions_keeps_its_records(tmp_path: Path) -> None:
    """The records table as the first release made it, user_version 0: opened, it gains the
    audit trail and keeps every record."""
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute(
            "CREATE TABLE specagent_records (kind TEXT NOT NULL, key TEXT NOT NULL,"
            " version INTEGER NOT NULL, value TEXT NOT NULL, updated_at REAL NOT NULL,"
            " PRIMARY KEY (kind, key))"
        )
        connection.execute(
            "INSERT INTO specagent_records VALUES ('conversation', 'c1', 3, '{\"turn\": 3}', 1.0)"
        )
    store = SQLiteStore(path)
    found = asyncio.run(store.load("c1"))
    assert found is not None and (found.value, found.version) == ({"turn": 3}, 3)
    asyncio.run(store.audit(AuditEntry("c1", "fp", "host:a1", "POST", "/orders", "done 201")))
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 2
        # Append-only in the file too: an UPDATE fails whoever sends it.
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE specagent_audit SET entry = '{}'")
    assert SQLiteStore(path).path == path  # reopening migrates nothing more
