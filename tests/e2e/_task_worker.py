"""A webhook worker of the example petstore agent that can die at a chosen moment.

    python -m tests.e2e._task_worker --store agent.db --api URL --model URL --conversation c1
        --message "Please cancel order 7" --message "yes" [--crash-after-puts N]
        [--crash-in-call deleteOrder]

It answers the customer's messages in order with the committed `examples/petstore` package's
`build_agent` (conversations and task runs in one SQLite file), printing one JSON line before
each message ({"sending": i}) and one after ({"reply": text, "events": [...]}), so the test
knows which message was in flight when it died. With `--crash-after-puts N` it exits abruptly
(no cleanup, like a killed process) right after the N-th save of a task run; with
`--crash-in-call OP` right after the API answered OP, before the engine recorded the outcome.
The API key comes from the environment (`PETSTORE_AGENT_API_KEY`), as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from openai import AsyncOpenAI
from petstore_agent import build_agent
from petstore_agent.client import AsyncClient
from specagent_runtime import Identity, SQLiteStore

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


def _say(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


async def converse(options: argparse.Namespace) -> None:
    client = CrashingClient(options.api)
    client.crash_in = options.crash_in_call
    model = AsyncOpenAI(base_url=options.model, api_key="test", max_retries=0, timeout=10)
    store = CrashingStore(options.store, options.crash_after_puts)
    agent = build_agent(client, model="fake-model", openai_client=model, store=store)
    try:
        for index, message in enumerate(options.message):
            _say({"sending": index})
            reply = await agent.respond(options.conversation, message, identity=CUSTOMER)
            _say({"reply": reply.text, "events": [event.to_json() for event in reply.events]})
    finally:
        await client.aclose()
        await model.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--conversation", required=True)
    parser.add_argument("--message", action="append", default=[])
    parser.add_argument("--crash-after-puts", type=int)
    parser.add_argument("--crash-in-call")
    asyncio.run(converse(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
