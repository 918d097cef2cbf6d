"""Task-run leases: one worker advances a run at a time, and a stalled one saves nothing.

Every engine call that advances a run holds the run's lease (``task_run:<run id>``,
`_stores.leases`), renewed in the background while a call is in flight, and every save of the
run carries the lease's fence. So a second worker (a duplicate webhook, an MCP session, a
recovery) never recovers a run whose lease is live: it waits a moment and then answers that
the request is being handled (`TaskBusy`); only a lapsed lease (its worker died) is taken over,
with the engine's recovery rules for a call that may have been sent.

The lease held in the current engine call lives in a context variable, so the engine's private
steps find it without passing it along, and a nested call on the same run (``confirm`` calling
``resume``) reuses it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from specagent_runtime._errors import ConfigurationError, StoreError, TaskBusy
from specagent_runtime._stores.base import Fence, Store
from specagent_runtime._stores.leases import KeptLease, keep_alive

LEASE_PREFIX = "task_run:"
DEFAULT_LEASE_TTL = 60.0
DEFAULT_BUSY_WAIT = 2.0  # a run busy longer than this is reported as being handled
# The lease length for conversations and runs alike, in seconds, from the environment, so a
# committed package's agent can be tuned without regenerating it.
LEASE_TTL_ENV = "SPECAGENT_LEASE_TTL"
BUSY_WAIT_ENV = "SPECAGENT_BUSY_WAIT"


def seconds_from_env(name: str, default: float) -> float:
    """A number of seconds from the environment variable `name` (unset: `default`)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value > 86_400:
        raise ConfigurationError(f"{name}={raw!r}: give a number of seconds (e.g. 60)")
    return value


@dataclass(slots=True)
class EngineCall:
    """One public engine call in progress: the run leases it holds, and whether the messages
    it produces are marked as handed over by the engine (`deliver`) or by the caller, in the
    caller's own update (`TaskTurn.deliveries`), as the agent does."""

    deliver: bool = True
    confirmed_by: str = ""
    held: dict[str, KeptLease] = field(default_factory=dict)


_CALL: ContextVar[EngineCall | None] = ContextVar("specagent_engine_call", default=None)


@contextlib.asynccontextmanager
async def engine_call(*, deliver: bool, confirmed_by: str = "") -> AsyncIterator[EngineCall]:
    """The outermost public call sets it; nested ones keep the outer one's settings."""
    outer = _CALL.get()
    if outer is not None:
        yield outer
        return
    call = EngineCall(deliver, confirmed_by)
    token = _CALL.set(call)
    try:
        yield call
    finally:
        _CALL.reset(token)


def current() -> EngineCall:
    call = _CALL.get()
    return call if call is not None else EngineCall()


def fences(run_id: str) -> list[Fence]:
    """The fence of the run's lease, when this call holds it."""
    call = _CALL.get()
    held = call.held.get(run_id) if call is not None else None
    return [held.lease.fence()] if held is not None else []


@contextlib.asynccontextmanager
async def hold(store: Store, run_id: str, *, ttl: float, wait: float) -> AsyncIterator[None]:
    """Hold the run's lease for the block (reused when this call holds it already)."""
    call = _CALL.get()
    if call is None or run_id in call.held:
        yield
        return
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    lease = await store.acquire(LEASE_PREFIX + run_id, owner, ttl, wait=wait)
    if lease is None:
        raise TaskBusy(run_id)
    try:
        async with keep_alive(store, lease) as kept:
            call.held[run_id] = kept
            try:
                yield
            finally:
                call.held.pop(run_id, None)
    finally:
        with contextlib.suppress(StoreError):
            await store.release(lease)
