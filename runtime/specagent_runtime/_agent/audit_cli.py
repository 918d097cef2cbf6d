"""``python -m <package> audit``: the audit trail of consequential actions, from the store.

Every action the agent or a task carried out on a confirmation (and every changing call of a
task) is an append-only entry: when, which conversation, the identity's fingerprint (never the
identity), what confirmed it, the request sent and the outcome. This prints them, oldest first,
as a table or as JSON lines, from the store ``$SPECAGENT_STORE`` names (or ``--store``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from specagent_runtime._errors import ConfigurationError, StoreError
from specagent_runtime._stores.base import AuditEntry
from specagent_runtime._stores.factory import open_store


def add_arguments(parser: argparse.ArgumentParser, package: str) -> None:
    parser.description = (
        f"Print the audit trail of {package}'s consequential actions (oldest first) from the "
        "store $SPECAGENT_STORE names."
    )
    parser.add_argument("--conversation", metavar="ID", help="only this conversation")
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="only entries from then on: an ISO date/time (UTC unless it says) or a number of days",
    )
    parser.add_argument("--store", metavar="LOCATION", help="a SQLite file or postgresql:// URL")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def run(package: str, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    since = _since(args.since)
    try:
        store = open_store(args.store, environ=env)
    except StoreError as exc:
        raise ConfigurationError(str(exc)) from exc
    try:
        entries = asyncio.run(store.audit_entries(args.conversation, since))
    except StoreError as exc:
        raise ConfigurationError(str(exc)) from exc
    finally:
        store.close()
    out = sys.stdout
    for entry in entries:
        out.write((json.dumps(_json(entry)) if args.json else _line(entry)) + "\n")
    if not entries and not args.json:
        sys.stderr.write("no audit entries\n")
    return 0


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        days = float(text)
    except ValueError:
        pass
    else:
        if days < 0:
            raise ConfigurationError(f"--since {text!r}: a number of days cannot be negative")
        return datetime.now(UTC) - timedelta(days=days)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(
            f"--since {text!r}: give an ISO date or time (2026-05-01, 2026-05-01T12:00) or a "
            "number of days"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _json(entry: AuditEntry) -> dict[str, object]:
    return {**entry.to_json(), "seq": entry.seq}


def _line(entry: AuditEntry) -> str:
    when = datetime.fromtimestamp(entry.at, UTC).strftime("%Y-%m-%d %H:%M:%S")
    request = f"{entry.method} {entry.path}".strip() or "(not sent)"
    return (
        f"{when}  {entry.conversation_id}  {entry.identity}  {entry.confirmed_by}  "
        f"{request}  -> {entry.outcome}"
    )
