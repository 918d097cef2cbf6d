"""The one place that turns a store location (``SPECAGENT_STORE``) into a store.

- ``postgresql://user@host:5432/db`` (or ``postgres://``): `PostgresStore`, for several
  workers on several hosts (needs the ``[postgres]`` extra);
- a file path, or ``sqlite:///abs/path``: `SQLiteStore`, one machine (the default:
  ``specagent.sqlite3`` in the working directory);
- ``memory:``: `MemoryStore`, nothing kept when the process ends (demos, tests).

Retention comes from ``SPECAGENT_RETENTION_DAYS`` / ``SPECAGENT_AUDIT_RETENTION_DAYS``, the
PostgreSQL pool size from ``SPECAGENT_STORE_POOL_SIZE`` (connections per process, default 8).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from specagent_runtime._errors import ConfigurationError
from specagent_runtime._stores.base import Retention, Store

STORE_ENV = "SPECAGENT_STORE"
POOL_SIZE_ENV = "SPECAGENT_STORE_POOL_SIZE"
DEFAULT_STORE_PATH = "specagent.sqlite3"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def open_store(
    location: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> Store:
    """The store at `location` (None: ``$SPECAGENT_STORE``, else ``specagent.sqlite3``)."""
    env = os.environ if environ is None else environ
    if location is None:
        location = env.get(STORE_ENV) or DEFAULT_STORE_PATH
    retention = Retention.from_env(env)
    kind, target = parse_location(location)
    if kind == "postgres":
        from specagent_runtime._stores.postgres import PostgresStore  # noqa: PLC0415

        return PostgresStore(target, max_size=_pool_size(env), retention=retention)
    if kind == "memory":
        from specagent_runtime._stores.memory import MemoryStore  # noqa: PLC0415

        return MemoryStore(retention=retention)
    from specagent_runtime._stores.sqlite import SQLiteStore  # noqa: PLC0415

    return SQLiteStore(target, retention=retention)


def migrate_store(location: str | os.PathLike[str] | None = None) -> list[int]:
    """Bring the store at `location` (as for `open_store`) to the current schema ahead of a
    deployment; the migration versions applied (PostgreSQL). A SQLite file is migrated when
    opened, so this opens it; a memory store has nothing to migrate."""
    if location is None:
        location = os.environ.get(STORE_ENV) or DEFAULT_STORE_PATH
    kind, target = parse_location(location)
    if kind == "postgres":
        from specagent_runtime._stores.pg_schema import migrate  # noqa: PLC0415

        return migrate(target)
    if kind == "sqlite":
        from specagent_runtime._stores.sqlite import SQLiteStore  # noqa: PLC0415

        SQLiteStore(target, retention=Retention.forever())
    return []


def parse_location(location: str | os.PathLike[str]) -> tuple[str, str]:
    """("postgres", url), ("sqlite", path) or ("memory", ""); a `ConfigurationError` for
    anything else."""
    text = os.fspath(location)
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError(f"{STORE_ENV}: an empty store location")
    if text in ("memory:", ":memory:"):
        return "memory", ""
    scheme = _SCHEME.match(text)
    if scheme is not None and len(scheme.group(1)) > 1:  # "C:\\..." is a Windows path
        name = scheme.group(1).lower()
        if name in ("postgresql", "postgres"):
            return "postgres", text
        if name == "sqlite":
            rest = text[len("sqlite:") :]
            path = rest[2:] if rest.startswith("//") else rest  # sqlite:///abs, sqlite:rel
            if not path:
                raise ConfigurationError(f"{STORE_ENV}={text!r}: no file named after sqlite:")
            return "sqlite", path
        raise ConfigurationError(
            f"{STORE_ENV}: unknown store {name + ':'!r}; use a file path (SQLite),"
            " postgresql://user@host/db, or memory:"
        )
    return "sqlite", str(Path(text).expanduser())


def _pool_size(env: Mapping[str, str]) -> int:
    raw = env.get(POOL_SIZE_ENV, "").strip()
    if not raw:
        return 8
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise ConfigurationError(f"{POOL_SIZE_ENV}={raw!r}: a whole number of connections >= 1")
    return size
