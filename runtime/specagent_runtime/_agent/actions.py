"""Confirmed actions: carried out once, recovered truthfully, and audited.

A confirmed action is claimed before it is sent: a record (kind "confirmation", key
``<conversation>/<action id>``) created only once, holding the binding digest of what was
confirmed, who confirmed it, and the conversation lease's fencing token of the worker sending
it. The request carries an `Idempotency-Key` fixed by the action. Afterwards the claim holds the
outcome, and an audit entry (conversation, identity fingerprint, what confirmed it, the request
sent, the outcome) is written with it in one update.

A claim still "running" under an older token means the worker that sent it died mid-call. If the
operation is idempotent (a DELETE, a PUT) it is sent again with the same key; otherwise nobody
can know whether it went through, and the action is reported as exactly that: "outcome unknown,
not sent again" (audited so), never as done, and the conversation is handed to a human.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from specagent_runtime._agent.consent import PendingAction
from specagent_runtime._errors import StoreConflict
from specagent_runtime._http.observe import Sent, call_scope
from specagent_runtime._identity import Identity
from specagent_runtime._stores.base import AuditEntry, LeaseLost, Put, Store
from specagent_runtime._stores.leases import KeptLease
from specagent_runtime._tools.toolset import PreparedCall, ToolResult, Toolset

CLAIM_KIND = "confirmation"
UNKNOWN = (
    "OUTCOME UNKNOWN: the worker carrying out this confirmed action stopped while the request "
    "was on its way, so it is not known whether it went through, and it was NOT sent again "
    "(that could do it twice). Tell the customer exactly that; a colleague will check."
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What carrying out a confirmed action came to: `result` is what the model is shown,
    `sent` whether this call sent the request, `unknown` whether nobody knows if it went
    through."""

    result: ToolResult
    sent: bool = False
    unknown: bool = False


def action_key(conversation_id: str, action: PendingAction) -> str:
    return f"{conversation_id}/{action.id}"


def idempotency_key(conversation_id: str, action: PendingAction) -> str:
    """The same key for every attempt at one confirmed action, and only for it."""
    digest = hashlib.sha256(action_key(conversation_id, action).encode()).hexdigest()[:32]
    return f"confirm-{digest}"


async def carry_out(
    store: Store,
    toolset: Toolset,
    held: KeptLease,
    *,
    conversation_id: str,
    action: PendingAction,
    confirmed_by: str,
    identity: Identity | None = None,
) -> Outcome:
    """Send a confirmed action at most once (see the module docstring). `identity` is the
    confirming one, whose value an `owner:` check compares."""
    prepared = toolset.resume(action.tool, action.arguments, identity)
    if isinstance(prepared, ToolResult):
        return Outcome(prepared)
    key = action_key(conversation_id, action)
    claim: dict[str, Any] = {
        "tool": action.tool,
        "binding": action.binding(conversation_id),
        "identity": action.proposer,
        "confirmed_by": confirmed_by,
        "status": "running",
        "token": held.lease.token,
        "retry_safe": prepared.spec.idempotent,
        "at": time.time(),
    }
    retrying = False
    try:
        await store.put_many([Put(CLAIM_KIND, key, claim, 0), held.lease.fence()])
    except LeaseLost:
        raise
    except StoreConflict:
        found = await store.get(CLAIM_KIND, key)
        earlier = dict(found.value) if found is not None else {}
        status = str(earlier.get("status", ""))
        if status != "running" or earlier.get("token") == held.lease.token:
            done = str(earlier.get("outcome") or status or "carried out")
            message = f"This action was already carried out ({done}); it was not run again."
            return Outcome(ToolResult.error(action.tool, message), unknown=status == "unknown")
        # Claimed by a worker that is gone (this one holds the conversation now): mid-call.
        if not earlier.get("retry_safe"):
            outcome = "unknown: the worker stopped while the request was in flight; not sent again"
            entry = _entry(
                conversation_id, action, confirmed_by, None, outcome=outcome, prepared=prepared
            )
            claim = {**earlier, "status": "unknown", "outcome": outcome}
            version = found.version if found is not None else None
            await _record(store, held, key, claim, entry, version=version)
            return Outcome(ToolResult.error(action.tool, UNKNOWN), unknown=True)
        claim = {**earlier, "token": held.lease.token, "retried": True}
        version = found.version if found is not None else 0
        await store.put_many([Put(CLAIM_KIND, key, claim, version), held.lease.fence()])
        retrying = True
    with call_scope(idempotency_key(conversation_id, action)) as scope:
        result = await toolset.run(prepared)
    sent = scope.sent[-1] if scope.sent else None
    unknown = bool(sent and sent.outcome_unknown) or (
        result.is_error and sent is None and "nothing is known" in result.message
    )
    if retrying and sent is not None and sent.method == "DELETE" and sent.status in (404, 410):
        # The interrupted first attempt had already removed it: done, once.
        result = ToolResult(action.tool, "ok", data={"result": "done (by the first attempt)"})
    outcome = _outcome(result, sent, unknown)
    entry = _entry(conversation_id, action, confirmed_by, sent, outcome=outcome, prepared=prepared)
    claim = {**claim, "status": _status(result, unknown), "outcome": outcome}
    await _record(store, held, key, claim, entry)
    return Outcome(result, sent=True, unknown=unknown)


def _status(result: ToolResult, unknown: bool) -> str:
    return "unknown" if unknown else ("ok" if result.status == "ok" else "error")


def _outcome(result: ToolResult, sent: Sent | None, unknown: bool) -> str:
    status = f" {sent.status}" if sent is not None and sent.status else ""
    if unknown:
        return f"unknown: {sent.error if sent else 'the call failed'}; not sent again"
    if result.status == "ok":
        return f"done{status}"
    return f"failed{status or (' ' + sent.error if sent else '')}: {result.message[:200]}"


def _entry(
    conversation_id: str,
    action: PendingAction,
    confirmed_by: str,
    sent: Sent | None,
    *,
    outcome: str,
    prepared: PreparedCall,
) -> AuditEntry:
    return AuditEntry(
        conversation_id=conversation_id,
        identity=action.proposer,
        confirmed_by=confirmed_by,
        method=sent.method if sent is not None else "",
        path=sent.path if sent is not None else "",
        outcome=outcome,
        # What the customer agreed to, as the model chose it; bound values are the identity's.
        body=dict(action.model_arguments) or dict(prepared.model_arguments),
        action=action.summary,
        detail={"tool": action.tool, "action_id": action.id, "operation": prepared.spec.operation},
    )


async def _record(
    store: Store,
    held: KeptLease,
    key: str,
    claim: dict[str, Any],
    entry: AuditEntry,
    *,
    version: int | None = None,
) -> None:
    """The claim's outcome and the audit entry, in one update, while the lease is ours."""
    await store.put_many([Put(CLAIM_KIND, key, claim, version), entry, held.lease.fence()])
