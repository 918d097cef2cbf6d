"""Leases: one holder per name at a time (a conversation, a task run), for every store alike.

A lease is a record of kind "lease" holding ``{owner, token, expires_at}``, written only with
the store's compare-and-set, so the stores need nothing of their own: whoever creates or
replaces the record first holds the lease, every other contender sees a live lease and backs
off. It is a lease, not a lock: it lapses by itself at `expires_at`, so a worker that died
(kill -9, a lost host) blocks the name for at most one `ttl`, and the next worker recovers it.

The fencing token is what makes that safe. Each new acquisition of a name takes the previous
token plus one (renewals keep it), and a writer makes its save conditional on its token with
``store.put_many([..., lease.fence()])``: a holder that stalled past its expiry while another
worker took over is refused (`LeaseLost`) instead of overwriting the newer holder's work.
Releasing keeps the record (owner emptied, token kept), so the token never goes back.

Expiry is judged by the workers' clocks (``time.time()``): hosts sharing a store need clocks
kept in step (NTP) to well under a `ttl`; fencing holds whatever the clocks say.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from specagent_runtime._errors import StoreConflict
from specagent_runtime._stores.base import LEASE_KIND, Fence, LeaseLost, Versioned

_RACES = 8  # compare-and-set retries against other contenders before giving up for now


@dataclass(frozen=True, slots=True)
class Lease:
    """A held lease: `token` is its fencing token, `expires_at` seconds since the epoch."""

    name: str
    owner: str
    token: int
    expires_at: float
    ttl: float

    def is_live(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) < self.expires_at

    def fence(self) -> Fence:
        """The `put_many` item that refuses the batch once somebody else holds this lease."""
        return Fence(self.name, self.token)


class _Records(Protocol):
    async def get(self, kind: str, key: str) -> Versioned | None: ...

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int: ...

    def lease_clock(self) -> float: ...


def _read(name: str, found: Versioned | None) -> tuple[str, int, float, float]:
    """(owner, token, expires_at, ttl) of a stored lease; a record that is not one is free."""
    if found is None or not isinstance(found.value, dict):
        return "", 0, 0.0, 0.0
    value = found.value
    try:
        owner = str(value.get("owner") or "")
        return owner, int(value["token"]), float(value["expires_at"]), float(value.get("ttl", 0))
    except (KeyError, TypeError, ValueError):
        return "", 0, 0.0, 0.0


def _record(owner: str, token: int, expires_at: float, ttl: float) -> dict[str, Any]:
    return {"owner": owner, "token": token, "expires_at": expires_at, "ttl": ttl}


def _ttl(ttl: float) -> float:
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not math.isfinite(ttl):
        raise TypeError(f"a lease ttl is a number of seconds, not {ttl!r}")
    if ttl <= 0:
        raise ValueError(f"a lease ttl must be positive, not {ttl}")
    return float(ttl)


class LeaseMethods:
    """`acquire`, `renew`, `release` and `lease` for any store with `get` and a CAS `put`."""

    def lease_clock(self) -> float:
        """Now, for lease expiry (tests replace it to move time)."""
        return time.time()

    async def lease(self: _Records, name: str) -> Lease | None:
        """Who holds `name` now (None: nobody, or the lease lapsed)."""
        owner, token, expires_at, ttl = _read(name, await self.get(LEASE_KIND, name))
        if not owner or expires_at <= self.lease_clock():
            return None
        return Lease(name, owner, token, expires_at, ttl)

    async def acquire(
        self: _Records, name: str, owner: str, ttl: float, *, wait: float = 0.0
    ) -> Lease | None:
        """Take the lease `name` for `ttl` seconds; None while someone else holds it.

        `owner` names one holder (one worker's one turn, e.g. host:pid:uuid); acquiring again
        with the same owner while it holds the lease renews it. With `wait`, keeps trying
        that many seconds before giving up."""
        seconds = _ttl(ttl)
        if not isinstance(owner, str) or not owner:
            raise ValueError("a lease owner is a non-empty string")
        deadline = time.monotonic() + max(0.0, wait)
        pause = 0.02
        while True:
            got = await _try_acquire(self, name, owner, seconds)
            left = deadline - time.monotonic()
            if got is not None or left <= 0:
                return got
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, 0.25)

    async def renew(self: _Records, lease: Lease, ttl: float | None = None) -> Lease:
        """Extend the lease by `ttl` (default: its own) from now; raises `LeaseLost` when
        another holder has acquired it since. A lease that lapsed but was not taken over is
        renewed: nobody else acted in between, and the token is still this holder's."""
        seconds = _ttl(lease.ttl if ttl is None else ttl)
        for _ in range(_RACES):
            found = await self.get(LEASE_KIND, lease.name)
            owner, token, _, _ = _read(lease.name, found)
            if found is None or token != lease.token or owner != lease.owner:
                raise LeaseLost(lease.name, lease.token, token if found is not None else None)
            expires_at = self.lease_clock() + seconds
            record = _record(lease.owner, lease.token, expires_at, seconds)
            try:
                await self.put(LEASE_KIND, lease.name, record, version=found.version)
            except StoreConflict:
                continue
            return replace(lease, expires_at=expires_at, ttl=seconds)
        raise LeaseLost(lease.name, lease.token, None)

    async def release(self: _Records, lease: Lease) -> bool:
        """Give the lease up so the next contender need not wait for it to lapse; False when
        it was no longer this holder's. The token is kept: it never goes back."""
        for _ in range(_RACES):
            found = await self.get(LEASE_KIND, lease.name)
            owner, token, _, _ = _read(lease.name, found)
            if found is None or token != lease.token or owner != lease.owner:
                return False
            record = _record("", token, 0.0, 0.0)
            try:
                await self.put(LEASE_KIND, lease.name, record, version=found.version)
            except StoreConflict:
                continue
            return True
        return False


async def _try_acquire(store: _Records, name: str, owner: str, ttl: float) -> Lease | None:
    for _ in range(_RACES):
        found = await store.get(LEASE_KIND, name)
        holder, token, expires_at, _ = _read(name, found)
        now = store.lease_clock()
        live = bool(holder) and expires_at > now
        if live and holder != owner:
            return None
        # A new holder moves the fencing token on; the live holder re-acquiring keeps it.
        token = token if live else token + 1
        record = _record(owner, token, now + ttl, ttl)
        try:
            await store.put(
                LEASE_KIND, name, record, version=found.version if found is not None else 0
            )
        except StoreConflict:
            continue  # somebody wrote it meanwhile: look again
        return Lease(name, owner, token, now + ttl, ttl)
    return None


class _Renewing(Protocol):
    async def renew(self, lease: Lease, ttl: float | None = None) -> Lease: ...


class KeptLease:
    """A lease renewed in the background (`keep_alive`): `lease` is the latest renewal, `lost`
    turns True (and `lost_event` is set) when a renewal found another holder."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.lost = False
        self.lost_event = asyncio.Event()


@contextlib.asynccontextmanager
async def keep_alive(
    store: _Renewing, lease: Lease, *, every: float | None = None
) -> AsyncIterator[KeptLease]:
    """Renew `lease` every `every` seconds (default a third of its ttl) while the block runs,
    e.g. while a call the lease guards is in flight. A renewal the store cannot make (the
    database away for a moment) is retried at the next tick; a lost lease stops the renewals
    and is reported on the `KeptLease`, whose fence then refuses the holder's saves anyway.
    The lease is not released on exit: the caller decides."""
    kept = KeptLease(lease)
    period = max(0.01, lease.ttl / 3 if every is None else every)

    async def renew_forever() -> None:
        while True:
            await asyncio.sleep(period)
            try:
                kept.lease = await store.renew(kept.lease)
            except LeaseLost:
                kept.lost = True
                kept.lost_event.set()
                return
            except Exception:
                continue

    task = asyncio.create_task(renew_forever(), name=f"renew lease {lease.name}")
    try:
        yield kept
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
