"""Anthropic's Messages API as the agent's model (extra ``specagent-runtime[anthropic]``).

`Agent` speaks chat completions and stores conversations in that shape. Rather than a second
loop, `AnthropicChat` gives an ``anthropic.AsyncAnthropic`` client the one method the agent
uses, ``chat.completions.create``, translating each request and answer. So every behaviour of
the loop (bindings, the confirmation gate, hand-off, bounded rounds, the store) is the same
code for both providers, and a stored conversation can even move from one to the other.

Translation: system messages become ``system``; assistant tool calls become ``tool_use``
blocks; tool messages become ``tool_result`` blocks in a user turn (``is_error`` when the
envelope's status is "error"); consecutive messages of one role are merged and empty ones
dropped, because the Messages API requires alternating, non-empty turns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specagent_runtime._errors import ConfigurationError
from specagent_runtime._tools.formats import ToolDefinition, to_anthropic

DEFAULT_MAX_TOKENS = 1024


@dataclass(frozen=True, slots=True)
class _Function:
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class _ToolCall:
    id: str
    function: _Function
    type: str = "function"


@dataclass(frozen=True, slots=True)
class _Message:
    content: str | None
    tool_calls: list[_ToolCall] | None
    role: str = "assistant"


@dataclass(frozen=True, slots=True)
class _Choice:
    message: _Message
    finish_reason: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class ChatCompletion:
    """The part of an OpenAI ``ChatCompletion`` the agent reads."""

    choices: list[_Choice]
    model: str
    usage: Mapping[str, int] = field(default_factory=dict)


class _Completions:
    def __init__(self, owner: AnthropicChat) -> None:
        self._owner = owner

    async def create(
        self,
        *,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        **_ignored: Any,
    ) -> ChatCompletion:
        return await self._owner.complete(model=model, messages=messages, tools=tools)


class _Chat:
    def __init__(self, owner: AnthropicChat) -> None:
        self.completions = _Completions(owner)


class AnthropicChat:
    """An ``anthropic.AsyncAnthropic`` client behind the chat-completions interface the agent
    calls. `max_tokens` is required by the Messages API; `options` are passed to every
    ``messages.create`` call (e.g. ``{"stop_sequences": [...]}``)."""

    def __init__(
        self,
        client: Any,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        if max_tokens < 1:
            raise ConfigurationError(f"max_tokens must be at least 1, not {max_tokens}")
        self.client = client
        self.max_tokens = max_tokens
        self.options = dict(options or {})
        self.chat = _Chat(self)

    def __repr__(self) -> str:
        return f"AnthropicChat(max_tokens={self.max_tokens})"

    async def complete(
        self,
        *,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
    ) -> ChatCompletion:
        system, turns = to_anthropic_messages(messages)
        request: dict[str, Any] = {
            **self.options,
            "model": model,
            "max_tokens": self.max_tokens,
            "messages": turns,
        }
        if system:
            request["system"] = system
        if tools:
            request["tools"] = to_anthropic(_definitions(tools))
        response = await self.client.messages.create(**request)
        return from_anthropic_response(response, model)

    async def close(self) -> None:
        await self.client.close()


def as_chat_client(client: Any) -> Any:
    """`client` itself, or wrapped in `AnthropicChat` when it is an Anthropic client (it has
    ``messages`` but no ``chat``), so ``openai_client=AsyncAnthropic()`` just works."""
    if client is None or hasattr(client, "chat") or not hasattr(client, "messages"):
        return client
    return AnthropicChat(client)


def to_anthropic_messages(
    messages: Sequence[Mapping[str, Any]],
) -> tuple[str, list[dict[str, Any]]]:
    """Chat-completions messages -> (system text, Messages API turns)."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            if message.get("content"):
                system.append(str(message["content"]))
            continue
        if role == "assistant":
            blocks = _assistant_blocks(message)
            role = "assistant"
        elif role == "tool":
            blocks = [_tool_result(message)]
            role = "user"
        else:
            blocks = _text_blocks(message.get("content"))
            role = "user"
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        # The API wants a user turn's tool results before any text in it.
        turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    return "\n\n".join(system), turns


def from_anthropic_response(response: Any, model: str) -> ChatCompletion:
    """A Messages API answer (the SDK's object or its JSON) -> the agent's completion shape."""
    data = response.model_dump(mode="json") if hasattr(response, "model_dump") else response
    texts: list[str] = []
    calls: list[_ToolCall] = []
    for block in data.get("content") or []:
        if block.get("type") == "text" and block.get("text"):
            texts.append(block["text"])
        elif block.get("type") == "tool_use":
            arguments = json.dumps(block.get("input") or {}, ensure_ascii=False)
            calls.append(_ToolCall(str(block["id"]), _Function(str(block["name"]), arguments)))
    message = _Message("\n\n".join(texts) or None, calls or None)
    finish = "tool_calls" if calls else "stop"
    usage = data.get("usage") or {}
    counts = {key: int(value) for key, value in usage.items() if isinstance(value, int)}
    return ChatCompletion([_Choice(message, finish)], str(data.get("model") or model), counts)


# --- helpers -------------------------------------------------------------------------------


def _text_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content.strip() else []
    if isinstance(content, list):  # chat content parts
        texts = [part.get("text", "") for part in content if isinstance(part, Mapping)]
        return [{"type": "text", "text": text} for text in texts if text.strip()]
    return []


def _assistant_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks = _text_blocks(message.get("content"))
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except ValueError:
            arguments = None
        blocks.append(
            {
                "type": "tool_use",
                "id": call["id"],
                "name": function.get("name", ""),
                # A call with unreadable arguments was answered with an error; keep its place.
                "input": arguments if isinstance(arguments, dict) else {},
            }
        )
    return blocks


def _tool_result(message: Mapping[str, Any]) -> dict[str, Any]:
    content = str(message.get("content") or "")
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": message["tool_call_id"],
        "content": content,
    }
    try:
        envelope = json.loads(content)
    except ValueError:
        envelope = None
    if isinstance(envelope, dict) and envelope.get("status") == "error":
        block["is_error"] = True
    return block


def _definitions(tools: Sequence[Mapping[str, Any]]) -> list[ToolDefinition]:
    """Chat-completions ``tools`` -> provider-neutral definitions."""
    found = []
    for tool in tools:
        function = tool.get("function", {})
        found.append(
            ToolDefinition(
                str(function.get("name", "")),
                str(function.get("description", "")),
                function.get("parameters") or {},
            )
        )
    return found
