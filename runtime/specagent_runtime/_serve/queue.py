"""The webhook inbox: what the service accepted and still owes the helpdesk a reply for.

A verified, parsed webhook event is written here before the webhook is acknowledged, so a crash
after the 200 loses nothing: on start, and every few seconds, a worker picks up what is still
owed. Two records per event, written in one update:

- kind ``serve_event``, key ``<channel>/<conversation>/<message id>`` (each part
  percent-encoded): the event (``message`` text or ``confirmation`` token, the identity the
  helpdesk verified, the helpdesk's ids) and its state, ``accepted`` -> ``done`` or ``failed``.
  Created with version 0, so a webhook delivered twice, or twice at the same moment, is
  accepted once: the second create conflicts and the delivery is acknowledged as a duplicate.
- kind ``serve_pending``, key ``<accepted at, ms, zero-padded>/<event key>``: the index a
  worker scans (oldest first), with ``not_before`` for a retry's backoff; deleted when the
  event is done or failed.

Nothing from the request but the parsed event is kept: no headers, no signature, no raw body.
The identity is kept as its fields only when the helpdesk verified it (`identity_fields`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote

from specagent_runtime._channels.base import ChannelName, InboundConfirmation, InboundMessage
from specagent_runtime._errors import StoreConflict
from specagent_runtime._identity import Identity, identity_fields, identity_from_fields
from specagent_runtime._stores.base import Delete, Put, Store, Write

EVENT_KIND = "serve_event"
PENDING_KIND = "serve_pending"
ACCEPTED, DONE, FAILED = "accepted", "done", "failed"


@dataclass(frozen=True, slots=True)
class Event:
    """One accepted customer event, as stored."""

    channel: ChannelName
    conversation_id: str  # the helpdesk's (ticket, conversation, widget conversation)
    message_id: str
    kind: Literal["message", "confirmation"]
    text: str = ""
    token: str = ""
    label: str = ""
    identity: Identity | None = None
    author_ref: str | None = None
    state: str = ACCEPTED
    attempts: int = 0
    accepted_at: float = 0.0
    pending_key: str = ""
    version: int = 0

    @property
    def key(self) -> str:
        return event_key(self.channel, self.conversation_id, self.message_id)

    @property
    def agent_conversation(self) -> str:
        """The agent's conversation id: the channel's name first, so two helpdesks sharing a
        store cannot meet in one conversation."""
        return f"{self.channel}:{self.conversation_id}"

    def inbound(self) -> InboundMessage | InboundConfirmation:
        """The channel's event again, for `HelpdeskClient.identify`."""
        if self.kind == "message":
            return InboundMessage(
                self.channel,
                self.conversation_id,
                self.message_id,
                self.text,
                self.identity,
                self.author_ref,
            )
        return InboundConfirmation(
            self.channel,
            self.conversation_id,
            self.message_id,
            self.token,
            self.label,
            self.identity,
            self.author_ref,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
            "kind": self.kind,
            "text": self.text,
            "token": self.token,
            "label": self.label,
            "identity": identity_fields(self.identity),
            "author_ref": self.author_ref,
            "state": self.state,
            "attempts": self.attempts,
            "accepted_at": self.accepted_at,
            "pending_key": self.pending_key,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any], version: int) -> Event:
        fields = {str(k): str(v) for k, v in (value.get("identity") or {}).items()}
        # Only a verified identity's fields were written (`identity_fields`).
        identity = identity_from_fields(fields, verified=True) if fields else None
        kind: Literal["message", "confirmation"] = (
            "confirmation" if value.get("kind") == "confirmation" else "message"
        )
        return cls(
            channel=value["channel"],
            conversation_id=str(value["conversation_id"]),
            message_id=str(value["message_id"]),
            kind=kind,
            text=str(value.get("text") or ""),
            token=str(value.get("token") or ""),
            label=str(value.get("label") or ""),
            identity=identity,
            author_ref=value.get("author_ref"),
            state=str(value.get("state") or ACCEPTED),
            attempts=int(value.get("attempts") or 0),
            accepted_at=float(value.get("accepted_at") or 0.0),
            pending_key=str(value.get("pending_key") or ""),
            version=version,
        )


def event_key(channel: str, conversation_id: str, message_id: str) -> str:
    return "/".join(quote(part, safe="") for part in (channel, conversation_id, message_id))


def from_inbound(inbound: InboundMessage | InboundConfirmation, now: float) -> Event:
    if isinstance(inbound, InboundMessage):
        return Event(
            inbound.channel,
            inbound.conversation_id,
            inbound.message_id,
            "message",
            text=inbound.text,
            identity=_verified(inbound.identity),
            author_ref=inbound.author_ref,
            accepted_at=now,
        )
    return Event(
        inbound.channel,
        inbound.conversation_id,
        inbound.message_id,
        "confirmation",
        token=inbound.token,
        label=inbound.label,
        identity=_verified(inbound.identity),
        author_ref=inbound.author_ref,
        accepted_at=now,
    )


def _verified(identity: Identity | None) -> Identity | None:
    return identity if identity is not None and identity.verified else None


def _writes(event: Event) -> tuple[Event, list[Write]]:
    pending_key = f"{int(event.accepted_at * 1000):015d}/{event.key}"
    stored = replace(event, pending_key=pending_key)
    return stored, [
        Put(EVENT_KIND, event.key, stored.to_json(), 0),
        Put(PENDING_KIND, pending_key, {"event": event.key, "not_before": 0.0}, 0),
    ]


async def accept(store: Store, event: Event) -> Event | None:
    """Record `event` and its pending index entry in one update; None when it was accepted
    before (a redelivery, or the same webhook twice at once)."""
    stored, writes = _writes(event)
    try:
        versions = await store.put_many(writes)
    except StoreConflict:
        return None
    return replace(stored, version=versions[0])


class Acceptor:
    """`accept` with group commit: the events that arrive while one update is being written
    go into the next update together, so a burst of webhooks costs a few transactions (each
    one a disk sync), not one each, and the acknowledgements stay fast. A batch with a
    duplicate in it conflicts as a whole; its events are then accepted one by one."""

    def __init__(self, store: Store, max_batch: int = 200) -> None:
        self.store = store
        self.max_batch = max_batch
        self._waiting: list[tuple[Event, asyncio.Future[Event | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def accept(self, event: Event) -> Event | None:
        future: asyncio.Future[Event | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            if len(batch) == 1:
                await self._one(*batch[0])
                continue
            planned = [_writes(event) for event, _ in batch]
            try:
                versions = await self.store.put_many([w for _, writes in planned for w in writes])
            except StoreConflict:
                for event, future in batch:
                    await self._one(event, future)
                continue
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for index, ((stored, _), (_, future)) in enumerate(zip(planned, batch, strict=True)):
                if not future.done():
                    future.set_result(replace(stored, version=versions[2 * index]))

    async def _one(self, event: Event, future: asyncio.Future[Event | None]) -> None:
        try:
            result = await accept(self.store, event)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)


async def load(store: Store, key: str) -> Event | None:
    found = await store.get(EVENT_KIND, key)
    if found is None:
        return None
    return Event.from_json(found.value, found.version)


async def due(store: Store, now: float, limit: int = 500) -> list[str]:
    """The keys of events still owed whose backoff is over, oldest first."""
    rows = await store.scan(PENDING_KIND, limit=limit)
    return [
        str(found.value["event"])
        for _, found in rows
        if float(found.value.get("not_before") or 0.0) <= now
    ]


async def finish(store: Store, event: Event, state: str) -> None:
    """Mark the event done (or failed) and drop it from the pending index, at once."""
    value = {**event.to_json(), "state": state, "finished_at": time.time()}
    if state == DONE:
        value["text"] = ""  # answered: the agent's own records keep the transcript
    await store.put_many(
        [Put(EVENT_KIND, event.key, value), Delete(PENDING_KIND, event.pending_key)]
    )


async def retry_later(store: Store, event: Event, delay: float) -> Event:
    """Count an attempt and keep the event pending until `delay` seconds from now."""
    later = replace(event, attempts=event.attempts + 1)
    await store.put_many(
        [
            Put(EVENT_KIND, event.key, later.to_json()),
            Put(
                PENDING_KIND,
                event.pending_key,
                {"event": event.key, "not_before": time.time() + delay},
            ),
        ]
    )
    return later
