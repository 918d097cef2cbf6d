"""The durable task engine: runs compiled tasks step by step, saving the run after each step.

A run survives the process: every step's outcome is written to the store (with optimistic
versioning, so two workers cannot both advance it) before the next step starts, and a new
process continues from the stored step with `recover` or the customer's next message with
`resume`. Calls that change something run exactly once: the attempt is recorded before the
request is sent, the request carries an `Idempotency-Key` derived from (run, step), and an
attempt whose outcome is unknown after a crash is retried with the same key only when that is
safe (an idempotent method, or an API that honours the key); otherwise the run is handed to a
human rather than risk doing it twice (`calls`).

Each public call holds the run's lease while it advances it and fences its saves (`holding`): a
second worker never advances a run a live worker is in, and one that stalled saves nothing. A
run is created in one update with its conversation's own (`start(also=...)`), and a caller that
tells the customer itself takes the run's messages in its own update (`deliver=False`), so a
crash between the two can neither leave a run nobody knows nor lose what the customer must hear.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import ModuleType
from typing import Any

from specagent_runtime._errors import (
    StoreConflict,
    TaskDataError,
    TaskError,
)
from specagent_runtime._identity import (
    Identity,
    identity_fields,
)
from specagent_runtime._stores.base import LeaseLost, Put, Store, Write
from specagent_runtime._tasks.calls import (
    CallSteps,
    TaskClient,
    json_data,
)
from specagent_runtime._tasks.holding import (
    DEFAULT_BUSY_WAIT,
    DEFAULT_LEASE_TTL,
    LEASE_TTL_ENV,
    current,
    engine_call,
    fences,
    hold,
    seconds_from_env,
)
from specagent_runtime._tasks.input import (
    InvalidAnswer,
    accepted_inputs,
    input_spec,
    parse_answer,
    validate,
    yes_or_no,
)
from specagent_runtime._tasks.instruct import StepModel, run_instruct
from specagent_runtime._tasks.record import (
    RUN_KIND,
    RunRecord,
    WaitingConfirmation,
    WaitingInput,
    index_entry,
    indexed_runs,
)
from specagent_runtime._tasks.run import HistoryEntry, RunInfo, RunStatus, TaskTurn
from specagent_runtime._tasks.steps import (
    Ask,
    Call,
    Confirm,
    Effect,
    End,
    Goto,
    Handoff,
    Instruct,
    Respond,
    SetValues,
    TaskContext,
    TaskDefinition,
)

MAX_STEPS_PER_TURN = 500  # a compiled task has no loops; this only guards against a bad module
MAX_INVALID_ANSWERS = 3
TASK_HANDOFF_MESSAGE = "I'm passing this to a colleague who can help you further."
DECLINED_MESSAGE = "All right, I have not done it."
STOPPED_MESSAGE = "All right, I have stopped."
# A whole message that means "stop this task" while it waits for an answer.
_STOP_WORDS = re.compile(
    r"(?i)(cancel|stop|quit|never ?mind|forget (it|about it)|abort)( (it|this|that))?[.!]*"
)


class TaskEngine(CallSteps):
    """Starts, continues and inspects task runs of one generated package.

    `tasks` is the package's `tasks` module (its `TASKS` dict) or such a dict; `client` is the
    package's `AsyncClient`; `step_model` (a `StepModel`) carries out `instruct:` steps, which
    are handed to a human without one. `new_id` and `clock` exist for tests.
    """

    def __init__(
        self,
        store: Store,
        client: TaskClient,
        tasks: ModuleType | Mapping[str, TaskDefinition],
        *,
        new_id: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
        step_model: StepModel | None = None,
        lease_ttl: float | None = None,
        busy_wait: float = DEFAULT_BUSY_WAIT,
    ) -> None:
        self.store = store
        # The run's lease (a dead worker blocks the run this long at most; by default
        # $SPECAGENT_LEASE_TTL or a minute) and how long a call waits for a run another worker
        # is in before it answers that it is being handled.
        self.lease_ttl = (
            lease_ttl
            if lease_ttl is not None
            else seconds_from_env(LEASE_TTL_ENV, DEFAULT_LEASE_TTL)
        )
        self.busy_wait = busy_wait
        self.step_model = step_model
        self.client = client
        found = getattr(tasks, "TASKS", tasks)
        if not isinstance(found, Mapping):
            raise TypeError("`tasks` must be a generated tasks module or a dict of tasks")
        self.tasks: Mapping[str, TaskDefinition] = found
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        self._clock = clock

    def __repr__(self) -> str:
        return f"TaskEngine(tasks={sorted(self.tasks)!r})"

    def _hold(self, run_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        return hold(self.store, run_id, ttl=self.lease_ttl, wait=self.busy_wait)

    # --- public API ----------------------------------------------------------------------------

    async def start(
        self,
        task: str,
        inputs: Mapping[str, Any],
        identity: Identity | Mapping[str, str] | None = None,
        conversation_id: str | None = None,
        *,
        also: Callable[[str], Sequence[Write]] | None = None,
        deliver: bool = True,
    ) -> TaskTurn:
        """Start `task` with the inputs the model gave and run it until it needs the customer.

        The run is created, listed under its conversation and saved with whatever `also(run
        id)` returns (the agent's conversation, which now names the run) in one atomic update,
        before its first step: no run exists that its conversation does not know. With
        ``deliver=False`` the messages are handed over by the caller: the returned turn's
        `deliveries` are the writes that mark them so, for the caller's own update."""
        definition = self._definition(task)
        fields = identity_fields(identity)
        if definition.requires == "verified" and not fields:
            raise TaskError(f"task `{task}` is only for verified customers")
        accepted = accepted_inputs(definition, inputs)
        run_id = self._new_id()
        now = self._clock()
        record = RunRecord.new(
            run_id,
            task=task,
            conversation_id=conversation_id,
            inputs=accepted,
            identity=fields,
            first=definition.first,
            now=now,
        )
        self._log(record, None, "started", task)
        async with engine_call(deliver=deliver), self._hold(run_id):
            writes: list[Write] = [
                Put(RUN_KIND, run_id, record.to_json(), 0),
                index_entry(run_id, conversation_id),
                *(also(run_id) if also is not None else ()),
                *fences(run_id),
            ]
            versions = await self.store.put_many(writes)
            return await self._drive(definition, record, versions[0])

    async def resume(
        self,
        run_id: str,
        message: str,
        identity: Identity | Mapping[str, str] | None = None,
        *,
        deliver: bool = True,
        confirmed_by: str = "",
    ) -> TaskTurn:
        """Continue a run with the customer's next message (an answer, or yes/no).

        `confirmed_by` names the message for the audit trail (``message:<id>``). Raises
        `TaskBusy` while another worker advances the run."""
        async with engine_call(deliver=deliver, confirmed_by=confirmed_by), self._hold(run_id):
            record, version = await self._load(run_id)
            definition = self._definition(record.task)
            owner = record.identity
            if owner and owner != identity_fields(identity):
                raise TaskError("this task run belongs to another customer")
            if record.status.finished:
                raise TaskError(f"task run {run_id} is already {record.status.value}")
            waiting = record.waiting
            if record.status is RunStatus.WAITING_INPUT and isinstance(waiting, WaitingInput):
                return await self._answer(definition, record, waiting, version, message)
            if record.status is RunStatus.WAITING_CONFIRMATION and isinstance(
                waiting, WaitingConfirmation
            ):
                return await self._confirm_answer(definition, record, waiting, version, message)
            return await self._drive(definition, record, version)

    async def confirm(
        self,
        run_id: str,
        approved: bool,
        identity: Identity | Mapping[str, str] | None = None,
        *,
        conversation_id: str | None = None,
        deliver: bool = True,
        confirmed_by: str = "",
    ) -> TaskTurn:
        """The host's yes/no button for a run waiting for a confirmation (no text to read).

        With `conversation_id`, the run must belong to that conversation: a button of one
        conversation never confirms a run of another."""
        by = confirmed_by or f"host:{run_id}"
        async with engine_call(deliver=deliver, confirmed_by=by), self._hold(run_id):
            record, _ = await self._load(run_id)
            if conversation_id is not None and record.conversation_id != conversation_id:
                raise TaskError(f"task run {run_id} belongs to another conversation")
            if record.status is not RunStatus.WAITING_CONFIRMATION:
                raise TaskError(f"task run {run_id} is not waiting for a confirmation")
            return await self.resume(run_id, "yes" if approved else "no", identity)

    async def recover(self, run_id: str, *, deliver: bool = True) -> TaskTurn:
        """Continue a run a dead process left behind; a waiting run repeats its question, a
        finished one hands over the messages it had not delivered yet (once). Raises
        `TaskBusy` while another worker is in it: a live run is never recovered."""
        async with engine_call(deliver=deliver), self._hold(run_id):
            record, version = await self._load(run_id)
            definition = self._definition(record.task)
            if record.status.waiting:
                if record.outbox or record.waiting is None:  # not delivered: the question is in it
                    return await self._deliver(record, version)
                return self._turn(record, (record.waiting.message,))
            if record.status.finished:
                return await self._deliver(record, version)
            return await self._drive(definition, record, version)

    async def cancel(self, run_id: str, reason: str = "cancelled by the host") -> RunInfo:
        """Stop a run that is waiting or was left running; refuses while a call is in doubt."""
        async with engine_call(deliver=True), self._hold(run_id):
            record, version = await self._load(run_id)
            if record.pending is not None:
                raise TaskError("a call of this run may be in progress; recover it first")
            if not record.status.finished:
                record.status = RunStatus.CANCELLED
                record.waiting = None
                self._log(record, record.step, "cancelled", reason)
                await self._save(record, version)
            return self._info(record)

    async def get(self, run_id: str) -> RunInfo:
        record, _ = await self._load(run_id)
        return self._info(record)

    async def runs(self, conversation_id: str | None = None) -> list[RunInfo]:
        """Runs (all, or one conversation's), oldest first."""
        found = []
        for run_id in await indexed_runs(self.store, conversation_id):
            stored = await self.store.get(RUN_KIND, run_id)
            if stored is not None:
                found.append(self._info(RunRecord.from_json(stored.value)))
        return sorted(found, key=lambda run: (run.created_at, run.id))

    def offered(self, identity: Identity | Mapping[str, str] | None) -> list[dict[str, Any]]:
        """The task tools to show the model for this customer (verified-only tasks need an
        identity), in the same shape as agent.json's `tasks` list."""
        verified = bool(identity_fields(identity))
        return [
            definition.tool_json()
            for _, definition in sorted(self.tasks.items())
            if verified or definition.requires == "anyone"
        ]

    async def handle(
        self,
        conversation_id: str,
        message: str,
        identity: Identity | Mapping[str, str] | None = None,
        *,
        deliver: bool = True,
        confirmed_by: str = "",
    ) -> TaskTurn | None:
        """Route a customer's message to the conversation's waiting run, if there is one.

        The agent calls this before the model: while a task waits for an answer or a yes/no,
        the message is the customer's reply to it, not a new request for the model.
        """
        waiting = await self.waiting_run(conversation_id)
        if waiting is None:
            return None
        return await self.resume(
            waiting.id, message, identity, deliver=deliver, confirmed_by=confirmed_by
        )

    async def waiting_run(self, conversation_id: str) -> RunInfo | None:
        """The conversation's newest run that waits for the customer, to route a message to."""
        waiting = [run for run in await self.runs(conversation_id) if run.status.waiting]
        return waiting[-1] if waiting else None

    # --- the step loop -------------------------------------------------------------------------

    async def _drive(self, definition: TaskDefinition, record: RunRecord, version: int) -> TaskTurn:
        for _ in range(MAX_STEPS_PER_TURN):
            if record.status is not RunStatus.RUNNING:
                break
            if record.pending is not None:
                version = await self._settle_pending(definition, record, record.pending, version)
                continue
            step = record.step
            if step is None:
                self._finish(record, RunStatus.DONE, None)
                version = await self._save(record, version)
                break
            function = definition.steps.get(step)
            if function is None:
                self._hand_off(record, f"step {step} no longer exists in the task")
                version = await self._save(record, version)
                break
            try:
                effect = function(TaskContext(record.variables))
            except TaskDataError as problem:
                self._hand_off(record, f"step {step}: {problem}")
                version = await self._save(record, version)
                break
            version = await self._apply(definition, record, version, step, effect)
        else:
            self._hand_off(record, "the task took too many steps")
            version = await self._save(record, version)
        return await self._deliver(record, version)

    async def _apply(
        self,
        definition: TaskDefinition,
        record: RunRecord,
        version: int,
        step: str,
        effect: Effect,
    ) -> int:
        """Carry out one effect and save the run; returns the new stored version."""
        if isinstance(effect, Call):
            return await self._call(record, version, step, effect, retrying=False)
        if isinstance(effect, Instruct):
            await run_instruct(
                self.step_model, record, step, effect, log=self._log, hand_off=self._hand_off
            )
            return await self._save(record, version)
        if isinstance(effect, Ask):
            self._ask(definition, record, step, effect)
        elif isinstance(effect, Confirm):
            record.status = RunStatus.WAITING_CONFIRMATION
            record.waiting = WaitingConfirmation(effect.message, effect.next, effect.declined)
            record.outbox.append(effect.message)
            self._log(record, step, "confirm", effect.message)
        elif isinstance(effect, Respond):
            record.outbox.append(effect.message)
            record.step = effect.next
            self._log(record, step, "respond", effect.message)
        elif isinstance(effect, SetValues):
            record.variables.update(json_data(dict(effect.values)))
            record.step = effect.next
            self._log(record, step, "set", ", ".join(sorted(effect.values)))
        elif isinstance(effect, Goto):
            record.step = effect.next
            self._log(record, step, "branch", f"to {effect.next or 'the end'}")
        elif isinstance(effect, Handoff):
            self._hand_off(record, effect.reason, step=step)
        elif isinstance(effect, End):
            self._finish(record, RunStatus(effect.status), step)
        else:  # pragma: no cover - the Effect union is closed
            raise TypeError(f"unknown task effect {effect!r}")
        return await self._save(record, version)

    def _ask(self, definition: TaskDefinition, record: RunRecord, step: str, effect: Ask) -> None:
        spec = input_spec(definition, effect.input)
        current = record.inputs.get(effect.input)
        if current is not None:
            try:
                validate(spec, current)
            except InvalidAnswer:
                pass
            else:
                record.step = effect.next
                self._log(record, step, "given", effect.input)
                return
        record.status = RunStatus.WAITING_INPUT
        record.waiting = WaitingInput(effect.input, effect.prompt, effect.next)
        record.outbox.append(effect.prompt)
        self._log(record, step, "asked", effect.input)

    # --- answers from the customer -------------------------------------------------------------

    async def _answer(
        self,
        definition: TaskDefinition,
        record: RunRecord,
        waiting: WaitingInput,
        version: int,
        message: str,
    ) -> TaskTurn:
        spec = input_spec(definition, waiting.input)
        if _STOP_WORDS.fullmatch(message.strip()):
            record.outbox.append(STOPPED_MESSAGE)
            self._log(record, record.step, "stopped", "by the customer")
            self._finish(record, RunStatus.CANCELLED, None)
            version = await self._save(record, version)
            return await self._deliver(record, version)
        try:
            value = parse_answer(spec, message)
        except InvalidAnswer as problem:
            waiting.attempts += 1
            self._log(record, record.step, "invalid", waiting.input)
            if waiting.attempts >= MAX_INVALID_ANSWERS:
                self._hand_off(record, f"no valid {waiting.input} after several tries")
            else:
                record.outbox.append(f"{problem} {waiting.message}")
            version = await self._save(record, version)
            return await self._deliver(record, version)
        record.inputs[waiting.input] = value
        record.step = waiting.next
        record.waiting = None
        record.status = RunStatus.RUNNING
        self._log(record, None, "answered", spec.name)
        version = await self._save(record, version)
        return await self._drive(definition, record, version)

    async def _confirm_answer(
        self,
        definition: TaskDefinition,
        record: RunRecord,
        waiting: WaitingConfirmation,
        version: int,
        message: str,
    ) -> TaskTurn:
        answer = yes_or_no(message)
        if answer is None:
            record.outbox.append(f"Please answer yes or no. {waiting.message}")
            version = await self._save(record, version)
            return await self._deliver(record, version)
        record.waiting = None
        if answer:
            record.step = waiting.next
            record.status = RunStatus.RUNNING
            record.confirmed_by = current().confirmed_by or "message"
            self._log(record, None, "confirmed", record.confirmed_by)
        elif waiting.declined is not None:
            record.step = waiting.declined
            record.status = RunStatus.RUNNING
            self._log(record, None, "declined", "")
        else:
            record.outbox.append(DECLINED_MESSAGE)
            self._log(record, None, "declined", "")
            self._finish(record, RunStatus.CANCELLED, None)
        version = await self._save(record, version)
        return await self._drive(definition, record, version)

    # --- bookkeeping ---------------------------------------------------------------------------

    def _definition(self, task: str) -> TaskDefinition:
        definition = self.tasks.get(task)
        if definition is None:
            raise TaskError(f"there is no task `{task}`")
        return definition

    async def _load(self, run_id: str) -> tuple[RunRecord, int]:
        stored = await self.store.get(RUN_KIND, run_id)
        if stored is None:
            raise TaskError(f"there is no task run {run_id}")
        return RunRecord.from_json(stored.value), stored.version

    async def _save(self, record: RunRecord, version: int, extra: Sequence[Write] = ()) -> int:
        """Save the run (with `extra`, e.g. an audit entry) while its lease is this call's."""
        record.updated_at = self._clock()
        writes = [
            Put(RUN_KIND, record.id, record.to_json(), version),
            *extra,
            *fences(record.id),
        ]
        try:
            versions = await self.store.put_many(writes)
        except LeaseLost:
            raise TaskError(
                f"task run {record.id} was taken over by another worker; nothing was saved"
            ) from None
        except StoreConflict:
            raise TaskError(
                f"task run {record.id} was advanced by another worker; load it again"
            ) from None
        return versions[0]

    async def _deliver(self, record: RunRecord, version: int) -> TaskTurn:
        """The messages produced since the last delivery. The outbox is emptied in the store
        now, or, for a caller that hands them over itself (``deliver=False``), by the write
        the turn carries in `deliveries`, in the caller's own update: a crash before that
        update leaves them to be delivered again, never lost."""
        turn = self._turn(record, tuple(record.outbox))
        if not record.outbox:
            return turn
        if current().deliver:
            record.outbox = []
            await self._save(record, version)
            return turn
        taken = RunRecord.from_json(record.to_json())
        taken.outbox = []
        return replace(turn, deliveries=(Put(RUN_KIND, record.id, taken.to_json(), version),))

    def _turn(self, record: RunRecord, messages: tuple[str, ...]) -> TaskTurn:
        return TaskTurn(
            run_id=record.id,
            task=record.task,
            status=record.status,
            messages=messages,
            waiting_for=record.waiting_for,
            handoff_reason=record.handoff_reason,
        )

    def _info(self, record: RunRecord) -> RunInfo:
        definition = self.tasks.get(record.task)
        return record.info(definition.lines if definition is not None else {})

    def _log(self, record: RunRecord, step: str | None, event: str, detail: str) -> None:
        record.history.append(HistoryEntry(step, event, detail, self._clock()))

    def _finish(self, record: RunRecord, status: RunStatus, step: str | None) -> None:
        record.status = status
        record.step = None
        record.waiting = None
        self._log(record, step, "end", status.value)

    def _fail(self, record: RunRecord, step: str, message: str, *, detail: str = "") -> None:
        record.outbox.append(f"Sorry, that did not work: {message}")
        self._log(record, step, "failed", detail or message)
        self._finish(record, RunStatus.FAILED, step)

    def _hand_off(
        self,
        record: RunRecord,
        reason: str,
        *,
        step: str | None = None,
        message: str = TASK_HANDOFF_MESSAGE,
    ) -> None:
        record.handoff_reason = reason
        record.outbox.append(message)
        self._log(record, step or record.step, "handoff", reason)
        self._finish(record, RunStatus.HANDED_OFF, step)
