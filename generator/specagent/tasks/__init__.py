"""Tasks: multi-step procedures from agent.yaml, checked against the spec and compiled.

    program, diagnostics = compile_agent(load_agent_file(Path("agent.yaml")), plan)
    files["tasks.py"] = render_tasks(plan, program)       # typed step functions
    agent_json["tasks"] = task_tools(program)             # one tool per task for the model

The `tasks:` section is read with line numbers by `specagent.agentfile`; here every expression
is parsed with `ast`, type-checked against the inputs, the identity and the response schemas of
the calls before it (`_expr`, `_types`), and each step becomes one small Python function
(`_compile`). See docs/tasks.md for the language.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from specagent import ir
from specagent.agentfile import AgentFile, parse_agent_text
from specagent.tasks._compile import CompiledTask, TaskProgram, compile_tasks
from specagent.tasks._context import compile_context

__all__ = [
    "CompiledTask",
    "TaskProgram",
    "build_tasks",
    "compile_agent",
    "compile_tasks",
    "render_tasks",
    "task_tools",
]

# The effect class each kind of step returns (a call to an unknown operation compiles to `End`
# only when there are errors, and then nothing is rendered).
_EFFECT_BY_KIND = {
    "ask": "Ask",
    "call": "Call",
    "if": "Goto",
    "confirm": "Confirm",
    "respond": "Respond",
    "set": "SetValues",
    "handoff": "Handoff",
    "end": "End",
    "instruct": "Instruct",
}


def compile_agent(agent: AgentFile, plan: ir.Plan) -> tuple[TaskProgram, list[ir.Diagnostic]]:
    """The agent file's tasks and context, compiled against `plan`, with every problem: those
    found reading the two sections, then the compiler's."""
    diagnostics = list(agent.task_problems)
    program, problems = compile_tasks(agent.tasks, plan)
    diagnostics.extend(problems)
    context, context_problems = compile_context(agent.context, agent.context_problems, plan)
    diagnostics.extend(context_problems)
    return TaskProgram(program.tasks, tuple(diagnostics), context), diagnostics


def build_tasks(text: str, source: str, plan: ir.Plan) -> tuple[TaskProgram, list[ir.Diagnostic]]:
    """`compile_agent` for agent file `text` (named `source` in diagnostics)."""
    return compile_agent(parse_agent_text(text, source), plan)


def render_tasks(plan: ir.Plan, program: TaskProgram) -> str:
    """The generated package's `tasks.py` (not yet ruff-formatted; `render` formats all files).

    `plan` is taken for symmetry with the other renderers and future use (task names must not
    collide with tool names, which the plan knows).
    """
    from specagent.render._templates import render_template  # noqa: PLC0415  # render imports us

    del plan
    steps = [step for task in program.tasks for step in task.steps]
    runtime = {"Effect", "InputSpec", "TaskContext", "TaskDefinition"}
    runtime.update(_EFFECT_BY_KIND[step.kind] for step in steps)
    lines = {line.strip().partition(".")[0] for step in steps for line in step.body}
    package = [
        name
        for name, prefix in (
            ("_operations", "operation=_operations"),
            ("models", "response=models"),
        )
        if prefix in lines
    ]
    return render_template(
        "tasks.py.jinja",
        runtime_imports=sorted(runtime),
        package_imports=package,
        tasks=[_task_view(task) for task in program.tasks],
    )


def _task_view(task: CompiledTask) -> dict[str, Any]:
    return {
        "name": task.name,
        "constant": task.constant,
        "description": task.description,
        "requires": task.requires,
        "first": task.first,
        "inputs": [_input_fields(spec) for spec in task.inputs],
        "steps": [
            {
                "id": step.id,
                "function": step.function,
                "kind": step.kind,
                "body": step.body,
                "where": _short_where(step.where),
            }
            for step in task.steps
        ],
    }


def _short_where(where: str) -> str:
    """`agent.yaml:31` without the folder, so the output does not depend on the checkout."""
    file, colon, line = where.rpartition(":")
    if not colon or not line.isdigit():
        return PurePath(where).name
    return f"{PurePath(file).name}:{line}"


def _input_fields(spec: Any) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = [("name", spec.name), ("type", spec.type)]
    optional = (
        ("description", spec.description, ""),
        ("required", spec.required, True),
        ("enum", spec.enum, ()),
        ("pattern", spec.pattern, None),
        ("format", spec.format, None),
        ("minimum", spec.minimum, None),
        ("maximum", spec.maximum, None),
        ("min_length", spec.min_length, None),
        ("max_length", spec.max_length, None),
    )
    for key, value, default in optional:
        if value == default:
            continue
        whole = spec.type == "integer" and isinstance(value, float) and value.is_integer()
        # `minimum: 1` stays 1 in the schema of a whole number.
        fields.append((key, int(value) if whole else value))
    return fields


def task_tools(program: TaskProgram) -> list[dict[str, Any]]:
    """One tool per task for agent.json: name, description, `requires`, argument schema."""
    from specagent_runtime import InputSpec, TaskDefinition  # noqa: PLC0415

    tools = []
    for task in program.tasks:
        inputs = tuple(InputSpec(**dict(_input_fields(spec))) for spec in task.inputs)
        definition = TaskDefinition(
            name=task.name,
            description=task.description,
            requires="anyone" if task.requires == "anyone" else "verified",
            inputs=inputs,
            first=task.first,
            steps={},
        )
        tools.append(definition.tool_json())
    return tools
