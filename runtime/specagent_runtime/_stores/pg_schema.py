"""The PostgreSQL store's schema and its migrations.

Each migration runs once per database, recorded in ``specagent_migrations``. All of them run in
one transaction under an advisory lock, so two workers starting together do not race (the
second waits, then finds nothing left to do) and a failed migration leaves the schema as it
was (PostgreSQL's DDL is transactional). `migrate(url)` applies them ahead of a deployment;
every `PostgresStore` also applies them when it first connects (unless told not to).

Rules for adding one: append, never edit or reorder; keep it compatible with the code of the
release before (old and new workers run side by side during a rolling deployment, and a
rollback must keep working), e.g. add a column with a default rather than rename one.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specagent_runtime._errors import ConfigurationError

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger("specagent_runtime.store")

# pg_advisory_xact_lock(int4, int4): a key space apart from the records' bigint locks.
MIGRATION_LOCK = (0x5A6E, 1)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "records and the audit trail",
        (
            # Keys compare byte by byte (COLLATE "C"), the same order as SQLite and Python,
            # so a prefix scan is an index range and an inbox reads back in arrival order.
            # Values are JSON text, stored exactly as written (jsonb would reorder keys).
            """CREATE TABLE specagent_records (
                kind text COLLATE "C" NOT NULL,
                key text COLLATE "C" NOT NULL,
                version bigint NOT NULL,
                value text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (kind, key)
            )""",
            "CREATE INDEX specagent_records_updated_at ON specagent_records (updated_at)",
            """CREATE TABLE specagent_audit (
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                conversation_id text COLLATE "C" NOT NULL,
                at timestamptz NOT NULL,
                entry text NOT NULL
            )""",
            "CREATE INDEX specagent_audit_conversation ON specagent_audit (conversation_id, seq)",
            "CREATE INDEX specagent_audit_at ON specagent_audit (at)",
            # Append-only in the database too: an UPDATE fails whoever sends it.
            """CREATE FUNCTION specagent_audit_append_only() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the specagent audit trail is append-only';
                END $$""",
            """CREATE TRIGGER specagent_audit_append_only BEFORE UPDATE ON specagent_audit
                FOR EACH ROW EXECUTE FUNCTION specagent_audit_append_only()""",
        ),
    ),
)

_LEDGER = """CREATE TABLE IF NOT EXISTS specagent_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def apply_migrations(connection: psycopg.Connection[tuple[Any, ...]], where: str) -> list[int]:
    """Apply the migrations this database lacks, in one transaction under the migration lock;
    the versions applied (empty: it was up to date). `connection` is in autocommit mode.

    An up-to-date database is only read, so workers whose role may not change the schema start
    once the deployment's `migrate` has run with one that may."""
    done = _applied(connection)
    applied: list[int] = []
    if done is None or any(migration.version not in done for migration in MIGRATIONS):
        connection.execute("BEGIN")
        try:
            # A migration may take long on a big table: wait for the one running rather than
            # fail after the session's short lock_timeout.
            connection.execute("SET LOCAL lock_timeout = '5min'")
            connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", MIGRATION_LOCK)
            connection.execute(_LEDGER)
            rows = connection.execute("SELECT version FROM specagent_migrations").fetchall()
            done = {int(row[0]) for row in rows}
            for migration in MIGRATIONS:
                if migration.version in done:
                    continue
                for statement in migration.statements:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO specagent_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
                applied.append(migration.version)
            connection.execute("COMMIT")
        except BaseException:
            if not connection.closed:
                # A connection that is gone has nothing to undo.
                with contextlib.suppress(Exception):
                    connection.execute("ROLLBACK")
            raise
    newer = sorted(done - {migration.version for migration in MIGRATIONS})
    if newer:
        # A newer release migrated this database (a rollback in progress?): keep working, as
        # migrations stay compatible with the release before them.
        logger.warning(
            "%s: the database has migrations %s this version of specagent does not know",
            where,
            newer,
        )
    if applied:
        logger.info("%s: applied store migrations %s", where, applied)
    return applied


def _applied(connection: psycopg.Connection[tuple[Any, ...]]) -> set[int] | None:
    """The migrations recorded, read without a lock or a schema change (None: no ledger)."""
    row = connection.execute("SELECT to_regclass('specagent_migrations')").fetchone()
    if row is None or row[0] is None:
        return None
    rows = connection.execute("SELECT version FROM specagent_migrations").fetchall()
    return {int(version) for (version,) in rows}


def migrate(url: str) -> list[int]:
    """Bring the PostgreSQL database at `url` to the current schema, ahead of a deployment
    (what ``python -m <package> migrate`` runs); the migration versions applied. Safe to run
    while workers are up and from several places at once. Raises `StoreError` naming the
    database (never its password) when it cannot."""
    from specagent_runtime._stores.postgres import PostgresStore  # noqa: PLC0415

    store = PostgresStore(url, min_size=0, max_size=1, migrate=False)
    try:
        return store.migrate_now()
    finally:
        store.close()


def require_driver() -> None:
    """psycopg is an extra: say how to get it, rather than fail with an ImportError."""
    try:
        import psycopg  # noqa: F401, PLC0415
        import psycopg_pool  # noqa: F401, PLC0415
    except ImportError as exc:
        raise ConfigurationError(
            "the PostgreSQL store needs psycopg 3 and psycopg_pool:"
            " pip install 'specagent-runtime[postgres]'"
        ) from exc
