"""One conversation as the store keeps it, and the chat-completions messages it is made of.

The agent loads the conversation at the start of a turn and saves it at the end with the
version it was loaded at, so any worker can take the next message and two workers can never
both save one turn. The history is kept in the chat-completions shape (what the OpenAI SDK
sends; `anthropic` translates it), so a stored conversation does not depend on the provider.

Each stored message is tagged with the fingerprint of the identity whose turn it belongs to
(``speaker``): what a verified customer's turns held (tool results with their data, the agent's
replies quoting them, their own words) is withheld from any other speaker later in the same
conversation (`model_view`), a shared device or a hijacked chat cannot read it back. `replies`
remembers, for the last turns, the inbox number reached when each reply was committed, so the
consent gate knows which reply a customer could have read before writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from specagent_runtime._agent.consent import PendingAction, expire
from specagent_runtime._events import ToolCalled
from specagent_runtime._identity import ANONYMOUS
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
    task_turn: int | None = None  # the turn whose reply carried that question
    # (turn, the inbox number reached when its reply was committed), the latest last
    replies: list[tuple[int, int]] = field(default_factory=list)
    # Replies no caller has taken yet (`delivery`): handed over before the next one.
    outbox: list[dict[str, Any]] = field(default_factory=list)
    # The message whose turn was saved half-way (a task started): its redelivery resumes it.
    in_progress: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": [message for message in self.messages if NOTE not in message],
            "pending": [action.to_json() for action in self.pending],
            "turn": self.turn,
            "task_run": self.task_run,
            "task_turn": self.task_turn,
            "replies": [list(item) for item in self.replies],
            "outbox": self.outbox,
            "in_progress": self.in_progress,
        }

    def seen_turn(self, arrival: int) -> int | None:
        """The turn whose reply was the latest one committed before the message numbered
        `arrival` arrived: the last reply its writer could have read."""
        seen = [turn for turn, reached in self.replies if reached < arrival]
        return max(seen) if seen else None

    def replied(self, reached: int, *, turn: int | None = None) -> None:
        """Record that a turn's reply (this turn's by default) is handed over with the inbox
        at `reached`."""
        turn = self.turn if turn is None else turn
        kept = [r for r in self.replies if r[0] != turn]
        self.replies = sorted([*kept, (turn, reached)])[-REPLIES_KEPT:]

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
        task_turn=data.get("task_turn"),
        replies=[(int(turn), int(reached)) for turn, reached in data.get("replies") or ()],
        outbox=list(data.get("outbox") or ()),
        in_progress=data.get("in_progress"),
    )


async def save(store: Store, conversation: Conversation) -> None:
    conversation.version = await store.save(
        conversation.id, conversation.to_json(), version=conversation.version
    )


REPLIES_KEPT = 16
SPEAKER = "speaker"  # the key of a stored message's tag; never sent to the model
NOTE = "runtime_note"  # marks a note for the model in this turn only; never saved
WITHHELD = (
    "(Earlier messages of this conversation are withheld: they belong to another customer's "
    "verified session. Do not guess what they said.)"
)


def tagged(message: dict[str, Any], speaker: str) -> dict[str, Any]:
    """`message` as stored: tagged with the fingerprint of the turn's speaker."""
    return {**message, SPEAKER: speaker}


def note(text: str, speaker: str) -> dict[str, Any]:
    return {"role": "system", "content": text, SPEAKER: speaker, NOTE: True}


def model_view(messages: list[dict[str, Any]], speaker: str) -> list[dict[str, Any]]:
    """The messages as the model may see them in `speaker`'s turn: every message of a verified
    identity other than `speaker` replaced by one marker per run of them, tags removed.

    Messages of anonymous or unverified speakers stay visible (they held nothing bound to an
    identity: bound tools are not offered to them), so a customer who signs in mid-way keeps
    the conversation; untagged messages (saved before tags existed) stay visible too."""
    view: list[dict[str, Any]] = []
    for message in messages:
        owner = message.get(SPEAKER, ANONYMOUS)
        if owner != speaker and owner.startswith("v-"):
            if not view or view[-1].get("content") != WITHHELD:
                view.append({"role": "system", "content": WITHHELD})
            continue
        view.append({key: value for key, value in message.items() if key not in (SPEAKER, NOTE)})
    return view


def close_dangling_calls(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages with a result for every tool call that has none (a turn saved half-way,
    then interrupted): the chat-completions API refuses a call without its result."""
    fixed: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        fixed.append(message)
        calls = message.get("tool_calls") or []
        if message.get("role") != "assistant" or not calls:
            continue
        answered = set()
        for later in messages[index + 1 :]:
            if later.get("role") != "tool":
                break
            answered.add(later.get("tool_call_id"))
        tag = {SPEAKER: message[SPEAKER]} if SPEAKER in message else {}
        for item in calls:
            if item.get("id") not in answered:
                name = str(item.get("function", {}).get("name", ""))
                result = ToolResult.error(name, "interrupted before its result was recorded")
                fixed.append({**tool_message(str(item.get("id")), result), **tag})
    return fixed  # the added results sit right after their call, before those that exist


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
