"""The `context:` section: what the agent knows about the verified customer from the start.

```yaml
context:
  refresh_after: 300          # seconds; optional (default 300)
  max_chars: 3000             # the size cap of the whole section; optional (default 3000)
  sources:
    - call: getCustomerByEmail    # a tool of the agent, by operation id or tool name
      as: customer                # the label the model sees
```

Each source is one of the agent's read-only tools whose every required parameter is bound to
the identity (`tools.overrides.<op>.bind`), so the runtime can call it with nothing but the
verified identity; the tool's `expose`/`redact` shape what the model sees. Compiled into the
`context` entry of agent.json, which the runtime's `UserContext` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from specagent import ir
from specagent._diagnostics import did_you_mean, error
from specagent.agentfile._yaml import NodeReader, child_path, compose, is_null

_KEYS = ("refresh_after", "max_chars", "sources")
_SOURCE_KEYS = ("call", "as")
DEFAULT_REFRESH = 300
DEFAULT_MAX_CHARS = 3000
_READ_ONLY = frozenset({"get", "head"})


@dataclass(frozen=True, slots=True)
class ContextSource:
    operation: str
    label: str
    where: str


@dataclass(frozen=True, slots=True)
class ContextDecl:
    where: str
    sources: tuple[ContextSource, ...]
    refresh_after: int = DEFAULT_REFRESH
    max_chars: int = DEFAULT_MAX_CHARS


def parse_context(text: str, source: str) -> tuple[ContextDecl | None, list[ir.Diagnostic]]:
    """The `context:` section of agent file `text`, None when there is none."""
    node, problems = compose(text, source)
    if node is None or not isinstance(node, yaml.MappingNode):
        return None, problems
    section = next(
        (
            value
            for key, value in node.value
            if isinstance(key, yaml.ScalarNode) and key.value == "context"
        ),
        None,
    )
    if section is None or is_null(section):
        return None, []
    reader = NodeReader(source)
    entries = reader.mapping(section, "context", _KEYS)
    refresh = _whole(reader, entries, "refresh_after", default=DEFAULT_REFRESH, low=1, high=86_400)
    max_chars = _whole(
        reader, entries, "max_chars", default=DEFAULT_MAX_CHARS, low=200, high=50_000
    )
    sources: list[ContextSource] = []
    labels: set[str] = set()
    node_sources = entries.get("sources")
    if node_sources is None or not isinstance(node_sources, yaml.SequenceNode):
        reader.fail(
            "context.missing_key",
            node_sources or section,
            "`context` needs `sources`: a list of `{call: <operation>, as: <label>}`",
        )
    else:
        for index, item in enumerate(node_sources.value):
            path = child_path("context.sources", index)
            fields = reader.mapping(item, path, _SOURCE_KEYS)
            operation = reader.text(fields["call"], f"{path}.call") if "call" in fields else None
            if operation is None:
                reader.fail("context.missing_key", item, f"`{path}` needs `call: <operation>`")
                continue
            label = reader.text(fields["as"], f"{path}.as") if "as" in fields else None
            label = label or operation
            if label in labels:
                reader.fail("context.bad_value", item, f"`{path}`: the label `{label}` repeats")
            labels.add(label)
            sources.append(ContextSource(operation, label, reader.where(item)))
    decl = ContextDecl(reader.where(section), tuple(sources), refresh, max_chars)
    return decl, reader.diagnostics


def _whole(
    reader: NodeReader,
    entries: dict[str, yaml.Node],
    key: str,
    *,
    default: int,
    low: int,
    high: int,
) -> int:
    node = entries.get(key)
    if node is None:
        return default
    value = yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        reader.fail(
            "context.bad_value",
            node,
            f"`context.{key}` must be a whole number from {low} to {high}",
        )
        return default
    return value


def check_context(
    decl: ContextDecl, plan: ir.Plan
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
            problems.append(error("context.unknown_operation", source.where, message, hint))
            continue
        problems.extend(_check_source(source, chosen))
        sources.append({"name": source.label, "tool": chosen.name})
    if any(problem.severity == ir.Severity.ERROR for problem in problems):
        return None, problems
    data = {
        "refresh_after": decl.refresh_after,
        "max_chars": decl.max_chars,
        "sources": sources,
    }
    return data, problems


def _check_source(source: ContextSource, tool: ir.Tool) -> list[ir.Diagnostic]:
    operation = tool.endpoint.operation
    found: list[ir.Diagnostic] = []
    if operation.method not in _READ_ONLY:
        found.append(
            error(
                "context.not_read_only",
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
                    "context.unbound_parameter",
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
                "context.no_result",
                source.where,
                f"`{source.operation}` returns no JSON data to show as context",
            )
        )
    return found


def build_context(
    text: str, source: str, plan: ir.Plan
) -> tuple[dict[str, Any] | None, list[ir.Diagnostic]]:
    """Parse and check the `context:` section of agent file `text` in one go."""
    decl, problems = parse_context(text, source)
    if decl is None or any(p.severity == ir.Severity.ERROR for p in problems):
        return None, problems
    data, found = check_context(decl, plan)
    return data, [*problems, *found]
