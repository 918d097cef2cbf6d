"""A task run as stored between steps: a typed record, and the index that lists the runs.

The record is plain JSON in the store (kind "task_run", key = run id), written after every
step with the version it was read at, so two workers can never both advance one run. In memory
it is a `RunRecord`, so the engine reads fields mypy can check instead of string keys. The
JSON keys are the ones format 1 has always had (plus optional ones older runtimes ignore):
runs saved by any earlier runtime load, and runs saved now load in it. An index record per run
(kind "task_run_of", key ``<conversation>/<run id>``) finds a conversation's runs with a prefix
scan; it is written in the same update that creates the run. The single index record earlier
runtimes kept ("task_run_index"/"all", a record every start rewrote) is still read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from specagent_runtime._stores.base import Put, Store
from specagent_runtime._tasks.run import HistoryEntry, RunInfo, RunStatus

RUN_KIND = "task_run"
BY_CONVERSATION_KIND = "task_run_of"
INDEX_KIND = "task_run_index"  # the single index record of earlier runtimes, read only
INDEX_KEY = "all"
FORMAT = 1


@dataclass(slots=True)
class WaitingInput:
    """The run asked the customer for `input` and waits for the answer."""

    input: str
    message: str  # the question, asked again after an invalid answer
    next: str | None
    attempts: int = 0  # invalid answers so far

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "input",
            "input": self.input,
            "message": self.message,
            "next": self.next,
            "attempts": self.attempts,
        }


@dataclass(slots=True)
class WaitingConfirmation:
    """The run showed `message` and waits for yes (go to `next`) or no (`declined`, or end)."""

    message: str
    next: str | None
    declined: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "confirm",
            "message": self.message,
            "next": self.next,
            "declined": self.declined,
        }


Waiting = WaitingInput | WaitingConfirmation


def waiting_from_json(data: Mapping[str, Any] | None) -> Waiting | None:
    if not data:
        return None
    if data["kind"] == "input":
        return WaitingInput(
            input=str(data["input"]),
            message=str(data["message"]),
            next=data.get("next"),
            attempts=int(data.get("attempts", 0)),
        )
    return WaitingConfirmation(
        message=str(data["message"]), next=data.get("next"), declined=data.get("declined")
    )


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A call recorded as started before it is sent; still set after a crash mid-call."""

    step: str
    operation: str  # operation id
    retry_safe: bool  # an idempotent method, or an API that deduplicates on the key

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "operation": self.operation, "retry_safe": self.retry_safe}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PendingCall | None:
        if not data:
            return None
        return cls(str(data["step"]), str(data["operation"]), bool(data["retry_safe"]))


@dataclass(slots=True)
class RunRecord:
    """One run: where it stands, what it knows, what the customer has not been told yet."""

    id: str
    task: str
    conversation_id: str | None
    status: RunStatus
    step: str | None  # the next step to run; None once the run ended
    # `inputs`, `identity` and each step's saved result: what step functions read.
    variables: dict[str, Any]
    created_at: float
    updated_at: float
    waiting: Waiting | None = None
    pending: PendingCall | None = None
    outbox: list[str] = field(default_factory=list)  # messages not yet handed to the caller
    history: list[HistoryEntry] = field(default_factory=list)
    handoff_reason: str | None = None
    confirmed_by: str = ""  # what confirmed its last confirm step ("message:<id>", "host:...")

    @classmethod
    def new(
        cls,
        run_id: str,
        *,
        task: str,
        conversation_id: str | None,
        inputs: Mapping[str, Any],
        identity: Mapping[str, str],
        first: str | None,
        now: float,
    ) -> RunRecord:
        return cls(
            id=run_id,
            task=task,
            conversation_id=conversation_id,
            status=RunStatus.RUNNING,
            step=first,
            variables={"inputs": dict(inputs), "identity": dict(identity)},
            created_at=now,
            updated_at=now,
        )

    @property
    def inputs(self) -> dict[str, Any]:
        inputs: dict[str, Any] = self.variables.setdefault("inputs", {})
        return inputs

    @property
    def identity(self) -> dict[str, str]:
        """The verified identity the run belongs to ({} for a run anyone may continue)."""
        return {str(k): str(v) for k, v in (self.variables.get("identity") or {}).items()}

    @property
    def waiting_for(self) -> str | None:
        if isinstance(self.waiting, WaitingInput):
            return f"input:{self.waiting.input}"
        if isinstance(self.waiting, WaitingConfirmation):
            return "confirmation"
        return None

    def to_json(self) -> dict[str, Any]:
        data = self._json()
        if not self.confirmed_by:
            del data["confirmed_by"]  # a run without one saves exactly what format 1 always had
        return data

    def _json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "task": self.task,
            "conversation_id": self.conversation_id,
            "status": self.status.value,
            "step": self.step,
            "variables": self.variables,
            "waiting": self.waiting.to_json() if self.waiting is not None else None,
            "pending": self.pending.to_json() if self.pending is not None else None,
            "outbox": list(self.outbox),
            "history": [entry.to_json() for entry in self.history],
            "handoff_reason": self.handoff_reason,
            "confirmed_by": self.confirmed_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        """Read a stored run; the optional keys may be missing from runs saved long ago."""
        return cls(
            id=str(data["id"]),
            task=str(data["task"]),
            conversation_id=data.get("conversation_id"),
            status=RunStatus(data["status"]),
            step=data.get("step"),
            variables=dict(data.get("variables") or {}),
            created_at=float(data["created_at"]),
            updated_at=float(data["updated_at"]),
            waiting=waiting_from_json(data.get("waiting")),
            pending=PendingCall.from_json(data.get("pending")),
            outbox=[str(message) for message in data.get("outbox") or ()],
            history=[HistoryEntry.from_json(entry) for entry in data.get("history") or ()],
            handoff_reason=data.get("handoff_reason"),
            confirmed_by=str(data.get("confirmed_by") or ""),
        )

    def info(self, lines: Mapping[str, str]) -> RunInfo:
        """The caller's snapshot; `lines` place each step in the agent file."""
        step = self.step
        return RunInfo(
            id=self.id,
            task=self.task,
            conversation_id=self.conversation_id,
            status=self.status,
            step=step,
            where=lines.get(step, "") if step is not None and not self.status.finished else "",
            waiting_for=self.waiting_for,
            handoff_reason=self.handoff_reason,
            history=tuple(self.history),
            variables=self.variables,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def index_entry(run_id: str, conversation_id: str | None) -> Put:
    """The write that lists a new run under its conversation (in the run's creating update)."""
    return Put(BY_CONVERSATION_KIND, f"{_prefix(conversation_id)}{run_id}", {"run": run_id}, 0)


def _prefix(conversation_id: str | None) -> str:
    return quote(conversation_id or "", safe="") + "/"


async def indexed_runs(store: Store, conversation_id: str | None) -> list[str]:
    """The run ids of a conversation (of all, for None), from both index forms."""
    prefix = "" if conversation_id is None else _prefix(conversation_id)
    found = [str(value.value["run"]) for _, value in await store.scan(BY_CONVERSATION_KIND, prefix)]
    legacy = await store.get(INDEX_KIND, INDEX_KEY)
    if legacy is not None:
        found += [
            str(run_id)
            for run_id, conversation in legacy.value["runs"]
            if conversation_id is None or conversation == conversation_id
        ]
    return list(dict.fromkeys(found))
