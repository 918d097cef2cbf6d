"""Confirmations as an MCP server can hold them: the user's yes by elicitation, else a token.

An MCP server does not see the conversation, so it cannot wait for "a new customer message" the
way `Agent` does, and the host's model must never be the one who says yes. Two ways remain:

- **Elicitation** (when the client declares the form mode): the server asks the user itself,
  in the client's own dialog, with the runtime's summary of the exact action and one boolean;
  only "accept" with that box ticked runs it, once. The model is not involved.
- **A confirmation token** otherwise: the first call of a consequential tool runs nothing and
  answers with what would happen and a `confirmation_token`; only a second call carrying that
  token as its `confirm` argument runs the action. The token is random, bound to the MCP
  session, the caller's identity fingerprint, the tool and its exact arguments after binding,
  used once, and expires after `ttl` seconds (and when a newer proposal of the same tool in
  the same scope replaces it). `confirm: true` is not a token, and a token another session,
  another identity or an anonymous caller presents runs nothing. What the token proves is that
  the host saw the proposal; that the user agreed is the host's approval prompt's part (the
  annotations ask for one).

Proposals live in memory: a stdio server serves one host, and a confirmation after a restart
should be asked again anyway.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from specagent_runtime._agent.consent import summarise
from specagent_runtime._identity import Identity, fingerprint
from specagent_runtime._spec import ToolSpec
from specagent_runtime._tools.toolset import PreparedCall, ToolResult

CONFIRM_ARGUMENT = "confirm"
_FALLBACK_ARGUMENT = "specagent_confirm"
TOKEN_KEY = "confirmation_token"
DEFAULT_TTL = 600.0
_MAX_PROPOSALS = 10_000


def confirm_argument(spec: ToolSpec) -> str:
    """The name of the extra token argument, clear of the tool's own arguments."""
    if CONFIRM_ARGUMENT in spec.input_schema.get("properties", {}):
        return _FALLBACK_ARGUMENT
    return CONFIRM_ARGUMENT


def with_confirm_argument(spec: ToolSpec, schema: dict[str, Any]) -> dict[str, Any]:
    """The model-facing schema of a consequential tool, plus its confirmation argument."""
    properties = dict(schema.get("properties", {}))
    properties[confirm_argument(spec)] = {
        "type": "string",
        "description": (
            f"Leave out on the first call: it only says what would happen and returns a "
            f"`{TOKEN_KEY}`. After the user agreed to exactly that, call again with the same "
            "arguments and this token."
        ),
    }
    return {**schema, "properties": properties}


def scope_of(identity: Identity | None, session: str | None = None) -> Hashable:
    """Whose proposals these are: the MCP session and the identity's fingerprint (the raw
    identity is never kept)."""
    return (session, fingerprint(identity))


@dataclass(frozen=True, slots=True)
class Proposal:
    token: str
    scope: Hashable
    tool: str
    arguments: Mapping[str, Any]
    summary: str
    created: float


class Confirmations:
    """Proposals waiting for their token."""

    def __init__(
        self, *, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._proposals: dict[str, Proposal] = {}  # token -> proposal, oldest first

    def propose(self, scope: Hashable, call: PreparedCall) -> Proposal:
        """Record a proposal with a new token, replacing an earlier one for the same tool in
        this scope."""
        self._expire()
        for token, old in list(self._proposals.items()):
            if old.scope == scope and old.tool == call.spec.name:
                del self._proposals[token]
        token = "ct_" + secrets.token_urlsafe(24)
        proposal = Proposal(
            token, scope, call.spec.name, dict(call.arguments), summarise(call), self._clock()
        )
        self._proposals[token] = proposal
        while len(self._proposals) > _MAX_PROPOSALS:  # a flood must not grow the server
            del self._proposals[next(iter(self._proposals))]
        return proposal

    def take(self, token: str, scope: Hashable, call: PreparedCall) -> Proposal | None:
        """The proposal `token` stands for, if it is this scope's and this exact call; the
        token is used up either way, so it cannot be tried twice. Synchronous, so two
        concurrent confirmations in one event loop cannot both take it."""
        self._expire()
        proposal = self._proposals.pop(token, None)
        if proposal is None or proposal.scope != scope:
            return None
        if proposal.tool != call.spec.name or dict(proposal.arguments) != dict(call.arguments):
            return None
        return proposal

    def _expire(self) -> None:
        limit = self._clock() - self.ttl
        for token, proposal in list(self._proposals.items()):
            if proposal.created < limit:
                del self._proposals[token]


def confirmation_required(proposal: Proposal, argument: str) -> ToolResult:
    """The first call's answer; the token travels in `data` (`McpTools` puts it at the top of
    the result and in its structured content)."""
    return ToolResult(
        proposal.tool,
        "confirmation_required",
        data={TOKEN_KEY: proposal.token, "summary": proposal.summary},
        message=(
            "Not done yet: this action needs the user's confirmation. It will do: "
            f"{proposal.summary.rstrip('.')}. Tell the user exactly what will happen and ask "
            f"them to confirm. Only if they agree, call `{proposal.tool}` again with the same "
            f'arguments and "{argument}": the {TOKEN_KEY} of this result. Do not say it is done.'
        ),
    )


def nothing_to_confirm(tool: str, argument: str) -> ToolResult:
    return ToolResult.error(
        tool,
        f"Not done: that is not a valid {TOKEN_KEY} for this call. Call `{tool}` without "
        f'"{argument}" first, tell the user what will happen, and only after they agree call '
        "again with the same arguments and the token it returned. Each token is for one "
        "call, by the same user in the same session, and works once.",
    )


def declined(tool: str) -> ToolResult:
    return ToolResult.error(
        tool, "Not done: the user declined. Do not try again unless they ask for it."
    )


ELICITATION_FIELD = "confirm"


def elicitation_request(proposal_summary: str) -> tuple[str, dict[str, Any]]:
    """The question and the form (one boolean) that ask the user to confirm one action."""
    message = f"Confirm this action? {proposal_summary.rstrip('.')}."
    schema = {
        "type": "object",
        "properties": {
            ELICITATION_FIELD: {
                "type": "boolean",
                "title": "Yes, do this",
                "description": "Tick to carry out exactly the action above.",
            }
        },
        "required": [ELICITATION_FIELD],
    }
    return message, schema
