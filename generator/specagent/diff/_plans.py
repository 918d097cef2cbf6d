"""Comparing two plans tool by tool: what is gone, renamed, added, and which task steps it hits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from specagent import ir
from specagent.diff._model import Change, DiffReport, Impact, problem_change, problem_key
from specagent.diff._ops import compare_endpoints, compare_security_schemes
from specagent.diff._tasks import TaskUses, task_changes

__all__ = ["diff_plans"]


def diff_plans(
    old: ir.Plan,
    new: ir.Plan,
    *,
    tasks: Sequence[ir.TaskDecl] = (),
    old_agent_problems: Iterable[ir.Diagnostic] = (),
    new_agent_problems: Iterable[ir.Diagnostic] = (),
) -> DiffReport:
    """Everything that changed for the agent from `old` to `new`, breaking changes first.

    `tasks` are the agent file's (both plans were made with it), as declared; they are compiled
    against both plans. `*_agent_problems` are the agent file's references each spec lacks
    (`check_agent_against_api`): the new ones are breaking changes.
    """
    uses = TaskUses.build(tasks, old) if tasks else TaskUses.empty()
    changes: list[Change] = []
    old_tools = {tool.endpoint.operation.id: tool for tool in old.tools}
    new_tools = {tool.endpoint.operation.id: tool for tool in new.tools}
    new_endpoints = {e.operation.id: e for e in new.endpoints}
    new_by_route = {(e.operation.method, e.operation.path): e for e in new.endpoints}
    old_endpoints = {e.operation.id: e for e in old.endpoints}
    matched_new: set[str] = set()

    relevant = [*old_tools, *(op for op in uses.operations if op not in old_tools)]
    for operation_id in relevant:
        before = old_endpoints.get(operation_id)
        if before is None:
            continue  # a task calling an operation the old spec lacks: the task compiler says so
        tool = old_tools.get(operation_id)
        after = new_endpoints.get(operation_id) or new_by_route.get(
            (before.operation.method, before.operation.path)
        )
        label = tool.name if tool else ""
        if after is None:
            changes.append(
                Change(
                    "tool.removed" if tool else "operation.removed",
                    Impact.BREAKING,
                    operation_id,
                    label,
                    "",
                    f"{_what(tool, operation_id)} is gone: the spec no longer has "
                    f"{before.operation.method.upper()} {before.operation.path}",
                    before.operation.where,
                    uses.calls_of(operation_id),
                )
            )
            continue
        matched_new.add(after.operation.id)
        new_tool = new_tools.get(after.operation.id)
        if after.operation.id != operation_id:
            changes.append(
                Change(
                    "operation.renamed",
                    Impact.BREAKING if uses.calls_of(operation_id) else Impact.WARNING,
                    after.operation.id,
                    new_tool.name if new_tool else label,
                    "",
                    f"operationId `{operation_id}` is now `{after.operation.id}` "
                    f"({after.operation.method.upper()} {after.operation.path})",
                    after.operation.where,
                    uses.calls_of(operation_id),
                )
            )
        if tool is not None and new_tool is None:
            changes.append(
                Change(
                    "tool.removed",
                    Impact.BREAKING,
                    after.operation.id,
                    tool.name,
                    "",
                    f"tool `{tool.name}` is no longer offered: the agent file's selection "
                    "(operations, tags, methods) no longer includes the operation",
                    after.operation.where,
                )
            )
        found = compare_endpoints(before, after, old=old, new=new, old_tool=tool, new_tool=new_tool)
        changes.extend(_with_tasks(found, operation_id, uses))
    for operation_id, tool in new_tools.items():
        if operation_id in matched_new or operation_id in old_tools:
            continue
        operation = tool.endpoint.operation
        changes.append(
            Change(
                "tool.added",
                Impact.INFO,
                operation_id,
                tool.name,
                "",
                f"new tool `{tool.name}`: {operation.method.upper()} {operation.path}",
                operation.where,
            )
        )
    changes.extend(compare_security_schemes(old, new))
    changes.extend(_agent_references(old_agent_problems, new_agent_problems))
    changes.extend(task_changes(uses, new))
    return DiffReport(_title(old), _title(new), tuple(_ordered(changes)))


def _what(tool: ir.Tool | None, operation_id: str) -> str:
    return f"tool `{tool.name}`" if tool else f"operation `{operation_id}` (called by tasks)"


def _with_tasks(found: Iterable[Change], old_id: str, uses: TaskUses) -> list[Change]:
    """`found` with the task steps each change reaches; what a task was written against is no
    longer mere information when it changes."""
    changes = []
    for change in found:
        impact = change.impact
        refs = uses.affected(old_id, change.kind, change.subject)
        if change.kind == "parameter.added" and impact is Impact.INFO:
            refs = ()  # a new optional parameter asks nothing of the calls already written
        if refs and impact is Impact.INFO:
            impact = Impact.WARNING
        changes.append(replace(change, impact=impact, tasks=refs))
    return changes


def _agent_references(old: Iterable[ir.Diagnostic], new: Iterable[ir.Diagnostic]) -> list[Change]:
    before = {problem_key(problem) for problem in old}
    return [
        problem_change("agent.reference", problem)
        for problem in new
        if problem_key(problem) not in before
    ]


def _title(plan: ir.Plan) -> str:
    return " ".join(part for part in (plan.api.title, plan.api.version) if part) or plan.package


_ORDER = {Impact.BREAKING: 0, Impact.WARNING: 1, Impact.INFO: 2}


def _ordered(changes: list[Change]) -> list[Change]:
    unique = list(dict.fromkeys(changes))
    return sorted(
        unique,
        key=lambda c: (
            _ORDER[c.impact],
            c.tool or c.operation,
            c.kind,
            c.subject,
            str(c.where or ""),
        ),
    )
