"""The audit trail of a task's calls that change something (any method but GET/HEAD/...).

Each such call gets an entry in the same update that saves its outcome: the conversation, the
fingerprint of the identity the run belongs to, what confirmed it (the run's last confirm step:
``message:<id>``, ``host:<run id>``; "unconfirmed" when the task asked for none before it), the
request as sent (method and path; arguments that are the customer's identity are named, not
copied) and the outcome. A call whose outcome a dead worker never recorded, and that is not sent
again, gets an "unknown" entry when the run is recovered.
"""

from __future__ import annotations

from typing import Any

import pydantic

from specagent_runtime._http.observe import Sent
from specagent_runtime._identity import fingerprint, identity_from_fields
from specagent_runtime._stores.base import AuditEntry
from specagent_runtime._tasks.record import RunRecord
from specagent_runtime._tasks.steps import Call

_ANY = pydantic.TypeAdapter[Any](Any)


def call_entry(record: RunRecord, step: str, effect: Call, sent: Sent) -> AuditEntry:
    if sent.outcome_unknown:
        outcome = f"unknown: {sent.error}"
    elif sent.status is not None and sent.status < 400 and not sent.error:
        outcome = f"done {sent.status}"
    else:
        outcome = f"failed {sent.status or sent.error}"
    own = {value: name for name, value in record.identity.items()}
    arguments = _ANY.dump_python(dict(effect.args), mode="json", by_alias=True)
    body = {
        key: f"<identity.{own[value]}>" if isinstance(value, str) and value in own else value
        for key, value in arguments.items()
    }
    return AuditEntry(
        conversation_id=record.conversation_id or "",
        identity=run_fingerprint(record),
        confirmed_by=record.confirmed_by or "unconfirmed",
        method=sent.method,
        path=sent.path,
        outcome=outcome,
        body=body,
        action=f"task {record.task}, step {step}: {effect.operation.id}",
        detail={"run_id": record.id, "step": step, "operation": effect.operation.id},
    )


def unknown_entry(record: RunRecord, step: str, operation: str) -> AuditEntry:
    return AuditEntry(
        conversation_id=record.conversation_id or "",
        identity=run_fingerprint(record),
        confirmed_by=record.confirmed_by or "unconfirmed",
        method="",
        path="",
        outcome="unknown: the worker stopped while the request was in flight; not sent again",
        action=f"task {record.task}, step {step}: {operation}",
        detail={"run_id": record.id, "step": step, "operation": operation},
    )


def run_fingerprint(record: RunRecord) -> str:
    """The fingerprint of the (verified) identity the run belongs to."""
    return fingerprint(identity_from_fields(record.identity, verified=True))
