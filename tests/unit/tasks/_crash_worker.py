"""A worker process that advances one `cancel_order` run, and can die at a chosen moment.

    python -m tests.unit.tasks._crash_worker --store runs.db --base-url URL --run-id r1
        --order-id 7 [--crash-after-puts N] [--crash-in-call deleteOrder]

It starts the run (when the store does not have it yet), says "yes" when the run waits for a
confirmation, recovers it when it was left running, and prints the final status as JSON. With
`--crash-after-puts N` it exits abruptly (no cleanup, like a killed process) right after the
N-th save of the run; with `--crash-in-call OP` right after the server answered OP, before the
engine could record the outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from petstore_agent import tasks
from petstore_agent.client import AsyncClient
from specagent_runtime import Identity, RunStatus, SQLiteStore, TaskEngine, TaskError

CRASH_EXIT = 17
CUSTOMER = Identity(username="user1", verified=True)


class CrashingStore(SQLiteStore):
    def __init__(self, path: str, crash_after: int | None) -> None:
        super().__init__(path)
        self.crash_after = crash_after
        self.puts = 0

    async def put_many(self, writes: Sequence[Any]) -> list[int]:
        """Every write goes through here (`put` too): count the updates that save a run."""
        result = await super().put_many(writes)
        if any(isinstance(item, tuple) and item[0] == "task_run" for item in writes):
            self.puts += 1
            if self.puts == self.crash_after:
                os._exit(CRASH_EXIT)
        return result


class CrashingClient(AsyncClient):
    crash_in: str | None = None

    async def _call(self, op: Any, args: Any, response_type: Any, **kwargs: Any) -> Any:
        result = await super()._call(op, args, response_type, **kwargs)
        if op.id == self.crash_in:
            os._exit(CRASH_EXIT)
        return result


async def advance(options: argparse.Namespace) -> dict[str, Any]:
    store = CrashingStore(options.store, options.crash_after_puts)
    client = CrashingClient(options.base_url, env={"PETSTORE_AGENT_API_KEY": "test-key"})
    client.crash_in = options.crash_in_call
    engine = TaskEngine(store, client, tasks, new_id=lambda: options.run_id)
    try:
        for _ in range(10):
            try:
                info = await engine.get(options.run_id)
            except TaskError:
                await engine.start("cancel_order", {"order_id": options.order_id}, CUSTOMER)
                continue
            if info.status is RunStatus.WAITING_CONFIRMATION:
                await engine.resume(options.run_id, "yes", CUSTOMER)
            elif info.status is RunStatus.RUNNING:
                await engine.recover(options.run_id)
            else:
                return {"status": info.status.value, "reason": info.handoff_reason}
        return {"status": "stuck"}
    finally:
        await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--order-id", type=int, required=True)
    parser.add_argument("--crash-after-puts", type=int)
    parser.add_argument("--crash-in-call")
    result = asyncio.run(advance(parser.parse_args()))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
