"""A compact index of tools for APIs too big to send whole (Stripe: 468 tools, ~100k tokens).

Above `Toolset.index_above` tools, the model is offered two tools instead of every schema:
`find_tools`, whose description lists each tool on one short line and which returns the full
argument schemas of the tools asked for, and `call_tool`, which runs one of them by name. Both
are stateless (nothing to remember between turns or workers) and every call still goes through
`Toolset.prepare`: bindings, unknown or bound arguments and verification are checked exactly as
for a tool offered directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from specagent_runtime._spec import ToolSpec

FIND_TOOLS = "find_tools"
CALL_TOOL = "call_tool"
INDEX_TOOLS = (FIND_TOOLS, CALL_TOOL)
_SUMMARY_CHARS = 80
_FOUND_AT_MOST = 8


def summary(description: str) -> str:
    """The first sentence of a description, cut to a line: enough to choose a tool by."""
    text = " ".join(description.split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first if len(first) <= _SUMMARY_CHARS else first[: _SUMMARY_CHARS - 1] + "…"


def index_tools(specs: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """`find_tools` and `call_tool` as chat-completions tools."""
    lines = "\n".join(f"{spec.name}: {summary(spec.description)}" for spec in specs)
    find = (
        "Look up tools by name or by words, and get their arguments. Call it before "
        "call_tool. The tools:\n" + lines
    )
    return [
        _function(
            FIND_TOOLS,
            find,
            {
                "names": {"type": "array", "items": {"type": "string"}},
                "query": {"type": "string", "description": "words to look for"},
            },
            [],
        ),
        _function(
            CALL_TOOL,
            "Run one tool found with find_tools, with arguments that follow its schema.",
            {"name": {"type": "string"}, "arguments": {"type": "object"}},
            ["name", "arguments"],
        ),
    ]


def _function(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def find(
    arguments: Mapping[str, Any],
    specs: Sequence[ToolSpec],
    schema: Callable[[ToolSpec], dict[str, Any]],
) -> dict[str, Any]:
    """The tools asked for by name, else those whose name or description has the most query
    words; with their schemas as the model may see them (bound arguments removed)."""
    by_name = {spec.name: spec for spec in specs}
    names = arguments.get("names")
    chosen = [by_name[n] for n in names if n in by_name] if isinstance(names, list) else []
    query = arguments.get("query")
    if isinstance(query, str) and query.strip():
        words = {w for w in re.findall(r"[a-z0-9]+", query.lower()) if len(w) > 1}
        scored = []
        for spec in specs:
            text = f"{spec.name} {spec.description}".lower().replace("_", " ")
            score = sum(1 for word in words if word in text)
            if score and spec not in chosen:
                scored.append((-score, spec.name, spec))
        chosen += [spec for _, _, spec in sorted(scored)]
    found = chosen[:_FOUND_AT_MOST]
    return {
        "tools": [
            {"name": spec.name, "description": spec.description, "parameters": schema(spec)}
            for spec in found
        ],
        "hint": "run one with call_tool" if found else "no tool matches; try other words",
    }
