"""What the store itself costs: memory, SQLite and PostgreSQL, the same operations side by side.

    uv run python benchmarks/stores.py [--ops 300] [--concurrency 1,8]

For each store and each concurrency (tasks in one process, each on its own conversation): a
read (`get`), a version-checked save (`put`), the batch one turn of a conversation commits
(`put_many`: the conversation, a new outbox message, the handled inbox message deleted, an
audit entry, fenced by the conversation's lease), and a lease taken and given back. Prints
operations per second and p50/p99 latency in milliseconds. The in-memory store is the
baseline (no I/O at all). PostgreSQL is a throwaway local server (initdb + pg_ctl, as the
tests start it; fsync off, so it measures the protocol and the locking, not a disk), reached
over 127.0.0.1 TCP. Bounded: `--ops` operations per cell; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from specagent_runtime import AuditEntry, Store, open_store
from specagent_runtime._stores.base import Delete, Put

from tests.support.postgres import PostgresServer

Operation = Callable[[Store, int, int], Awaitable[None]]
_numbers = itertools.count()


async def op_get(store: Store, worker: int, n: int) -> None:
    await store.get("conversation", f"c{worker}")


async def op_put(store: Store, worker: int, n: int) -> None:
    found = await store.get("conversation", f"c{worker}")
    await store.put("conversation", f"c{worker}", {"n": n}, version=found.version if found else 0)


async def op_turn(store: Store, worker: int, n: int) -> None:
    conversation = f"c{worker}"
    found = await store.get("conversation", conversation)
    lease = await store.acquire(f"conversation:{conversation}", f"w{worker}", 30)
    assert lease is not None
    await store.put_many(
        [
            Put(
                "conversation",
                conversation,
                {"n": n, "text": "x" * 2000},
                found.version if found else 0,
            ),
            Put("outbox", f"{conversation}/{n:012d}", {"text": "Order 7 is cancelled."}, 0),
            Delete("inbox", f"{conversation}/{n:012d}"),
            AuditEntry(conversation, "fp", f"message:m{n}", "DELETE", "/orders/7", "done 204"),
            lease.fence(),
        ]
    )
    await store.release(lease)


async def op_lease(store: Store, worker: int, n: int) -> None:
    lease = await store.acquire(f"run:{worker}", f"w{worker}", 30)
    assert lease is not None
    await store.release(lease)


OPERATIONS: dict[str, Operation] = {
    "get": op_get,
    "put (CAS)": op_put,
    "turn batch": op_turn,
    "lease": op_lease,
}


async def measure(
    store: Store, operation: Operation, ops: int, concurrency: int
) -> tuple[float, float, float]:
    latencies: list[float] = []
    per_worker = max(1, ops // concurrency)

    async def worker(index: int) -> None:
        for _ in range(per_worker):
            n = next(_numbers)  # outbox and inbox keys are never reused
            started = time.perf_counter()
            await operation(store, index, n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(index) for index in range(concurrency)))
    wall = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / wall, statistics.median(latencies) * 1000, p99 * 1000


async def run_store(name: str, location: str, ops: int, levels: list[int]) -> list[str]:
    store = open_store(location)
    rows = []
    try:
        for label, operation in OPERATIONS.items():
            await measure(store, operation, min(ops, 20), 1)  # warm up: connections, pages
            for concurrency in levels:
                rate, p50, p99 = await measure(store, operation, ops, concurrency)
                rows.append(
                    f"| {name} | {label} | {concurrency} | {rate:,.0f} | {p50:.2f} | {p99:.2f} |"
                )
    finally:
        store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--concurrency", default="1,8")
    args = parser.parse_args()
    levels = [int(part) for part in args.concurrency.split(",")]
    server = PostgresServer().start()
    try:
        url = server.create_database("specagent_bench")
        with tempfile.TemporaryDirectory() as folder:
            rows: list[str] = []
            for name, location in (
                ("memory", "memory:"),
                ("sqlite", str(Path(folder) / "bench.sqlite3")),
                ("postgres", url),
            ):
                rows += asyncio.run(run_store(name, location, args.ops, levels))
    finally:
        server.stop()
    print("| store | operation | tasks | ops/s | p50 ms | p99 ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
