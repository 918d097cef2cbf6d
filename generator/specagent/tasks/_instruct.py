"""Checking and compiling an `instruct:` step (see `specagent.agentfile._instruct` for the syntax).

The step's tools must be tools of the agent (by tool name or operation id), and its `output`
becomes a variable typed from the declared fields, so `choice.order_id` in a later step is
checked exactly like a call's result: an unknown field, a comparison with the wrong type or an
enum value the output can never have is an error at generation time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specagent import ir
from specagent._diagnostics import did_you_mean
from specagent.tasks import _types as t
from specagent.tasks._expr import Scope
from specagent.tasks._types import Ty

if TYPE_CHECKING:
    from specagent.tasks._compile import _TaskCompiler


def compile_instruct(
    compiler: _TaskCompiler,
    step: ir.InstructStep,
    following: str | None,
    scope: Scope,
    variables: dict[str, Ty],
) -> list[str]:
    """The step function's body; records the output's type under `as`."""
    instruction = compiler._template(step.instruction, step.where, scope)
    tools = [
        name
        for written, where in step.tools
        if (name := _tool_name(compiler, written, where)) is not None
    ]
    variables[step.save_as] = Ty(
        t.OBJECT, fields={decl.name: Ty(decl.type, enum=decl.enum) for decl in step.output}
    )
    return [
        "return Instruct(",
        f"    instruction={instruction},",
        f"    tools={tuple(dict.fromkeys(tools))!r},",
        "    output=(",
        *(f"        {_input_spec(decl)}," for decl in step.output),
        "    ),",
        f"    save_as={step.save_as!r},",
        f"    next={following!r},",
        f"    max_rounds={step.max_rounds!r},",
        ")",
    ]


def _tool_name(compiler: _TaskCompiler, written: str, where: str) -> str | None:
    """The agent's tool `written` names (a tool name or the id of its operation)."""
    by_name = {tool.name: tool for tool in compiler.plan.tools}
    if written in by_name:
        return written
    for tool in compiler.plan.tools:
        operation = tool.endpoint.operation
        if written in (operation.id, operation.original_id):
            return tool.name
    if written in compiler.endpoints:
        compiler._fail(
            "task.unknown_tool",
            where,
            f"`instruct` step: `{written}` is an operation but not a tool of the agent",
            f"add `{written}` to `tools.include.operations`",
        )
        return None
    compiler._fail(
        "task.unknown_tool",
        where,
        f"`instruct` step: the agent has no tool `{written}`",
        did_you_mean(written, sorted(by_name)) if by_name else "the agent file selects no tools",
    )
    return None


def _input_spec(decl: ir.InputDecl) -> str:
    fields: list[tuple[str, object]] = [("name", decl.name), ("type", decl.type)]
    optional: tuple[tuple[str, object, object], ...] = (
        ("description", decl.description, ""),
        ("enum", decl.enum, ()),
        ("pattern", decl.pattern, None),
        ("format", decl.format, None),
        ("minimum", decl.minimum, None),
        ("maximum", decl.maximum, None),
        ("min_length", decl.min_length, None),
        ("max_length", decl.max_length, None),
    )
    for key, value, default in optional:
        if value == default:
            continue
        whole = decl.type == "integer" and isinstance(value, float) and value.is_integer()
        fields.append((key, int(value) if whole and isinstance(value, float) else value))
    return "InputSpec(" + ", ".join(f"{key}={value!r}" for key, value in fields) + ")"


__all__ = ["compile_instruct"]
