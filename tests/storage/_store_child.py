"""Worker processes for the store contract tests: separate processes sharing nothing but the
store (a SQLite file or a PostgreSQL database).

    python -m tests.storage._store_child claim LOCATION NAME START
    python -m tests.storage._store_child increment LOCATION TIMES
    python -m tests.storage._store_child lease LOCATION NAME TTL START
    python -m tests.storage._store_child hold LOCATION NAME TTL

`claim` waits until the wall clock reaches START (so every worker goes at once), then tries
one batch that creates the claim record and the worker's own marker record; it prints "won"
or "lost". `increment` adds one to two counters in one batch, TIMES times, retrying on
conflicts; it prints the number of conflicts. `lease` races for the lease NAME at START and
prints "acquired TOKEN" or "busy". `hold` acquires the lease, prints "held TOKEN", then waits
for a line on stdin (meanwhile the parent lets it lapse and takes it over) and tries a save
fenced by its lease: it prints "saved" or "refused".
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from specagent_runtime import StoreConflict, open_store
from specagent_runtime._stores.base import LeaseLost, Put


def _wait_until(start: float) -> None:
    delay = start - time.time()
    if delay > 0:
        time.sleep(delay)


async def claim(location: str, name: str, start: float) -> None:
    store = open_store(location)
    await store.get("claim", name)  # connect (and migrate) before the race
    _wait_until(start)
    marker = f"{name}/{os.getpid()}"
    try:
        await store.put_many([Put("claim", name, os.getpid(), 0), Put("marker", marker, 1, 0)])
    except StoreConflict:
        print("lost", flush=True)
    else:
        print("won", flush=True)
    store.close()


async def increment(location: str, times: int) -> None:
    store = open_store(location)
    conflicts = 0
    for _ in range(times):
        while True:
            a, b = await store.get_many([("counter", "a"), ("counter", "b")])
            assert a is not None and b is not None
            try:
                await store.put_many(
                    [
                        Put("counter", "a", a.value + 1, a.version),
                        Put("counter", "b", b.value + 1, b.version),
                    ]
                )
                break
            except StoreConflict:
                conflicts += 1
    print(conflicts, flush=True)
    store.close()


async def lease(location: str, name: str, ttl: float, start: float) -> None:
    store = open_store(location)
    await store.lease(name)  # connect before the race
    _wait_until(start)
    got = await store.acquire(name, f"worker-{os.getpid()}", ttl)
    print("busy" if got is None else f"acquired {got.token}", flush=True)
    store.close()


async def hold(location: str, name: str, ttl: float) -> None:
    store = open_store(location)
    got = await store.acquire(name, f"worker-{os.getpid()}", ttl)
    assert got is not None
    print(f"held {got.token}", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    try:
        await store.put_many([Put("guarded", name, f"by {got.token}"), got.fence()])
    except LeaseLost:
        print("refused", flush=True)
    else:
        print("saved", flush=True)
    store.close()


def main(argv: list[str]) -> None:
    command, location, *rest = argv
    if command == "claim":
        asyncio.run(claim(location, rest[0], float(rest[1])))
    elif command == "increment":
        asyncio.run(increment(location, int(rest[0])))
    elif command == "lease":
        asyncio.run(lease(location, rest[0], float(rest[1]), float(rest[2])))
    elif command == "hold":
        asyncio.run(hold(location, rest[0], float(rest[1])))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
