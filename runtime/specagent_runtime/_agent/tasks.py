"""The agent file's tasks inside the agent loop.

The model only chooses to start a task (one tool per task); from then on the task engine
drives the steps. Its messages go to the customer word for word, not rephrased by the model:
a confirmation question must say exactly what will happen, and a model that paraphrased it
could promise something the task will not do. While a run waits for the customer, the next
message is the customer's answer to it and never reaches the model, so the model can neither
answer a question for the customer nor confirm an action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from specagent_runtime._errors import TaskError
from specagent_runtime._events import (
    Event,
    HandoffRequested,
    TaskFinished,
    TaskStarted,
    TaskWaiting,
)
from specagent_runtime._identity import Identity, identity_fields
from specagent_runtime._stores.base import Write
from specagent_runtime._tasks.engine import TaskEngine
from specagent_runtime._tasks.run import RunStatus, TaskTurn
from specagent_runtime._tools.toolset import ToolResult

logger = logging.getLogger("specagent_runtime.agent")


def openai_task_tools(engine: TaskEngine, identity: Identity | None) -> list[dict[str, Any]]:
    """The task tools this customer may start, in the chat-completions ``tools`` shape."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool["name"],
                "description": tool["description"],
                "parameters": tool["input_schema"],
            },
        }
        for tool in engine.offered(identity)
    ]


def turn_text(turn: TaskTurn) -> str:
    return "\n\n".join(message for message in turn.messages if message)


def turn_events(turn: TaskTurn, *, started: bool) -> list[Event]:
    events: list[Event] = [TaskStarted(turn.run_id, turn.task)] if started else []
    if turn.waiting_for is not None and not turn.finished:
        events.append(TaskWaiting(turn.run_id, turn.task, turn.waiting_for))
    elif turn.finished:
        events.append(TaskFinished(turn.run_id, turn.task, turn.status.value))
        if turn.status is RunStatus.HANDED_OFF:
            events.append(HandoffRequested(turn.handoff_reason or f"task `{turn.task}`"))
    return events


def turn_result(turn: TaskTurn) -> ToolResult:
    """What the model is told about a task it started: where the run stands and what the
    customer was told, so later turns can refer to it. Not an instruction to act."""
    data: dict[str, Any] = {
        "run_id": turn.run_id,
        "status": turn.status.value,
        "told_the_customer": list(turn.messages),
    }
    if turn.waiting_for is not None:
        data["waiting_for"] = turn.waiting_for
    return ToolResult(turn.task, "ok", data=data)


async def start_task(
    engine: TaskEngine,
    name: str,
    arguments: Mapping[str, Any],
    identity: Identity | None,
    conversation_id: str,
    *,
    also: Callable[[str], Sequence[Write]] | None = None,
) -> ToolResult | TaskTurn:
    """Start a run for the model's call; a `ToolResult` is a refusal the model can act on.

    `also(run id)` are the writes saved atomically with the new run (the conversation naming
    it); the run's messages are handed over by the agent's commit (`TaskTurn.deliveries`)."""
    offered = {tool["name"] for tool in engine.offered(identity)}
    if name not in offered:
        return ToolResult.error(
            name,
            f"`{name}` works only for a verified customer, and this customer is not verified; "
            "help without it or hand off to a human",
        )
    try:
        return await engine.start(
            name, arguments, identity, conversation_id, also=also, deliver=False
        )
    except TaskError as exc:  # bad inputs: the message names the input, never a value
        return ToolResult.error(name, exc.model_message())


async def recover_runs(engine: TaskEngine, conversation_id: str) -> list[TaskTurn]:
    """Finish what a worker that died mid-turn left behind in this conversation: runs stopped
    between steps are driven on, and messages a finished run never delivered are handed over.

    The agent holds the conversation's lease, so a run that is neither waiting nor finished
    when a message arrives was left by a worker that died (the host is probably redelivering
    the message that got no reply); a run whose own lease is still live is not touched
    (`TaskBusy`).
    """
    turns = []
    for run in await engine.runs(conversation_id):
        if run.status.waiting:
            continue
        try:
            turn = await engine.recover(run.id, deliver=False)
        except TaskError as exc:
            logger.warning("task run %s not recovered: %s", run.id, exc)
            continue
        if turn.messages:
            turns.append(turn)
    return turns


async def before_model(
    engine: TaskEngine,
    conversation_id: str,
    message: str,
    identity: Identity | None,
    shown: str | None,
    *,
    confirmed_by: str = "",
) -> list[TaskTurn]:
    """The task turns that answer this message instead of the model (none: the model does).

    `shown` is the run whose question the customer last received. A waiting run whose question
    never reached them (the worker died before replying) asks it now: the message the host
    redelivers is not an answer to a question the customer has not seen.
    """
    turns = await recover_runs(engine, conversation_id)
    if turns:
        return turns
    waiting = await engine.waiting_run(conversation_id)
    if waiting is None:
        return []
    owner = waiting.variables.get("identity") or {}
    if owner and owner != identity_fields(identity):
        logger.info("task run %s waits for another customer", waiting.id)
        return []
    if waiting.id != shown:
        try:
            return [await engine.recover(waiting.id, deliver=False)]
        except TaskError as exc:
            logger.warning("task run %s not recovered: %s", waiting.id, exc)
            return []
    answered = await answer_waiting_run(
        engine, conversation_id, message, identity, confirmed_by=confirmed_by
    )
    return [answered] if answered is not None else []


def shown_run(turns: list[TaskTurn]) -> str | None:
    """The run whose question the customer is looking at after these turns, if any."""
    return next((turn.run_id for turn in reversed(turns) if turn.status.waiting), None)


async def answer_waiting_run(
    engine: TaskEngine,
    conversation_id: str,
    message: str,
    identity: Identity | None,
    *,
    confirmed_by: str = "",
) -> TaskTurn | None:
    """Give the customer's message to the conversation's waiting run, if there is one."""
    try:
        return await engine.handle(
            conversation_id, message, identity, deliver=False, confirmed_by=confirmed_by
        )
    except TaskError as exc:
        # Another identity than the one that started the run: the message is not an answer to
        # that run (it stays waiting); the model handles it like any other message.
        logger.info("task run not continued: %s", exc)
        return None
