"""What the service did, as a live feed of plain records (for the playground, tests, logs).

The worker publishes one record per step of an event (accepted, answered, posted, retried,
failed); a reader takes the records after a sequence number, or waits for the next one. In
memory and bounded: it is a window on this process, not a record of the service (the store
keeps that). Records hold ids, kinds and the agent's `Reply` in its JSON form, never a header
or a credential.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

KEEP = 1000


class EventFeed:
    """A bounded, in-process list of records with a sequence number each."""

    def __init__(self, keep: int = KEEP) -> None:
        self._records: deque[dict[str, Any]] = deque(maxlen=keep)
        self._next = 1
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        return f"EventFeed(records={len(self._records)})"

    def publish(self, kind: str, **fields: Any) -> dict[str, Any]:
        record = {"seq": self._next, "at": time.time(), "kind": kind, **fields}
        self._next += 1
        self._records.append(record)
        self._changed.set()
        self._changed = asyncio.Event()
        return record

    def after(self, seq: int = 0) -> list[dict[str, Any]]:
        return [record for record in self._records if record["seq"] > seq]

    async def wait(self, seq: int, timeout: float) -> list[dict[str, Any]]:
        """The records after `seq`, waiting up to `timeout` seconds for one to come."""
        found = self.after(seq)
        if found:
            return found
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            return []
        return self.after(seq)
