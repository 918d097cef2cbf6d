"""The default store: one SQLite file, shared safely by several worker processes on one host.

Embedded (nothing to run or configure), durable, and safe under concurrency thanks to WAL mode
and immediate write transactions; several hosts need the PostgreSQL store instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from specagent_runtime._errors import StoreError
from specagent_runtime._stores.base import (
    AuditEntry,
    Op,
    Retention,
    Versioned,
    decode,
    describe,
    first_record,
    keys_of,
    prefix_end,
    resolve,
)
from specagent_runtime._stores.common import RecordStore

logger = logging.getLogger("specagent_runtime.store")

# The schema, one entry per version (`PRAGMA user_version` says which are applied). Files made
# before versions were counted have version 0 and the records table: IF NOT EXISTS covers them.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS specagent_records (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (kind, key)
        )""",
    ),
    (
        # AUTOINCREMENT: a purged entry's number is never given to a later one.
        """CREATE TABLE IF NOT EXISTS specagent_audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL,
            at REAL NOT NULL,
            entry TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS specagent_audit_conversation"
        " ON specagent_audit (conversation_id, seq)",
        "CREATE INDEX IF NOT EXISTS specagent_audit_at ON specagent_audit (at)",
        "CREATE INDEX IF NOT EXISTS specagent_records_updated_at ON specagent_records (updated_at)",
        """CREATE TRIGGER IF NOT EXISTS specagent_audit_append_only
            BEFORE UPDATE ON specagent_audit
            BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    ),
)
_UPSERT = (
    "INSERT INTO specagent_records (kind, key, version, value, updated_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET"
    " version = excluded.version, value = excluded.value, updated_at = excluded.updated_at"
)
_SELECT = "SELECT value, version FROM specagent_records WHERE kind = ? AND key = ?"


class SQLiteStore(RecordStore):
    """Records in one SQLite file, shared safely by several worker processes.

    WAL mode lets readers proceed while one process writes; writes take the lock up front
    (``BEGIN IMMEDIATE``) so a version check and its update cannot interleave with another
    process's; `busy_timeout` makes a blocked writer wait instead of failing at once. Each call
    opens its own short-lived connection in a worker thread, so the event loop never blocks on
    disk and no connection is shared between threads.

    The file (and SQLite's -wal and -shm beside it) is readable by its owner only (0600),
    whatever the umask: conversations hold customers' words. A file found looser is tightened.
    """

    def __init__(
        self, path: str | Path, *, busy_timeout: float = 10.0, retention: Retention | None = None
    ) -> None:
        self.path = Path(path)
        self._busy_ms = int(busy_timeout * 1000)
        self._init_retention(retention)
        try:
            _private_file(self.path)
            with self._connect() as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                self._migrate(connection)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the SQLite store: {exc}") from exc
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot open the SQLite store: {exc.strerror or exc}"
            ) from exc

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def _connect(self) -> _Connection:
        return _Connection(self.path, self._busy_ms)

    @staticmethod
    def _migrate(connection: sqlite3.Connection) -> None:
        if int(connection.execute("PRAGMA user_version").fetchone()[0]) >= len(_MIGRATIONS):
            return  # nothing to write: a worker starting while another writes does not wait
        connection.execute("BEGIN IMMEDIATE")
        try:
            done = int(connection.execute("PRAGMA user_version").fetchone()[0])
            for statements in _MIGRATIONS[done:]:
                for statement in statements:
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {len(_MIGRATIONS):d}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise

    # --- the primitives, in a worker thread ---------------------------------------------

    def _fetch_now(self, keys: Sequence[tuple[str, str]]) -> list[Versioned | None]:
        kind, key = keys[0] if keys else ("", "")
        try:
            with self._connect() as connection:
                if len(keys) > 1:
                    connection.execute("BEGIN")  # one snapshot for all of them
                rows = [connection.execute(_SELECT, record).fetchone() for record in keys]
                if connection.in_transaction:
                    connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._failure("read", kind, key, exc) from exc
        return [
            None if row is None else Versioned(decode(row[0], k, c, str(self.path)), int(row[1]))
            for (k, c), row in zip(keys, rows, strict=True)
        ]

    def _apply_now(self, ops: list[Op]) -> list[int]:
        try:
            with self._connect() as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    current: dict[tuple[str, str], tuple[int, str]] = {}
                    for record in keys_of(ops):
                        row = connection.execute(_SELECT, record).fetchone()
                        if row is not None:
                            current[record] = (int(row[1]), str(row[0]))
                    plan = resolve(ops, current)
                    now = time.time()
                    for (kind, key), write in plan.writes.items():
                        if write is None:
                            connection.execute(
                                "DELETE FROM specagent_records WHERE kind = ? AND key = ?",
                                (kind, key),
                            )
                        else:
                            connection.execute(_UPSERT, (kind, key, write[0], write[1], now))
                    for index, entry in plan.audits:
                        cursor = connection.execute(
                            "INSERT INTO specagent_audit (conversation_id, at, entry)"
                            " VALUES (?, ?, ?)",
                            (entry.conversation_id, entry.at, entry.text),
                        )
                        plan.results[index] = int(cursor.lastrowid or 0)
                    connection.execute("COMMIT")
                except BaseException:
                    # SQLite has already rolled back after some errors (a full disk): a second
                    # ROLLBACK would fail and hide the real cause. Closing rolls back anyway.
                    if connection.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            connection.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            kind, key = first_record(ops)
            raise self._failure("save", kind, key, exc, describe(ops)) from exc
        return plan.results

    def _select_now(
        self, kind: str, prefix: str, after: str | None, limit: int | None
    ) -> list[tuple[str, Versioned]]:
        query = "SELECT key, value, version FROM specagent_records WHERE kind = ? AND key >= ?"
        params: list[object] = [kind, prefix]
        end = prefix_end(prefix)
        if end is not None:
            query += " AND key < ?"
            params.append(end)
        if after is not None:
            query += " AND key > ?"
            params.append(after)
        query += " ORDER BY key"
        if limit is not None:
            query += " LIMIT ?"
            params.append(int(limit))
        try:
            with self._connect() as connection:
                rows = connection.execute(query, params).fetchall()
        except sqlite3.Error as exc:
            raise self._failure("read", kind, prefix + "*", exc) from exc
        where = str(self.path)
        return [
            (row[0], Versioned(decode(row[1], kind, row[0], where), int(row[2]))) for row in rows
        ]

    def _read_audit_now(self, conversation_id: str | None, since: float | None) -> list[AuditEntry]:
        query = "SELECT seq, entry FROM specagent_audit WHERE 1 = 1"
        params: list[object] = []
        if conversation_id is not None:
            query += " AND conversation_id = ?"
            params.append(conversation_id)
        if since is not None:
            query += " AND at >= ?"
            params.append(since)
        try:
            with self._connect() as connection:
                rows = connection.execute(query + " ORDER BY seq", params).fetchall()
        except sqlite3.Error as exc:
            raise self._failure("read", "audit", conversation_id or "*", exc) from exc
        where = str(self.path)
        return [
            AuditEntry.from_json(decode(row[1], "audit", str(row[0]), where), seq=int(row[0]))
            for row in rows
        ]

    def _purge_now(
        self, records: timedelta | None, audit: timedelta | None, limit: int | None
    ) -> int:
        now = time.time()
        bound = "" if limit is None else f" LIMIT {int(limit):d}"
        deleted = 0
        try:
            with self._connect() as connection:
                if records is not None:
                    deleted += connection.execute(
                        "DELETE FROM specagent_records WHERE rowid IN (SELECT rowid FROM"
                        f" specagent_records WHERE updated_at < ?{bound})",
                        (now - records.total_seconds(),),
                    ).rowcount
                if audit is not None:
                    deleted += connection.execute(
                        "DELETE FROM specagent_audit WHERE seq IN (SELECT seq FROM"
                        f" specagent_audit WHERE at < ?{bound})",
                        (now - audit.total_seconds(),),
                    ).rowcount
        except sqlite3.Error as exc:
            raise self._failure("purge", "", "old records", exc) from exc
        return deleted

    def _failure(
        self, action: str, kind: str, key: str, exc: sqlite3.Error, what: str = ""
    ) -> StoreError:
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
        name = what or (f"{kind} {key!r}" if kind else key)
        return StoreError(
            f"{self.path}: cannot {action} {name}: {why}{unchanged}", kind=kind, key=key
        )

    # --- the async contract ---------------------------------------------------------------

    async def _fetch(self, keys: list[tuple[str, str]]) -> list[Versioned | None]:
        return await asyncio.to_thread(self._fetch_now, keys)

    async def _apply(self, ops: list[Op]) -> list[int]:
        return await asyncio.to_thread(self._apply_now, ops)

    async def _select(
        self, kind: str, prefix: str, after: str | None, limit: int | None
    ) -> list[tuple[str, Versioned]]:
        return await asyncio.to_thread(self._select_now, kind, prefix, after, limit)

    async def _read_audit(
        self, conversation_id: str | None, since: float | None
    ) -> list[AuditEntry]:
        return await asyncio.to_thread(self._read_audit_now, conversation_id, since)

    async def _purge(
        self, records: timedelta | None, audit: timedelta | None, limit: int | None = None
    ) -> int:
        return await asyncio.to_thread(self._purge_now, records, audit, limit)


def _private_file(path: Path) -> None:
    """Create the database file readable by its owner only (0600, whatever the umask: the mode
    is set after creation) and tighten an existing one and its -wal and -shm. SQLite gives the
    -wal and -shm files it creates the database file's mode."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(descriptor)
        os.chmod(path, 0o600)
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            try:
                os.chmod(file, mode & 0o700)
            except PermissionError:
                logger.warning(
                    "%s is readable by other users (mode %o) and cannot be made private:"
                    " it belongs to another user",
                    file,
                    mode,
                )


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
