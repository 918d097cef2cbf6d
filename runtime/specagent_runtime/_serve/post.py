"""An agent's `Reply` as the helpdesk calls that show it to the customer.

One rule for every channel, each client rendering it in its own widgets:

- a hand-off (`HandoffRequested`) goes to the humans (`hand_off`, the reason as the internal
  note, the reply text as the last word to the customer); it wins over a question, since a
  person now answers;
- a proposal waiting for a yes (`ConfirmationRequested` for a consequential tool,
  `TaskWaiting` for a task's confirm step) is asked with the channel's controls
  (`ask_confirmation`: Intercom quick replies, Sunshine postback buttons, web chat buttons, a
  question answered in words on Zendesk), the reply text as the question; the buttons carry
  `ConfirmationCodec` tokens for ``tool:<action id>`` or ``task:<run id>``;
- otherwise the text, if there is any, is a plain reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from specagent_runtime._channels.base import Delivery, HandoffRequest, HelpdeskClient
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._events import (
    ConfirmationRequested,
    HandoffRequested,
    Reply,
    TaskWaiting,
)

TOOL_PREFIX = "tool:"
TASK_PREFIX = "task:"


@dataclass(frozen=True, slots=True)
class Posted:
    """What was sent: "reply", "confirmation", "handoff" or "nothing"."""

    what: str
    delivery: Delivery | None = None
    action: str = ""


def proposal(reply: Reply) -> str | None:
    """The action the reply asks the customer to confirm (``tool:<id>``/``task:<run>``)."""
    found: str | None = None
    for event in reply.events:
        if isinstance(event, ConfirmationRequested):
            found = TOOL_PREFIX + event.action_id
        elif isinstance(event, TaskWaiting) and event.waiting_for == "confirmation":
            found = TASK_PREFIX + event.run_id
    return found


def handoff_reason(reply: Reply) -> str | None:
    reasons = [event.reason for event in reply.events if isinstance(event, HandoffRequested)]
    return "; ".join(reasons) if reasons else None


async def post(
    client: HelpdeskClient, codec: ConfirmationCodec, conversation_id: str, reply: Reply
) -> Posted:
    """Show `reply` in the helpdesk conversation `conversation_id`."""
    reason = handoff_reason(reply)
    text = reply.text.strip()
    if reason is not None:
        note = f"The AI agent handed this conversation over: {reason}"
        delivery = await client.hand_off(
            conversation_id, HandoffRequest(note=note, message=text or None)
        )
        return Posted("handoff", delivery)
    action = proposal(reply)
    if action is not None and text:
        prompt = codec.prompt(conversation_id, action, text)
        return Posted(
            "confirmation", await client.ask_confirmation(conversation_id, prompt), action
        )
    if text:
        return Posted("reply", await client.reply(conversation_id, text))
    return Posted("nothing")
