"""The package's `tasks.py`, laid out from the compiled tasks (`ir.TaskProgram`).

Each step becomes one function returning its effect. The template holds the statements (one
macro per kind of effect); this module gives it views: the effect's fields, its expressions
written as typed Python (`_task_expr`: reads of results through the models, of inputs through
the task's inputs dataclass) and the locals those expressions read.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from specagent import ir
from specagent.render._model_index import ModelClass, ModelIndex
from specagent.render._task_expr import LocalNames, StepWriter, input_annotation, inputs_class
from specagent.render._templates import render_template

__all__ = ["render_tasks"]

# The runtime class each effect is written as.
_EFFECT_CLASSES: dict[type[ir.Effect], str] = {
    ir.AskEffect: "Ask",
    ir.CallEffect: "Call",
    ir.BranchEffect: "Goto",
    ir.ConfirmEffect: "Confirm",
    ir.RespondEffect: "Respond",
    ir.SetEffect: "SetValues",
    ir.HandoffEffect: "Handoff",
    ir.EndEffect: "End",
    ir.InstructEffect: "Instruct",
}
# Names tasks.py uses besides the runtime's, which a step's locals must not shadow.
_MODULE_NAMES = frozenset({"ctx", "models", "_operations", "bool", "len", "dataclass", "Literal"})


def render_tasks(program: ir.TaskProgram, models: ModelIndex) -> str:
    """The generated package's `tasks.py` (not yet ruff-formatted; `render` formats all files).

    `models` is the index of the package's models.py, which the steps read results as.
    """
    steps = [step for task in program.tasks for step in task.steps]
    runtime = {"Effect", "InputSpec", "TaskContext", "TaskDefinition"}
    runtime.update(_EFFECT_CLASSES[type(step.effect)] for step in steps)
    reserved = _MODULE_NAMES | runtime | _module_names(program)
    tasks = [_task_view(task, models, reserved) for task in program.tasks]
    calls = [step.effect for step in steps if isinstance(step.effect, ir.CallEffect)]
    reads_models = any(
        local.accessor == "result"
        for task in tasks
        for step in task["steps"]
        for local in step["locals"]
    )
    package = [
        name
        for name, used in (
            ("_operations", bool(calls)),
            ("models", reads_models or any(call.response_model is not None for call in calls)),
        )
        if used
    ]
    inputs = [task["inputs_class"] for task in tasks if task["inputs_class"] is not None]
    return render_template(
        "tasks.py.jinja",
        runtime_imports=sorted(runtime),
        package_imports=package,
        dataclass=bool(inputs),
        literal=any(cls["literal"] for cls in inputs),
        tasks=tasks,
    )


def _module_names(program: ir.TaskProgram) -> set[str]:
    names = {"TASKS"}
    for task in program.tasks:
        names.update((task.constant, task.inputs_class))
        names.update(step.function for step in task.steps)
    return names


def _task_view(
    task: ir.CompiledTask, models: ModelIndex, reserved: frozenset[str]
) -> dict[str, Any]:
    inputs = inputs_class(task.inputs_class, task.inputs) if task.inputs else None
    names = LocalNames(reserved)
    steps = [_step_view(task, step, models, inputs, names) for step in task.steps]
    used = any(local.accessor == "inputs" for step in steps for local in step["locals"])
    return {
        "name": task.name,
        "constant": task.constant,
        "description": task.description,
        "requires": task.requires,
        "first": task.first,
        "inputs": [spec.keywords() for spec in task.inputs],
        "inputs_class": _inputs_class_view(task) if used else None,
        "steps": steps,
    }


def _inputs_class_view(task: ir.CompiledTask) -> dict[str, Any]:
    return {
        "name": task.inputs_class,
        "task": task.name,
        "fields": [(spec.name, ast.unparse(input_annotation(spec))) for spec in task.inputs],
        "literal": any(spec.enum for spec in task.inputs),
    }


def _step_view(
    task: ir.CompiledTask,
    step: ir.CompiledStep,
    models: ModelIndex,
    inputs: ModelClass | None,
    names: LocalNames,
) -> dict[str, Any]:
    writer = StepWriter(models, inputs, names)
    effect = _effect_view(step.effect, writer)  # first: it decides which locals the step reads
    return {
        "id": step.id,
        "task": task.name,
        "function": step.function,
        "kind": step.kind,
        "where": _short_where(step.where),
        "locals": list(writer.locals.values()),
        "effect": effect,
    }


def _short_where(where: ir.Location | None) -> str:
    """`agent.yaml:31` without the folder, so the output does not depend on the checkout."""
    if where is None:
        return ""
    return str(dataclasses.replace(where, file=PurePath(where.file).name, column=0, key=""))


def _effect_view(effect: ir.Effect, writer: StepWriter) -> dict[str, Any]:
    """The effect's fields for its macro: expressions as Python source, the rest as data."""
    if isinstance(effect, ir.AskEffect):
        return {
            "macro": "Ask",
            "input": effect.input,
            "prompt": writer.message(effect.prompt),
            "next": effect.next,
        }
    if isinstance(effect, ir.CallEffect):
        return {
            "macro": "Call",
            "operation": effect.operation,
            "args": _pairs(effect.args, writer),
            "response": effect.response_model,
            "save_as": effect.save_as,
            "next": effect.next,
            "on_error": effect.on_error,
            "owner": effect.owner,
            "redact": tuple(effect.redact),
        }
    if isinstance(effect, ir.BranchEffect):
        return {
            "macro": "Goto",
            "condition": writer.value(effect.condition),
            "then": effect.then,
            "otherwise": effect.otherwise,
        }
    if isinstance(effect, ir.ConfirmEffect):
        return {
            "macro": "Confirm",
            "message": writer.message(effect.message),
            "next": effect.next,
            "declined": effect.declined,
        }
    if isinstance(effect, ir.RespondEffect):
        return {"macro": "Respond", "message": writer.message(effect.message), "next": effect.next}
    if isinstance(effect, ir.SetEffect):
        return {"macro": "SetValues", "values": _pairs(effect.values, writer), "next": effect.next}
    if isinstance(effect, ir.HandoffEffect):
        return {"macro": "Handoff", "reason": writer.message(effect.reason)}
    if isinstance(effect, ir.EndEffect):
        return {"macro": "End", "status": effect.status}
    return {
        "macro": "Instruct",
        "instruction": writer.message(effect.instruction),
        "tools": effect.tools,
        "output": [spec.keywords(with_required=False) for spec in effect.output],
        "save_as": effect.save_as,
        "next": effect.next,
        "max_rounds": effect.max_rounds,
    }


def _pairs(pairs: Iterable[tuple[str, ir.Expr]], writer: StepWriter) -> list[tuple[str, str]]:
    return [(key, writer.data(value)) for key, value in pairs]
