"""The package's `tasks.py`, laid out from the compiled tasks (`ir.TaskProgram`).

Each step becomes one function returning its effect; the compiler has already checked every
expression and written it as Python source (`ir.PyExpr`), so this module only places the pieces:
names through `repr`, expressions as given.
"""

from __future__ import annotations

import dataclasses
from pathlib import PurePath
from typing import Any

from specagent import ir
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


def render_tasks(program: ir.TaskProgram) -> str:
    """The generated package's `tasks.py` (not yet ruff-formatted; `render` formats all files)."""
    steps = [step for task in program.tasks for step in task.steps]
    runtime = {"Effect", "InputSpec", "TaskContext", "TaskDefinition"}
    runtime.update(_EFFECT_CLASSES[type(step.effect)] for step in steps)
    calls = [step.effect for step in steps if isinstance(step.effect, ir.CallEffect)]
    package = [
        name
        for name, used in (
            ("_operations", bool(calls)),
            ("models", any(call.response_model is not None for call in calls)),
        )
        if used
    ]
    return render_template(
        "tasks.py.jinja",
        runtime_imports=sorted(runtime),
        package_imports=package,
        tasks=[_task_view(task) for task in program.tasks],
    )


def _task_view(task: ir.CompiledTask) -> dict[str, Any]:
    return {
        "name": task.name,
        "constant": task.constant,
        "description": task.description,
        "requires": task.requires,
        "first": task.first,
        "inputs": [spec.keywords() for spec in task.inputs],
        "steps": [
            {
                "id": step.id,
                "function": step.function,
                "kind": step.kind,
                "body": _body(step.effect),
                "where": _short_where(step.where),
            }
            for step in task.steps
        ],
    }


def _short_where(where: ir.Location | None) -> str:
    """`agent.yaml:31` without the folder, so the output does not depend on the checkout."""
    if where is None:
        return ""
    return str(dataclasses.replace(where, file=PurePath(where.file).name, column=0, key=""))


def _body(effect: ir.Effect) -> tuple[str, ...]:
    """The step function's body, unindented: `return <Effect>(...)`."""
    if isinstance(effect, ir.AskEffect):
        return (
            f"return Ask(input={effect.input!r}, prompt={effect.prompt}, next={effect.next!r})",
        )
    if isinstance(effect, ir.CallEffect):
        return _call(effect)
    if isinstance(effect, ir.BranchEffect):
        return (
            f"if {effect.condition}:",
            f"    return Goto({effect.then!r})",
            f"return Goto({effect.otherwise!r})",
        )
    if isinstance(effect, ir.ConfirmEffect):
        return (
            f"return Confirm(message={effect.message}, next={effect.next!r},"
            f" declined={effect.declined!r})",
        )
    if isinstance(effect, ir.RespondEffect):
        return (f"return Respond(message={effect.message}, next={effect.next!r})",)
    if isinstance(effect, ir.SetEffect):
        return (
            "return SetValues(",
            "    values={",
            *(f"    {name!r}: {code}," for name, code in effect.values),
            "    },",
            f"    next={effect.next!r},",
            ")",
        )
    if isinstance(effect, ir.HandoffEffect):
        return (f"return Handoff(reason={effect.reason})",)
    if isinstance(effect, ir.EndEffect):
        return (f"return End(status={effect.status!r})",)
    return _instruct(effect)


def _call(effect: ir.CallEffect) -> tuple[str, ...]:
    response = f"models.{effect.response_model}" if effect.response_model is not None else "None"
    lines = [
        "return Call(",
        f"    operation=_operations.{effect.operation},",
        "    args={",
        *(f"        {key!r}: {code}," for key, code in effect.args),
        "    },",
        f"    response={response},",
        f"    save_as={effect.save_as!r},",
        f"    next={effect.next!r},",
    ]
    if effect.on_error is not None:
        lines.append(f"    on_error={effect.on_error!r},")
    if effect.owner is not None:
        lines.append(f"    owner={effect.owner!r},")
    if effect.redact:
        lines.append(f"    redact={tuple(effect.redact)!r},")
    lines.append(")")
    return tuple(lines)


def _instruct(effect: ir.InstructEffect) -> tuple[str, ...]:
    return (
        "return Instruct(",
        f"    instruction={effect.instruction},",
        f"    tools={effect.tools!r},",
        "    output=(",
        *(f"        {_input_spec(spec)}," for spec in effect.output),
        "    ),",
        f"    save_as={effect.save_as!r},",
        f"    next={effect.next!r},",
        f"    max_rounds={effect.max_rounds!r},",
        ")",
    )


def _input_spec(spec: ir.TaskInput) -> str:
    fields = spec.keywords(with_required=False)
    return "InputSpec(" + ", ".join(f"{key}={value!r}" for key, value in fields) + ")"
