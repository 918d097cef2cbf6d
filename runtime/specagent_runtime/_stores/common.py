"""What every store shares: the whole `Store` contract built on five primitives of its own.

A store implements `_fetch` (records at one instant), `_apply` (one valid batch in one
transaction), `_select` (a prefix scan), `_read_audit` and `_purge`; the public methods, the
argument checks, the audit append, leases and the automatic purge are the same code for all of
them, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from specagent_runtime._errors import StoreError
from specagent_runtime._stores.base import (
    AuditEntry,
    AuditText,
    AutoPurge,
    ConversationMethods,
    Delete,
    Op,
    Put,
    Retention,
    Versioned,
    Write,
    check_name,
    check_record,
    log_purge_failure,
    prepare,
    since_seconds,
)
from specagent_runtime._stores.leases import LeaseMethods

# The automatic purge runs inside a write's call: a backlog (retention just turned on) is worked
# off a batch per write rather than all at once.
AUTO_PURGE_BATCH = 2000


class RecordStore(ConversationMethods, LeaseMethods):
    """The shared half of every store (see the module docstring)."""

    _auto_purge: AutoPurge

    def _init_retention(self, retention: Retention | None) -> None:
        self._auto_purge = AutoPurge(retention)

    @property
    def retention(self) -> Retention:
        return self._auto_purge.retention

    # --- each store's own primitives ----------------------------------------------------

    async def _fetch(self, keys: list[tuple[str, str]]) -> list[Versioned | None]:
        """The records at one instant, in the order asked."""
        raise NotImplementedError

    async def _apply(self, ops: list[Op]) -> list[int]:
        """Apply a prepared batch all or nothing (validated with `base.resolve` under the
        store's lock); the results `put_many` returns."""
        raise NotImplementedError

    async def _select(
        self, kind: str, prefix: str, after: str | None, limit: int | None
    ) -> list[tuple[str, Versioned]]:
        raise NotImplementedError

    async def _read_audit(
        self, conversation_id: str | None, since: float | None
    ) -> list[AuditEntry]:
        raise NotImplementedError

    async def _purge(
        self, records: timedelta | None, audit: timedelta | None, limit: int | None = None
    ) -> int:
        """Delete what is older than the cutoffs (None: nothing of that sort), at most about
        `limit` rows (None: all); the number deleted."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the store's connections; a no-op for stores that keep none open."""

    # --- the contract, once ------------------------------------------------------------

    async def get(self, kind: str, key: str) -> Versioned | None:
        return (await self.get_many([(kind, key)]))[0]

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Versioned | None]:
        records = [(kind, key) for kind, key in keys]
        for kind, key in records:
            check_record(kind, key)
        return await self._fetch(records) if records else []

    async def scan(
        self, kind: str, prefix: str = "", *, after: str | None = None, limit: int | None = None
    ) -> list[tuple[str, Versioned]]:
        check_record(kind, prefix)
        if after is not None:
            check_name("key", after)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"scan(limit=...) is a whole number >= 0, not {limit!r}")
        return await self._select(kind, prefix, after, limit)

    async def audit_entries(
        self, conversation_id: str | None = None, since: datetime | float | None = None
    ) -> list[AuditEntry]:
        if conversation_id is not None:
            check_name("conversation id", conversation_id)
        return await self._read_audit(conversation_id, since_seconds(since))

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int:
        return (await self.put_many([Put(kind, key, value, version)]))[0]

    async def delete(self, kind: str, key: str, *, version: int | None = None) -> None:
        await self.put_many([Delete(kind, key, version)])

    async def put_many(self, writes: Sequence[Write]) -> list[int]:
        ops = prepare(writes)  # a value that is not JSON fails here, before any I/O
        if not ops:
            return []
        results = await self._apply(ops)
        await self._purge_if_due()
        return results

    async def audit(self, entry: AuditEntry) -> AuditEntry:
        ops = prepare([entry])
        stamped = ops[0]
        if not isinstance(stamped, AuditText):
            raise TypeError(f"audit() takes an AuditEntry, not {entry!r}")
        (seq,) = await self._apply(ops)
        return replace(entry, at=stamped.at, seq=seq)

    async def purge(self, older_than: timedelta | None, *, audit: timedelta | bool = True) -> int:
        for value in (older_than, audit):
            if isinstance(value, timedelta) and value <= timedelta(0):
                raise ValueError(f"purge needs a positive age, not {value}")
        audit_cutoff: timedelta | None = None
        if audit is True:
            audit_cutoff = older_than
        elif isinstance(audit, timedelta):
            audit_cutoff = audit
        return await self._purge(older_than, audit_cutoff)

    async def _purge_if_due(self) -> None:
        if not self._auto_purge.due():
            return
        records, audit = self._auto_purge.cutoffs()
        try:
            deleted = await self._purge(records, audit, AUTO_PURGE_BATCH)
        except StoreError as exc:
            log_purge_failure(self, exc)
            return
        if deleted >= AUTO_PURGE_BATCH:
            self._auto_purge.again()  # a backlog: the next write takes the next batch
