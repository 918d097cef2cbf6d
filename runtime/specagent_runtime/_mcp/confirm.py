"""The confirmation gate as an MCP server can hold it.

An MCP server does not see the conversation, so it cannot wait for "a new customer message" the
way `Agent` does. What it can enforce: a consequential call never runs when it is first made.
The first call records a proposal (tool, exact arguments after binding) and answers with what
would happen; the action runs only when the same tool is called again with the same arguments
and ``"confirm": true``, and only once per proposal. Saying that the user agreed is left to the
host, whose tool-approval prompt the annotations (``destructiveHint``) ask for; the proposal
step guarantees that what the user approved is exactly what runs.

Proposals are kept per scope (the verified identity, plus the MCP session on HTTP), in memory,
for `ttl` seconds: a stdio server serves one host, and a confirmation after a restart should be
asked again anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from specagent_runtime._agent.consent import summarise
from specagent_runtime._identity import Identity
from specagent_runtime._spec import ToolSpec
from specagent_runtime._tools.toolset import PreparedCall, ToolResult

CONFIRM_ARGUMENT = "confirm"
_FALLBACK_ARGUMENT = "specagent_confirm"
DEFAULT_TTL = 600.0
_MAX_PROPOSALS = 10_000


def confirm_argument(spec: ToolSpec) -> str:
    """The name of the extra boolean argument, clear of the tool's own arguments."""
    if CONFIRM_ARGUMENT in spec.input_schema.get("properties", {}):
        return _FALLBACK_ARGUMENT
    return CONFIRM_ARGUMENT


def with_confirm_argument(spec: ToolSpec, schema: dict[str, Any]) -> dict[str, Any]:
    """The model-facing schema of a consequential tool, plus its confirmation argument."""
    properties = dict(schema.get("properties", {}))
    properties[confirm_argument(spec)] = {
        "type": "boolean",
        "description": (
            "Leave out on the first call: it only says what would happen. Set to true on a "
            "second, otherwise identical call, only after the user agreed to exactly that."
        ),
    }
    return {**schema, "properties": properties}


def scope_of(identity: Identity | None, session: str | None = None) -> Hashable:
    """Whose proposals these are: a confirmation from another customer or session never runs
    someone else's proposal."""
    if identity is None:
        return ((), session)
    return (tuple((name, identity.get(name)) for name in sorted(identity.fields())), session)


@dataclass(frozen=True, slots=True)
class Proposal:
    tool: str
    arguments: Mapping[str, Any]
    summary: str
    created: float


class Confirmations:
    """Proposals waiting for a ``confirm: true`` call."""

    def __init__(
        self, *, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._proposals: dict[Hashable, list[Proposal]] = {}

    def propose(self, scope: Hashable, call: PreparedCall) -> Proposal:
        """Record a proposal, replacing an earlier one for the same tool in this scope."""
        self._expire()
        proposal = Proposal(call.spec.name, dict(call.arguments), summarise(call), self._clock())
        kept = [p for p in self._proposals.get(scope, []) if p.tool != proposal.tool]
        self._proposals[scope] = [*kept, proposal]
        if sum(len(items) for items in self._proposals.values()) > _MAX_PROPOSALS:
            # A flood of proposals must not grow the server without bound: drop the oldest.
            oldest = min(self._proposals, key=lambda key: self._proposals[key][0].created)
            self._proposals[oldest].pop(0)
            if not self._proposals[oldest]:
                del self._proposals[oldest]
        return proposal

    def take(self, scope: Hashable, call: PreparedCall) -> Proposal | None:
        """The proposal this confirmed call matches, removed so it runs once; None if there is
        none (never proposed, other arguments, expired, or already run). Synchronous, so two
        concurrent confirmations in one event loop cannot both take it."""
        self._expire()
        items = self._proposals.get(scope, [])
        arguments = dict(call.arguments)
        for proposal in items:
            if proposal.tool == call.spec.name and dict(proposal.arguments) == arguments:
                items.remove(proposal)
                if not items:
                    del self._proposals[scope]
                return proposal
        return None

    def _expire(self) -> None:
        limit = self._clock() - self.ttl
        for scope in list(self._proposals):
            items = [p for p in self._proposals[scope] if p.created >= limit]
            if items:
                self._proposals[scope] = items
            else:
                del self._proposals[scope]


def confirmation_required(proposal: Proposal, argument: str) -> ToolResult:
    return ToolResult(
        proposal.tool,
        "confirmation_required",
        message=(
            "Not done yet: this action needs the user's confirmation. It will do: "
            f"{proposal.summary.rstrip('.')}. Tell the user exactly what will happen and ask "
            f"them to confirm. Only if they agree, call `{proposal.tool}` again with the same "
            f'arguments and "{argument}": true. Do not say it is done.'
        ),
    )


def nothing_to_confirm(tool: str, argument: str) -> ToolResult:
    return ToolResult.error(
        tool,
        f'Not done: there is no proposal to confirm. Call `{tool}` without "{argument}" first, '
        "tell the user what will happen, and confirm only after they agree. A confirmation must "
        "repeat the proposed arguments exactly, and each proposal runs at most once.",
    )
