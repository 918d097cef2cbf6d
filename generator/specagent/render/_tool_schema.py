"""The JSON documents of the package: agent.json (tools, their input schemas from
`_input_schema`, tasks, context) and manifest.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specagent import ir
from specagent._manifest import MANIFEST, digest, json_text, seal
from specagent._version import __version__
from specagent.plan import IDEMPOTENT_METHODS, SAFE_METHODS
from specagent.render._input_schema import InputSchemas


def agent_json(plan: ir.Plan, tasks: ir.TaskProgram | None = None) -> str:
    """agent.json: the agent's settings and tools, and the tasks' tools and the `context` entry
    when the agent file declares them (`tasks`)."""
    schemas = InputSchemas(plan.api.schemas, plan.model_names)
    tools = []
    for tool in plan.tools:
        endpoint = tool.endpoint
        method = endpoint.operation.method.lower()
        entry: dict[str, Any] = {
            "name": tool.name,
            "description": tool.description,
            "operation": endpoint.operation.id,
            "client_method": endpoint.method_name,
            "args_model": endpoint.args_model,
            "input_schema": schemas.of(endpoint),
            "bindings": dict(tool.bindings),
            "confirm": tool.confirm,
            "read_only": method in SAFE_METHODS,
            "idempotent": method in IDEMPOTENT_METHODS,
            "expose": list(tool.expose),
            "redact": list(tool.redact),
        }
        if tool.owner is not None:  # left out otherwise: older agent.json files stay the same
            entry["owner"] = {"field": tool.owner[0], "is": tool.owner[1]}
        if tool.lookup_limit is not None:  # likewise
            entry["lookup_limit"] = tool.lookup_limit
        tools.append(entry)
    agent = {
        "name": plan.agent.name or plan.api.title or plan.package,
        "instructions": plan.agent.instructions,
        # What the MCP server reports as its version: the API's, as the spec declares it.
        "version": plan.api.version or "0",
    }
    document: dict[str, Any] = {"agent": agent, "tools": tools}
    if plan.agent.limits:
        document["limits"] = dict(plan.agent.limits)
    if tasks is not None:
        document["tasks"] = task_tools(tasks)
        if tasks.context is not None:
            document["context"] = dict(tasks.context)
    return json_text(document)


def task_tools(program: ir.TaskProgram) -> list[dict[str, Any]]:
    """One tool per task for agent.json: name, description, `requires`, argument schema; the
    definitions `specagent tools` shows, so the two cannot drift apart."""
    from specagent.tools import task_definitions  # noqa: PLC0415  # the runtime's tool layer

    return [definition.tool_json() for definition in task_definitions(program)]


def manifest_json(
    plan: ir.Plan,
    spec_sources: Mapping[str, bytes],
    agent_sources: Mapping[str, bytes],
    settings: Mapping[str, Any],
    files: Mapping[str, str],
) -> str:
    """What the package was made from and the digest of every other file it holds (`files`,
    by path in the package), sealed: `specagent check` compares the inputs' digests with the
    recorded ones and the files with theirs to tell that a package is current without
    regenerating it, and says why one is stale."""
    return json_text(
        seal(
            {
                "generator": {"name": "specagent", "version": __version__},
                "package": plan.package,
                "api": {
                    "title": plan.api.title,
                    "version": plan.api.version,
                    "openapi": plan.api.source_version,
                },
                "options": dict(settings),
                "inputs": {
                    "spec": {name: digest(data) for name, data in sorted(spec_sources.items())},
                    "agent": {name: digest(data) for name, data in sorted(agent_sources.items())},
                },
                "files": {
                    name: digest(text.encode("utf-8"))
                    for name, text in sorted(files.items())
                    if name != MANIFEST
                },
            }
        )
    )
