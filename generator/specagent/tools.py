"""`specagent tools`: the tool list a model is sent, and what each tool costs in tokens.

The definitions come from the runtime's own export code (`specagent_runtime.tool_definitions`
over `Toolset.model_schema`), fed with the same agent.json the generated package ships, so what
this command shows is what a running agent sends: bound arguments removed, tools the identity
cannot fill left out, the built-in hand-off tool included. Only the argument schemas are built
here (no models are rendered), which keeps the command quick on specs with thousands of
operations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import httpx
from specagent_runtime import (
    HANDOFF_TOOL,
    AsyncApiClient,
    Identity,
    InputSpec,
    TaskDefinition,
    ToolDefinition,
    Toolset,
    ToolSpec,
    to_anthropic,
    to_openai_chat,
    tool_definitions,
)

from specagent._tokens import ENCODING, count_json_tokens

if TYPE_CHECKING:
    from specagent.ir import Plan, TaskProgram

__all__ = [
    "FORMATS",
    "MissingExtraError",
    "ToolCost",
    "ToolList",
    "describe_tools",
    "format_table",
    "model_tools",
    "task_definitions",
]

# The Toolset's package name; the MCP handlers look for `<package>._operations`, which a plan
# being previewed does not have yet (they then fall back to the tools' own flags).
_PACKAGE = "specagent_tools_preview"

Format = Literal["openai", "anthropic", "mcp", "json"]
FORMATS: tuple[str, ...] = get_args(Format)


@dataclass(frozen=True, slots=True)
class ToolCost:
    name: str
    tokens: int
    kind: str  # "tool", "task" or "handoff"
    access: str  # "anyone" or "verified" (needs a verified customer identity)


@dataclass(frozen=True, slots=True)
class ToolList:
    format: str
    tools: list[dict[str, Any]]  # exactly what the provider's `tools` parameter receives
    costs: tuple[ToolCost, ...]

    @property
    def total(self) -> int:
        return sum(cost.tokens for cost in self.costs)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise RuntimeError("specagent tools never sends requests")


def _identity_for(specs: Sequence[ToolSpec]) -> Identity:
    """A verified identity that fills every binding: what a signed-in customer's model sees."""
    named = {"email", "user_id", "username", "customer_id"}
    fields = {f.removeprefix("identity.") for spec in specs for f in spec.bindings.values()}
    values = {name: "verified" for name in named}
    extra = {name: "verified" for name in fields - named}
    return Identity(**values, extra=extra, verified=True)


def model_tools(
    agent_json: Mapping[str, Any],
    format: Format = "openai",
    *,
    verified: bool = True,
    tasks: Sequence[TaskDefinition] = (),
    http_methods: Mapping[str, str] | None = None,
) -> ToolList:
    """The tools of `agent_json` (the package's agent.json data) in `format`, with costs.

    `verified` shows the list for a customer whose identity the host verified (every tool);
    without it, tools with bound arguments and tasks that require a verified customer are left
    out, as the runtime does for anonymous users. `tasks` are offered to the model like tools.
    ``mcp`` is the MCP server's `tools/list` (needs the `mcp` package: the runtime's extra);
    its hints use `http_methods` (operation id -> method), as the server reads them from the
    package's `_operations` module.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; the formats are {', '.join(FORMATS)}")
    specs = [ToolSpec.from_json(tool) for tool in agent_json.get("tools", [])]
    client = AsyncApiClient(
        "http://127.0.0.1", http_client=httpx.AsyncClient(transport=httpx.MockTransport(_refuse))
    )
    toolset = Toolset(specs, client, package=_PACKAGE)
    identity = _identity_for(specs) if verified else None
    bound = {spec.name for spec in specs if spec.bindings}
    kinds = {spec.name: ("tool", "verified" if spec.name in bound else "anyone") for spec in specs}
    for task in tasks:
        kinds[task.name] = ("task", "anyone" if task.requires == "anyone" else "verified")
    if format == "mcp":
        tools = _mcp(toolset, identity, tasks, http_methods or {})
    else:
        found = tool_definitions(toolset, identity)
        handoff = found.pop()  # `tool_definitions` puts the hand-off tool last
        offered = [task.tool_json() for task in tasks if verified or task.requires == "anyone"]
        found += [ToolDefinition(t["name"], t["description"], t["input_schema"]) for t in offered]
        found.append(handoff)
        tools = _export(found, format)
    costs = []
    for tool in tools:
        name = str(tool["function"]["name"] if "function" in tool else tool["name"])
        kind, access = kinds.get(name, ("handoff" if name == HANDOFF_TOOL else "task", "anyone"))
        costs.append(ToolCost(name, count_json_tokens(tool), kind, access))
    return ToolList(format, tools, tuple(costs))


def _mcp(
    toolset: Toolset,
    identity: Identity | None,
    tasks: Sequence[TaskDefinition],
    http_methods: Mapping[str, str],
) -> list[dict[str, Any]]:
    """What the runtime's MCP server lists, through its own handlers."""
    try:
        from specagent_runtime import mcp_tools  # noqa: PLC0415  # optional extra
    except ImportError as exc:
        raise MissingExtraError(
            "the mcp format needs the MCP SDK: install `specagent-runtime[mcp]`"
        ) from exc
    # The server reads the methods from the package's `_operations`, not generated yet here.
    return mcp_tools(toolset, identity, tasks=tasks, http_methods=http_methods)


def task_definitions(program: TaskProgram) -> list[TaskDefinition]:
    """The tasks as the runtime defines them for the model (no steps: only their tools are
    shown); agent.json's `tasks` list is made from these too (`render.task_tools`), and the MCP
    handlers list them as objects."""
    return [
        TaskDefinition(
            name=task.name,
            description=task.description,
            requires="anyone" if task.requires == "anyone" else "verified",
            inputs=tuple(InputSpec(**dict(spec.keywords())) for spec in task.inputs),
            first=task.first,
            steps={},
        )
        for task in program.tasks
    ]


class MissingExtraError(RuntimeError):
    """An optional dependency the chosen format needs is not installed."""


def _export(found: list[ToolDefinition], format: Format) -> list[dict[str, Any]]:
    if format == "openai":
        return to_openai_chat(found)
    if format == "anthropic":
        return to_anthropic(found)
    plain: list[dict[str, Any]] = json.loads(
        json.dumps(
            [
                {"name": d.name, "description": d.description, "parameters": d.parameters}
                for d in found
            ]
        )
    )
    return plain


def describe_tools(
    plan: Plan, tasks: Sequence[TaskDefinition] = (), *, shown: ToolList | None = None
) -> str:
    """What the JSON does not say, one block per tool (`specagent tools --verbose`): the
    operation behind it (its id, method and path), each argument (where it goes, its type,
    whether it is required), the arguments bound to the verified identity (filled by the
    runtime, never seen by the model), whether the customer must confirm, and the response
    fields shaped away; then each task's inputs. With `shown`, only the tools and tasks that
    list holds (`--anonymous` leaves some out)."""
    names = {cost.name for cost in shown.costs} if shown is not None else None
    blocks = []
    for tool in plan.tools:
        if names is not None and tool.name not in names:
            continue
        operation = tool.endpoint.operation
        bound = {key: field.removeprefix("identity.") for key, field in tool.bindings}
        access = "verified customers only" if bound else "anyone"
        lines = [
            f"{tool.name}: {operation.method.upper()} {operation.path} "
            f"(operation {operation.id}), {access}"
        ]
        width = max((len(a.key) for a in tool.endpoint.arguments), default=0)
        for argument in tool.endpoint.arguments:
            kind = _schema_kind(argument.schema)
            required = "required" if argument.required else "optional"
            where = "body" if argument.location == "body" else argument.location
            line = f"  {argument.key:<{width}}  {where}, {kind}, {required}"
            if argument.key in bound:
                line += f"  <- identity.{bound[argument.key]} (filled by the runtime; hidden)"
            lines.append(line)
        if not tool.endpoint.arguments:
            lines.append("  no arguments")
        confirm = "asked before it runs" if tool.confirm else "not asked"
        lines.append(f"  confirmation: {confirm} ({operation.method.upper()})")
        if tool.expose:
            lines.append("  the model sees only: " + ", ".join(tool.expose))
        if tool.redact:
            lines.append("  never shown to the model: " + ", ".join(tool.redact))
        blocks.append("\n".join(lines))
    for task in tasks:
        if names is not None and task.name not in names:
            continue
        access = "anyone" if task.requires == "anyone" else "verified customers only"
        lines = [f"{task.name}: task, {access}"]
        width = max((len(spec.name) for spec in task.inputs), default=0)
        for spec in task.inputs:
            choices = f", one of {', '.join(map(str, spec.enum))}" if spec.enum else ""
            required = "required" if spec.required else "asked by a step"
            lines.append(f"  {spec.name:<{width}}  {spec.type}{choices}, {required}")
        if not task.inputs:
            lines.append("  no inputs")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _schema_kind(schema: Mapping[str, Any]) -> str:
    """`integer`, `array of string`, `Order` (a component), `object`."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind if k != "null") or "null"
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        return f"array of {_schema_kind(schema['items'])}"
    if kind is None:
        return (
            "any" if not any(k in schema for k in ("oneOf", "anyOf", "allOf")) else "one of several"
        )
    text = str(kind)
    fmt = schema.get("format")
    return f"{text} ({fmt})" if isinstance(fmt, str) else text


def format_table(tools: ToolList) -> str:
    """A plain-text table of each tool's tokens, biggest first, and the total."""
    rows = sorted(tools.costs, key=lambda cost: (-cost.tokens, cost.name))
    width = max([len("tool"), *(len(cost.name) for cost in rows)])
    lines = [f"{'tool':<{width}}  {'kind':<7}  {'access':<8}  {'tokens':>7}"]
    lines.append("-" * len(lines[0]))
    for cost in rows:
        lines.append(f"{cost.name:<{width}}  {cost.kind:<7}  {cost.access:<8}  {cost.tokens:>7,}")
    lines.append("-" * len(lines[0]))
    count = len(rows)
    label = f"total ({count} tool{'s' if count != 1 else ''}, {tools.format} format, {ENCODING})"
    lines.append(f"{label}  {tools.total:>7,}")
    return "\n".join(lines)
