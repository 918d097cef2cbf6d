"""Small helpers the attacks share: identities, host calls that adapt to the planned interface,
and readings of the API's request log.

Planned interfaces (issue 14) are used where they exist and left out where they do not yet, so
that each attack fails today for its own reason (the breach), not for a missing keyword:
`verified()` passes `verified=True` once `Identity` accepts it, `respond()` passes
`message_id=` once `Agent.respond` accepts it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from specagent_runtime import (
    Agent,
    AgentError,
    ConfirmationRequested,
    Identity,
    Reply,
    TaskError,
    TaskWaiting,
)

from ._api import ADA, GRACE, AcmeApi, Seen


def _accepts(function: Any, name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def verified(**fields: Any) -> Identity:
    """An identity the host verified: `Identity(..., verified=True)` (planned), or what means
    the same today (every `Identity` counts as verified)."""
    if _accepts(Identity, "verified"):
        return Identity(**fields, verified=True)  # type: ignore[call-arg] # planned (issue 14)
    return Identity(**fields)


def ada() -> Identity:
    return verified(email=ADA["email"], customer_id=str(ADA["customer_id"]))


def grace() -> Identity:
    return verified(email=GRACE["email"], customer_id=str(GRACE["customer_id"]))


async def respond(
    agent: Agent,
    conversation: str,
    text: str,
    identity: Identity | None = None,
    *,
    message_id: str | None = None,
) -> Reply:
    """`agent.respond`, with the helpdesk's message id once the runtime takes one."""
    if message_id is not None and _accepts(agent.respond, "message_id"):
        return await agent.respond(  # type: ignore[call-arg] # planned (issue 14)
            conversation, text, identity=identity, message_id=message_id
        )
    return await agent.respond(conversation, text, identity=identity)


async def try_host_call(coroutine: Any) -> Reply | Exception:
    """A host call the runtime should refuse: refusing may raise an `AgentError` (as
    `ConfirmationNotFound` does) or a `TaskError`, or answer a `Reply`; anything else
    propagates. The attack then reads the API's log, and a control in the same test shows the
    same call succeeding where it is allowed."""
    try:
        result: Reply = await coroutine
    except (AgentError, TaskError) as exc:
        return exc
    return result


def action_ids(reply: Reply, tool: str | None = None) -> list[str]:
    """The proposals this reply asks the customer (or the host) to confirm."""
    return [
        event.action_id
        for event in reply.events
        if isinstance(event, ConfirmationRequested) and (tool is None or event.tool == tool)
    ]


def run_ids(reply: Reply) -> list[str]:
    """The task runs waiting for the customer after this reply."""
    return [event.run_id for event in reply.events if isinstance(event, TaskWaiting)]


# --- the request log -------------------------------------------------------------------------


def cancelled(api: AcmeApi) -> list[int]:
    """The orders a cancel request was sent for, in order."""
    return [
        int(s.path.split("/")[3]) for s in api.seen("/api/orders/", "POST") if "/cancel" in s.path
    ]


def reordered(api: AcmeApi) -> list[int]:
    return [
        int(s.path.split("/")[3]) for s in api.seen("/api/orders/", "POST") if "/reorder" in s.path
    ]


def _normal(name: str) -> str:
    """A wire name as a lenient server may read it: percent-decoded until stable, case- and
    space-blind, without a trailing `[]`, and the innermost key of `a[b]`."""
    previous = None
    while previous != name:
        previous, name = name, unquote(name)
    name = name.strip().lower()
    name = name.removesuffix("[]")
    keys = re.findall(r"\[([^\]]*)\]", name)
    return keys[-1].strip() if keys and keys[-1].strip() else name


def wire_names(seen: Seen) -> list[tuple[str, str, str]]:
    """(where, name, value) for every named value in a request: query, form, multipart,
    cookie and header names, and the top-level keys of a JSON object body."""
    found = [("query", k, v) for k, v in seen.params]
    content_type = ",".join(seen.header("content-type"))
    if "x-www-form-urlencoded" in content_type:
        found += [("form", k, v) for k, v in seen.form]
    found += [("multipart", k, v) for k, v in seen.parts]
    found += [("cookie", k, v) for k, v in seen.cookies]
    found += [("header", k, v) for k, v in seen.headers]
    body = seen.json
    if isinstance(body, dict):
        found += [("json", str(k), str(v)) for k, v in body.items()]
    return found


def values_named(seen: Seen, bound: str) -> list[tuple[str, str, str]]:
    """Every (where, name, value) whose name a lenient server could read as `bound`."""
    target = _normal(bound)
    return [item for item in wire_names(seen) if _normal(item[1]) == target]


def only_bound_values(requests: Iterable[Seen], bound: str, value: str) -> list[str]:
    """Problems: values reaching the API under a name like the bound `bound` that are not
    the verified customer's `value`. Empty means the binding held."""
    problems = []
    for seen in requests:
        for where, name, sent in values_named(seen, bound):
            if sent != value:
                problems.append(f"{seen.method} {seen.path}: {where} {name!r}={sent!r}")
    return problems
