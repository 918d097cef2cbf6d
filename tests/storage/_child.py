"""A second process for the storage fault tests: it holds the store's write lock, or writes to
the store in a loop until it is killed, or writes under a file size limit.

    python -m tests.storage._child lock STORE
    python -m tests.storage._child write STORE WRITER
    python -m tests.storage._child limited STORE

`lock` opens a `BEGIN EXCLUSIVE` transaction, prints "locked" and holds it until its stdin
closes. `write` updates 20 records round-robin with version-checked saves, printing
"<key> <writes>" after each save returned, so the parent knows which writes were acknowledged
when it kills the process. `limited` caps the size of any file it writes (RLIMIT_FSIZE, a disk
that is full for this process), tries one large save and prints the error it got as JSON.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import resource
import signal
import sqlite3
import sys
from typing import Any

from specagent_runtime import SQLiteStore, StoreConflict, StoreError

KIND = "stress"
KEYS = 20
LIMIT = 64 * 1024


def record(key: str, writes: int, writer: str, pad: str) -> dict[str, Any]:
    """A value that can tell whether it was stored whole: its digest covers everything."""
    value: dict[str, Any] = {"key": key, "writes": writes, "writer": writer, "pad": pad}
    value["digest"] = digest(value)
    return value


def digest(value: dict[str, Any]) -> str:
    body = {name: item for name, item in value.items() if name != "digest"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _lock(path: str) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.read()
    connection.execute("ROLLBACK")
    connection.close()


async def _write(path: str, writer: str) -> None:
    store = SQLiteStore(path)
    rng = random.Random(writer)
    turn = 0
    while True:
        key = f"r{turn % KEYS}"
        turn += 1
        while True:
            found = await store.get(KIND, key)
            writes = found.value["writes"] + 1 if found is not None else 1
            # Sizes from a few bytes to several pages, so some saves need overflow pages.
            pad = "x" * rng.choice((1, 100, 3000, 9000))
            try:
                await store.put(
                    KIND,
                    key,
                    record(key, writes, writer, pad),
                    version=found.version if found is not None else 0,
                )
            except StoreConflict:
                continue  # the other writer saved it first: load again
            break
        print(key, writes, flush=True)


def _limited(path: str) -> None:
    store = SQLiteStore(path)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not kills
    # Room for the shared-memory index (32 KiB) and a few pages, not for the large value.
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    try:
        asyncio.run(store.put(KIND, "big", {"pad": "y" * 200_000}, version=0))
    except StoreError as exc:
        print(json.dumps({"error": str(exc), "kind": exc.kind, "key": exc.key}), flush=True)
    else:
        print(json.dumps({"saved": True}), flush=True)


def main(argv: list[str]) -> int:
    command, path = argv[0], argv[1]
    if command == "lock":
        _lock(path)
    elif command == "write":
        asyncio.run(_write(path, argv[2]))
    elif command == "limited":
        _limited(path)
    else:
        raise SystemExit(f"unknown command {command!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
