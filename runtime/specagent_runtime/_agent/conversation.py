"""One conversation as the store keeps it, and the chat-completions messages it is made of.

The agent loads the conversation at the start of a turn and saves it at the end with the
version it was loaded at, so any worker can take the next message and two workers can never
both save one turn. The history is kept in the chat-completions shape (what the OpenAI SDK
sends; `anthropic` translates it), so a stored conversation does not depend on the provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from specagent_runtime._agent.consent import PendingAction, expire
from specagent_runtime._events import ToolCalled
from specagent_runtime._stores.base import Store
from specagent_runtime._tools.formats import format_result
from specagent_runtime._tools.toolset import ToolResult


@dataclass(slots=True)
class Conversation:
    id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    pending: list[PendingAction] = field(default_factory=list)
    turn: int = 0
    version: int = 0
    task_run: str | None = None  # the task run whose question the customer last received

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "pending": [action.to_json() for action in self.pending],
            "turn": self.turn,
            "task_run": self.task_run,
        }

    def next_turn(self) -> None:
        """Count a customer turn; pending actions too old to be confirmed in it are dropped."""
        self.turn += 1
        self.pending = expire(self.pending, self.turn)


async def load(store: Store, conversation_id: str) -> Conversation:
    stored = await store.load(conversation_id)
    if stored is None:
        return Conversation(conversation_id)
    data = stored.value
    return Conversation(
        id=conversation_id,
        messages=list(data["messages"]),
        pending=[PendingAction.from_json(item) for item in data["pending"]],
        turn=int(data["turn"]),
        version=stored.version,
        task_run=data.get("task_run"),
    )


async def save(store: Store, conversation: Conversation) -> None:
    conversation.version = await store.save(
        conversation.id, conversation.to_json(), version=conversation.version
    )


class ModelCall(NamedTuple):
    """One tool call of the model, its arguments still the JSON text the model wrote."""

    id: str
    name: str
    arguments: str


def recent(messages: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The last `limit` messages, starting at a customer message: a window that began inside a
    round would send tool results without the call they answer, which the API rejects."""
    if len(messages) <= limit:
        return messages
    window = messages[-limit:]
    start = next((i for i, m in enumerate(window) if m["role"] == "user"), None)
    if start is None:
        # One turn longer than the window: keep the turn whole rather than break it.
        start = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=0)
        return messages[start:]
    return window[start:]


def tool_message(call_id: str, result: ToolResult) -> dict[str, Any]:
    return format_result(result, call_id, "openai_chat")


def tool_event(arguments: Mapping[str, Any] | None, result: ToolResult) -> ToolCalled:
    return ToolCalled(
        tool=result.tool,
        arguments=dict(arguments or {}),
        status=result.status,
        error=result.message if result.is_error else "",
    )


def calls_of(message: Any) -> list[ModelCall]:
    """The function calls of an SDK chat-completions message (other kinds are skipped)."""
    calls = []
    for item in getattr(message, "tool_calls", None) or []:
        function = getattr(item, "function", None)
        if function is not None:
            calls.append(ModelCall(item.id, function.name, function.arguments or ""))
    return calls
