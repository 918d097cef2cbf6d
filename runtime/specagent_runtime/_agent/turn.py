"""One turn of a conversation as the agent works through it: who speaks, what arrived, what
happened so far. The pipeline lives in `loop.Agent`; this is its state and the small pure
steps (checking the inbound text, the runtime's own words about an outcome)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from specagent_runtime._agent.consent import PendingAction
from specagent_runtime._agent.conversation import Conversation, note, tagged
from specagent_runtime._agent.delivery import Inbound
from specagent_runtime._events import Event
from specagent_runtime._identity import Identity
from specagent_runtime._stores.base import Fence, Write
from specagent_runtime._stores.leases import KeptLease
from specagent_runtime._tasks.run import TaskTurn
from specagent_runtime._tools.limits import TurnLimits
from specagent_runtime._tools.toolset import ToolResult


@dataclass(slots=True)
class Turn:
    """A turn in progress; `done` are the confirmed actions it ran, `proposed` the proposals
    the model made in it, `writes` what its commit must save with the conversation."""

    conversation: Conversation
    identity: Identity | None
    speaker: str  # the identity's fingerprint
    inbound: Inbound
    held: KeptLease  # the conversation's lease
    limits: TurnLimits  # this turn's calls against the agent's limits
    events: list[Event] = field(default_factory=list)
    done: list[PendingAction] = field(default_factory=list)
    proposed: list[PendingAction] = field(default_factory=list)
    unknown: list[PendingAction] = field(default_factory=list)  # sent, outcome not known
    confirmed_by: str = ""  # "message:<id>" or "host:<action id>", for the audit trail
    writes: list[Write] = field(default_factory=list)
    saved_midway: bool = False  # the conversation was saved with a task run it started
    # The waiting run's turn when the message was an aside: the reply ends with the run's
    # question again, in the runtime's words, and says the run waits (`TaskWaiting`).
    aside: TaskTurn | None = None

    def fence(self) -> Fence:
        return self.held.lease.fence()

    def add(self, message: dict[str, Any]) -> None:
        """Append a message of this turn to the conversation, tagged with the speaker."""
        self.conversation.messages.append(tagged(message, self.speaker))

    def note(self, text: str) -> None:
        """Tell the model something in this turn only, where the history stands now (after the
        customer's message): a runtime note, never saved."""
        self.conversation.messages.append(note(text, self.speaker))

    @property
    def message_id(self) -> str:
        return self.inbound.arrival.message_id

    @property
    def client_key(self) -> str | None:
        return self.inbound.client_key


_SURROGATE = re.compile("[\ud800-\udfff]")


def inbound_text(message: object) -> str:
    """The customer's message as the runtime keeps it: text only (anything else is the host's
    bug: `TypeError`, before anything is stored), with lone surrogates (invalid Unicode a
    broken client may send) replaced so that the store and the model can take it."""
    if not isinstance(message, str):
        raise TypeError(
            f"the customer's message must be a str, not {type(message).__name__}; "
            "nothing was stored"
        )
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", message)  # one replacement character for each
    return message


def too_long_text(length: int, cap: int) -> str:
    return (
        f"Your message is too long for me to read ({length:,} characters; I can take up to "
        f"{cap:,}). Could you send the important part in a shorter message?"
    )


def unknown_outcome_text(actions: list[PendingAction]) -> str:
    """What the customer is told, in the runtime's words, when nobody knows whether a confirmed
    action went through."""
    what = "; ".join(a.summary.rstrip(".") for a in actions)
    return (
        f"I could not confirm whether this went through: {what}. I have not tried again, so "
        "that it is not done twice; a colleague will check and get back to you."
    )


def outcome_text(action: PendingAction, result: ToolResult) -> str:
    """The runtime's own words for a confirmed action's outcome, when the model cannot give
    them (the model service failed after the action ran): the truth, never "done" unless it
    was."""
    if result.status == "ok":
        return f"Done: {action.summary.rstrip('.')}."
    if result.message.startswith("OUTCOME UNKNOWN"):
        return ""  # `unknown_outcome_text` says it
    return f"That was not done as asked: {result.message}"


def result_of(message: dict[str, Any]) -> ToolResult:
    """A stored tool message read back as the result it carries."""
    try:
        data = json.loads(message.get("content") or "{}")
    except ValueError:
        data = {}
    status = data.get("status")
    if status not in ("ok", "error", "confirmation_required"):
        status = "error"
    return ToolResult(str(data.get("tool", "")), status, data=data.get("data"),
                      message=str(data.get("message", "")))  # fmt: skip
