"""The JSON documents of the package: agent.json (tools and their input schemas), manifest.json.

A tool's input schema must stand alone (function-calling APIs do not resolve references to other
documents), so component schemas it references are copied into its `$defs`, rewritten once per
component and shared between tools. OpenAPI-only keywords the model has no use for are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from specagent import ir
from specagent._jsonschema import SCHEMA_MAPS, VALUE_KEYWORDS, object_schema, schema_ref_name
from specagent._manifest import digest
from specagent._version import __version__
from specagent.plan import IDEMPOTENT_METHODS, SAFE_METHODS, trim

_DROPPED_KEYS = frozenset({"example", "examples", "externalDocs", "xml", "discriminator"})
_PROPERTY_DESCRIPTION_MAX = 300


def dump_json(data: Any) -> str:
    """The one JSON style of generated files: sorted keys, UTF-8 text, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


class _Converter:
    """Rewrites schemas for the model and remembers what each component references."""

    def __init__(self, schemas: Mapping[str, ir.JsonSchema], names: Mapping[str, str]) -> None:
        self._schemas = schemas
        self._names = names
        self._components: dict[str, tuple[Any, frozenset[str]]] = {}

    def convert(self, node: Any, refs: set[str]) -> Any:
        if isinstance(node, Mapping):
            result: dict[str, Any] = {}
            for key, value in node.items():
                if not isinstance(key, str) or key in _DROPPED_KEYS or key.startswith("x-"):
                    continue
                if key == "$ref" and (name := schema_ref_name(value, self._names)) is not None:
                    refs.add(name)
                    result[key] = "#/$defs/" + self._names[name]
                    continue
                if key in VALUE_KEYWORDS:
                    result[key] = value
                elif key == "description" and isinstance(value, str):
                    result[key] = trim(value, _PROPERTY_DESCRIPTION_MAX)
                elif key in SCHEMA_MAPS:
                    result[key] = {
                        str(name): self.convert(sub, refs)
                        for name, sub in (value.items() if isinstance(value, Mapping) else ())
                    }
                else:
                    result[key] = self.convert(value, refs)
            return result
        if isinstance(node, list | tuple):
            return [self.convert(item, refs) for item in node]
        return node

    def component(self, name: str) -> tuple[Any, frozenset[str]]:
        cached = self._components.get(name)
        if cached is None:
            refs: set[str] = set()
            cached = (self.convert(self._schemas[name], refs), frozenset(refs))
            self._components[name] = cached
        return cached

    def closure(self, roots: set[str]) -> dict[str, Any]:
        """`$defs` for every component reachable from `roots`, keyed by class name."""
        defs: dict[str, Any] = {}
        pending = sorted(roots)
        seen = set(pending)
        while pending:
            name = pending.pop()
            schema, refs = self.component(name)
            defs[self._names[name]] = schema
            for ref in refs - seen:
                seen.add(ref)
                pending.append(ref)
        return dict(sorted(defs.items()))


def _input_schema(endpoint: ir.Endpoint, converter: _Converter) -> dict[str, Any]:
    refs: set[str] = set()
    result = object_schema(
        (arg.key, _property(arg, converter, refs), arg.required) for arg in endpoint.arguments
    )
    if refs:
        result["$defs"] = converter.closure(refs)
    return result


def _property(arg: ir.Argument, converter: _Converter, refs: set[str]) -> Any:
    schema = converter.convert(arg.schema, refs)
    if arg.description:
        schema["description"] = trim(arg.description, _PROPERTY_DESCRIPTION_MAX)
    return schema


def agent_json(plan: ir.Plan, tasks: ir.TaskProgram | None = None) -> str:
    """agent.json: the agent's settings and tools, and the tasks' tools and the `context` entry
    when the agent file declares them (`tasks`)."""
    converter = _Converter(plan.api.schemas, plan.model_names)
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
            "input_schema": _input_schema(endpoint, converter),
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
    }
    document: dict[str, Any] = {"agent": agent, "tools": tools}
    if plan.agent.limits:
        document["limits"] = dict(plan.agent.limits)
    if tasks is not None:
        document["tasks"] = task_tools(tasks)
        if tasks.context is not None:
            document["context"] = dict(tasks.context)
    return dump_json(document)


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
    agent_file: str,
) -> str:
    """What the package was made from; `specagent check` compares it to tell it is stale."""
    return dump_json(
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
            "files": {"agent.json": digest(agent_file.encode("utf-8"))},
        }
    )
