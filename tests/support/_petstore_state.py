"""The petstore's state in SQLite: resources, tokens, injected faults and the request log.

Everything a test may want to see or steer lives in the database rather than in Python objects,
so that a server in another process and the test that started it share it through one file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import parse_qs

API_ROOT: Final = "/api/v3"  # the path of the spec's server URL

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pets (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, scopes TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, prefix TEXT NOT NULL, method TEXT,
    status INTEGER, remaining INTEGER NOT NULL, retry_after TEXT, delay REAL NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, query TEXT NOT NULL, headers TEXT NOT NULL,
    authorization INTEGER NOT NULL, api_key INTEGER NOT NULL, body TEXT, status INTEGER NOT NULL);
"""

# Tables holding JSON documents by key; the names never come from a request.
TABLES: Final = ("pets", "orders", "users")

_SHIP_DATE = "2026-01-15T10:00:00Z"
_SEED_PETS: Final[tuple[dict[str, Any], ...]] = (
    {"id": 1, "name": "doggie", "category": {"id": 1, "name": "Dogs"}, "status": "available",
     "photoUrls": ["https://img.example/doggie.png"], "tags": [{"id": 1, "name": "tag1"}]},
    {"id": 2, "name": "Kitty", "category": {"id": 2, "name": "Cats"}, "status": "available",
     "photoUrls": [], "tags": [{"id": 2, "name": "tag2"}]},
    {"id": 3, "name": "Rex", "category": {"id": 1, "name": "Dogs"}, "status": "pending",
     "photoUrls": [], "tags": [{"id": 1, "name": "tag1"}, {"id": 3, "name": "tag3"}]},
    {"id": 4, "name": "Goldie", "category": {"id": 3, "name": "Fish"}, "status": "sold",
     "photoUrls": [], "tags": [{"id": 3, "name": "tag3"}]},
    {"id": 5, "name": "Polly", "category": {"id": 4, "name": "Birds"}, "status": "available",
     "photoUrls": [], "tags": []},
)  # fmt: skip
_SEED_ORDERS: Final[tuple[dict[str, Any], ...]] = (
    {"id": 1, "petId": 1, "quantity": 1, "shipDate": _SHIP_DATE, "status": "placed",
     "complete": False, "username": "user1"},
    {"id": 2, "petId": 3, "quantity": 2, "shipDate": _SHIP_DATE, "status": "approved",
     "complete": False, "username": "user1"},
    {"id": 3, "petId": 4, "quantity": 1, "shipDate": _SHIP_DATE, "status": "delivered",
     "complete": True, "username": "user1"},
)  # fmt: skip
_SEED_USERS: Final[tuple[dict[str, Any], ...]] = tuple(
    {"id": n, "username": f"user{n}", "firstName": first, "lastName": last,
     "email": f"user{n}@example.com", "password": f"password{n}", "phone": f"555-010{n}",
     "userStatus": 1}
    for n, first, last in ((1, "John", "James"), (2, "Jane", "Doe"), (3, "Ann", "Smith"))
)  # fmt: skip

# Header values never written to the log: credentials of any kind.
_SECRET_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "api_key", "api-key",
     "x-api-key"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server saw it, credentials left out.

    `path` is relative to the API root (`/pet/1`), or absolute outside it (`/oauth/token`);
    `authorization` and `api_key` say whether those headers were present; `body` is the parsed
    JSON body, or None when there was none or it was not JSON.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    authorization: bool
    api_key: bool
    body: Any
    status: int
    time: float

    @property
    def params(self) -> dict[str, list[str]]:
        """The query string parsed, repeated names kept as lists (`tags=a&tags=b`)."""
        return parse_qs(self.query, keep_blank_values=True)


@dataclass(frozen=True, slots=True)
class Fault:
    status: int | None  # None: only delay, then serve normally
    retry_after: str | None
    delay: float


def relative_path(path: str) -> str:
    """The path tests speak in: API routes without the API root."""
    if path == API_ROOT or path.startswith(API_ROOT + "/"):
        return path[len(API_ROOT) :] or "/"
    return path


def token_digest(token: str) -> str:
    # Only digests are stored, so the database file holds no usable token.
    return hashlib.sha256(token.encode()).hexdigest()


class Database:
    """Thread-safe access to the petstore database, shared by the app and the test's handle."""

    def __init__(self, path: Path | None) -> None:
        # Autocommit: each statement is its own transaction, so a reader in another process
        # sees a write as soon as the statement returns.
        self._conn = sqlite3.connect(
            ":memory:" if path is None else str(path),
            check_same_thread=False,
            isolation_level=None,
            timeout=10.0,
        )
        self._lock = threading.Lock()
        with self._lock:
            if path is not None:
                # WAL lets the test read while the server writes; NORMAL skips the fsync per
                # statement, which survives a killed process (only an OS crash loses writes).
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            self._seed()

    def _seed(self) -> None:
        # Seed once per database, so a restarted server keeps what earlier runs changed.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            if self._conn.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone() is None:
                for table, key, rows in (
                    ("pets", "id", _SEED_PETS),
                    ("orders", "id", _SEED_ORDERS),
                    ("users", "username", _SEED_USERS),
                ):
                    self._conn.executemany(
                        f"INSERT INTO {table} (id, data) VALUES (?, ?)",
                        [(row[key], json.dumps(row)) for row in rows],
                    )
                self._conn.execute("INSERT INTO meta VALUES ('seeded', '1')")
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # --- resources ------------------------------------------------------------------------

    def get(self, table: str, key: int | str) -> dict[str, Any] | None:
        rows = self.query(f"SELECT data FROM {_table(table)} WHERE id = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def all(self, table: str) -> list[dict[str, Any]]:
        rows = self.query(f"SELECT data FROM {_table(table)} ORDER BY id")
        return [json.loads(data) for (data,) in rows]

    def put(self, table: str, key: int | str, data: Mapping[str, Any]) -> None:
        self.query(
            f"INSERT OR REPLACE INTO {_table(table)} (id, data) VALUES (?, ?)",
            (key, json.dumps(data)),
        )

    def delete(self, table: str, key: int | str) -> bool:
        return bool(self.query(f"DELETE FROM {_table(table)} WHERE id = ? RETURNING id", (key,)))

    def next_id(self, table: str) -> int:
        if table == "users":
            rows = self.query("SELECT data FROM users")
            return 1 + max((json.loads(d).get("id") or 0 for (d,) in rows), default=0)
        (value,) = self.query(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {_table(table)}")[0]
        return int(value)

    # --- tokens ---------------------------------------------------------------------------

    def issue_token(self, token: str, scopes: tuple[str, ...], ttl: float) -> None:
        self.query(
            "INSERT INTO tokens VALUES (?, ?, ?)",
            (token_digest(token), " ".join(scopes), time.time() + ttl),
        )

    def token_scopes(self, token: str) -> frozenset[str] | None:
        """The scopes of a live token, None when unknown, expired or revoked."""
        rows = self.query(
            "SELECT scopes FROM tokens WHERE digest = ? AND expires_at > ?",
            (token_digest(token), time.time()),
        )
        return frozenset(rows[0][0].split()) if rows else None

    # --- faults and the log -----------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> Fault | None:
        # One statement, so two processes never consume the same fault.
        rows = self.query(
            "UPDATE faults SET remaining = remaining - 1 WHERE id = ("
            " SELECT id FROM faults WHERE remaining > 0"
            " AND substr(?1, 1, length(prefix)) = prefix AND (method IS NULL OR method = ?2)"
            " ORDER BY id LIMIT 1) RETURNING status, retry_after, delay",
            (path, method),
        )
        return Fault(*rows[0]) if rows else None

    def record(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: Any,
        status: int,
    ) -> None:
        names = {name for name, _ in headers}
        kept: dict[str, str] = {}
        for name, value in headers:
            if name not in _SECRET_HEADERS:
                kept[name] = f"{kept[name]}, {value}" if name in kept else value
        self.query(
            "INSERT INTO requests (time, method, path, query, headers, authorization, api_key,"
            " body, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                method,
                path,
                query,
                json.dumps(kept),
                "authorization" in names,
                "api_key" in names,
                None if body is None else json.dumps(body),
                status,
            ),
        )


def _table(name: str) -> str:
    if name not in TABLES:
        raise ValueError(f"unknown petstore table {name!r}")
    return name


class PetstoreState:
    """What a test reads and steers: the request log, faults, tokens and the stored resources.

    Works on the database of a server in this process or, given the same file, in another one.
    """

    def __init__(self, db_path: str | Path | None = None) -> None:
        self.db_path = None if db_path is None else Path(db_path)
        self._db = Database(self.db_path)

    def close(self) -> None:
        self._db.close()

    def requests(self, path_prefix: str = "", method: str | None = None) -> list[RecordedRequest]:
        """The logged requests, oldest first, optionally only those under a path or a method."""
        prefix = relative_path(path_prefix)
        rows = self._db.query(
            "SELECT method, path, query, headers, authorization, api_key, body, status, time"
            " FROM requests WHERE substr(path, 1, length(?1)) = ?1"
            " AND (?2 IS NULL OR method = ?2) ORDER BY id",
            (prefix, None if method is None else method.upper()),
        )
        return [
            RecordedRequest(
                method=m,
                path=p,
                query=q,
                headers=MappingProxyType(json.loads(h)),
                authorization=bool(a),
                api_key=bool(k),
                body=None if b is None else json.loads(b),
                status=s,
                time=t,
            )
            for m, p, q, h, a, k, b, s, t in rows
        ]

    def clear_requests(self) -> None:
        self._db.query("DELETE FROM requests")

    @property
    def token_requests(self) -> int:
        """How many requests reached the token endpoint (failed ones included)."""
        return int(
            self._db.query("SELECT COUNT(*) FROM requests WHERE path = '/oauth/token'")[0][0]
        )

    def fail_next(
        self,
        path_prefix: str,
        status: int,
        count: int = 1,
        retry_after: float | str | None = None,
        *,
        method: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `count` requests under `path_prefix` with `status` (and an error
        body), optionally with a `Retry-After` header (seconds or an HTTP date) or after
        `delay` seconds. Faults apply in the order they were added."""
        if not 100 <= status <= 599:
            raise ValueError(f"fail_next: {status} is not an HTTP status")
        self._add_fault(path_prefix, status, count, retry_after, method, delay)

    def delay_next(
        self, path_prefix: str, seconds: float, count: int = 1, *, method: str | None = None
    ) -> None:
        """Serve the next `count` requests under `path_prefix` normally, `seconds` late."""
        self._add_fault(path_prefix, None, count, None, method, seconds)

    def _add_fault(
        self,
        path_prefix: str,
        status: int | None,
        count: int,
        retry_after: float | str | None,
        method: str | None,
        delay: float,
    ) -> None:
        if count < 1 or delay < 0:
            raise ValueError("fault count must be positive and delay not negative")
        if isinstance(retry_after, float) and retry_after.is_integer():
            retry_after = int(retry_after)
        self._db.query(
            "INSERT INTO faults (prefix, method, status, remaining, retry_after, delay)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                relative_path(path_prefix),
                None if method is None else method.upper(),
                status,
                count,
                None if retry_after is None else str(retry_after),
                delay,
            ),
        )

    def clear_faults(self) -> None:
        self._db.query("DELETE FROM faults")

    def revoke_tokens(self) -> None:
        """Invalidate every issued access token (the next API call gets 401)."""
        self._db.query("DELETE FROM tokens")

    def pet(self, pet_id: int) -> dict[str, Any] | None:
        return self._db.get("pets", pet_id)

    def pets(self) -> list[dict[str, Any]]:
        return self._db.all("pets")

    def order(self, order_id: int) -> dict[str, Any] | None:
        return self._db.get("orders", order_id)

    def orders(self) -> list[dict[str, Any]]:
        return self._db.all("orders")

    def user(self, username: str) -> dict[str, Any] | None:
        return self._db.get("users", username)
