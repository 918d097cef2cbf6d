"""What callers see of a task run: its status, a snapshot of it, what one turn produced.

These are the engine's public answers (`TaskEngine.get`, `runs`, `start`, `resume`...); how a
run is stored is `record`'s business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "event": self.event, "detail": self.detail, "at": self.at}

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
    # For a caller that hands the messages over itself (``deliver=False``): the writes that
    # mark them handed over, to save in the caller's own update with what it tells the customer.
    deliveries: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.status.finished
