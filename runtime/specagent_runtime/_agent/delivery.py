"""Exactly-once turns: one worker at a time per conversation, and atomic, fenced commits.

Every turn of a conversation runs under its lease (``conversation:<id>``, `_stores.leases`),
renewed in the background while the turn waits for the model or the API, so a second worker
never runs a turn of a conversation that a live worker is in. A worker that cannot get it
within `busy_wait` leaves its message queued in the inbox, and the holder runs the queue, in
arrival order, before it lets go (`inbox`). A worker that died lets its lease lapse after one
`ttl`; the next one takes over.

A turn ends with one atomic update (`commit`): the conversation, the message's inbox record
(now holding the reply a redelivery gets), the counter check that makes the consent gate's
"number reached" exact, whatever the turn adds (a task run's delivered messages, audit
entries), and the lease's fence, so a worker that stalled past its lease saves nothing.

The outbox: a reply that no caller is waiting for (a queued message's, one a dead worker
committed but never returned) is kept in the conversation (`Conversation.outbox`) and handed
over, before its own, by the next reply the conversation gives.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from specagent_runtime._agent import inbox
from specagent_runtime._agent.conversation import Conversation
from specagent_runtime._errors import ConfigurationError, StoreConflict, StoreError
from specagent_runtime._events import Event, Reply
from specagent_runtime._identity import Identity
from specagent_runtime._stores.base import CONVERSATION, Put, Store, Write
from specagent_runtime._stores.leases import KeptLease

LEASE_PREFIX = "conversation:"
DEFAULT_LEASE_TTL = 60.0  # seconds; renewed every third of it while a turn runs
DEFAULT_BUSY_WAIT = 15.0  # how long a message waits for a busy conversation before queueing
LEASE_TTL_ENV = "SPECAGENT_LEASE_TTL"
BUSY_WAIT_ENV = "SPECAGENT_BUSY_WAIT"
IN_PROGRESS_TEXT = "This message is already being answered."
QUEUED_TEXT = (
    "One moment: I'm still answering your previous message, and I'll answer this one right "
    "after it."
)
_RACES = 50


def seconds_from_env(name: str, default: float) -> float:
    """A number of seconds from the environment variable `name` (unset: `default`)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value > 86_400:
        raise ConfigurationError(f"{name}={raw!r}: give a number of seconds (e.g. 60)")
    return value


def lease_name(conversation_id: str) -> str:
    return LEASE_PREFIX + conversation_id


def new_owner() -> str:
    """A lease owner naming this worker's one turn (host, process, a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class Inbound:
    """What a turn answers: a customer message as the inbox recorded it. `queued`: the holder
    runs it for a caller that is gone, so its reply goes to the outbox."""

    arrival: inbox.Arrival
    text: str
    identity: Identity | None
    client_key: str | None
    queued: bool = False


def merge(replies: Sequence[Reply], conversation_id: str, message_id: str) -> Reply:
    """Several replies as the one the host posts, in order."""
    if len(replies) == 1:
        return replies[0]
    events: list[Event] = []
    for reply in replies:
        events.extend(reply.events)
    text = "\n\n".join(reply.text for reply in replies if reply.text)
    return Reply(text=text, events=events, conversation_id=conversation_id, message_id=message_id)


def outbox_entry(reply: Reply, turn: int) -> dict[str, Any]:
    return {"message_id": reply.message_id, "turn": turn, "reply": reply.to_json()}


def outbox_replies(entries: Sequence[dict[str, Any]]) -> list[Reply]:
    return [Reply.from_json(entry["reply"]) for entry in entries]


async def commit(
    store: Store,
    held: KeptLease,
    conversation: Conversation,
    writes: Sequence[Write],
    *,
    replied: Sequence[int] = (),
    dequeue: str | None = None,
) -> None:
    """Save the conversation with `writes`, all or nothing, while the lease is still ours.

    `replied` are the turns whose replies this update hands over: they are recorded with the
    arrival number reached, checked in the same update, so it is exact. `dequeue` names a
    queued message this update answers. Raises `LeaseLost` when another worker took over."""
    for _ in range(_RACES):
        found = await inbox.counter(store, conversation.id)
        reached = inbox.reached(found)
        for turn in replied:
            conversation.replied(reached, turn=turn)
        if dequeue is not None and found is not None:
            counted: Write = inbox.dequeue(found, conversation.id, dequeue)
        else:
            counted = inbox.counter_check(found, conversation.id)
        batch: list[Write] = [
            Put(CONVERSATION, conversation.id, conversation.to_json(), conversation.version),
            counted,
            *writes,
            held.lease.fence(),
        ]
        try:
            versions = await store.put_many(batch)
        except StoreConflict as exc:
            if exc.kind == inbox.COUNTER_KIND:
                continue  # a message arrived meanwhile: read the number again
            raise
        conversation.version = versions[0]
        return
    raise StoreError(f"conversation {conversation.id!r}: the inbox is too busy; try again")
