"""The background worker: accepted webhook events in, the agent's replies out to the helpdesk.

The webhook handler only verifies, parses and records (`queue.accept`), so it answers in
milliseconds; this worker does the slow part, for events of this process (handed over at once
through `submit`) and for whatever the store still owes (scanned on start and every
`poll_interval` seconds: events a crashed process accepted, retries whose backoff is over,
events another process accepted and could not finish). Several processes may share one store:

1. an event is taken under its own lease (``serve_event:<key>``, renewed while it runs), so two
   workers never answer the same event at once; a dead worker's lease lapses after one ttl;
2. the agent answers it with the helpdesk's message id (`Agent.respond` / `confirm` /
   `confirm_task`): a second run after a crash gets the stored reply, and runs nothing again;
3. the reply is posted (`post.post`), then marked posted (`Agent.delivered`) and the event done.

Failures never stop the worker. The model or the store down, the conversation busy, the
helpdesk's API down (after the client's own retries): the event stays pending and is tried
again with exponential backoff, up to `max_attempts`, then marked failed with a log line. A
crash between posting and `delivered` posts that reply again on recovery (helpdesks do not
deduplicate posts): at least once, never lost; docs/channels.md says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from specagent_runtime._agent import inbox
from specagent_runtime._agent.delivery import new_owner
from specagent_runtime._channels.base import HelpdeskClient
from specagent_runtime._channels.errors import DeliveryError
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._errors import (
    AgentError,
    ConfirmationNotFound,
    ModelError,
    StoreError,
    TaskBusy,
    TaskError,
)
from specagent_runtime._events import Reply
from specagent_runtime._serve import post, queue
from specagent_runtime._serve.feed import EventFeed
from specagent_runtime._stores.leases import keep_alive

if TYPE_CHECKING:
    from specagent_runtime._agent.loop import Agent

logger = logging.getLogger("specagent_runtime.serve")

LEASE_PREFIX = "serve_event:"
DEFAULT_CONCURRENCY = 32
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_ATTEMPTS = 8
MAX_BACKOFF = 300.0
MAX_YIELD = 1.0  # seconds a consumer waits for the webhooks being received before it starts
STALE_TEXT = "That choice is no longer open. Tell me again what you would like to do."


class Worker:
    """Answers accepted events; `start` it in the app's lifespan, `stop` it at shutdown."""

    def __init__(
        self,
        agent: Agent,
        client: HelpdeskClient,
        codec: ConfirmationCodec,
        *,
        feed: EventFeed | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: float = 1.0,
        lease_ttl: float | None = None,
    ) -> None:
        if concurrency < 1 or max_attempts < 1 or poll_interval <= 0:
            raise ValueError("concurrency, max_attempts and poll_interval must be positive")
        self.agent = agent
        self.store = agent.store
        self.client = client
        self.codec = codec
        self.feed = feed if feed is not None else EventFeed()
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.lease_ttl = lease_ttl if lease_ttl is not None else agent.lease_ttl
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._receiving = 0
        self._received = asyncio.Event()
        self._received.set()

    def __repr__(self) -> str:
        return f"Worker(concurrency={self.concurrency}, queued={len(self._queued)})"

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the consumers and the poller (which first picks up what the store owes)."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._consume(), name=f"serve worker {n}")
            for n in range(self.concurrency)
        ]
        self._tasks.append(asyncio.create_task(self._poll(), name="serve poller"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @contextlib.contextmanager
    def receiving(self) -> Iterator[None]:
        """Held by the webhook handler while it reads and records a webhook: consumers start
        no new event meanwhile (for at most `MAX_YIELD` seconds), so a burst of webhooks is
        acknowledged first and answered after, instead of both waiting on each other."""
        self._receiving += 1
        self._received.clear()
        try:
            yield
        finally:
            self._receiving -= 1
            if not self._receiving:
                self._received.set()

    def submit(self, key: str) -> None:
        """Answer the event `key` soon (the webhook handler's hand-over)."""
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    async def idle(self) -> None:
        """Wait until nothing is queued or running in this process (tests, benchmarks)."""
        while self._queued:
            await asyncio.sleep(0.01)

    async def _poll(self) -> None:
        while True:
            try:
                for key in await queue.due(self.store, time.time()):
                    self.submit(key)
            except StoreError as exc:
                logger.warning("serve: cannot read the pending events: %s", exc)
            await asyncio.sleep(self.poll_interval)

    async def _consume(self) -> None:
        while True:
            key = await self._queue.get()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._received.wait(), MAX_YIELD)
            try:
                await self.process(key)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the worker must outlive any one event
                logger.error("serve: event %s: %s", key, exc.__class__.__name__)
            finally:
                self._queued.discard(key)

    # --- one event -------------------------------------------------------------------------

    async def process(self, key: str) -> str:
        """Answer one event if it is still owed and nobody else is on it; what happened."""
        event = await queue.load(self.store, key)
        if event is None or event.state != queue.ACCEPTED:
            return "finished"
        async with self._conversation(event.agent_conversation):
            lease = await self.store.acquire(LEASE_PREFIX + key, new_owner(), self.lease_ttl)
            if lease is None:
                return "taken"  # another worker is on it; if it dies, the poller comes back
            try:
                async with keep_alive(self.store, lease):
                    event = await queue.load(self.store, key)
                    if event is None or event.state != queue.ACCEPTED:
                        return "finished"
                    return await self._handle(event)
            finally:
                with contextlib.suppress(StoreError):
                    await self.store.release(lease)

    @contextlib.asynccontextmanager
    async def _conversation(self, conversation_id: str) -> AsyncIterator[None]:
        """One event of a conversation at a time in this process, in arrival order."""
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._users[conversation_id] = self._users.get(conversation_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[conversation_id] -= 1
            if not self._users[conversation_id]:
                del self._users[conversation_id], self._locks[conversation_id]

    async def _handle(self, event: queue.Event) -> str:
        where = f"{event.channel} conversation {event.conversation_id} message {event.message_id}"
        try:
            reply = await self._answer(event)
            if reply.queued or (reply.duplicate and reply.acknowledged):
                # Carried by another message's reply, or posted before: nothing to post.
                await queue.finish(self.store, event, queue.DONE)
                self.feed.publish("skipped", event=event.key, reply=reply.to_json())
                return "skipped"
            if reply.in_progress:
                raise _Later("another worker is answering this message")
            posted = await post.post(self.client, self.codec, event.conversation_id, reply)
            if event.kind == "message" or reply.message_id:
                await self.agent.delivered(event.agent_conversation, event.message_id)
            await queue.finish(self.store, event, queue.DONE)
        except DeliveryError as exc:
            if exc.retryable:
                return await self._later(event, where, str(exc))
            logger.error("serve: %s: not delivered: %s", where, exc)
            await queue.finish(self.store, event, queue.FAILED)
            self.feed.publish("failed", event=event.key, error=str(exc))
            return "failed"
        except (ModelError, StoreError, TaskBusy, _Later) as exc:
            return await self._later(event, where, f"{exc.__class__.__name__}: {exc}")
        except Exception as exc:
            # A bug or an unexpected answer: tried again a few times, never in a tight loop.
            return await self._later(event, where, exc.__class__.__name__)
        logger.info("serve: %s: %s posted", where, posted.what)
        self.feed.publish(
            posted.what,
            event=event.key,
            channel=event.channel,
            conversation_id=event.agent_conversation,
            message_id=event.message_id,
            reply=reply.to_json(),
            action=posted.action,
        )
        return posted.what

    async def _later(self, event: queue.Event, where: str, problem: str) -> str:
        if event.attempts + 1 >= self.max_attempts:
            logger.error(
                "serve: %s: giving up after %d attempts: %s", where, event.attempts + 1, problem
            )
            await queue.finish(self.store, event, queue.FAILED)
            self.feed.publish("failed", event=event.key, error=problem)
            return "failed"
        delay = min(MAX_BACKOFF, self.backoff * 2**event.attempts) * random.uniform(0.8, 1.2)
        logger.warning("serve: %s: %s; trying again in %.1fs", where, problem, delay)
        await queue.retry_later(self.store, event, delay)
        self.feed.publish("retry", event=event.key, error=problem, delay=delay)
        return "retry"

    async def _answer(self, event: queue.Event) -> Reply:
        agent, conversation = self.agent, event.agent_conversation
        identity = event.identity
        if identity is None and event.author_ref is not None:
            identity = await self.client.identify(event.inbound())  # Zendesk: verified emails
        if event.kind == "message":
            who = event.author_ref or event.conversation_id
            return await agent.respond(
                conversation,
                event.text,
                identity=identity,
                message_id=event.message_id,
                client_key=f"{event.channel}:{who}",
            )
        stored = await _stored_reply(self, conversation, event.message_id)
        if stored is not None:
            return stored  # answered before a crash: post that, do not resolve the click again
        candidates = await self._confirmable(conversation)
        resolved = self.codec.resolve(event.token, event.conversation_id, candidates)
        if resolved is None:
            logger.info("serve: a click that matches no open proposal (expired or answered)")
            return Reply(STALE_TEXT, conversation_id=conversation)
        kind, _, target = resolved.action_id.partition(":")
        approved = resolved.choice == "yes"
        try:
            if kind + ":" == post.TASK_PREFIX:
                return await agent.confirm_task(
                    conversation, target, approved, identity=identity, message_id=event.message_id
                )
            if approved:
                return await agent.confirm(
                    conversation, target, identity=identity, message_id=event.message_id
                )
        except (ConfirmationNotFound, TaskError) as exc:
            if isinstance(exc, TaskBusy):
                raise
            logger.info("serve: a click refused: %s", exc.__class__.__name__)
            return Reply(STALE_TEXT, conversation_id=conversation)
        # "No" to a proposed tool call: the customer's own word, judged like typed text.
        return await agent.respond(
            conversation, "no", identity=identity, message_id=event.message_id
        )

    async def _confirmable(self, conversation: str) -> list[str]:
        actions = [
            post.TOOL_PREFIX + action.id for action in await self.agent.pending(conversation)
        ]
        if self.agent.tasks is not None:
            actions += [
                post.TASK_PREFIX + run.id
                for run in await self.agent.tasks.runs(conversation)
                if run.status.waiting and run.waiting_for == "confirmation"
            ]
        return actions


class _Later(AgentError):
    """Try the event again later."""


async def _stored_reply(worker: Worker, conversation: str, message_id: str) -> Reply | None:
    found = await worker.store.get(inbox.MESSAGE_KIND, inbox.message_key(conversation, message_id))
    if found is None or found.value.get("state") != inbox.DONE:
        return None
    return Reply.from_json(
        found.value.get("reply") or {},
        duplicate=True,
        acknowledged=bool(found.value.get("acknowledged")),
    )
