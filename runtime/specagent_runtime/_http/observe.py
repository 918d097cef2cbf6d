"""What a caller learns about the requests made on its behalf, without touching their code.

The agent runs a confirmed action through the generated client's ordinary method; it needs two
things the method's signature does not carry: an `Idempotency-Key` fixed by the action (so a
recovery that sends it again is deduplicated by an API that honours keys), and what was sent
and what came back, for the audit trail and for telling the customer the truth about an
outcome. A `call_scope` (a context variable, so it follows the call into the client and no
further than the task that opened it) carries both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Sent:
    """One operation call as the client saw it end: `status` of the final response, or the
    error's name; `outcome_unknown` when the request may have reached the API but no answer
    did (a broken connection, a timeout, after an unsafe request was sent)."""

    operation: str
    method: str
    path: str  # the request path, without the query (which may carry credentials)
    status: int | None = None
    error: str = ""
    outcome_unknown: bool = False


@dataclass(slots=True)
class CallScope:
    idempotency_key: str | None = None
    sent: list[Sent] = field(default_factory=list)


_SCOPE: ContextVar[CallScope | None] = ContextVar("specagent_call_scope", default=None)


@contextlib.contextmanager
def call_scope(idempotency_key: str | None = None) -> Iterator[CallScope]:
    """Within the block, calls use `idempotency_key` (when they name none) and are recorded."""
    scope = CallScope(idempotency_key)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def current() -> CallScope | None:
    return _SCOPE.get()
