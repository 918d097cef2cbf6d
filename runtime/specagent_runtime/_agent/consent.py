"""The confirmation gate: a consequential action runs only on the customer's own yes to it.

The model can only *propose*. Its call of a tool marked ``confirm`` is recorded as a pending
action (the tool, the exact arguments after binding, the runtime's own summary, the turn whose
reply shows it to the customer, and the fingerprint of the identity that was asked); the reply
carries that summary word for word, so a yes is a yes to what will run, not to the model's
paraphrase. Calling the tool again is never consent: it proposes again, and the new proposal
needs its own yes.

The customer's next message is judged by the runtime before the model sees it (`answer`, with
`specagent_runtime.judge`): a yes to the single proposal shown in the last reply the customer
could have seen when they wrote runs it (the runtime runs it, with the stored arguments); a yes
with two such proposals is ambiguous and runs nothing; a no withdraws the speaker's proposals;
anything else leaves them unconfirmed and the model is told so. Only the identity that was asked
can confirm, by text or through the host's button (`host_confirmable`), within a few turns and
a time limit, once (the agent's claim record).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specagent_runtime._errors import ConfirmationNotFound
from specagent_runtime._judge import Verdict, judge
from specagent_runtime._tools.shaping import dumps
from specagent_runtime._tools.toolset import PreparedCall, ToolResult

# A pending action may be confirmed by the host in the next this-many turns, then it is dropped:
# a button pressed long after the proposal is more likely about something else. A text yes must
# answer the very reply that showed the proposal.
CONFIRM_WITHIN_TURNS = 2
# ... and within this many seconds of the proposal (the host's buttons stay on screen).
DEFAULT_CONFIRM_TTL = 30 * 60.0


@dataclass(frozen=True, slots=True)
class PendingAction:
    """An action proposed by the model and waiting for the customer's yes.

    `proposer` is the fingerprint of the identity that was asked (`Identity.fingerprint`):
    nobody else can confirm it. Records saved before it existed have "" and need a new
    proposal."""

    id: str
    tool: str
    arguments: Mapping[str, Any]  # after binding: what will be sent
    summary: str  # what will happen, in words for the customer and the host
    turn: int  # the turn whose reply shows it to the customer
    proposer: str = ""
    created_at: float = 0.0
    model_arguments: Mapping[str, Any] = field(default_factory=dict)  # the model's own

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tool": self.tool,
            "arguments": dict(self.arguments),
            "summary": self.summary,
            "turn": self.turn,
            "proposer": self.proposer,
            "created_at": self.created_at,
            "model_arguments": dict(self.model_arguments),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PendingAction:
        return cls(
            id=str(data["id"]),
            tool=str(data["tool"]),
            arguments=dict(data["arguments"]),
            summary=str(data["summary"]),
            turn=int(data["turn"]),
            proposer=str(data.get("proposer", "")),
            created_at=float(data.get("created_at", 0.0)),
            model_arguments=dict(data.get("model_arguments") or {}),
        )

    def same_call(self, tool: str, arguments: Mapping[str, Any]) -> bool:
        return self.tool == tool and _canonical(self.arguments) == _canonical(arguments)

    def binding(self, conversation_id: str) -> str:
        """A digest of everything the confirmation is bound to: the conversation, the identity
        asked, the exact arguments and the summary shown. Stored in the claim record."""
        text = json.dumps(
            [conversation_id, self.id, self.proposer, self.tool, self.arguments, self.summary],
            sort_keys=True,
            ensure_ascii=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _canonical(arguments: Mapping[str, Any]) -> str:
    return json.dumps(dict(arguments), sort_keys=True, ensure_ascii=True)


def summarise(call: PreparedCall) -> str:
    """One line naming the tool, what it does and the model-chosen arguments (bound values are
    the customer's own and are not repeated)."""
    spec = call.spec
    what = spec.description.strip().splitlines()[0] if spec.description.strip() else spec.name
    args = ", ".join(f"{key}={dumps(value)}" for key, value in sorted(call.model_arguments.items()))
    text = f"{spec.name}({args}): {what}"
    if spec.bindings:
        text = text.rstrip(".") + " (for the verified customer)."
    return text


def expire(
    pending: list[PendingAction], turn: int, now: float | None = None, ttl: float | None = None
) -> list[PendingAction]:
    """The actions still confirmable in `turn` (and at `now`, when a `ttl` is given)."""
    return [
        action
        for action in pending
        if turn - action.turn <= CONFIRM_WITHIN_TURNS
        and (now is None or ttl is None or not action.created_at or now - action.created_at <= ttl)
    ]


# --- the model's calls -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a model's call of a consequential tool did: `result` is what the model is told,
    `action` the new pending action (None when the call was refused)."""

    result: ToolResult
    action: PendingAction | None
    pending: list[PendingAction]


def propose(
    pending: list[PendingAction],
    call: PreparedCall,
    *,
    turn: int,
    proposer: str,
    now: float,
    done: Sequence[PendingAction] = (),
) -> Proposal:
    """Record the model's call as a proposal; it never runs it. `done` are the actions run in
    this turn: the model repeating one is told it already ran. A changed proposal for a tool
    replaces the speaker's earlier one for that tool (whose action id then stops working)."""
    tool, arguments = call.spec.name, dict(call.arguments)
    for action in done:
        if action.same_call(tool, arguments):
            return Proposal(already_done(action), None, pending)
    for action in pending:
        if (
            action.proposer == proposer
            and action.turn == turn
            and action.same_call(tool, arguments)
        ):
            return Proposal(already_proposed(action), None, pending)
    action = PendingAction(
        id=uuid.uuid4().hex[:12],
        tool=tool,
        arguments=arguments,
        summary=summarise(call),
        turn=turn,
        proposer=proposer,
        created_at=now,
        model_arguments=dict(call.model_arguments),
    )
    others = [a for a in pending if not (a.proposer == proposer and a.tool == tool)]
    return Proposal(needs_confirmation(action), action, [*others, action])


def needs_confirmation(action: PendingAction) -> ToolResult:
    return ToolResult(
        action.tool,
        "confirmation_required",
        message=(
            "Not done: this action needs the customer's confirmation, and the runtime asks for "
            f"it. Your reply will end with this summary: {action.summary.rstrip('.')}. Ask the "
            "customer whether they want exactly that. If their next message is a clear yes, the "
            "runtime carries it out and shows you the result; calling this tool again only "
            "proposes it again. Do not say it is done."
        ),
    )


def already_proposed(action: PendingAction) -> ToolResult:
    return ToolResult.error(
        action.tool,
        "Not done: this is already proposed in this turn. Only the customer can confirm it, in "
        f"their next message: {action.summary.rstrip('.')}.",
    )


def already_done(action: PendingAction) -> ToolResult:
    return ToolResult.error(
        action.tool,
        "Not run again: the customer's confirmation of this action was used when the runtime "
        "carried it out earlier in this turn (its result is above). A confirmation is used once.",
    )


# --- the customer's answer -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What a customer's message does to the pending actions (before the model runs)."""

    verdict: Verdict
    run: PendingAction | None = None  # the one action this message confirms
    ambiguous: tuple[PendingAction, ...] = ()  # a yes that cannot tell these apart
    withdrawn: tuple[PendingAction, ...] = ()  # a no
    unconfirmed: tuple[PendingAction, ...] = ()  # still waiting: not agreed to
    pending: tuple[PendingAction, ...] = ()  # the list after this message


def answer(
    pending: list[PendingAction], text: str, *, speaker: str, seen_turn: int | None
) -> Answer:
    """Judge `text` against the speaker's pending actions.

    `seen_turn` is the turn whose reply was the latest the customer could have read when they
    sent the message (committed before the message arrived; None: none). A yes confirms only an
    action that reply showed: a message sent before the proposal reached the customer, or after
    the conversation moved on, is not a yes to it."""
    verdict = judge(text)
    mine = [a for a in pending if a.proposer == speaker and a.proposer]
    if verdict == "no":
        left = tuple(a for a in pending if a not in mine)
        return Answer(verdict, withdrawn=tuple(mine), pending=left)
    shown = [a for a in mine if seen_turn is not None and a.turn == seen_turn]
    if verdict == "yes" and len(shown) == 1:
        [chosen] = shown
        left = tuple(a for a in pending if a.id != chosen.id)
        return Answer(verdict, run=chosen, unconfirmed=tuple(a for a in mine if a != chosen),
                      pending=left)  # fmt: skip
    if verdict == "yes" and len(shown) > 1:
        return Answer(verdict, ambiguous=tuple(shown), unconfirmed=tuple(mine),
                      pending=tuple(pending))  # fmt: skip
    return Answer(verdict, unconfirmed=tuple(mine), pending=tuple(pending))


def host_confirmable(
    pending: list[PendingAction],
    conversation_id: str,
    action_id: str,
    *,
    speaker: str,
    turn: int,
    now: float,
    ttl: float | None,
) -> PendingAction:
    """The pending action the host's button names, if the identity pressing it is the one that
    was asked and it has not expired; else `ConfirmationNotFound` saying why."""
    action = next((a for a in pending if a.id == action_id), None)
    if action is None:
        raise ConfirmationNotFound(
            f"conversation {conversation_id!r} has no pending action {action_id!r} (it expired, "
            "was replaced, declined or already carried out)"
        )
    if not action.proposer or action.proposer != speaker:
        raise ConfirmationNotFound(
            f"pending action {action_id!r} of conversation {conversation_id!r} was proposed to "
            "another identity: only the customer who was asked can confirm it"
        )
    if not expire([action], turn, now, ttl):
        raise ConfirmationNotFound(
            f"pending action {action_id!r} of conversation {conversation_id!r} has expired"
        )
    return action


# --- what the customer and the model are told ------------------------------------------------


def customer_prompt(actions: list[PendingAction]) -> str:
    """The runtime's own words at the end of a reply that proposes actions."""
    if len(actions) == 1:
        return (
            f"To go ahead I need your confirmation of exactly this: {actions[0].summary}\n"
            'Reply "yes" to confirm, or "no".'
        )
    lines = "\n".join(f"{number}. {a.summary}" for number, a in enumerate(actions, 1))
    return (
        f"These need your confirmation, one at a time:\n{lines}\nTell me which one you want first."
    )


def with_prompt(text: str, actions: list[PendingAction]) -> str:
    if not actions:
        return text
    prompt = customer_prompt(actions)
    return f"{text.rstrip()}\n\n{prompt}" if text.strip() else prompt


def ambiguity_reply(actions: tuple[PendingAction, ...]) -> str:
    lines = "\n".join(f"{number}. {a.summary}" for number, a in enumerate(actions, 1))
    return (
        f"More than one action is waiting for your confirmation:\n{lines}\n"
        'A "yes" cannot tell them apart, so I have done none of them. Which one do you mean?'
    )


def model_note(result: Answer) -> str | None:
    """What the model is told about the customer's message before it answers, if anything."""
    parts = []
    if result.withdrawn:
        parts.append(
            "The customer declined, so these proposals are withdrawn and were NOT done: "
            + "; ".join(a.summary for a in result.withdrawn)
            + ". Do not propose them again unless the customer asks for them anew."
        )
    waiting = [a for a in result.unconfirmed if a not in result.ambiguous]
    if waiting:
        parts.append(
            "The customer has NOT agreed to these (their message is not a clear yes to them): "
            + "; ".join(a.summary for a in waiting)
            + ". They are not done. Do not say they are; if the customer wants one, calling the "
            "tool proposes it again and asks them."
        )
    if not parts:
        return None
    return "Note from the runtime (not from the customer): " + " ".join(parts)


def executed_note(action: PendingAction, by: str) -> str:
    who = "with the host's confirmation button" if by == "host" else "in their message"
    return (
        f"Note from the runtime: the customer confirmed {who}, and the runtime carried out "
        f"{action.summary.rstrip('.')}; its call and result follow. Tell the customer the outcome "
        "as the result states it."
    )
