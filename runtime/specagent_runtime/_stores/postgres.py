"""The shared store: PostgreSQL, for several workers on several hosts.

The same records, batches, leases and audit trail as `SQLiteStore`, coordinated by the
database: every batch is one transaction that first takes a transaction-scoped advisory lock
per record it touches (in one global order, so two batches never deadlock), then reads those
records, validates the batch with the shared `resolve`, and writes. The lock covers records
that do not exist yet, so "create only if absent" is as strict as an update's version check;
readers take no lock. `purge` skips records a batch holds (``pg_try_advisory_xact_lock``), so
it never waits on, or deletes under, a writer.

Connections come from a psycopg_pool pool and are used in this store's own worker threads, as
`SQLiteStore` uses its file: one pool serves every event loop of the process (the agent's sync
facade runs its own), and a transaction, once started, runs to its end even if the awaiting
task is cancelled. A connection that died while idle (a restart, a failover) is noticed on its
first statement, before anything was sent that could change data, and the call moves to another
connection; a failure inside a transaction rolls it back and raises a `StoreError` naming the
database (never its password), the record and the cause. When the pool has no connection to
give within `timeout`, one direct connection attempt says why (or serves the call, when the
database is back before the pool's reconnection backoff has run out).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from specagent_runtime._errors import ConfigurationError, StoreError
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
from specagent_runtime._stores.pg_schema import apply_migrations, require_driver

require_driver()

import psycopg  # noqa: E402
from psycopg.conninfo import conninfo_to_dict  # noqa: E402
from psycopg_pool import ConnectionPool, PoolTimeout  # noqa: E402

T = TypeVar("T")
Connection = psycopg.Connection[tuple[Any, ...]]

_UPSERT = """
INSERT INTO specagent_records (kind, key, version, value, updated_at)
SELECT k, c, v, t, now()
FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[]) AS u(k, c, v, t)
ON CONFLICT (kind, key) DO UPDATE
SET version = excluded.version, value = excluded.value, updated_at = excluded.updated_at
"""
_DELETE = """
DELETE FROM specagent_records r USING unnest(%s::text[], %s::text[]) AS u(k, c)
WHERE r.kind = u.k AND r.key = u.c
"""
_SELECT_MANY = """
SELECT r.kind, r.key, r.version, r.value
FROM specagent_records r JOIN unnest(%s::text[], %s::text[]) AS u(k, c)
ON r.kind = u.k AND r.key = u.c
"""
_PURGE_BATCH = 1000


def lock_id(kind: str, key: str) -> int:
    """The advisory lock of one record: a stable 64-bit hash of its kind and key."""
    digest = hashlib.blake2b(f"{kind}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def safe_location(url: str) -> str:
    """The database as error messages name it: user, host, port and name, never a password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise ConfigurationError(
            "SPECAGENT_STORE (or PostgresStore's url) is not a valid PostgreSQL connection"
            f" string: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    user = params.get("user")
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    database = params.get("dbname") or user or ""
    return f"postgresql://{f'{user}@' if user else ''}{host}:{port}/{database}"


class PostgresStore(RecordStore):
    """Records in a PostgreSQL database, shared by any number of workers on any hosts.

    `url` is a libpq connection string or ``postgresql://`` URL (a password in it is never
    shown). The pool keeps `min_size` to `max_size` connections per process (each call holds
    one for the length of one transaction); a call waits at most `timeout` seconds for one;
    a write waits at most `lock_timeout` seconds for a record another worker is writing. The
    schema is migrated when the store first connects (``migrate=False``: it must already be,
    by `migrate(url)`). Call `close()` when done (a process that exits need not).
    """

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 5.0,
        lock_timeout: float = 10.0,
        retention: Retention | None = None,
        migrate: bool = True,
    ) -> None:
        if not isinstance(url, str) or not url:
            raise ConfigurationError("PostgresStore needs a postgresql:// URL")
        if max_size < 1 or min_size < 0 or min_size > max_size:
            raise ConfigurationError(
                f"PostgresStore pool sizes: 0 <= min_size <= max_size, max_size >= 1"
                f" (got {min_size}, {max_size})"
            )
        self.where = safe_location(url)
        self._url = url
        self._timeout = float(timeout)
        self._lock_ms = max(1, int(lock_timeout * 1000))
        self._max_size = max_size
        self._init_retention(retention)
        params = conninfo_to_dict(url)
        connect: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in params:
            connect["connect_timeout"] = max(2, math.ceil(self._timeout))
        if "application_name" not in params:
            connect["application_name"] = "specagent"
        self._connect_kwargs = connect
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs=connect,
            configure=self._configure,
            timeout=self._timeout,
            open=False,
            name=f"specagent {self.where}",
        )
        self._executor = ThreadPoolExecutor(max_workers=max_size, thread_name_prefix="specagent-pg")
        self._migrate_on_start = migrate
        self._started = False
        self._closed = False
        self._start_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PostgresStore({self.where!r})"

    # --- connections ------------------------------------------------------------------

    def _configure(self, connection: Connection) -> None:
        # Session settings: a write waits a bounded time for a record another worker holds;
        # a transaction left open by a frozen worker is ended by the server.
        connection.execute(f"SET lock_timeout = '{self._lock_ms:d}ms'")
        idle = max(60_000, self._lock_ms * 3)
        connection.execute(f"SET idle_in_transaction_session_timeout = '{idle:d}ms'")

    def _start(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if self._closed:
                raise StoreError(f"{self.where}: the store was closed")
            if self._started:
                return
            self._pool.open(wait=False)
            if self._migrate_on_start:
                self.migrate_now()
            self._started = True

    def migrate_now(self) -> list[int]:
        """Apply the schema migrations the database lacks (see pg_schema); their versions."""
        self._pool.open(wait=False)
        for attempt in itertools.count():
            with self._connection("migrate", "the schema", "", "") as connection:
                try:
                    return apply_migrations(connection, self.where)
                except psycopg.Error as exc:
                    if _stale(connection, exc) and attempt < self._max_size:
                        continue
                    raise self._failure("migrate", "the schema", "", "", exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _connection(self, action: str, what: str, kind: str, key: str) -> Iterator[Connection]:
        pooled = True
        try:
            connection = self._pool.getconn()
        except PoolTimeout:
            # Nothing within `timeout`: one direct attempt tells why, or serves the call when
            # the database is back before the pool's reconnection backoff has run out.
            pooled = False
            try:
                connection = psycopg.connect(self._url, **self._connect_kwargs)
                self._configure(connection)
            except psycopg.Error as exc:
                raise self._failure(action, what, kind, key, exc, reached=False) from None
        try:
            yield connection
        finally:
            if pooled:
                self._pool.putconn(connection)  # a broken one is discarded and replaced
            else:
                connection.close()

    def _read(self, what: str, kind: str, key: str, body: Callable[[Connection], T]) -> T:
        self._start()
        for attempt in itertools.count():
            with self._connection("read", what, kind, key) as connection:
                try:
                    return body(connection)
                except psycopg.Error as exc:
                    if _stale(connection, exc) and attempt < self._max_size:
                        continue  # a read can always be tried again
                    raise self._failure("read", what, kind, key, exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _transaction(
        self, action: str, what: str, kind: str, key: str, body: Callable[[Connection], T]
    ) -> T:
        self._start()
        for attempt in itertools.count():
            with self._connection(action, what, kind, key) as connection:
                try:
                    connection.execute("BEGIN")
                except psycopg.Error as exc:
                    # Dead before anything was sent that could change data: another one.
                    if _stale(connection, exc) and attempt < self._max_size:
                        continue
                    raise self._failure(action, what, kind, key, exc) from exc
                committing = False
                try:
                    result = body(connection)
                    self._fault_point(connection, "commit")
                    committing = True
                    connection.execute("COMMIT")
                except psycopg.Error as exc:
                    _rollback(connection)
                    unknown = committing and connection.broken
                    raise self._failure(action, what, kind, key, exc, unknown=unknown) from exc
                except BaseException:
                    _rollback(connection)
                    raise
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _fault_point(self, connection: Connection, stage: str) -> None:
        """Nothing. The fault tests override it to cut a transaction off at a chosen `stage`:
        "read" (records locked and read), "written" (records written, the audit entries not
        yet), "commit" (right before COMMIT)."""

    # --- the primitives, in the store's threads ---------------------------------------

    def _fetch_now(self, keys: Sequence[tuple[str, str]]) -> list[Versioned | None]:
        def body(connection: Connection) -> list[tuple[Any, ...]]:
            kinds = [kind for kind, _ in keys]
            names = [key for _, key in keys]
            return connection.execute(_SELECT_MANY, (kinds, names)).fetchall()

        kind, key = keys[0]
        rows = self._read(f"{kind} {key!r}", kind, key, body)
        found = {(row[0], row[1]): (row[3], int(row[2])) for row in rows}
        result: list[Versioned | None] = []
        for record in keys:
            item = found.get(record)
            if item is None:
                result.append(None)
            else:
                result.append(Versioned(decode(item[0], *record, self.where), item[1]))
        return result

    def _apply_now(self, ops: list[Op]) -> list[int]:
        kind, key = first_record(ops)
        return self._transaction("save", describe(ops), kind, key, partial(self._batch, ops))

    def _batch(self, ops: list[Op], connection: Connection) -> list[int]:
        records = keys_of(ops)
        if records:
            locks = sorted({lock_id(kind, key) for kind, key in records})
            # One at a time in one global order: two batches never wait on each other in turn.
            connection.execute(
                "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) WITH ORDINALITY"
                " AS l(k, n) ORDER BY n",
                (locks,),
            )
            rows = connection.execute(
                _SELECT_MANY, ([kind for kind, _ in records], [key for _, key in records])
            ).fetchall()
            current = {(row[0], row[1]): (int(row[2]), str(row[3])) for row in rows}
        else:
            current = {}
        plan = resolve(ops, current)  # raises StoreConflict: the caller rolls back
        self._fault_point(connection, "read")
        upserts = [(record, write) for record, write in plan.writes.items() if write is not None]
        deletes = [record for record, write in plan.writes.items() if write is None]
        if upserts:
            connection.execute(
                _UPSERT,
                (
                    [record[0] for record, _ in upserts],
                    [record[1] for record, _ in upserts],
                    [write[0] for _, write in upserts],
                    [write[1] for _, write in upserts],
                ),
            )
        if deletes:
            connection.execute(_DELETE, ([k for k, _ in deletes], [c for _, c in deletes]))
        self._fault_point(connection, "written")
        for index, entry in plan.audits:
            row = connection.execute(
                "INSERT INTO specagent_audit (conversation_id, at, entry)"
                " VALUES (%s, to_timestamp(%s), %s) RETURNING seq",
                (entry.conversation_id, entry.at, entry.text),
            ).fetchone()
            plan.results[index] = int(row[0]) if row is not None else 0
        return plan.results

    def _select_now(
        self, kind: str, prefix: str, after: str | None, limit: int | None
    ) -> list[tuple[str, Versioned]]:
        query = "SELECT key, value, version FROM specagent_records WHERE kind = %s AND key >= %s"
        params: list[Any] = [kind, prefix]
        end = prefix_end(prefix)
        if end is not None:
            query += " AND key < %s"
            params.append(end)
        if after is not None:
            query += " AND key > %s"
            params.append(after)
        query += " ORDER BY key"
        if limit is not None:
            query += " LIMIT %s"
            params.append(int(limit))

        def body(connection: Connection) -> list[tuple[Any, ...]]:
            return connection.execute(query, params).fetchall()

        rows = self._read(f"{kind} records {prefix + '*'!r}", kind, prefix + "*", body)
        return [
            (row[0], Versioned(decode(row[1], kind, row[0], self.where), int(row[2])))
            for row in rows
        ]

    def _read_audit_now(self, conversation_id: str | None, since: float | None) -> list[AuditEntry]:
        query = "SELECT seq, entry FROM specagent_audit WHERE true"
        params: list[Any] = []
        if conversation_id is not None:
            query += " AND conversation_id = %s"
            params.append(conversation_id)
        if since is not None:
            query += " AND at >= to_timestamp(%s)"
            params.append(since)
        query += " ORDER BY seq"

        def body(connection: Connection) -> list[tuple[Any, ...]]:
            return connection.execute(query, params).fetchall()

        rows = self._read("the audit trail", "audit", conversation_id or "*", body)
        return [
            AuditEntry.from_json(decode(row[1], "audit", str(row[0]), self.where), seq=int(row[0]))
            for row in rows
        ]

    def _purge_now(
        self, records: timedelta | None, audit: timedelta | None, limit: int | None
    ) -> int:
        deleted = 0
        if records is not None:
            deleted += self._purge_batches(self._purge_records, records, limit)
        if audit is not None:
            deleted += self._purge_batches(self._purge_audit, audit, limit)
        return deleted

    def _purge_batches(
        self, batch: Callable[[Connection, timedelta, int], int], age: timedelta, limit: int | None
    ) -> int:
        total = 0
        while limit is None or total < limit:
            size = _PURGE_BATCH if limit is None else min(_PURGE_BATCH, limit - total)

            def step(connection: Connection, size: int = size) -> int:
                return batch(connection, age, size)

            done = self._transaction("purge", "old records", "", "", step)
            total += done
            if done < size:
                break
        return total

    @staticmethod
    def _purge_records(connection: Connection, age: timedelta, size: int) -> int:
        rows = connection.execute(
            "SELECT kind, key FROM specagent_records WHERE updated_at < now() - %s"
            " ORDER BY updated_at LIMIT %s",
            (age, size),
        ).fetchall()
        if not rows:
            return 0
        # Only records no batch holds (try-lock: never wait, never deadlock), still old.
        cursor = connection.execute(
            "DELETE FROM specagent_records r"
            " USING unnest(%s::text[], %s::text[], %s::bigint[]) AS u(k, c, l)"
            " WHERE r.kind = u.k AND r.key = u.c AND pg_try_advisory_xact_lock(u.l)"
            " AND r.updated_at < now() - %s",
            (
                [row[0] for row in rows],
                [row[1] for row in rows],
                [lock_id(row[0], row[1]) for row in rows],
                age,
            ),
        )
        # Rows a batch held are left for the next purge.
        return max(cursor.rowcount, 0)

    @staticmethod
    def _purge_audit(connection: Connection, age: timedelta, size: int) -> int:
        cursor = connection.execute(
            "DELETE FROM specagent_audit WHERE seq IN (SELECT seq FROM specagent_audit"
            " WHERE at < now() - %s ORDER BY seq LIMIT %s)",
            (age, size),
        )
        return max(cursor.rowcount, 0)

    # --- errors -----------------------------------------------------------------------

    def _failure(
        self,
        action: str,
        what: str,
        kind: str,
        key: str,
        exc: psycopg.Error,
        *,
        reached: bool = True,
        unknown: bool = False,
    ) -> StoreError:
        """The error the host sees: which database, which record, why in plain words, and
        whether anything may have been saved (only a connection lost during COMMIT leaves
        that open)."""
        why = self._why(exc, reached)
        if action in ("read", "migrate"):
            tail = ""
        elif unknown:
            tail = (
                "; the connection was lost while committing, so the save may or may not"
                " have been applied: load the record again"
            )
        else:
            tail = "; nothing was saved"
        return StoreError(f"{self.where}: cannot {action} {what}: {why}{tail}", kind=kind, key=key)

    def _why(self, exc: psycopg.Error, reached: bool) -> str:
        state = exc.sqlstate or ""
        text = _one_line(str(exc)) or type(exc).__name__
        diag = exc.diag
        hint = (diag.message_hint or "") if state else ""
        if not reached:
            return (
                f"the database cannot be reached (no connection within {self._timeout:g} s; {text})"
            )
        if state == "53100" or "disk space" in hint or text.startswith("could not extend file"):
            return f"the database server's disk is full ({text})"
        if state == "25006":
            return "the database is read-only (a standby, or a failover in progress?)"
        if state in ("57P01", "57P02", "57P03"):
            return f"the database server ended the connection (a restart, a failover? {text})"
        if state == "55P03":
            return (
                f"another worker holds the record (waited {self._lock_ms / 1000:g} s);"
                " try again later"
            )
        if state == "57014":
            return f"the database cancelled the statement ({text})"
        if state in ("40001", "40P01"):
            return f"the database aborted the transaction to resolve a conflict ({text})"
        if state.startswith(("08", "53")) or isinstance(exc, psycopg.OperationalError):
            return f"the connection to the database failed ({text})"
        return f"{text} ({state or type(exc).__name__})"

    # --- the async contract -----------------------------------------------------------

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, partial(function, *args))
        except RuntimeError as exc:
            if self._closed:
                raise StoreError(f"{self.where}: the store was closed") from exc
            raise

    async def _fetch(self, keys: list[tuple[str, str]]) -> list[Versioned | None]:
        return await self._call(self._fetch_now, keys)

    async def _apply(self, ops: list[Op]) -> list[int]:
        return await self._call(self._apply_now, ops)

    async def _select(
        self, kind: str, prefix: str, after: str | None, limit: int | None
    ) -> list[tuple[str, Versioned]]:
        return await self._call(self._select_now, kind, prefix, after, limit)

    async def _read_audit(
        self, conversation_id: str | None, since: float | None
    ) -> list[AuditEntry]:
        return await self._call(self._read_audit_now, conversation_id, since)

    async def _purge(
        self, records: timedelta | None, audit: timedelta | None, limit: int | None = None
    ) -> int:
        return await self._call(self._purge_now, records, audit, limit)

    def close(self) -> None:
        """Close the pool's connections and stop the store's threads; later calls fail."""
        with self._start_lock:
            self._closed = True
        self._executor.shutdown(wait=True)
        self._pool.close()


def _stale(connection: Connection, exc: psycopg.Error) -> bool:
    return isinstance(exc, psycopg.OperationalError) and connection.broken


def _rollback(connection: Connection) -> None:
    if connection.broken or connection.closed:
        return  # the server has ended the transaction with the connection
    with contextlib.suppress(psycopg.Error):
        connection.execute("ROLLBACK")


def _one_line(text: str) -> str:
    return " ".join(text.split())
