"""The default store: one SQLite file, shared safely by several worker processes on one host.

Embedded (nothing to run or configure), durable, and safe under concurrency thanks to WAL mode
and immediate write transactions; several hosts need the PostgreSQL store instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from specagent_runtime._errors import StoreConflict, StoreError
from specagent_runtime._stores.base import ConversationMethods, Versioned

_SCHEMA = """
CREATE TABLE IF NOT EXISTS specagent_records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (kind, key)
)
"""


class SQLiteStore(ConversationMethods):
    """Records in one SQLite file, shared safely by several worker processes.

    WAL mode lets readers proceed while one process writes; writes take the lock up front
    (``BEGIN IMMEDIATE``) so a version check and its update cannot interleave with another
    process's; `busy_timeout` makes a blocked writer wait instead of failing at once. Each call
    opens its own short-lived connection in a worker thread, so the event loop never blocks on
    disk and no connection is shared between threads.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_ms = int(busy_timeout * 1000)
        try:
            with self._connect() as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the SQLite store: {exc}") from exc

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def _connect(self) -> _Connection:
        return _Connection(self.path, self._busy_ms)

    def _get(self, kind: str, key: str) -> Versioned | None:
        try:
            with self._connect() as connection:
                row = connection.execute(
                    "SELECT value, version FROM specagent_records WHERE kind = ? AND key = ?",
                    (kind, key),
                ).fetchone()
        except sqlite3.Error as exc:
            raise self._failure("read", kind, key, exc) from exc
        if row is None:
            return None
        try:
            return Versioned(json.loads(row[0]), int(row[1]))
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"{self.path}: {kind} {key!r} is not valid JSON (the file was changed by"
                " something other than specagent)",
                kind=kind,
                key=key,
            ) from exc

    def _put(self, kind: str, key: str, text: str, version: int | None) -> int:
        try:
            with self._connect() as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    row = connection.execute(
                        "SELECT version FROM specagent_records WHERE kind = ? AND key = ?",
                        (kind, key),
                    ).fetchone()
                    current = 0 if row is None else int(row[0])
                    if version is not None and version != current:
                        raise StoreConflict(kind, key)
                    connection.execute(
                        "INSERT INTO specagent_records (kind, key, version, value, updated_at)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET"
                        " version = excluded.version, value = excluded.value,"
                        " updated_at = excluded.updated_at",
                        (kind, key, current + 1, text, time.time()),
                    )
                    connection.execute("COMMIT")
                except BaseException:
                    # SQLite has already rolled back after some errors (a full disk): a second
                    # ROLLBACK would fail and hide the real cause. Closing rolls back anyway.
                    if connection.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            connection.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise self._failure("save", kind, key, exc) from exc
        return current + 1

    def _delete(self, kind: str, key: str) -> None:
        try:
            with self._connect() as connection:
                connection.execute(
                    "DELETE FROM specagent_records WHERE kind = ? AND key = ?", (kind, key)
                )
        except sqlite3.Error as exc:
            raise self._failure("delete", kind, key, exc) from exc

    def _failure(self, action: str, kind: str, key: str, exc: sqlite3.Error) -> StoreError:
        """The error the host sees: which file, which record, why in plain words, and that a
        failed write left the record as it was (each write is one transaction)."""
        code = str(getattr(exc, "sqlite_errorname", "") or "")
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            why = (
                f"the file is locked by another process (waited {self._busy_ms / 1000:g} s);"
                " try again later"
            )
        elif code == "SQLITE_FULL":
            why = "the disk (or the database's size limit) is full"
        elif code.startswith("SQLITE_IOERR"):
            why = f"the disk refused a read or write ({code}: a full disk, a file size limit?)"
        elif code.startswith("SQLITE_READONLY"):
            why = "the file is read-only"
        elif code.startswith("SQLITE_CORRUPT") or code == "SQLITE_NOTADB":
            why = "the file is corrupt or not a SQLite database"
        else:
            why = f"{exc} ({code or type(exc).__name__})"
        unchanged = "" if action == "read" else "; nothing was saved"
        return StoreError(
            f"{self.path}: cannot {action} {kind} {key!r}: {why}{unchanged}", kind=kind, key=key
        )

    async def get(self, kind: str, key: str) -> Versioned | None:
        return await asyncio.to_thread(self._get, kind, key)

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int:
        text = json.dumps(value)  # serialise here: a bad value fails in the caller's frame
        return await asyncio.to_thread(self._put, kind, key, text, version)

    async def delete(self, kind: str, key: str) -> None:
        await asyncio.to_thread(self._delete, kind, key)


class _Connection:
    """A connection in autocommit mode (transactions are explicit) that is closed on exit;
    sqlite3's own context manager only commits, it never closes."""

    def __init__(self, path: Path, busy_ms: int) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, timeout=busy_ms / 1000)
        try:
            self._connection.execute(f"PRAGMA busy_timeout = {busy_ms:d}")
        except BaseException:
            self._connection.close()
            raise

    def __enter__(self) -> sqlite3.Connection:
        return self._connection

    def __exit__(self, *exc_info: object) -> None:
        self._connection.close()
