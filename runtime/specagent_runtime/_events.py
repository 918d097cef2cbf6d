"""What happened during a turn, reported to the host next to the reply text.

Events are plain frozen records with a `kind` string and a JSON form, so a host can log them,
show buttons for them (a pending confirmation) or route the conversation (a hand-off). New
kinds (the task engine's runs and steps) subclass `Event`; hosts should ignore kinds they do not
know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal


@dataclass(frozen=True, slots=True)
class Event:
    kind: ClassVar[str] = "event"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for item in fields(self):
            value = getattr(self, item.name)
            data[item.name] = dict(value) if isinstance(value, Mapping) else value
        return data


@dataclass(frozen=True, slots=True)
class ToolCalled(Event):
    """A tool call the model made. `arguments` are the model's own: bound values (the verified
    customer's) are not repeated here. `status` is "ok", "error" (refused or failed; `error` is
    what the model was told) or "confirmation_required" (see `ConfirmationRequested`)."""

    kind: ClassVar[str] = "tool_called"
    tool: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    status: Literal["ok", "error", "confirmation_required"] = "ok"
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True, slots=True)
class ConfirmationRequested(Event):
    """A consequential action waits for the customer's yes (or the host's `Agent.confirm`)."""

    kind: ClassVar[str] = "confirmation_requested"
    action_id: str
    tool: str
    summary: str


@dataclass(frozen=True, slots=True)
class ConfirmationExecuted(Event):
    """A confirmed action ran; `by` says whether the customer's message or the host confirmed."""

    kind: ClassVar[str] = "confirmation_executed"
    action_id: str
    tool: str
    ok: bool
    by: Literal["customer", "host"] = "customer"


@dataclass(frozen=True, slots=True)
class HandoffRequested(Event):
    """The conversation should go to a human: the model asked, or the agent ran out of rounds."""

    kind: ClassVar[str] = "handoff_requested"
    reason: str


@dataclass(frozen=True, slots=True)
class TaskStarted(Event):
    """The model started a task from the agent file; the task engine now drives its steps."""

    kind: ClassVar[str] = "task_started"
    run_id: str
    task: str


@dataclass(frozen=True, slots=True)
class TaskWaiting(Event):
    """A task run waits for the customer's next message: `waiting_for` is "confirmation" (a
    host may show yes/no buttons and answer with `Agent.confirm_task`) or "input:<name>"."""

    kind: ClassVar[str] = "task_waiting"
    run_id: str
    task: str
    waiting_for: str


@dataclass(frozen=True, slots=True)
class TaskFinished(Event):
    """A task run ended: `status` is done, cancelled, failed or handed_off (then a
    `HandoffRequested` with the run's reason follows)."""

    kind: ClassVar[str] = "task_finished"
    run_id: str
    task: str
    status: str


@dataclass(frozen=True, slots=True)
class Reply:
    """The agent's answer to one customer message: the text to send and what happened.

    Delivery flags (docs/security.md, "Delivery"):

    - `duplicate`: the message (by its `message_id`) was handled before; nothing ran this time.
      With `in_progress` another worker is handling it right now: post nothing. Otherwise
      `text` is the reply stored then; `acknowledged` says the host marked it posted
      (`Agent.delivered`), so post it again only if it is not and you did not post it.
    - `queued`: another message of the conversation was being handled and this one waited too
      long; it is kept and answered, in arrival order, by the worker handling the conversation
      (its answer comes with that worker's reply, or with the next one in the conversation).
    """

    text: str
    events: list[Event] = field(default_factory=list)
    conversation_id: str = ""
    duplicate: bool = False
    message_id: str = ""
    acknowledged: bool = False
    queued: bool = False
    in_progress: bool = False

    @property
    def handed_off(self) -> bool:
        return any(isinstance(event, HandoffRequested) for event in self.events)

    @property
    def pending_confirmations(self) -> list[ConfirmationRequested]:
        return [event for event in self.events if isinstance(event, ConfirmationRequested)]

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "events": [event.to_json() for event in self.events],
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, duplicate: bool = False, acknowledged: bool = False
    ) -> Reply:
        """A stored reply (`to_json`); event kinds this runtime does not know are left out."""
        events = [event_from_json(item) for item in data.get("events") or ()]
        return cls(
            text=str(data.get("text", "")),
            events=[event for event in events if event is not None],
            conversation_id=str(data.get("conversation_id", "")),
            duplicate=duplicate,
            message_id=str(data.get("message_id", "")),
            acknowledged=acknowledged,
        )


def event_from_json(data: Mapping[str, Any]) -> Event | None:
    """An event from its JSON form (`Event.to_json`); None for an unknown kind."""
    kinds = {kind.kind: kind for kind in _event_kinds(Event)}
    kind = kinds.get(str(data.get("kind")))
    if kind is None:
        return None
    names = {item.name for item in fields(kind)}
    try:
        return kind(**{key: value for key, value in data.items() if key in names})
    except TypeError:
        return None


def _event_kinds(base: type[Event]) -> list[type[Event]]:
    found = []
    for kind in base.__subclasses__():
        found += [kind, *_event_kinds(kind)]
    return found
