"""The values `specagent diff` reports: changes, their impact, and the task steps they hit."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from specagent import ir
from specagent.ir import Location

__all__ = ["Change", "DiffReport", "Impact", "TaskRef", "problem_change", "problem_key"]


class Impact(StrEnum):
    """What a change does to the agent (not `ir.Severity`, which says whether a problem of the
    inputs stops generation)."""

    BREAKING = "breaking"  # something that works today can fail
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
    impact: Impact
    operation: str  # operation id (the new one when both specs have it)
    tool: str  # the tool's name; "" for an operation only tasks call, or an API-wide change
    subject: str  # argument key, response field path or scheme name; "" for the whole tool
    message: str
    where: Location | None = None  # in the new spec, or the agent file
    tasks: tuple[TaskRef, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "severity": self.impact.value,  # the name the JSON report has always used
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
        return tuple(c for c in self.changes if c.impact is Impact.BREAKING)

    def to_json(self) -> dict[str, object]:
        return {
            "old": self.old,
            "new": self.new,
            "breaking": len(self.breaking),
            "changes": [change.to_json() for change in self.changes],
        }


def problem_key(problem: ir.Diagnostic) -> tuple[str, str, str]:
    """What makes a problem of the old run and one of the new run the same: code, place, text."""
    return (problem.code, problem.where, problem.message)


def problem_change(
    kind: str,
    problem: ir.Diagnostic,
    *,
    subject: str = "",
    tasks: tuple[TaskRef, ...] = (),
    prefix: str = "",
) -> Change:
    """A problem only the new spec causes, as a change: an error breaks the agent, a warning is
    one to review; the hint joins the message (less `prefix`, said by the row already)."""
    impact = Impact.BREAKING if problem.blocks() else Impact.WARNING
    message = problem.message + (f" ({problem.hint})" if problem.hint else "")
    return Change(
        kind, impact, "", "", subject, message.removeprefix(prefix), problem.location, tasks
    )
