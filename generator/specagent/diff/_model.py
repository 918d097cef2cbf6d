"""The values `specagent diff` reports: changes, their severity, and the task steps they hit."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from specagent.ir import Location

__all__ = ["Change", "DiffReport", "Severity", "TaskRef"]


class Severity(StrEnum):
    BREAKING = "breaking"
    WARNING = "warning"  # still works, but the agent may behave differently
    INFO = "info"


@dataclass(frozen=True, slots=True)
class TaskRef:
    task: str
    step: str  # "3", "2.then.1": the step's place in the task, as the runtime shows it
    where: Location  # the step in the agent file


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # "tool.removed", "parameter.required", "response.field_removed", ...
    severity: Severity
    operation: str  # operation id (the new one when both specs have it)
    tool: str  # the tool's name; "" for an operation only tasks call, or an API-wide change
    subject: str  # argument key, response field path or scheme name; "" for the whole tool
    message: str
    where: Location | None = None  # in the new spec, or the agent file
    tasks: tuple[TaskRef, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "severity": self.severity.value,
            "operation": self.operation,
            "tool": self.tool,
            "subject": self.subject,
            "message": self.message,
            "where": str(self.where) if self.where is not None else "",
            "tasks": [{"task": t.task, "step": t.step, "where": str(t.where)} for t in self.tasks],
        }


@dataclass(frozen=True, slots=True)
class DiffReport:
    old: str  # "Title 1.0.0"
    new: str
    changes: tuple[Change, ...] = field(default=())

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.severity is Severity.BREAKING)

    def to_json(self) -> dict[str, object]:
        return {
            "old": self.old,
            "new": self.new,
            "breaking": len(self.breaking),
            "changes": [change.to_json() for change in self.changes],
        }
