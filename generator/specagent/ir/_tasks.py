"""Tasks as compiled: every step checked against the plan and reduced to what it does next.

`specagent.tasks` makes these from the declarations (`_agent`); `specagent.render` lays them out
as the package's `tasks.py`, one function per step returning its effect. Expressions and messages
are checked trees (`_task_expr`), which the renderer writes as Python typed by the response
models; everything else is plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specagent.ir._diagnostic import Diagnostic, Location
from specagent.ir._task_expr import Expr, Message


@dataclass(frozen=True, slots=True)
class TaskInput:
    """A task input (or an `instruct` step's output field) as the runtime's `InputSpec` takes it."""

    name: str
    type: str
    description: str
    required: bool
    enum: tuple[str, ...]
    pattern: str | None
    format: str | None
    minimum: float | None
    maximum: float | None
    min_length: int | None
    max_length: int | None

    def keywords(self, *, with_required: bool = True) -> list[tuple[str, Any]]:
        """`InputSpec` keywords whose value differs from the runtime's default, in its order."""
        fields: list[tuple[str, Any]] = [("name", self.name), ("type", self.type)]
        optional = (
            ("description", self.description, ""),
            ("required", self.required, True),
            ("enum", self.enum, ()),
            ("pattern", self.pattern, None),
            ("format", self.format, None),
            ("minimum", self.minimum, None),
            ("maximum", self.maximum, None),
            ("min_length", self.min_length, None),
            ("max_length", self.max_length, None),
        )
        for key, value, default in optional:
            if value == default or (key == "required" and not with_required):
                continue
            whole = self.type == "integer" and isinstance(value, float) and value.is_integer()
            # `minimum: 1` stays 1 in the schema of a whole number.
            fields.append((key, int(value) if whole and isinstance(value, float) else value))
        return fields


# --- what a step does next: one effect per kind of step ------------------------------------
# Step ids (`next`, `then`, ...) are the ids of other steps of the task; None ends the run.


@dataclass(frozen=True, slots=True)
class AskEffect:
    input: str
    prompt: Message
    next: str | None


@dataclass(frozen=True, slots=True)
class CallEffect:
    operation: str  # the operation's constant in the package's `_operations.py`
    args: tuple[tuple[str, Expr], ...]  # argument key -> value
    response_model: str | None  # class in models.py the result is read as; None: raw JSON
    save_as: str | None
    next: str | None
    on_error: str | None = None
    owner: tuple[str, str] | None = None  # (response field path, identity field)
    redact: tuple[str, ...] = ()  # response field paths removed before the run is saved


@dataclass(frozen=True, slots=True)
class BranchEffect:
    """An `if` step: go to `then` when `condition` holds, else to `otherwise`."""

    condition: Expr
    then: str | None
    otherwise: str | None


@dataclass(frozen=True, slots=True)
class ConfirmEffect:
    message: Message
    next: str | None
    declined: str | None


@dataclass(frozen=True, slots=True)
class RespondEffect:
    message: Message
    next: str | None


@dataclass(frozen=True, slots=True)
class SetEffect:
    values: tuple[tuple[str, Expr], ...]  # variable -> value
    next: str | None


@dataclass(frozen=True, slots=True)
class HandoffEffect:
    reason: Message


@dataclass(frozen=True, slots=True)
class EndEffect:
    status: str  # done, cancelled, failed


@dataclass(frozen=True, slots=True)
class InstructEffect:
    instruction: Message
    tools: tuple[str, ...]  # tool names, without repeats
    output: tuple[TaskInput, ...]
    save_as: str
    next: str | None
    max_rounds: int


Effect = (
    AskEffect
    | CallEffect
    | BranchEffect
    | ConfirmEffect
    | RespondEffect
    | SetEffect
    | HandoffEffect
    | EndEffect
    | InstructEffect
)


@dataclass(frozen=True, slots=True)
class CompiledStep:
    id: str  # "2.then.1": the step's place in the task, shown when a run is inspected
    function: str  # the generated function's name
    where: Location | None  # the step in the agent file (None: an implied `end`)
    kind: str  # the step's kind as written (ask, call, if, ...)
    effect: Effect


@dataclass(frozen=True, slots=True)
class CompiledTask:
    name: str
    constant: str  # the module-level name of its TaskDefinition
    inputs_class: str  # the class its steps read the inputs as
    where: Location
    description: str
    requires: str
    inputs: tuple[TaskInput, ...]
    first: str | None
    steps: tuple[CompiledStep, ...]
    # (operation id, response field path) pairs the task reads, e.g. ("getOrderById", "status"):
    # what `specagent diff` needs to tell that a new spec breaks the task.
    fields_used: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TaskProgram:
    """All tasks of an agent file, checked; what `render` lays out as `tasks.py`."""

    tasks: tuple[CompiledTask, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    # agent.json's `context` entry (the `context:` section, checked); None without one.
    context: Mapping[str, Any] | None = None

    def fields_used(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Task name -> the response fields it relies on, by operation id."""
        return {task.name: task.fields_used for task in self.tasks}
