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

import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from specagent_runtime._agent import conversation as conversation_store
from specagent_runtime._agent import inbox
from specagent_runtime._agent.conversation import Conversation
from specagent_runtime._errors import ConversationBusy, StoreConflict, StoreError
from specagent_runtime._events import Event, Reply
from specagent_runtime._identity import Identity
from specagent_runtime._stores.base import CONVERSATION, Put, Store, Write
from specagent_runtime._stores.leases import KeptLease, keep_alive

LEASE_PREFIX = "conversation:"
DEFAULT_LEASE_TTL = 60.0  # seconds; renewed every third of it while a turn runs
DEFAULT_BUSY_WAIT = 15.0  # how long a message waits for a busy conversation before queueing
IN_PROGRESS_TEXT = "This message is already being answered."
QUEUED_TEXT = (
    "One moment: I'm still answering your previous message, and I'll answer this one right "
    "after it."
)
_RACES = 50


def lease_name(conversation_id: str) -> str:
    return LEASE_PREFIX + conversation_id


def new_owner() -> str:
    """A lease owner naming this worker's one turn (host, process, a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class HostAction:
    """A host's confirmation button: `kind` "tool" (an action id) or "task" (a run id)."""

    kind: Literal["tool", "task"]
    target: str
    approved: bool


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


MAX_QUEUED_PER_TURN = 100  # queued messages one holder answers before it lets go


class ConversationDelivery:
    """One worker per conversation, for `Agent` (a base class: `store`, `lease_ttl`,
    `busy_wait` are the agent's, `_one` runs one turn)."""

    store: Store
    lease_ttl: float
    busy_wait: float

    # One turn, from loading the conversation to its commit (`Agent._one`).
    _one: Callable[[KeptLease, Inbound, HostAction | None], Awaitable[Reply]]

    async def _deliver(self, own: Inbound, host: HostAction | None = None) -> Reply:
        """Answer `own` under the conversation's lease; see `delivery`."""
        store, arrival = self.store, own.arrival
        conversation_id = arrival.conversation_id
        for _ in range(3):
            if arrival.reply is not None:
                return arrival.reply  # handled before: nothing runs again
            if arrival.state == inbox.PROCESSING and await self._alive(arrival):
                return self._in_progress(arrival)
            lease = await store.acquire(
                lease_name(conversation_id), new_owner(), self.lease_ttl, wait=self.busy_wait
            )
            if lease is not None:
                break
            if host is not None:
                raise ConversationBusy(conversation_id)
            if arrival.state == inbox.QUEUED or await inbox.queue(
                store, arrival, own.text, own.identity, own.client_key
            ):
                return Reply(
                    QUEUED_TEXT,
                    conversation_id=conversation_id,
                    message_id=arrival.message_id,
                    queued=True,
                )
            arrival = await inbox.reread(store, arrival)
        else:
            raise ConversationBusy(conversation_id)
        try:
            async with keep_alive(store, lease) as held:
                return await self._holding(held, replace(own, arrival=arrival), host)
        finally:
            with contextlib.suppress(StoreError):
                await store.release(lease)

    async def _holding(self, held: KeptLease, own: Inbound, host: HostAction | None) -> Reply:
        arrival = await inbox.reread(self.store, own.arrival)
        if arrival.reply is not None:
            return arrival.reply  # the other delivery of it finished while this one waited
        # Messages left queued before this one arrived come first (arrival order), then this
        # one, then what queued up meanwhile; their replies come with this one's.
        await self._drain(held, before=arrival.seq)
        reply = await self._one(held, replace(own, arrival=arrival), host)
        if await self._drain(held):
            reply = await self._hand_over(held, replace(own, arrival=arrival), reply)
        return reply

    async def _drain(self, held: KeptLease, *, before: int | None = None) -> int:
        """Run the queued messages (those that arrived before `before`); how many ran."""
        conversation_id = held.lease.name.removeprefix(LEASE_PREFIX)
        ran = 0
        for _ in range(MAX_QUEUED_PER_TURN):
            waiting = inbox.queued_list(await inbox.counter(self.store, conversation_id))
            waiting = [item for item in waiting if before is None or item[0] < before]
            if not waiting:
                break
            queued = await inbox.load_queued(self.store, conversation_id, waiting[0][1])
            if queued is None:  # answered meanwhile, or purged: only the index entry is left
                await self._forget_queued(conversation_id, waiting[0][1])
                continue
            inbound = Inbound(queued.arrival, queued.text, queued.identity, queued.client_key)
            await self._one(held, replace(inbound, queued=True), None)
            ran += 1
        return ran

    async def _forget_queued(self, conversation_id: str, message_id: str) -> None:
        found = await inbox.counter(self.store, conversation_id)
        if found is not None:
            with contextlib.suppress(StoreConflict):
                await self.store.put_many([inbox.dequeue(found, conversation_id, message_id)])

    async def _hand_over(self, held: KeptLease, own: Inbound, reply: Reply) -> Reply:
        """Add the replies the queue produced to this one's (and its stored copy)."""
        conversation = await conversation_store.load(self.store, own.arrival.conversation_id)
        if not conversation.outbox:
            return reply
        entries, conversation.outbox = conversation.outbox, []
        combined = merge([reply, *outbox_replies(entries)], conversation.id, reply.message_id)
        carried = [str(entry["message_id"]) for entry in entries]
        writes = [inbox.done(own.arrival, combined, carried=carried)]
        turns = [int(entry["turn"]) for entry in entries]
        await commit(self.store, held, conversation, writes, replied=turns)
        return combined

    async def _alive(self, arrival: inbox.Arrival) -> bool:
        """Whether the worker that marked the message as processing still holds the lease."""
        lease = await self.store.lease(lease_name(arrival.conversation_id))
        return lease is not None and lease.owner == arrival.owner

    def _in_progress(self, arrival: inbox.Arrival) -> Reply:
        return Reply(
            IN_PROGRESS_TEXT,
            conversation_id=arrival.conversation_id,
            message_id=arrival.message_id,
            duplicate=True,
            in_progress=True,
        )
