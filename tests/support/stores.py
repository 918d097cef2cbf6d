"""Stores for suites that run against every store: memory, SQLite and PostgreSQL.

Fixtures (registered for every suite by tests/conftest.py):

- `store_kind`: "memory", "sqlite" or "postgres" (parametrized over all three); narrow it
  with ``@pytest.mark.parametrize("store_kind", SHARED_KINDS, indirect=True)`` where the test
  needs a store several processes share;
- `store_location`: where that store lives, as `open_store()` and ``SPECAGENT_STORE`` take it
  ("memory:", a file in the test's tmp_path, or the test module's PostgreSQL database, emptied
  before each test), to hand to worker processes;
- `any_store`: the store itself, opened with `open_store` and closed after the test.

A test that asks for the "postgres" kind starts the session's PostgreSQL server
(tests/support/postgres.py) and fails, never skips, where PostgreSQL is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from specagent_runtime import Store, open_store

STORE_KINDS = ("memory", "sqlite", "postgres")
SHARED_KINDS = ("sqlite", "postgres")  # stores that separate processes can share


def empty_postgres(url: str) -> None:
    """Empty the store's tables (the schema stays): each test starts from nothing."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE specagent_records, specagent_audit RESTART IDENTITY")


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_location(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if store_kind == "memory":
        return "memory:"
    if store_kind == "sqlite":
        return str(tmp_path / "store.sqlite3")
    url = str(request.getfixturevalue("postgres_store_url"))
    empty_postgres(url)
    return url


@pytest.fixture
def any_store(store_location: str) -> Iterator[Store]:
    store = open_store(store_location)
    try:
        yield store
    finally:
        store.close()
