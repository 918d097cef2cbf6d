"""Checking and compiling an `instruct:` step (see `specagent.agentfile._instruct` for the syntax).

The step's tools must be tools of the agent (by tool name or operation id), and its `output`
becomes a variable typed from the declared fields, so `choice.order_id` in a later step is
checked exactly like a call's result: an unknown field, a comparison with the wrong type or an
enum value the output can never have is an error at generation time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from specagent import ir
from specagent._diagnostics import did_you_mean
from specagent.ir import Code
from specagent.tasks import _types as t
from specagent.tasks._expr import Scope
from specagent.tasks._flow import task_input
from specagent.tasks._types import Ty


class Compiler(Protocol):
    """What this step needs of the task compiler (`_compile`), which calls it."""

    @property
    def plan(self) -> ir.Plan: ...

    @property
    def endpoints(self) -> Mapping[str, ir.Endpoint]: ...

    def template(self, text: str, where: ir.Location, scope: Scope) -> ir.Message: ...

    def fail(self, code: ir.Code, where: ir.Location, message: str, hint: str = "") -> None: ...


def compile_instruct(
    compiler: Compiler,
    step: ir.InstructStep,
    following: str | None,
    scope: Scope,
    variables: dict[str, Ty],
) -> ir.InstructEffect:
    """The step's effect; records the output's type under `as`."""
    instruction = compiler.template(step.instruction, step.where, scope)
    tools = [
        name
        for written, where in step.tools
        if (name := _tool_name(compiler, written, where)) is not None
    ]
    variables[step.save_as] = Ty(
        t.OBJECT, fields={decl.name: Ty(decl.type, enum=decl.enum) for decl in step.output}
    )
    return ir.InstructEffect(
        instruction=instruction,
        tools=tuple(dict.fromkeys(tools)),
        output=tuple(task_input(decl) for decl in step.output),
        save_as=step.save_as,
        next=following,
        max_rounds=step.max_rounds,
    )


def _tool_name(compiler: Compiler, written: str, where: ir.Location) -> str | None:
    """The agent's tool `written` names (a tool name or the id of its operation)."""
    by_name = {tool.name: tool for tool in compiler.plan.tools}
    if written in by_name:
        return written
    for tool in compiler.plan.tools:
        operation = tool.endpoint.operation
        if written in (operation.id, operation.original_id):
            return tool.name
    if written in compiler.endpoints:
        compiler.fail(
            Code.TASK_UNKNOWN_TOOL,
            where,
            f"`instruct` step: `{written}` is an operation but not a tool of the agent",
            f"add `{written}` to `tools.include.operations`",
        )
        return None
    compiler.fail(
        Code.TASK_UNKNOWN_TOOL,
        where,
        f"`instruct` step: the agent has no tool `{written}`",
        did_you_mean(written, sorted(by_name)) if by_name else "the agent file selects no tools",
    )
    return None


__all__ = ["compile_instruct"]
