"""What the agent file's tasks rely on, and which of it a new spec breaks.

The tasks are compiled against the old plan (the baseline: what they use, step by step) and
against the new one; a problem only the new spec causes is a breaking change, named with the
task, the step and the agent-file line, exactly as `generate` would report it after upgrading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from specagent import ir
from specagent.diff._model import Change, TaskRef, problem_change, problem_key
from specagent.tasks import compile_tasks

__all__ = ["TaskUses", "task_changes"]

_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True, slots=True)
class _Call:
    ref: TaskRef
    operation: str  # the operation's id in the old plan
    args: frozenset[str]


def _walk(steps: tuple[ir.Step, ...]) -> Iterator[ir.Step]:
    for step in steps:
        yield step
        if isinstance(step, ir.IfStep):
            yield from _walk(step.then)
            yield from _walk(step.otherwise)
        elif isinstance(step, ir.CallStep) and step.on_error:
            yield from _walk(step.on_error)
        elif isinstance(step, ir.ConfirmStep) and step.declined:
            yield from _walk(step.declined)


class TaskUses:
    """The calls, arguments and response fields of each task, against the old plan."""

    def __init__(
        self,
        calls: list[_Call],
        fields: dict[str, set[tuple[str, str]]],
        places: list[tuple[int, str, list[tuple[int, str]]]],
        baseline: set[tuple[str, str, str]],
        declarations: Sequence[ir.TaskDecl],
    ) -> None:
        self.calls = calls
        self.fields = fields  # task -> {(operation id, field path with [] for indexes)}
        self.places = places  # (task line, task, [(step line, step id)]) sorted by line
        self.baseline = baseline  # problems the old spec already had
        self.declarations = declarations

    @classmethod
    def empty(cls) -> TaskUses:
        return cls([], {}, [], set(), [])

    @classmethod
    def build(cls, declarations: Sequence[ir.TaskDecl], plan: ir.Plan) -> TaskUses:
        program, problems = compile_tasks(declarations, plan)
        ids = {e.operation.original_id or e.operation.id: e.operation.id for e in plan.endpoints}
        ids.update({e.operation.id: e.operation.id for e in plan.endpoints})
        step_ids = {step.where: step.id for task in program.tasks for step in task.steps}
        calls = []
        places = []
        for declaration in declarations:
            steps = []
            for step in _walk(declaration.steps):
                step_id = step_ids.get(step.where, "?")
                steps.append((step.where.line, step_id))
                if isinstance(step, ir.CallStep):
                    ref = TaskRef(declaration.name, step_id, step.where)
                    operation = ids.get(step.operation, step.operation)
                    calls.append(_Call(ref, operation, frozenset(key for key, _ in step.args)))
            places.append((declaration.where.line, declaration.name, sorted(steps)))
        fields = {
            task.name: {(ids.get(op, op), _INDEX.sub("[]", path)) for op, path in task.fields_used}
            for task in program.tasks
        }
        baseline = {problem_key(problem) for problem in problems}
        return cls(calls, fields, sorted(places), baseline, declarations)

    @property
    def operations(self) -> list[str]:
        return list(dict.fromkeys(call.operation for call in self.calls))

    def calls_of(self, operation: str) -> tuple[TaskRef, ...]:
        return tuple(call.ref for call in self.calls if call.operation == operation)

    def affected(self, operation: str, kind: str, subject: str) -> tuple[TaskRef, ...]:
        """The task steps a change of `operation` reaches."""
        calls = [call for call in self.calls if call.operation == operation]
        if kind in {"parameter.added", "parameter.required"}:
            return tuple(call.ref for call in calls if subject not in call.args)
        if kind.startswith("parameter."):
            return tuple(call.ref for call in calls if subject in call.args)
        if kind.startswith("response."):
            readers = {
                task
                for task, used in self.fields.items()
                for op, path in used
                if op == operation and _within(path, subject)
            }
            return tuple(call.ref for call in calls if call.ref.task in readers)
        if kind.startswith(("security.", "operation.", "tool.removed")):
            return tuple(call.ref for call in calls)
        return ()

    def locate(self, where: ir.Location) -> TaskRef | None:
        """The task and step an agent-file line belongs to."""
        line = where.line
        found = None
        for task_line, task, steps in self.places:
            if task_line <= line:
                found = (task, steps)
        if found is None:
            return None
        task, steps = found
        step = next((step_id for step_line, step_id in reversed(steps) if step_line <= line), "")
        return TaskRef(task, step, where)


def _within(used: str, changed: str) -> bool:
    """`used` is the changed field or lies inside it (a task reading `customer.email` is hit
    when `customer` goes)."""
    return not changed or used == changed or used.startswith((f"{changed}.", f"{changed}["))


def task_changes(uses: TaskUses, new: ir.Plan) -> list[Change]:
    """Problems compiling the tasks against `new` that the old spec did not cause."""
    if not uses.declarations:
        return []
    _, problems = compile_tasks(uses.declarations, new)
    changes = []
    for problem in problems:
        if problem_key(problem) in uses.baseline:
            continue
        ref = uses.locate(problem.location)
        if ref is None:
            changes.append(problem_change("task.broken", problem))
            continue
        prefix = f"task `{ref.task}`: "
        changes.append(
            problem_change("task.broken", problem, subject=ref.task, tasks=(ref,), prefix=prefix)
        )
    return changes
