"""The package's tools in other hosts' formats, and tool calls received in those formats.

A host that runs its own model loop (or another agent framework) does not use `Agent`; it needs
the tool list in its provider's shape and a way to run the calls the model makes. Everything
that protects the customer still happens in `Toolset`: the definitions come from
`Toolset.offered` and `Toolset.model_schema` (bound arguments hidden, tools the identity cannot
fill left out) and calls run through `Toolset.execute` (bound arguments filled, chosen ones
refused, confirmation required for consequential tools).

Formats: ``openai_chat`` (Chat Completions ``tools`` / ``tool_calls`` / ``role: tool``),
``openai_responses`` (Responses ``function`` tools / ``function_call`` /
``function_call_output``) and ``anthropic`` (Messages ``tools`` / ``tool_use`` /
``tool_result``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args

from specagent_runtime._errors import ConfigurationError, ToolCallError
from specagent_runtime._identity import Identity
from specagent_runtime._tools.toolset import (
    HANDOFF_RESULT,
    HANDOFF_SCHEMA,
    HANDOFF_TOOL,
    ToolResult,
    Toolset,
)

Format = Literal["openai_chat", "openai_responses", "anthropic"]
FORMATS: tuple[str, ...] = get_args(Format)


@dataclass(frozen=True, slots=True)
class ToolDefinition:
    """One tool as a model sees it, independent of the provider."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=dict)  # JSON schema of the arguments


class ToolCall(NamedTuple):
    """A call the model made: ``name, arguments, call_id = parse_tool_call(...)``."""

    name: str
    arguments: dict[str, Any]
    call_id: str


def definitions(
    toolset: Toolset, identity: Identity | None = None, *, handoff: bool = True
) -> list[ToolDefinition]:
    """The tools offered to `identity`, with the schemas the model may see.

    `handoff` adds the built-in ``handoff_to_human`` tool; a host that has its own way to
    escalate can leave it out.
    """
    tools = [
        ToolDefinition(spec.name, spec.description, toolset.model_schema(spec))
        for spec in toolset.offered(identity)
    ]
    if handoff:
        function = HANDOFF_SCHEMA["function"]
        tools.append(
            ToolDefinition(function["name"], function["description"], function["parameters"])
        )
    return tools


def to_openai_chat(tools: Sequence[ToolDefinition]) -> list[dict[str, Any]]:
    """The ``tools`` parameter of ``chat.completions.create``."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": _plain(tool.parameters),
            },
        }
        for tool in tools
    ]


def to_openai_responses(tools: Sequence[ToolDefinition]) -> list[dict[str, Any]]:
    """The ``tools`` parameter of ``responses.create``. Not ``strict``: strict mode needs every
    property required and no open objects, which most API schemas are not."""
    return [
        {
            "type": "function",
            "name": tool.name,
            "description": tool.description,
            "parameters": _plain(tool.parameters),
            "strict": False,
        }
        for tool in tools
    ]


def to_anthropic(tools: Sequence[ToolDefinition]) -> list[dict[str, Any]]:
    """The ``tools`` parameter of Anthropic's ``messages.create``."""
    return [
        {
            "name": tool.name,
            "description": tool.description,
            "input_schema": _object_schema(tool.parameters),
        }
        for tool in tools
    ]


def export_tools(
    toolset: Toolset,
    format: Format,
    identity: Identity | None = None,
    *,
    handoff: bool = True,
) -> list[dict[str, Any]]:
    """`definitions` in one of the `FORMATS`, in one step."""
    tools = definitions(toolset, identity, handoff=handoff)
    if format == "openai_chat":
        return to_openai_chat(tools)
    if format == "openai_responses":
        return to_openai_responses(tools)
    if format == "anthropic":
        return to_anthropic(tools)
    raise _unknown_format(format)


def parse_tool_call(payload: Any, format: Format) -> ToolCall:
    """Read one tool call as the provider sent it: a dict, or the SDK's object for it.

    openai_chat: an item of ``message.tool_calls`` (``{"id", "function": {"name",
    "arguments"}}``); openai_responses: a ``function_call`` output item (``{"call_id", "name",
    "arguments"}``); anthropic: a ``tool_use`` content block (``{"id", "name", "input"}``).
    Raises `ToolCallError` naming the missing or malformed field.
    """
    data = _as_dict(payload, format)
    if format == "openai_chat":
        call_id = _text(data, "id", format)
        function = data.get("function")
        if not isinstance(function, Mapping):
            raise ToolCallError(f"{format} tool call: `function` is missing", call_id=call_id)
        name = _text(function, "name", format, where="function.name", call_id=call_id)
        arguments = _json_arguments(function.get("arguments"), format, call_id, name)
        return ToolCall(name, arguments, call_id)
    if format == "openai_responses":
        kind = data.get("type", "function_call")
        if kind != "function_call":
            raise ToolCallError(f"{format} tool call: `type` is {kind!r}, not 'function_call'")
        call_id = _text(data, "call_id", format)
        name = _text(data, "name", format, call_id=call_id)
        arguments = _json_arguments(data.get("arguments"), format, call_id, name)
        return ToolCall(name, arguments, call_id)
    if format == "anthropic":
        kind = data.get("type", "tool_use")
        if kind != "tool_use":
            raise ToolCallError(f"{format} tool call: `type` is {kind!r}, not 'tool_use'")
        call_id = _text(data, "id", format)
        name = _text(data, "name", format, call_id=call_id)
        arguments = data.get("input", {})
        if not isinstance(arguments, Mapping):
            raise ToolCallError(
                f"{format} tool call {call_id}: `input` must be an object",
                call_id=call_id,
                name=name,
            )
        return ToolCall(name, dict(arguments), call_id)
    raise _unknown_format(format)


def format_result(result: ToolResult, call_id: str, format: Format) -> dict[str, Any]:
    """A tool result in the shape the provider expects back: a chat ``role: tool`` message, a
    Responses ``function_call_output`` item, or an Anthropic ``tool_result`` block (to put in
    the next user message's content)."""
    content = result.for_model()
    if format == "openai_chat":
        return {"role": "tool", "tool_call_id": call_id, "content": content}
    if format == "openai_responses":
        return {"type": "function_call_output", "call_id": call_id, "output": content}
    if format == "anthropic":
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call_id, "content": content}
        if result.is_error:
            block["is_error"] = True
        return block
    raise _unknown_format(format)


async def run_tool_call(
    toolset: Toolset,
    payload: Any,
    format: Format,
    identity: Identity | None = None,
    *,
    confirmed: bool = False,
) -> dict[str, Any]:
    """Parse a call in `format`, run it through `Toolset.execute` and return the result in the
    same format. A consequential tool runs only with ``confirmed=True``: the host asks the
    customer first (the unconfirmed call answers the model that confirmation is needed).

    A call to ``handoff_to_human`` runs nothing; the host sees it in `parse_tool_call`'s name
    and routes the conversation. A payload too broken to answer (no call id) raises
    `ToolCallError`; one with bad arguments is answered with an error result the model can fix.
    """
    try:
        name, arguments, call_id = parse_tool_call(payload, format)
    except ToolCallError as exc:
        if exc.call_id is None:
            raise
        result = ToolResult.error(exc.name or "unknown", str(exc))
        return format_result(result, exc.call_id, format)
    if name == HANDOFF_TOOL:
        result = ToolResult(HANDOFF_TOOL, "ok", data=HANDOFF_RESULT)
    else:
        result = await toolset.execute(name, arguments, identity, confirmed=confirmed)
    return format_result(result, call_id, format)


def arguments_object(text: str | None) -> dict[str, Any] | None:
    """A model's arguments (JSON text) as an object, None when they are not one. OpenAI sends
    arguments as JSON text, and models sometimes send an empty string for none."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def assistant_message(
    content: str | None, calls: Sequence[tuple[str, str, str | None]]
) -> dict[str, Any]:
    """A chat-completions assistant message with its tool calls, given as (id, name, arguments
    text). It needs content or tool calls, so an empty answer is stored as ""."""
    message: dict[str, Any] = {"role": "assistant", "content": content if calls else content or ""}
    if calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
            for call_id, name, arguments in calls
        ]
    return message


# --- helpers -------------------------------------------------------------------------------


def _unknown_format(format: str) -> ConfigurationError:
    return ConfigurationError(
        f"unknown tool format {format!r}; the formats are {', '.join(FORMATS)}"
    )


def _as_dict(payload: Any, format: str) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        return payload
    dump = getattr(payload, "model_dump", None)  # the SDKs' pydantic objects
    if callable(dump):
        data = dump(mode="json", exclude_none=True)
        if isinstance(data, Mapping):
            return data
    raise ToolCallError(f"{format} tool call: expected an object, got {type(payload).__name__}")


def _text(
    data: Mapping[str, Any],
    key: str,
    format: str,
    *,
    where: str | None = None,
    call_id: str | None = None,
) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        label = f" {call_id}" if call_id else ""
        raise ToolCallError(
            f"{format} tool call{label}: `{where or key}` must be a non-empty string",
            call_id=call_id,
        )
    return value


def _json_arguments(value: Any, format: str, call_id: str, name: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    parsed = arguments_object(value) if isinstance(value, str) else None
    if parsed is None:
        raise ToolCallError(
            f"{format} tool call {call_id} to `{name}`: the arguments must be a JSON object",
            call_id=call_id,
            name=name,
        )
    return parsed


def _plain(schema: Mapping[str, Any]) -> dict[str, Any]:
    # A JSON round trip: callers get their own copy, made of plain dicts and lists only.
    copied: dict[str, Any] = json.loads(json.dumps(schema))
    return copied


def _object_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Anthropic requires ``type: object`` at the root of an input schema."""
    plain = _plain(schema)
    plain.setdefault("type", "object")
    plain.setdefault("properties", {})
    return plain
