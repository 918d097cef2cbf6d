"""A store in this process's memory: for tests and single-process demos.

Records are kept as JSON text, as the other stores keep them, so what a test sees is what a
real store would give back (no shared objects, nothing that would not survive a save). It keeps
the whole contract (batches, leases, audit, purge), so tests of the layers above it mean what
they would on SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

from specagent_runtime._stores.base import (
    AuditEntry,
    Op,
    Retention,
    Versioned,
    keys_of,
    prefix_end,
    resolve,
)
from specagent_runtime._stores.common import RecordStore


class MemoryStore(RecordStore):
    """A store in this process's memory, for tests and single-process demos."""

    def __init__(self, *, retention: Retention | None = None) -> None:
        # (kind, key) -> (version, JSON text, written at)
        self._records: dict[tuple[str, str], tuple[int, str, float]] = {}
        self._audit: list[tuple[int, str, float, str]] = []  # seq, conversation, at, JSON
        self._seq = 0
        self._lock = threading.Lock()  # a sync facade may call in from another thread
        self._init_retention(retention)

    def __repr__(self) -> str:
        return "MemoryStore()"

    async def _fetch(self, keys: list[tuple[str, str]]) -> list[Versioned | None]:
        with self._lock:
            found = [self._records.get((kind, key)) for kind, key in keys]
        # Stored as text so callers can never mutate what is stored through a shared object.
        return [None if item is None else Versioned(json.loads(item[1]), item[0]) for item in found]

    async def _apply(self, ops: list[Op]) -> list[int]:
        with self._lock:
            current = {
                record: (found[0], found[1])
                for record in keys_of(ops)
                if (found := self._records.get(record)) is not None
            }
            plan = resolve(ops, current)
            now = time.time()
            for record, write in plan.writes.items():
                if write is None:
                    self._records.pop(record, None)
                else:
                    self._records[record] = (write[0], write[1], now)
            for index, entry in plan.audits:
                self._seq += 1
                self._audit.append((self._seq, entry.conversation_id, entry.at, entry.text))
                plan.results[index] = self._seq
        return plan.results

    async def _select(
        self, kind: str, prefix: str, after: str | None, limit: int | None
    ) -> list[tuple[str, Versioned]]:
        end = prefix_end(prefix)
        with self._lock:
            keys = sorted(
                key
                for record_kind, key in self._records
                if record_kind == kind
                and key >= prefix
                and (end is None or key < end)
                and (after is None or key > after)
            )[:limit]
            found = [(key, self._records[(kind, key)]) for key in keys]
        return [(key, Versioned(json.loads(text), version)) for key, (version, text, _) in found]

    async def _read_audit(
        self, conversation_id: str | None, start: float | None
    ) -> list[AuditEntry]:
        with self._lock:
            rows = list(self._audit)
        return [
            AuditEntry.from_json(json.loads(text), seq=seq)
            for seq, conversation, at, text in rows
            if (conversation_id is None or conversation == conversation_id)
            and (start is None or at >= start)
        ]

    async def _purge(
        self, records: timedelta | None, audit: timedelta | None, limit: int | None = None
    ) -> int:
        now = time.time()
        deleted = 0
        with self._lock:
            if records is not None:
                cutoff = now - records.total_seconds()
                old = [record for record, item in self._records.items() if item[2] < cutoff]
                for record in old[:limit]:
                    del self._records[record]
                deleted += len(old[:limit])
            if audit is not None:
                cutoff = now - audit.total_seconds()
                kept = [row for row in self._audit if row[2] >= cutoff]
                deleted += len(self._audit) - len(kept)
                self._audit = kept
        return deleted
