"""A store in this process's memory: for tests and single-process demos.

Records are kept as JSON text, as the other stores keep them, so what a test sees is what a
real store would give back (no shared objects, nothing that would not survive a save).
"""

from __future__ import annotations

import json
from typing import Any

from specagent_runtime._errors import StoreConflict
from specagent_runtime._stores.base import ConversationMethods, Versioned


class MemoryStore(ConversationMethods):
    """A store in this process's memory, for tests and single-process demos."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], tuple[str, int]] = {}

    async def get(self, kind: str, key: str) -> Versioned | None:
        found = self._records.get((kind, key))
        if found is None:
            return None
        # Stored as text so callers can never mutate what is stored through a shared object.
        return Versioned(json.loads(found[0]), found[1])

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int:
        current = self._records.get((kind, key))
        current_version = current[1] if current else 0
        if version is not None and version != current_version:
            raise StoreConflict(kind, key)
        self._records[(kind, key)] = (json.dumps(value), current_version + 1)
        return current_version + 1

    async def delete(self, kind: str, key: str) -> None:
        self._records.pop((kind, key), None)
