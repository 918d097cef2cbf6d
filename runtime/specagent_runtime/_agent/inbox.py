"""The inbox: every customer message gets an arrival number, and a helpdesk id is used once.

Helpdesks deliver webhooks at least once, sometimes twice at the same moment. A message is
recorded when it arrives, before anything runs: kind "inbox_message", key
``<conversation>/<message id>`` (each part percent-encoded). Its record moves through

- ``received``: recorded; its worker is waiting for the conversation;
- ``processing``: a worker holds the conversation's lease (`owner`) and runs its turn;
- ``queued``: its worker gave up waiting; the record keeps the text and the identity, and the
  worker holding the conversation runs it, in arrival order, before letting go;
- ``done``: its turn is committed; the record keeps the reply (and no longer the text).

A redelivery of a ``done`` message returns the stored reply and runs nothing
(`Reply.duplicate`); one of a ``processing`` message whose worker is alive answers that it is
being handled; one whose worker died runs the turn again (the recovery rules of the agent and
the task engine apply to what that worker may have sent).

Arrival numbers come from one counter per conversation (kind "inbox", key the conversation id,
``{"next": n, "queued": [[number, message id], ...]}``); the consent gate compares them with
the number reached when a reply was committed (read in the same atomic update), so a "yes" that
arrived before the proposal was delivered is not a yes to it.

Without a message id every call is a new message: a host that retries a call it thinks failed
makes the agent answer twice, and may act twice on what that text asks (a consequential action
still needs a yes to a delivered proposal). docs/security.md says so.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from specagent_runtime._errors import StoreConflict, StoreError
from specagent_runtime._events import Reply
from specagent_runtime._identity import Identity, identity_fields, identity_from_fields
from specagent_runtime._stores.base import Check, Put, Store, Versioned, Write

COUNTER_KIND = "inbox"
MESSAGE_KIND = "inbox_message"
RECEIVED, PROCESSING, QUEUED, DONE = "received", "processing", "queued", "done"
_RACES = 50


@dataclass(frozen=True, slots=True)
class Arrival:
    """A message as the inbox recorded it: `seq` is its arrival number in the conversation,
    `state` and `version` its record's (version 0: no record, the message has no id)."""

    conversation_id: str
    message_id: str
    seq: int
    state: str = RECEIVED
    version: int = 0
    owner: str = ""  # the lease owner processing it
    reply: Reply | None = None  # set when it was handled before (`done`)

    @property
    def key(self) -> str:
        return message_key(self.conversation_id, self.message_id)

    @property
    def recorded(self) -> bool:
        return bool(self.message_id)


@dataclass(frozen=True, slots=True)
class Queued:
    """A message its worker left for the conversation's holder: all it needs to run."""

    arrival: Arrival
    text: str
    identity: Identity | None
    client_key: str | None


def message_key(conversation_id: str, message_id: str) -> str:
    return f"{quote(conversation_id, safe='')}/{quote(message_id, safe='')}"


def _arrival(conversation_id: str, message_id: str, found: Versioned) -> Arrival:
    value = found.value
    state = str(value.get("state", RECEIVED))
    stored = None
    if state == DONE:
        stored = Reply.from_json(
            value.get("reply") or {}, duplicate=True, acknowledged=bool(value.get("acknowledged"))
        )
    return Arrival(
        conversation_id,
        message_id,
        int(value["seq"]),
        state,
        found.version,
        str(value.get("owner", "")),
        stored,
    )


async def arrive(store: Store, conversation_id: str, message_id: str | None) -> Arrival:
    """Record a message's arrival, or find it recorded before (a redelivery)."""
    if not message_id:
        # No id to recognise a redelivery by: a fresh one, so the message can still be queued.
        number = await next_number(store, conversation_id)
        message_id = f"no-id-{uuid.uuid4().hex}"
        record = {"seq": number, "state": RECEIVED, "at": time.time(), "anonymous_id": True}
        version = await store.put(MESSAGE_KIND, message_key(conversation_id, message_id), record)
        return Arrival(conversation_id, message_id, number, RECEIVED, version)
    key = message_key(conversation_id, message_id)
    for _ in range(_RACES):
        found = await store.get(MESSAGE_KIND, key)
        if found is not None:
            return _arrival(conversation_id, message_id, found)
        number = await next_number(store, conversation_id)
        record = {"seq": number, "state": RECEIVED, "at": time.time()}
        try:
            version = await store.put(MESSAGE_KIND, key, record, version=0)
        except StoreConflict:
            continue  # the same message delivered twice at once: the other recorded it first
        return Arrival(conversation_id, message_id, number, RECEIVED, version)
    raise StoreError(f"conversation {conversation_id!r}: the inbox is too busy; try again")


async def reread(store: Store, arrival: Arrival) -> Arrival:
    found = await store.get(MESSAGE_KIND, arrival.key)
    if found is None:  # purged meanwhile: it counts as new
        return Arrival(arrival.conversation_id, arrival.message_id, arrival.seq)
    return _arrival(arrival.conversation_id, arrival.message_id, found)


async def counter(store: Store, conversation_id: str) -> Versioned | None:
    return await store.get(COUNTER_KIND, conversation_id)


def reached(found: Versioned | None) -> int:
    """The highest arrival number given out, from the counter record."""
    return int(found.value["next"]) - 1 if found is not None else 0


def queued_list(found: Versioned | None) -> list[tuple[int, str]]:
    if found is None:
        return []
    return sorted((int(seq), str(mid)) for seq, mid in found.value.get("queued") or ())


def processing(arrival: Arrival, owner: str) -> Put:
    """The write that marks the message as being handled by `owner` (the lease holder)."""
    record = {"seq": arrival.seq, "state": PROCESSING, "owner": owner, "at": time.time()}
    return Put(MESSAGE_KIND, arrival.key, record, arrival.version)


def done(arrival: Arrival, reply: Reply, *, carried: list[str] | None = None) -> Put:
    """The write that stores the reply a redelivery gets (unconditional: the lease's fence
    guards it). `carried` are the messages whose replies this one delivered too."""
    record: dict[str, Any] = {
        "seq": arrival.seq,
        "state": DONE,
        "at": time.time(),
        "reply": reply.to_json(),
    }
    if carried:
        record["carried"] = carried
    return Put(MESSAGE_KIND, arrival.key, record)


def counter_check(found: Versioned | None, conversation_id: str) -> Write:
    """The counter as read, unchanged: a batch with it fails if a message arrived since (so
    the number reached that it records is exact)."""
    return Check(COUNTER_KIND, conversation_id, found.version if found is not None else 0)


def dequeue(found: Versioned, conversation_id: str, message_id: str) -> Put:
    value = dict(found.value)
    value["queued"] = [item for item in value.get("queued") or () if item[1] != message_id]
    return Put(COUNTER_KIND, conversation_id, value, found.version)


async def queue(
    store: Store, arrival: Arrival, text: str, identity: Identity | None, client_key: str | None
) -> bool:
    """Leave the message for the conversation's holder; False when its record changed meanwhile
    (another delivery of it is being handled), so the caller reads it again."""
    record = {
        "seq": arrival.seq,
        "state": QUEUED,
        "at": time.time(),
        "text": text,
        "identity": identity_fields(identity),
        "client_key": client_key,
    }
    for _ in range(_RACES):
        found = await store.get(COUNTER_KIND, arrival.conversation_id)
        value: dict[str, Any] = dict(found.value) if found is not None else {"next": 1}
        value["queued"] = [*(value.get("queued") or ()), [arrival.seq, arrival.message_id]]
        writes: list[Write] = [
            Put(MESSAGE_KIND, arrival.key, record, arrival.version),
            Put(COUNTER_KIND, arrival.conversation_id, value, found.version if found else 0),
        ]
        try:
            await store.put_many(writes)
        except StoreConflict as exc:
            if exc.kind == MESSAGE_KIND:
                return False
            continue
        return True
    raise StoreError(f"conversation {arrival.conversation_id!r}: the inbox is too busy")


async def load_queued(store: Store, conversation_id: str, message_id: str) -> Queued | None:
    """A queued message, ready to run (None if it is no longer queued)."""
    key = message_key(conversation_id, message_id)
    found = await store.get(MESSAGE_KIND, key)
    if found is None or found.value.get("state") != QUEUED:
        return None
    value: Mapping[str, Any] = found.value
    fields = {str(k): str(v) for k, v in (value.get("identity") or {}).items()}
    # Only a verified identity's fields were kept (`identity_fields`): they are verified.
    identity = identity_from_fields(fields, verified=True) if fields else None
    arrival = _arrival(conversation_id, message_id, found)
    client_key = value.get("client_key")
    return Queued(arrival, str(value.get("text", "")), identity, client_key)


async def acknowledge(store: Store, conversation_id: str, message_id: str) -> bool:
    """Mark the reply to `message_id` (and those it carried) as posted by the host."""
    found = await store.get(MESSAGE_KIND, message_key(conversation_id, message_id))
    if found is None or found.value.get("state") != DONE:
        return False
    for other in found.value.get("carried") or ():
        await acknowledge(store, conversation_id, str(other))
    await store.put(
        MESSAGE_KIND,
        message_key(conversation_id, message_id),
        {**found.value, "acknowledged": True},
    )
    return True


async def next_number(store: Store, conversation_id: str) -> int:
    for _ in range(_RACES):
        found = await store.get(COUNTER_KIND, conversation_id)
        value: dict[str, Any] = dict(found.value) if found is not None else {"next": 1}
        number = int(value["next"])
        value["next"] = number + 1
        try:
            await store.put(
                COUNTER_KIND, conversation_id, value, version=found.version if found else 0
            )
        except StoreConflict:
            continue
        return number
    raise StoreError(f"conversation {conversation_id!r}: the inbox is too busy; try again")
