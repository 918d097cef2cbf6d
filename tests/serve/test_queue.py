"""The webhook inbox on its own: one record per message id however the deliveries race, group
commit that falls back to one by one on a duplicate, nothing but the parsed event stored."""

from __future__ import annotations

import asyncio
import json

from specagent_runtime import Identity, MemoryStore
from specagent_runtime._channels.base import InboundConfirmation, InboundMessage
from specagent_runtime._serve import queue


def message(n: int, *, identity: Identity | None = None) -> queue.Event:
    inbound = InboundMessage("intercom", f"c{n % 3}", f"m{n}", f"text {n}", identity, "author")
    return queue.from_inbound(inbound, 1000.0 + n)


async def test_a_burst_with_duplicates_is_accepted_once_each() -> None:
    store = MemoryStore()
    acceptor = queue.Acceptor(store)
    events = [message(n) for n in range(20)] + [message(n) for n in range(0, 20, 2)]
    results = await asyncio.gather(*(acceptor.accept(event) for event in events))
    accepted = [result for result in results if result is not None]
    assert sorted(e.message_id for e in accepted) == sorted(f"m{n}" for n in range(20))
    assert len(await queue.due(store, now=2000.0)) == 20


async def test_done_leaves_the_pending_index_and_retry_waits() -> None:
    store = MemoryStore()
    first = await queue.accept(store, message(1))
    second = await queue.accept(store, message(2))
    assert first is not None and second is not None
    await queue.finish(store, first, queue.DONE)
    later = await queue.retry_later(store, second, delay=60)
    assert later.attempts == 1
    assert await queue.due(store, now=0) == []  # finished, and the other not due yet
    loaded = await queue.load(store, first.key)
    assert loaded is not None and loaded.state == queue.DONE and loaded.text == ""


async def test_only_a_verified_identity_is_kept_and_no_more_than_the_event() -> None:
    store = MemoryStore()
    claimed = message(5, identity=Identity(email="eve@example.com"))
    stored = await queue.accept(store, claimed)
    assert stored is not None and stored.identity is None
    click = InboundConfirmation(
        "sunshine", "s1", "e1", "tok", "Yes", Identity(user_id="u1", verified=True), "a"
    )
    kept = await queue.accept(store, queue.from_inbound(click, 1.0))
    assert kept is not None
    loaded = await queue.load(store, kept.key)
    assert loaded is not None and loaded.identity == Identity(user_id="u1", verified=True)
    record = json.dumps((await store.get(queue.EVENT_KIND, kept.key)).value)  # type: ignore[union-attr]
    assert set(json.loads(record)) == set(kept.to_json())
