"""``python -m <package> migrate``: bring the store's schema up to date ahead of a deployment.

Every worker also migrates when it first connects, so this is optional for one worker; with
several, or when the workers' database role may not change the schema, the deployment runs it
once before the new release starts (docs/deployment.md). Safe to run while workers are up and
from several places at once (the migrations take a lock and run in one transaction).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from specagent_runtime._errors import ConfigurationError, StoreError
from specagent_runtime._stores.factory import STORE_ENV, migrate_store, parse_location


def add_arguments(parser: argparse.ArgumentParser, package: str) -> None:
    parser.description = (
        f"Apply the store migrations {package}'s runtime needs to the store $SPECAGENT_STORE "
        "names (or --store), before the workers of a new release start."
    )
    parser.add_argument(
        "--store", metavar="LOCATION", help="a postgresql:// URL or a SQLite file path"
    )


def run(package: str, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    location = args.store or env.get(STORE_ENV)
    if not location:
        raise ConfigurationError(
            f"no store to migrate: set {STORE_ENV} or pass --store postgresql://user@host/db"
        )
    kind, target = parse_location(location)
    if kind == "memory":
        sys.stdout.write("memory: a memory store has nothing to migrate\n")
        return 0
    where = target
    if kind == "postgres":
        from specagent_runtime._stores.postgres import safe_location  # noqa: PLC0415

        where = safe_location(target)
    try:
        applied = migrate_store(location)
    except StoreError as exc:
        raise ConfigurationError(str(exc)) from exc
    sys.stdout.write(f"{where}: {_summary(kind, applied)}\n")
    return 0


def _summary(kind: str, applied: list[int]) -> str:
    if kind == "sqlite":
        return "the SQLite store's schema is up to date"
    from specagent_runtime._stores.pg_schema import MIGRATIONS  # noqa: PLC0415

    latest = max(migration.version for migration in MIGRATIONS)
    if not applied:
        return f"up to date (schema version {latest})"
    names = {migration.version: migration.name for migration in MIGRATIONS}
    done = ", ".join(f"{version} ({names[version]})" for version in applied)
    return f"applied migration{'s' * (len(applied) != 1)} {done}; schema version {latest}"
