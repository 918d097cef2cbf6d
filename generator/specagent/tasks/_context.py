"""Checking the `context:` section against the plan: each source must be a read-only tool of
the agent that the runtime can call with nothing but the verified identity.

The section's syntax is in `specagent.agentfile._context`; the result is the `context` entry of
agent.json, which the runtime's `UserContext` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specagent import ir
from specagent._diagnostics import blocking, did_you_mean, error
from specagent.agentfile import parse_agent_text
from specagent.ir import Code
from specagent.plan import SAFE_METHODS

# Safe methods that return the resource (OPTIONS and TRACE describe the server, not a customer).
_READ_ONLY = SAFE_METHODS - {"options", "trace"}


def check_context(
    decl: ir.ContextDecl, plan: ir.Plan
) -> tuple[dict[str, Any] | None, list[ir.Diagnostic]]:
    """The agent.json `context` entry, and the problems of each source against the plan."""
    problems: list[ir.Diagnostic] = []
    sources = []
    by_operation: dict[str, ir.Tool] = {}
    for tool in plan.tools:
        operation = tool.endpoint.operation
        by_operation[operation.id] = tool
        if operation.original_id:
            by_operation[operation.original_id] = tool
        by_operation[tool.name] = tool
    known_operations = {endpoint.operation.id for endpoint in plan.endpoints}
    for source in decl.sources:
        chosen = by_operation.get(source.operation)
        if chosen is None:
            if source.operation in known_operations:
                message = f"`{source.operation}` is an operation but not a tool of the agent"
                hint = f"add `{source.operation}` to `tools.include.operations`"
            else:
                message = f"the spec has no operation `{source.operation}`"
                hint = did_you_mean(source.operation, sorted(known_operations), listing=False)
            problems.append(error(Code.CONTEXT_UNKNOWN_OPERATION, source.where, message, hint))
            continue
        problems.extend(_check_source(source, chosen))
        sources.append({"name": source.label, "tool": chosen.name})
    if blocking(problems):
        return None, problems
    data = {
        "refresh_after": decl.refresh_after,
        "max_chars": decl.max_chars,
        "sources": sources,
    }
    return data, problems


def _check_source(source: ir.ContextSource, tool: ir.Tool) -> list[ir.Diagnostic]:
    operation = tool.endpoint.operation
    found: list[ir.Diagnostic] = []
    if operation.method not in _READ_ONLY:
        found.append(
            error(
                Code.CONTEXT_NOT_READ_ONLY,
                source.where,
                f"`{source.operation}` is {operation.method.upper()}: context is read when a"
                " conversation starts, so it must only read (GET)",
            )
        )
    bound = dict(tool.bindings)
    for argument in tool.endpoint.arguments:
        if argument.required and argument.key not in bound:
            found.append(
                error(
                    Code.CONTEXT_UNBOUND_PARAMETER,
                    source.where,
                    f"`{source.operation}` needs `{argument.key}`, which is not bound to the"
                    " identity, so it cannot be called when the conversation starts",
                    f"bind it: `tools.overrides.{source.operation}.bind:"
                    f" {{{argument.key}: identity.<field>}}`",
                )
            )
    if tool.endpoint.success_schema is None:
        found.append(
            error(
                Code.CONTEXT_NO_RESULT,
                source.where,
                f"`{source.operation}` returns no JSON data to show as context",
            )
        )
    return found


def compile_context(
    decl: ir.ContextDecl | None, problems: Sequence[ir.Diagnostic], plan: ir.Plan
) -> tuple[dict[str, Any] | None, list[ir.Diagnostic]]:
    """The agent.json `context` entry of a read section (None without one, or when reading it
    failed), with the reading problems and those of each source against the plan."""
    if decl is None or blocking(problems):
        return None, list(problems)
    data, found = check_context(decl, plan)
    return data, [*problems, *found]


def build_context(
    text: str, source: str, plan: ir.Plan
) -> tuple[dict[str, Any] | None, list[ir.Diagnostic]]:
    """Read and check the `context:` section of agent file `text` in one go."""
    agent = parse_agent_text(text, source)
    return compile_context(agent.context, agent.context_problems, plan)
