"""The confirmation gate: a consequential action runs only after the customer said yes.

The model cannot confirm on its own behalf. When it first calls a tool marked ``confirm``, the
call is recorded as a pending action (tool, exact arguments after binding, the turn it was
proposed in) and the model is told to ask the customer. The action runs only when, in a later
turn (so after a new customer message), the model calls the same tool with the same arguments,
or when the host confirms it explicitly (a button). Only tool calls and turn boundaries move
this state; the text of a tool result cannot, so an API response saying "confirmed" is inert.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from specagent_runtime._tools.shaping import dumps
from specagent_runtime._tools.toolset import PreparedCall, ToolResult

# A pending action may be confirmed in the next this-many turns, then it is dropped: a "yes"
# long after the proposal is more likely about something else.
CONFIRM_WITHIN_TURNS = 2


@dataclass(frozen=True, slots=True)
class PendingAction:
    """An action proposed by the model and waiting for the customer's yes."""

    id: str
    tool: str
    arguments: Mapping[str, Any]  # after binding: what will be sent
    summary: str  # what will happen, in words for the customer and the host
    turn: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tool": self.tool,
            "arguments": dict(self.arguments),
            "summary": self.summary,
            "turn": self.turn,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PendingAction:
        return cls(
            id=str(data["id"]),
            tool=str(data["tool"]),
            arguments=dict(data["arguments"]),
            summary=str(data["summary"]),
            turn=int(data["turn"]),
        )


Verdict = Literal["run", "proposed", "same_turn"]


def summarise(call: PreparedCall) -> str:
    """One line naming the tool, what it does and the model-chosen arguments (bound values are
    the customer's own and are not repeated)."""
    spec = call.spec
    what = spec.description.strip().splitlines()[0] if spec.description.strip() else spec.name
    args = ", ".join(f"{key}={dumps(value)}" for key, value in sorted(call.model_arguments.items()))
    text = f"{spec.name}({args}): {what}"
    if spec.bindings:
        text += " (for the verified customer)"
    return text


def expire(pending: list[PendingAction], turn: int) -> list[PendingAction]:
    """The actions still confirmable in `turn`."""
    return [action for action in pending if turn - action.turn <= CONFIRM_WITHIN_TURNS]


def gate(
    pending: list[PendingAction], call: PreparedCall, turn: int
) -> tuple[Verdict, PendingAction, list[PendingAction]]:
    """Decide a call to a tool that needs confirmation; returns the verdict, the action it
    concerns and the new pending list.

    "run": the same call was proposed in an earlier turn (it leaves the list: it runs once).
    "same_turn": the model repeated its own proposal without a customer message in between.
    "proposed": a new action, replacing any pending one for the same tool.
    """
    arguments = dict(call.arguments)
    for action in pending:
        if action.tool == call.spec.name and dict(action.arguments) == arguments:
            if action.turn < turn:
                return "run", action, [a for a in pending if a.id != action.id]
            return "same_turn", action, pending
    action = PendingAction(
        id=uuid.uuid4().hex[:12],
        tool=call.spec.name,
        arguments=arguments,
        summary=summarise(call),
        turn=turn,
    )
    others = [a for a in pending if a.tool != call.spec.name]
    return "proposed", action, [*others, action]


def needs_confirmation(action: PendingAction) -> ToolResult:
    return ToolResult(
        action.tool,
        "confirmation_required",
        message=(
            "Not done yet: this action needs the customer's confirmation. It will do: "
            f"{action.summary.rstrip('.')}. Tell the customer exactly what will happen and ask "
            "them to confirm. Only after they agree in their next message, call this tool "
            "again with the same arguments. Do not say it is done."
        ),
    )


def refuse_same_turn(action: PendingAction) -> ToolResult:
    return ToolResult.error(
        action.tool,
        "Not done: you cannot confirm this yourself. The customer must agree in a new "
        f"message first. Ask them to confirm: {action.summary.rstrip('.')}.",
    )
