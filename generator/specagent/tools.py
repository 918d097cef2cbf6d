"""`specagent tools`: the tool list a model is sent, and what each tool costs in tokens.

The definitions come from the runtime's own export code (`Toolset.model_schema` through
`specagent_runtime._formats`), fed with the same agent.json the generated package ships, so what
this command shows is what a running agent sends: bound arguments removed, tools the identity
cannot fill left out, the built-in hand-off tool included. Only the argument schemas are built
here (no models are rendered), which keeps the command quick on specs with thousands of
operations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import httpx
from specagent_runtime import AsyncApiClient, Identity, Toolset, ToolSpec
from specagent_runtime._formats import ToolDefinition, definitions, to_anthropic, to_openai_chat

from specagent._tokens import ENCODING, count_json_tokens

__all__ = ["FORMATS", "ToolCost", "ToolList", "format_table", "model_tools"]

Format = Literal["openai", "anthropic", "json"]
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
    return Identity(**values, extra=extra)


def model_tools(
    agent_json: Mapping[str, Any],
    format: Format = "openai",
    *,
    verified: bool = True,
    task_tools: Sequence[Mapping[str, Any]] = (),
) -> ToolList:
    """The tools of `agent_json` (the package's agent.json data) in `format`, with costs.

    `verified` shows the list for a customer whose identity the host verified (every tool);
    without it, tools with bound arguments and tasks that require a verified customer are left
    out, as the runtime does for anonymous users. `task_tools` are the task entries of
    agent.json (`specagent.tasks.task_tools`), offered to the model like tools.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; the formats are {', '.join(FORMATS)}")
    specs = [ToolSpec.from_json(tool) for tool in agent_json.get("tools", [])]
    client = AsyncApiClient(
        "http://127.0.0.1", http_client=httpx.AsyncClient(transport=httpx.MockTransport(_refuse))
    )
    toolset = Toolset(specs, client, package="package")
    identity = _identity_for(specs) if verified else None
    found = definitions(toolset, identity)
    handoff = found.pop()  # `definitions` puts the hand-off tool last
    bound = {spec.name for spec in specs if spec.bindings}
    kinds = {d.name: ("tool", "verified" if d.name in bound else "anyone") for d in found}
    for task in task_tools:
        access = "anyone" if task.get("requires") == "anyone" else "verified"
        if verified or access == "anyone":
            found.append(
                ToolDefinition(str(task["name"]), str(task["description"]), task["input_schema"])
            )
            kinds[str(task["name"])] = ("task", access)
    found.append(handoff)
    kinds[handoff.name] = ("handoff", "anyone")
    tools = _export(found, format)
    costs = tuple(
        ToolCost(d.name, count_json_tokens(tool), *kinds[d.name])
        for d, tool in zip(found, tools, strict=True)
    )
    return ToolList(format, tools, costs)


def _export(found: list[ToolDefinition], format: Format) -> list[dict[str, Any]]:
    if format == "openai":
        return to_openai_chat(found)
    if format == "anthropic":
        return to_anthropic(found)
    return [
        {
            "name": d.name,
            "description": d.description,
            "parameters": json.loads(json.dumps(d.parameters)),
        }
        for d in found
    ]


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
