"""The store contract: JSON records by (kind, key) with a version, shared by every store.

A webhook handler is stateless: every message may land on a different worker process, so all
state is loaded from the store at the start of a turn and saved at the end. Records are JSON
values with a version number; a save names the version it started from and fails with
`StoreConflict` when another worker saved in between (optimistic concurrency: no lock is held
while the model thinks). Saving with ``version=0`` means "create", which also makes a cheap
exactly-once claim: only one worker can create a given record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

CONVERSATION = "conversation"


@dataclass(frozen=True, slots=True)
class Versioned:
    value: Any  # JSON data
    version: int


class Store(Protocol):
    """JSON records by (kind, key) with optimistic concurrency.

    `put` with a `version` succeeds only if the stored version still equals it (0: the record
    must not exist yet) and returns the new version; `version=None` overwrites unconditionally.
    """

    async def get(self, kind: str, key: str) -> Versioned | None: ...

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int: ...

    async def delete(self, kind: str, key: str) -> None: ...

    async def load(self, conversation_id: str) -> Versioned | None: ...

    async def save(self, conversation_id: str, value: Any, *, version: int) -> int: ...


class _Records(Protocol):
    async def get(self, kind: str, key: str) -> Versioned | None: ...

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int: ...


class ConversationMethods:
    """Conversations are records of kind "conversation"; the named methods keep call sites clear."""

    async def load(self: _Records, conversation_id: str) -> Versioned | None:
        return await self.get(CONVERSATION, conversation_id)

    async def save(self: _Records, conversation_id: str, value: Any, *, version: int) -> int:
        return await self.put(CONVERSATION, conversation_id, value, version=version)
