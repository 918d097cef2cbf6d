"""The agent loop: one customer message in, one reply (and what happened) out.

A turn, in order (docs/security.md has the guarantees):

1. the message is checked (text only, valid Unicode) and recorded in the inbox: a redelivered
   helpdesk message id gets the stored reply and runs nothing;
2. a task run waiting for this customer takes the message as its answer;
3. otherwise the consent gate judges it against the pending proposals (`consent.answer`): a
   yes to the one proposal the customer was shown runs it (the runtime does, not the model);
4. the model answers in a bounded number of rounds of tool calls over chat completions (any
   OpenAI-compatible server, through the `openai` SDK); a consequential tool call only
   proposes, and the reply ends with the runtime's own summary of the proposal;
5. the conversation is saved with the version it was loaded at, and the message marked done.

The identity comes with each turn from the host and reaches the model only through the results
of tools bound to it; what a verified identity's turns held is withheld from other speakers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any, Literal

from specagent_runtime._agent import conversation as conversation_store
from specagent_runtime._agent import inbox
from specagent_runtime._agent.actions import carry_out
from specagent_runtime._agent.anthropic import as_chat_client
from specagent_runtime._agent.clients import ClientOwner
from specagent_runtime._agent.consent import (
    DEFAULT_CONFIRM_TTL,
    PendingAction,
    ambiguity_reply,
    answer,
    executed_note,
    expire,
    host_confirmable,
    model_note,
    with_prompt,
)
from specagent_runtime._agent.conversation import (
    ModelCall,
    close_dangling_calls,
    tool_event,
    tool_message,
)
from specagent_runtime._agent.delivery import (
    DEFAULT_BUSY_WAIT,
    DEFAULT_LEASE_TTL,
    ConversationDelivery,
    HostAction,
    Inbound,
    commit,
    merge,
    outbox_entry,
    outbox_replies,
)
from specagent_runtime._agent.rounds import (
    ModelRounds,
)
from specagent_runtime._agent.tasks import (
    before_model,
    shown_run,
    turn_events,
    turn_text,
)
from specagent_runtime._agent.turn import (
    Turn,
    inbound_text,
    outcome_text,
    result_of,
    too_long_text,
    unknown_outcome_text,
)
from specagent_runtime._agent.user_context import UserContext, user_context_from
from specagent_runtime._errors import (
    AgentError,
    ConfigurationError,
    ModelError,
)
from specagent_runtime._events import (
    ConfirmationExecuted,
    ConfirmationRequested,
    HandoffRequested,
    Reply,
)
from specagent_runtime._http.client import AsyncApiClient
from specagent_runtime._identity import Identity, fingerprint
from specagent_runtime._stores.base import AuditEntry, Store
from specagent_runtime._stores.factory import open_store
from specagent_runtime._stores.leases import KeptLease
from specagent_runtime._stores.memory import MemoryStore
from specagent_runtime._tasks.engine import TaskEngine
from specagent_runtime._tasks.holding import BUSY_WAIT_ENV, LEASE_TTL_ENV, seconds_from_env
from specagent_runtime._tasks.instruct import StepModel
from specagent_runtime._tasks.run import TaskTurn
from specagent_runtime._tasks.steps import load_task_module
from specagent_runtime._tools.agent_json import load_agent_json
from specagent_runtime._tools.formats import assistant_message
from specagent_runtime._tools.limits import Limiter, Limits, limits_from
from specagent_runtime._tools.shaping import dumps
from specagent_runtime._tools.toolset import (
    HANDOFF_TOOL,
    ToolResult,
    Toolset,
)

logger = logging.getLogger("specagent_runtime.agent")


class Agent(ConversationDelivery, ModelRounds, ClientOwner):
    """A support agent over a generated package's tools; see `from_package`."""

    def __init__(
        self,
        toolset: Toolset,
        *,
        model: str,
        openai_client: Any | None = None,
        store: Store | None = None,
        max_rounds: int = 8,
        name: str | None = None,
        instructions: str | None = None,
        history_limit: int = 100,
        tasks: TaskEngine | None = None,
        user_context: UserContext | None = None,
        owns_client: bool = False,
        context: UserContext | None = None,
        confirm_ttl: float | None = DEFAULT_CONFIRM_TTL,
        lease_ttl: float | None = None,
        busy_wait: float | None = None,
        limits: Limits | None = None,
    ) -> None:
        if tasks is not None:
            taken = {spec.name for spec in toolset.specs} | {HANDOFF_TOOL}
            clash = sorted(set(tasks.tasks) & taken)
            if clash:
                raise ConfigurationError(f"task and tool names must differ, {clash} are both")
        if max_rounds < 1:
            raise ConfigurationError(f"max_rounds must be at least 1, not {max_rounds}")
        if history_limit < 1:
            raise ConfigurationError(f"history_limit must be at least 1, not {history_limit}")
        self.history_limit = history_limit
        # Seconds a proposal stays confirmable by the host's button (None: by turns only).
        self.confirm_ttl = confirm_ttl
        # The conversation's lease (a worker that died blocks it this long at most), and how
        # long a message waits for a busy conversation before it is left queued; by default
        # from $SPECAGENT_LEASE_TTL / $SPECAGENT_BUSY_WAIT (seconds), so committed packages
        # can be tuned without regenerating them.
        self.lease_ttl = (
            lease_ttl
            if lease_ttl is not None
            else seconds_from_env(LEASE_TTL_ENV, DEFAULT_LEASE_TTL)
        )
        self.busy_wait = (
            busy_wait
            if busy_wait is not None
            else seconds_from_env(BUSY_WAIT_ENV, DEFAULT_BUSY_WAIT)
        )
        if not self.lease_ttl > 0 or not self.busy_wait >= 0:
            raise ConfigurationError("lease_ttl must be positive and busy_wait not negative")
        self.toolset = toolset
        # The agent file's tasks (None without): the model starts them, the engine runs them.
        self.tasks = tasks
        if tasks is not None and tasks.step_model is None:
            # `instruct:` steps talk to the same model through the same client as the loop.
            tasks.step_model = StepModel(None, model, toolset, client_factory=self._openai)
        # The verified customer's data given to the model up front (agent file `context:`);
        # `context` is this argument's old name.
        self.user_context = user_context if user_context is not None else context
        self.model = model
        self.store: Store = store if store is not None else MemoryStore()
        # Calls per round/turn/conversation/hour, lookup budgets, the message size cap
        # (`_tools.limits`).
        self.limiter = Limiter(self.store, limits)
        self.max_rounds = max_rounds
        self.name = name if name is not None else toolset.agent.name
        self.instructions = instructions if instructions is not None else toolset.agent.instructions
        # An anthropic.AsyncAnthropic is wrapped to answer the chat-completions calls below.
        self._openai_client = as_chat_client(openai_client)
        self._owns_openai = False
        # The API client is closed with the agent only when the agent's maker created it
        # (`build_agent()` without a client); one passed in stays the caller's.
        self._owns_client = owns_client
        self._runner: asyncio.Runner | None = None

    @classmethod
    def from_package(
        cls,
        package: str,
        client: AsyncApiClient,
        *,
        model: str,
        openai_client: Any | None = None,
        store: Store | None = None,
        max_rounds: int = 8,
        result_budget: int = 4000,
        owns_client: bool = False,
        limits: Limits | None = None,
    ) -> Agent:
        """The agent of a generated package (what its `build_agent` calls): name, instructions
        and tools from ``<package>/agent.json``, calls through `client` (its `AsyncClient`).

        Without a `store`, conversations persist where the environment variable
        ``SPECAGENT_STORE`` says (`open_store`: a SQLite file, else ``specagent.sqlite3`` in the
        working directory, or ``postgresql://...``), so a stateless webhook handler can resume
        any conversation; tests pass a `MemoryStore`.
        Task runs of ``<package>.tasks`` (when the agent file has tasks) share that store."""
        data = load_agent_json(package)
        toolset = Toolset.from_agent_json(package, data, client, result_budget=result_budget)
        if store is None:
            store = open_store()  # $SPECAGENT_STORE: a SQLite file, postgresql://...
        module = load_task_module(package)
        return cls(
            toolset,
            model=model,
            openai_client=openai_client,
            store=store,
            max_rounds=max_rounds,
            tasks=TaskEngine(store, client, module) if module is not None else None,
            user_context=user_context_from(package, data, toolset),
            owns_client=owns_client,
            limits=limits if limits is not None else limits_from(package, data),
        )

    def __repr__(self) -> str:
        return f"Agent(name={self.name!r}, model={self.model!r}, tools={len(self.toolset.specs)})"

    # --- public turns ---------------------------------------------------------------------

    async def respond(
        self,
        conversation_id: str,
        message: str,
        *,
        identity: Identity | None = None,
        message_id: str | None = None,
        client_key: str | None = None,
    ) -> Reply:
        """Answer one customer message.

        `message_id` is the helpdesk's id of the message: a redelivery of it returns the stored
        reply with ``duplicate=True`` and runs nothing (``in_progress`` too while another worker
        is still answering it). `client_key` names the visitor (an id, an IP) for the limits on
        lookups anyone may make. While another worker answers this conversation the call waits
        up to `busy_wait` seconds, then leaves the message queued (``Reply.queued``) for that
        worker. Raises `TypeError` when `message` is not text (nothing is stored) and
        `ModelError` if the model service fails before anything was done (nothing is saved, so
        the host may deliver the message again)."""
        text = inbound_text(message)
        arrival = await inbox.arrive(self.store, conversation_id, message_id)
        return await self._deliver(Inbound(arrival, text, identity, client_key))

    async def confirm_task(
        self,
        conversation_id: str,
        run_id: str,
        approved: bool,
        *,
        identity: Identity | None = None,
        message_id: str | None = None,
    ) -> Reply:
        """The host's yes/no button for a task run waiting for a confirmation (see the
        `TaskWaiting` event); raises `TaskError` if the run is not waiting for one, belongs to
        another conversation or to another customer. `message_id` (the helpdesk's id of the
        click) makes a redelivered click return the stored reply."""
        if self.tasks is None:
            raise AgentError("this agent has no tasks")
        arrival = await inbox.arrive(self.store, conversation_id, message_id)
        host = HostAction("task", run_id, approved)
        return await self._deliver(Inbound(arrival, "", identity, None), host)

    def respond_sync(
        self,
        conversation_id: str,
        message: str,
        *,
        identity: Identity | None = None,
        message_id: str | None = None,
        client_key: str | None = None,
    ) -> Reply:
        """`respond` for synchronous hosts. Uses one private event loop for the agent's life, so
        the HTTP clients' connection pools stay valid between calls; call `close()` at the end."""
        return self._sync_runner().run(
            self.respond(
                conversation_id,
                message,
                identity=identity,
                message_id=message_id,
                client_key=client_key,
            )
        )

    async def confirm(
        self,
        conversation_id: str,
        action_id: str,
        *,
        identity: Identity | None = None,
        message_id: str | None = None,
    ) -> Reply:
        """Run a pending action because the host confirmed it (the customer pressed a button),
        then let the model tell the customer the outcome. Counts as a customer turn.

        Raises `ConfirmationNotFound` unless `action_id` is pending in this conversation,
        `identity` is the one that was asked (same fingerprint) and it has not expired; it runs
        that action only: the model calling any other consequential tool in this turn only
        proposes it. `message_id` as for `confirm_task`."""
        arrival = await inbox.arrive(self.store, conversation_id, message_id)
        host = HostAction("tool", action_id, True)
        return await self._deliver(Inbound(arrival, "", identity, None), host)

    async def delivered(self, conversation_id: str, message_id: str) -> bool:
        """Mark the reply to `message_id` as posted (a channel calls this after posting), so a
        redelivery's `Reply.acknowledged` says it need not be posted again. False when that
        message has no stored reply."""
        return await inbox.acknowledge(self.store, conversation_id, message_id)

    async def audit_entries(
        self, conversation_id: str | None = None, *, since: datetime | float | None = None
    ) -> list[AuditEntry]:
        """The audit trail of consequential actions (of one conversation), oldest first: the
        conversation, the identity's fingerprint, what confirmed it (``message:<id>``,
        ``host:<action id>``, ``task:<run>/<step>``), the request sent and the outcome."""
        return await self.store.audit_entries(conversation_id, since)

    async def pending(self, conversation_id: str) -> list[PendingAction]:
        """Actions the host's buttons (`confirm`) could still confirm, e.g. to show them."""
        conversation = await conversation_store.load(self.store, conversation_id)
        return expire(conversation.pending, conversation.turn + 1, time.time(), self.confirm_ttl)

    # --- the turn -------------------------------------------------------------------------

    async def _one(self, held: KeptLease, inbound: Inbound, host: HostAction | None) -> Reply:
        """One turn, from loading the conversation to its commit."""
        arrival = inbound.arrival
        await self.store.put_many([inbox.processing(arrival, held.lease.owner), held.lease.fence()])
        conversation = await conversation_store.load(self.store, arrival.conversation_id)
        resumed = conversation.in_progress == arrival.message_id
        if resumed:
            # A worker died after this turn started a task (saved half-way): finish it from
            # there. Its proposals were never shown; its calls' results were never saved.
            conversation.pending = [a for a in conversation.pending if a.turn != conversation.turn]
            conversation.messages = close_dangling_calls(conversation.messages)
        else:
            conversation.next_turn()
        conversation.in_progress = None
        identity = inbound.identity
        limits = self.limiter.turn(
            conversation.id, client_key=inbound.client_key, identity=identity
        )
        turn = Turn(conversation, identity, fingerprint(identity), inbound, held, limits)
        if host is not None:
            return await self._host_turn(turn, host)
        turn.confirmed_by = f"message:{arrival.message_id}"
        cap = self.limiter.limits.max_message_chars
        if len(inbound.text) > cap and not resumed:
            # Too long to be a customer's message: kept (cut) for the transcript, never sent
            # to the model, answered in the runtime's words.
            turn.add({"role": "user", "content": inbound.text[:cap] + " [cut: too long]"})
            logger.info("message of %d characters refused (limit %d)", len(inbound.text), cap)
            text = too_long_text(len(inbound.text), cap)
            turn.add({"role": "assistant", "content": text})
            return await self._commit(turn, text)
        if not resumed:
            turn.add({"role": "user", "content": inbound.text})
        seen = conversation.seen_turn(arrival.seq)
        if self.tasks is not None:
            # A run waiting for the customer takes the message as its answer, so the model can
            # neither answer nor confirm for the customer; what a dead worker left comes first.
            # A message sent before the run's question reached the customer answers nothing:
            # the question is asked again.
            asked = conversation.task_turn
            fresh = asked is not None and seen is not None and seen >= asked
            shown = conversation.task_run if fresh else None
            turns = await before_model(
                self.tasks,
                conversation.id,
                inbound.text,
                identity,
                shown,
                confirmed_by=turn.confirmed_by,
            )
            if turns:
                return await self._task_reply(turn, turns)
        if resumed:
            # The turn had started a task and saved; the task's messages (above) were its end.
            return await self._commit(turn, "")
        result = answer(conversation.pending, inbound.text, speaker=turn.speaker, seen_turn=seen)
        conversation.pending = list(result.pending)
        if result.ambiguous:
            reply_text = ambiguity_reply(result.ambiguous)
            turn.add({"role": "assistant", "content": reply_text})
            return await self._commit(turn, reply_text)
        if result.run is not None:
            await self._run_confirmed(turn, result.run, "customer")
        note = model_note(result)
        if note:
            turn.note(note)
        return await self._finish_turn(turn)

    async def _host_turn(self, turn: Turn, host: HostAction) -> Reply:
        """A confirmation button: a turn without a customer message."""
        conversation = turn.conversation
        if host.kind == "task":
            assert self.tasks is not None  # checked by confirm_task
            confirmed_by = f"host:{host.target}"
            if turn.message_id and not turn.message_id.startswith("no-id-"):
                confirmed_by += f" (message:{turn.message_id})"
            task_turn = await self.tasks.confirm(
                host.target,
                host.approved,
                turn.identity,
                conversation_id=conversation.id,
                deliver=False,
                confirmed_by=confirmed_by,
            )
            return await self._task_reply(turn, [task_turn])
        action = host_confirmable(
            conversation.pending,
            conversation.id,
            host.target,
            speaker=turn.speaker,
            turn=conversation.turn,
            now=time.time(),
            ttl=self.confirm_ttl,
        )
        conversation.pending = [a for a in conversation.pending if a.id != action.id]
        turn.confirmed_by = f"host:{action.id}"
        await self._run_confirmed(turn, action, "host")
        return await self._finish_turn(turn)

    async def _task_reply(self, turn: Turn, turns: list[TaskTurn]) -> Reply:
        """End the turn with the task engine's own messages (word for word, not the model's)."""
        conversation = turn.conversation
        shown = shown_run(turns)
        conversation.task_run = shown
        conversation.task_turn = conversation.turn if shown is not None else None
        if self.user_context is not None:
            self.user_context.invalidate(turn.identity)  # the run may have acted on the account
        for task_turn in turns:
            turn.events.extend(turn_events(task_turn, started=False))
            turn.writes.extend(task_turn.deliveries)  # handed over in this turn's commit
        text = "\n\n".join(turn_text(task_turn) for task_turn in turns)
        turn.add({"role": "assistant", "content": text})
        return await self._commit(turn, text)

    async def _finish_turn(self, turn: Turn) -> Reply:
        try:
            text = await self._rounds(turn)
        except ModelError:
            if not turn.done:
                raise  # nothing was done and nothing is saved: the host may retry
            # A confirmed action ran: the customer must hear the outcome, and the history must
            # say so, or the next turn would propose it again. The runtime says it itself.
            last = turn.done[-1]
            result = next(
                (r for r in reversed(turn.conversation.messages) if r.get("role") == "tool"), None
            )
            status = ToolResult(last.tool, "ok") if result is None else result_of(result)
            text = outcome_text(last, status)
            turn.add({"role": "assistant", "content": text})
        if turn.unknown:
            # Never reported as done, whatever the model said: the runtime says it itself.
            text = f"{text.rstrip()}\n\n{unknown_outcome_text(turn.unknown)}".strip()
            last_message = turn.conversation.messages[-1]
            if last_message.get("role") == "assistant" and not last_message.get("tool_calls"):
                last_message["content"] = text
            reasons = "; ".join(a.summary for a in turn.unknown)
            turn.events.append(HandoffRequested(f"outcome unknown, not retried: {reasons}"))
        proposed = [a for a in turn.proposed if a in turn.conversation.pending]
        if proposed:
            # The customer sees what will run in the runtime's words, not the model's.
            text = with_prompt(text, proposed)
            last_message = turn.conversation.messages[-1]
            if last_message.get("role") == "assistant" and not last_message.get("tool_calls"):
                last_message["content"] = text
            for action in proposed:
                turn.events.append(ConfirmationRequested(action.id, action.tool, action.summary))
        return await self._commit(turn, text)

    async def _commit(self, turn: Turn, text: str) -> Reply:
        """End the turn with one atomic, fenced update (`delivery.commit`): the conversation,
        the message's inbox record with the reply a redelivery gets, and the turn's own writes.
        The reply hands over the outbox first; a queued message's reply goes into it."""
        conversation, inbound = turn.conversation, turn.inbound
        arrival = inbound.arrival
        conversation.in_progress = None
        if turn.saved_midway:  # the conversation was saved with a new task run
            stored = await self.store.load(conversation.id)
            conversation.version = stored.version if stored is not None else 0
        own = Reply(
            text=text, events=turn.events, conversation_id=conversation.id,
            message_id=arrival.message_id,
        )  # fmt: skip
        writes = list(turn.writes)
        if inbound.queued:
            conversation.outbox.append(outbox_entry(own, conversation.turn))
            writes.append(inbox.done(arrival, own))
            await commit(self.store, turn.held, conversation, writes, dequeue=arrival.message_id)
            return own
        entries, conversation.outbox = conversation.outbox, []
        reply = merge([*outbox_replies(entries), own], conversation.id, arrival.message_id)
        carried = [str(entry["message_id"]) for entry in entries]
        writes.append(inbox.done(arrival, reply, carried=carried))
        turns = [*(int(entry["turn"]) for entry in entries), conversation.turn]
        await commit(
            self.store, turn.held, conversation, writes, replied=turns,
            dequeue=arrival.message_id,
        )  # fmt: skip
        return reply

    async def _run_confirmed(
        self, turn: Turn, action: PendingAction, by: Literal["customer", "host"]
    ) -> ToolResult:
        """Carry out a confirmed action with its stored arguments, once (`actions.carry_out`:
        claimed, recovered truthfully, audited). The model is shown the call and its result,
        as if it had made it."""
        conversation = turn.conversation
        call = ModelCall(f"confirmed_{action.id}", action.tool, dumps(action.model_arguments))
        turn.note(executed_note(action, by))
        turn.add(assistant_message(None, [call]))
        outcome = await carry_out(
            self.store,
            self.toolset,
            turn.held,
            conversation_id=conversation.id,
            action=action,
            confirmed_by=turn.confirmed_by,
            identity=turn.identity,
        )
        result = outcome.result
        if outcome.sent:
            ok = result.status == "ok"
            turn.events.append(ConfirmationExecuted(action.id, action.tool, ok=ok, by=by))
            if self.user_context is not None:
                self.user_context.invalidate(turn.identity)
        if outcome.unknown:
            turn.unknown.append(action)
        turn.events.append(tool_event(action.model_arguments, result))
        turn.add(tool_message(call.id, result))
        turn.done.append(action)
        return result
