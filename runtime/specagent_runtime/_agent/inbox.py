"""The inbox: every customer message gets an arrival number, and a helpdesk id is used once.

Helpdesks deliver webhooks at least once. A message is recorded when it arrives, before
anything runs: kind "inbox_message", key ``<conversation>/<message id>`` (each part
percent-encoded), holding its arrival number and, once its turn is committed, the reply. A
redelivery of a message whose turn was committed returns that stored reply and runs nothing
(`Reply.duplicate`). Arrival numbers come from one counter per conversation (kind "inbox",
key the conversation id); the consent gate compares them with the number reached when a reply
was committed, so a "yes" that arrived before the proposal was delivered is not a yes to it.

Without a message id every call is a new message: a host that retries a call it thinks failed
can make the agent act twice on the same text (consent still holds: a yes still needs a
proposal delivered before it). docs/security.md says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from specagent_runtime._errors import StoreConflict, StoreError
from specagent_runtime._events import Reply
from specagent_runtime._stores.base import Store

COUNTER_KIND = "inbox"
MESSAGE_KIND = "inbox_message"
RECEIVED = "received"
DONE = "done"
_RACES = 50


@dataclass(frozen=True, slots=True)
class Arrival:
    """A message as the inbox recorded it: `seq` is its arrival number in the conversation;
    `reply` is set when the message was handled before (a redelivery)."""

    conversation_id: str
    message_id: str
    seq: int
    version: int  # of the message record (0: there is none, no message id)
    reply: Reply | None = None

    @property
    def key(self) -> str:
        return message_key(self.conversation_id, self.message_id)


def message_key(conversation_id: str, message_id: str) -> str:
    return f"{quote(conversation_id, safe='')}/{quote(message_id, safe='')}"


async def arrive(store: Store, conversation_id: str, message_id: str | None) -> Arrival:
    """Record a message's arrival (or find that it was handled before)."""
    if not message_id:
        return Arrival(conversation_id, "", await _next_number(store, conversation_id), 0)
    key = message_key(conversation_id, message_id)
    found = await store.get(MESSAGE_KIND, key)
    if found is not None:
        value = found.value
        if value.get("state") == DONE:
            stored = Reply.from_json(value.get("reply") or {}, duplicate=True)
            return Arrival(conversation_id, message_id, int(value["seq"]), found.version, stored)
        # Recorded but never committed: the worker died (or is still at it); it keeps the
        # number it arrived with.
        return Arrival(conversation_id, message_id, int(value["seq"]), found.version)
    seq = await _next_number(store, conversation_id)
    record = {"seq": seq, "state": RECEIVED, "at": time.time()}
    try:
        version = await store.put(MESSAGE_KIND, key, record, version=0)
    except StoreConflict:
        # The same message delivered twice at once: the other delivery recorded it first.
        return await arrive(store, conversation_id, message_id)
    return Arrival(conversation_id, message_id, seq, version)


async def reached(store: Store, conversation_id: str) -> int:
    """The highest arrival number given out so far in the conversation."""
    found = await store.get(COUNTER_KIND, conversation_id)
    return int(found.value["next"]) - 1 if found is not None else 0


def done_record(arrival: Arrival, reply: Reply) -> dict[str, Any]:
    """The message's record once its turn is committed: the reply a redelivery gets."""
    return {"seq": arrival.seq, "state": DONE, "at": time.time(), "reply": reply.to_json()}


async def mark_done(store: Store, arrival: Arrival, reply: Reply) -> None:
    if arrival.message_id:
        await store.put(MESSAGE_KIND, arrival.key, done_record(arrival, reply))


async def _next_number(store: Store, conversation_id: str) -> int:
    for _ in range(_RACES):
        found = await store.get(COUNTER_KIND, conversation_id)
        number = int(found.value["next"]) if found is not None else 1
        try:
            await store.put(
                COUNTER_KIND,
                conversation_id,
                {"next": number + 1},
                version=found.version if found is not None else 0,
            )
        except StoreConflict:
            continue
        return number
    raise StoreError(f"conversation {conversation_id!r}: the inbox is too busy; try again")
