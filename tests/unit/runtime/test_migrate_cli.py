"""``python -m <package> migrate``: the store's migrations applied ahead of a deployment, on a
real PostgreSQL server (the session's, tests/support/postgres.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from specagent_runtime import PostgresStore, package_main
from specagent_runtime._stores.pg_schema import MIGRATIONS

from tests.support.postgres import PostgresServer, free_port

PACKAGE = "tests.unit.runtime.fakepkg"
REPO = Path(__file__).resolve().parents[3]
LATEST = max(migration.version for migration in MIGRATIONS)


@pytest.fixture
def fresh(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)


def _tables(server: PostgresServer, url: str) -> list[str]:
    rows = server.execute(
        "SELECT tablename FROM pg_tables WHERE tablename LIKE 'specagent%' ORDER BY 1",
        database=url.rsplit("/", 1)[1],
    )
    return [str(row[0]) for row in rows]


def test_migrate_applies_the_schema_once_then_says_it_is_up_to_date(
    fresh: str, postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _tables(postgres_server, fresh) == []
    assert package_main(PACKAGE, ["migrate", "--store", fresh]) == 0
    out = capsys.readouterr().out
    where = fresh  # the session's URLs carry no password
    assert out.startswith(f"{where}: applied migration 1 (records and the audit trail)"), out
    assert _tables(postgres_server, fresh) == [
        "specagent_audit",
        "specagent_migrations",
        "specagent_records",
    ]
    # Again, from the environment as a deployment sets it: nothing left to do.
    assert package_main(PACKAGE, ["migrate"], {"SPECAGENT_STORE": fresh}) == 0
    assert capsys.readouterr().out == f"{where}: up to date (schema version {LATEST})\n"


async def test_workers_started_after_migrate_need_not_migrate(
    fresh: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert package_main(PACKAGE, ["migrate", "--store", fresh]) == 0
    store = PostgresStore(fresh, migrate=False)
    try:
        assert await store.put("conversation", "c1", {"turn": 1}, version=0) == 1
    finally:
        store.close()


def test_an_unreachable_database_is_one_error_line_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    url = f"postgresql://deploy:s3cret-pw@127.0.0.1:{port}/shop"
    assert package_main(PACKAGE, ["migrate", "--store", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: postgresql://deploy@127.0.0.1:{port}/shop: cannot migrate the schema:"
        " the database cannot be reached"
    ), err
    assert "s3cret" not in err and "Traceback" not in err


def test_no_store_and_a_bad_location_are_one_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert package_main(PACKAGE, ["migrate"], {}) == 2
    assert capsys.readouterr().err.startswith("error: no store to migrate: set SPECAGENT_STORE")
    assert package_main(PACKAGE, ["migrate", "--store", "mysql://db/x"]) == 2
    assert "unknown store 'mysql:'" in capsys.readouterr().err


def test_a_sqlite_store_and_a_memory_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "agent.sqlite3"
    assert package_main(PACKAGE, ["migrate", "--store", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: the SQLite store's schema is up to date\n"
    assert path.exists()
    assert package_main(PACKAGE, ["migrate", "--store", "memory:"]) == 0
    assert "nothing to migrate" in capsys.readouterr().out


def test_python_dash_m_of_a_generated_package_runs_it(fresh: str) -> None:
    """The command as a deployment runs it: ``python -m <package> migrate``."""
    done = subprocess.run(
        [sys.executable, "-m", "shop_agent", "migrate", "--store", fresh],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO / "examples" / "shop",
    )
    assert done.returncode == 0, done.stderr
    assert "applied migration 1" in done.stdout
