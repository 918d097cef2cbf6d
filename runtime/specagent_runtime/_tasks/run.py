"""A task run as stored between steps, and what callers see of it.

The record is plain JSON in the store (kind "task_run", key = run id), written after every
step with the version it was read at, so two workers can never both advance one run. An index
record lists the runs so they can be found by conversation without a query API in the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from specagent_runtime._errors import StoreConflict, TaskError
from specagent_runtime._stores.base import Store

RUN_KIND = "task_run"
INDEX_KIND = "task_run_index"
INDEX_KEY = "all"
FORMAT = 1


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING_INPUT = "waiting_input"
    WAITING_CONFIRMATION = "waiting_confirmation"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"
    HANDED_OFF = "handed_off"

    @property
    def finished(self) -> bool:
        return self in _FINISHED

    @property
    def waiting(self) -> bool:
        return self in (RunStatus.WAITING_INPUT, RunStatus.WAITING_CONFIRMATION)


_FINISHED = frozenset({RunStatus.DONE, RunStatus.CANCELLED, RunStatus.FAILED, RunStatus.HANDED_OFF})


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    step: str | None
    event: str  # "call", "called", "asked", "answered", "confirmed", "declined", ...
    detail: str
    at: float

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HistoryEntry:
        return cls(data.get("step"), str(data["event"]), str(data.get("detail", "")), data["at"])


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A snapshot of one run for inspection (`engine.runs()`, `engine.get(run_id)`)."""

    id: str
    task: str
    conversation_id: str | None
    status: RunStatus
    step: str | None
    where: str  # the current step's place in the agent file, "" when finished
    waiting_for: str | None  # "input:<name>" or "confirmation"
    handoff_reason: str | None
    history: tuple[HistoryEntry, ...]
    # Customer data (identity, answers, API results): kept out of the repr, hence out of logs.
    variables: Mapping[str, Any] = field(repr=False)
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class TaskTurn:
    """What a start/resume/recover produced: messages for the customer, in order, and whether
    the run now waits for the customer's next message."""

    run_id: str
    task: str
    status: RunStatus
    messages: tuple[str, ...]
    waiting_for: str | None = None
    handoff_reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status.finished


def new_record(
    run_id: str,
    *,
    task: str,
    conversation_id: str | None,
    inputs: Mapping[str, Any],
    identity: Mapping[str, str],
    first: str | None,
    now: float,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "id": run_id,
        "task": task,
        "conversation_id": conversation_id,
        "status": RunStatus.RUNNING.value,
        "step": first,
        "variables": {"inputs": dict(inputs), "identity": dict(identity)},
        "waiting": None,
        "pending": None,
        "outbox": [],
        "history": [],
        "handoff_reason": None,
        "created_at": now,
        "updated_at": now,
    }


def waiting_for(record: Mapping[str, Any]) -> str | None:
    waiting = record.get("waiting")
    if not waiting:
        return None
    if waiting["kind"] == "input":
        return f"input:{waiting['input']}"
    return "confirmation"


def info(record: Mapping[str, Any], lines: Mapping[str, str]) -> RunInfo:
    step = record.get("step")
    status = RunStatus(record["status"])
    return RunInfo(
        id=record["id"],
        task=record["task"],
        conversation_id=record.get("conversation_id"),
        status=status,
        step=step,
        where=lines.get(step, "") if step is not None and not status.finished else "",
        waiting_for=waiting_for(record),
        handoff_reason=record.get("handoff_reason"),
        history=tuple(HistoryEntry.from_json(entry) for entry in record.get("history", ())),
        variables=record.get("variables", {}),
        created_at=record["created_at"],
        updated_at=record["updated_at"],
    )


async def add_to_index(store: Store, run_id: str, conversation_id: str | None) -> None:
    """Record the run in the index; retried on conflicts, since other runs start concurrently."""
    for _ in range(20):
        found = await store.get(INDEX_KIND, INDEX_KEY)
        entries: list[Any] = list(found.value["runs"]) if found is not None else []
        entries.append([run_id, conversation_id])
        try:
            await store.put(
                INDEX_KIND,
                INDEX_KEY,
                {"runs": entries},
                version=found.version if found is not None else 0,
            )
        except StoreConflict:
            continue
        return
    raise TaskError("the task run index is too busy; try again")


async def indexed_runs(store: Store, conversation_id: str | None) -> list[str]:
    found = await store.get(INDEX_KIND, INDEX_KEY)
    if found is None:
        return []
    return [
        str(run_id)
        for run_id, conversation in found.value["runs"]
        if conversation_id is None or conversation == conversation_id
    ]
