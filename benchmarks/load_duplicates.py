"""The duplicate-delivery mode of `benchmarks/load.py` (issue 15): a helpdesk that delivers some
messages twice, at the same moment, to different worker processes.

    uv run python benchmarks/load.py --duplicates [--duplicate-fraction 0.1] [--workers 4]

The same conversations as the other modes (the committed petstore example: "Please cancel my
order N", "yes", "Thanks!"), but the messages are dispatched the way a helpdesk's webhooks
are: this process sends each message, with its helpdesk message id (`load-N-T`), to one of the
worker processes and waits for the reply before it sends the conversation's next message. A
seeded sample of `--duplicate-fraction` of all messages is sent to two different workers back
to back (the same moment), and both replies are kept. Two runs, in one go, on fresh orders: the
dispatcher without duplicates (the baseline of this mode) and with them. A message whose every
delivery failed (a `StoreError` "try again later" when the machine is too busy for the store's
lock wait) is delivered again, as a helpdesk retries a failed webhook, with the same id, up to
`REDELIVERIES` times; the table counts those redeliveries.

The verdict is read from the petstore's request log and the store file, not from the workers:
actions duplicated (a second DELETE of an order, whatever its status: each one is a second
action; must be 0), messages lost (a message none of whose deliveries posted the expected reply
to the customer, a reply marked `duplicate` not being posted; must be 0), plus the problems the
other modes check (every order deleted, each conversation stored with each customer message
once). The message id is passed only when `Agent.respond` takes `message_id` (planned by issue
15), so today's runtime is measured as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
from openai import AsyncOpenAI
from specagent_runtime import ApiKey, Identity, open_store

from benchmarks import load

SEED = 15


def _accepts(function: Any, name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def customer(order: int) -> Identity:
    """The verified customer of `order` (`verified=True` once `Identity` takes it)."""
    fields: dict[str, Any] = {"username": f"customer{order}"}
    if _accepts(Identity, "verified"):
        fields["verified"] = True
    return Identity(**fields)


def message_id(order: int, turn: int) -> str:
    return f"load-{order}-{turn}"


# --- a worker process: deliveries in, replies out ---------------------------------------------


async def run_delivery_worker(options: argparse.Namespace) -> None:
    """Answer delivery lines `{"id", "order", "turn"}` from stdin, many at once, each with a
    line `{"id", "seconds", "completions", "reply", "duplicate"}` (or `"error"`)."""
    package = importlib.import_module("petstore_agent")
    client_module = importlib.import_module("petstore_agent.client")
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
    api_http = httpx.AsyncClient(limits=limits, timeout=60, follow_redirects=False)
    model_http = httpx.AsyncClient(
        limits=limits, timeout=60, event_hooks={"request": [load._count_completion]}
    )
    api = client_module.AsyncClient(
        options.api,
        credentials={"api_key": ApiKey(os.environ["LOAD_API_KEY"])},
        http_client=api_http,
    )
    model = AsyncOpenAI(
        base_url=options.model, api_key="load", max_retries=0, http_client=cast(Any, model_http)
    )
    agent = package.build_agent(
        api, model="fake-model", openai_client=model, store=open_store(options.store)
    )
    takes_id = _accepts(agent.respond, "message_id")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def emit(data: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()

    # As `serve`'s worker does (SPECAGENT_SERVE_CONCURRENCY): at most this many turns at once,
    # the rest wait their turn in this process. 0: every delivery at once.
    gate = asyncio.Semaphore(options.concurrency or 1 << 30)

    async def deliver(line: dict[str, Any]) -> None:
        order, turn = int(line["order"]), int(line["turn"])
        counter = [0]
        kwargs: dict[str, Any] = {"identity": customer(order)}
        if takes_id:
            kwargs["message_id"] = message_id(order, turn)
        started = time.perf_counter()  # on arrival: the wait for the gate is the customer's too
        async with gate:
            token = load._completions.set(counter)
            try:
                reply = await agent.respond(
                    f"load-{order}", load.messages_for(order)[turn], **kwargs
                )
            except Exception as exc:  # reported: the dispatcher counts it
                emit({"id": line["id"], "error": f"{type(exc).__name__}: {exc}"})
                return
            finally:
                load._completions.reset(token)
        emit(
            {
                "id": line["id"],
                "seconds": time.perf_counter() - started,
                "completions": counter[0],
                "reply": reply.text,
                "duplicate": getattr(reply, "duplicate", None),
            }
        )

    print(load.READY, flush=True)
    running: set[asyncio.Task[None]] = set()
    while line := await reader.readline():
        task = asyncio.create_task(deliver(json.loads(line)))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running)
    await api.aclose()
    await model.close()
    await api_http.aclose()
    await model_http.aclose()


# --- the dispatcher ---------------------------------------------------------------------------


@dataclass
class DispatchResult(load.RunResult):
    """A run of this mode: `turns` holds one delivery per message (the first sent, for the
    throughput figures), `deliveries` every delivery, by (order, turn)."""

    duplicated: set[tuple[int, int]] = field(default_factory=set)
    deliveries: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    actions_duplicated: int = 0  # set by `run_dispatched` from the server's log
    messages_lost: int = 0
    redelivered: int = 0  # messages sent again after every delivery failed (a helpdesk retry)
    concurrency: int = 0  # turns each worker process runs at once (0: all it is sent)


# A helpdesk redelivers a webhook its endpoint failed (a StoreError is the runtime's "try again
# later"): up to this many times, the same message id, after 1 s, 2 s, ... A message is lost
# only if every delivery failed or none posted its reply.
REDELIVERIES = 3


def choose_duplicates(orders: list[int], fraction: float) -> set[tuple[int, int]]:
    messages = [(order, turn) for order in orders for turn in range(3)]
    return set(random.Random(SEED).sample(messages, round(fraction * len(messages))))


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}

    async def read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            data = json.loads(line)
            future = self.waiting.pop(int(data["id"]), None)
            if future is not None and not future.done():
                future.set_result(data)
        for future in self.waiting.values():  # the worker died
            if not future.done():
                future.set_result({"error": "the worker process ended"})

    def send(self, number: int, order: int, turn: int) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[number] = future
        assert self.process.stdin is not None
        line = {"id": number, "order": order, "turn": turn}
        self.process.stdin.write((json.dumps(line) + "\n").encode())
        return future


async def _dispatch(
    result: DispatchResult, api_url: str, api_key: str, model_url: str, timeout: float
) -> None:
    env = load._env()
    env["LOAD_API_KEY"] = api_key
    script = str(Path(load.__file__).resolve())
    arguments = ["--delivery-worker", "--api", api_url, "--model", model_url]
    arguments += ["--concurrency", str(result.concurrency)]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            script,
            *arguments,
            "--store",
            result.store,
            env=env,
            cwd=load.REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(result.workers)
    ]
    workers = [_Worker(process) for process in processes]
    try:
        for process in processes:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 300)  # a loaded machine
            if not line.decode().startswith(load.READY):
                raise RuntimeError(f"worker {process.pid} did not start")
        readers = [asyncio.create_task(worker.read()) for worker in workers]
        numbers = iter(range(1, 1 << 30))
        started = time.monotonic()

        async def conversation(index: int, order: int) -> None:
            home = index % len(workers)
            for turn in range(3):
                targets = [home]
                if (order, turn) in result.duplicated:
                    targets.append((home + 1) % len(workers))
                answers: list[dict[str, Any]] = []
                for attempt in range(REDELIVERIES + 1):
                    futures = [workers[w].send(next(numbers), order, turn) for w in targets]
                    for w in set(targets):
                        stdin = processes[w].stdin
                        assert stdin is not None
                        await stdin.drain()
                    sent = await asyncio.gather(*futures)
                    for answer in sent:
                        answer.update(order=order, turn=turn, attempt=attempt)
                    answers += sent
                    if any("error" not in a for a in sent) or attempt == REDELIVERIES:
                        break
                    result.redelivered += 1
                    await asyncio.sleep(1.0 + attempt)
                    targets = [home]
                result.deliveries[(order, turn)] = answers
                result.errors += [a for a in answers if "error" in a]
                ok = [a for a in answers if "error" not in a]
                if not ok:
                    return  # the conversation cannot go on
                result.turns.append(answers[0] if "error" not in answers[0] else ok[0])

        await asyncio.wait_for(
            asyncio.gather(*(conversation(i, o) for i, o in enumerate(result.orders))), timeout
        )
        result.wall = time.monotonic() - started
        for process in processes:
            assert process.stdin is not None
            process.stdin.close()
        await asyncio.gather(*readers)
    finally:
        for process in processes:
            if process.returncode is None:
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


def run_dispatched(
    running: load.Services,
    label: str,
    *,
    store: str,
    orders: list[int],
    workers: int,
    latency: float,
    timeout: float,
    fraction: float,
    concurrency: int = 0,
) -> tuple[DispatchResult, list[str]]:
    """Seed the orders, dispatch their conversations (a `fraction` of the messages twice),
    check the outcome."""
    if workers < 2:
        raise ValueError("the duplicate-delivery mode needs at least 2 worker processes")
    load.seed_orders(running.petstore.base_url, running.petstore.api_key, orders)
    result = DispatchResult(label, store, orders, workers, latency, concurrency=concurrency)
    result.duplicated = choose_duplicates(orders, fraction)
    asyncio.run(
        _dispatch(
            result, running.petstore.base_url, running.petstore.api_key, running.model_url, timeout
        )
    )
    problems = check(result, running.petstore)
    result.actions_duplicated = actions_duplicated(result, running.petstore)
    result.messages_lost = len(messages_lost(result))
    return result, problems


# --- the checks -------------------------------------------------------------------------------


def deletes(result: DispatchResult, petstore: Any) -> dict[int, int]:
    """How many DELETEs each order got, whatever their status."""
    sent = Counter(r.path for r in petstore.requests("/store/order", method="DELETE"))
    return {order: sent[f"/store/order/{order}"] for order in result.orders}


def actions_duplicated(result: DispatchResult, petstore: Any) -> int:
    """DELETEs beyond the first per order (each one is a second action)."""
    return sum(max(0, n - 1) for n in deletes(result, petstore).values())


def messages_lost(result: DispatchResult) -> list[tuple[int, int]]:
    """Messages none of whose deliveries posted the expected reply."""
    lost = []
    for order in result.orders:
        for turn, expected in enumerate(load.expected_replies(order)):
            posted = [
                d.get("reply")
                for d in result.deliveries.get((order, turn), [])
                if "error" not in d and d.get("duplicate") is not True
            ]
            if expected not in posted:
                lost.append((order, turn))
    return lost


def check(result: DispatchResult, petstore: Any) -> list[str]:
    """Everything that went wrong, as sentences (empty: all held)."""
    problems = [  # an error is a problem when no delivery of that message succeeded
        f"order {order} turn {turn}: {d['error']}"
        for (order, turn), deliveries in sorted(result.deliveries.items())
        if all("error" in d for d in deliveries)
        for d in deliveries
    ]
    for order, sent in deletes(result, petstore).items():
        if sent > 1:
            problems.append(f"order {order}: {sent} DELETEs (a second action)")
    for order, turn in messages_lost(result):
        problems.append(f"order {order} turn {turn}: the expected reply was never posted")
    for (order, turn), deliveries in sorted(result.deliveries.items()):
        expected = load.expected_replies(order)[turn]
        posted = [d for d in deliveries if d.get("reply") == expected and not d.get("duplicate")]
        if len(posted) > 1:
            problems.append(f"order {order} turn {turn}: the reply was posted twice")
    for order in result.orders:
        if petstore.order(order) is not None:
            problems.append(f"order {order}: still exists")
    return problems + asyncio.run(_check_store(result))


async def _check_store(result: DispatchResult) -> list[str]:
    store = open_store(result.store)  # a SQLite file or a postgresql:// URL
    problems = []
    for order in result.orders:
        stored = await store.load(f"load-{order}")
        said = (
            []
            if stored is None
            else [m["content"] for m in stored.value["messages"] if m["role"] == "user"]
        )
        if said != list(load.messages_for(order)):
            problems.append(f"load-{order}: stored customer messages {said!r}")
    store.close()
    return problems


# --- figures ----------------------------------------------------------------------------------


def table(rows: list[tuple[DispatchResult, list[str]]]) -> str:
    header = (
        "| store, processes | deliveries | delivered twice | wall s | turns/s | conv/s "
        "| turn p50 ms | turn p99 ms | errors, redelivered | actions duplicated | messages lost "
        "| checks failed |"
    )
    lines = [header, "|" + " --- |" * 12]
    for result, problems in rows:
        numbers = load.figures(result)
        deliveries = sum(len(d) for d in result.deliveries.values())
        lines.append(
            f"| {result.label} | {deliveries} | {len(result.duplicated)}"
            f" | {numbers['wall_s']:.2f} | {numbers['turns_per_s']:.1f}"
            f" | {numbers['conversations_per_s']:.1f} | {numbers['turn_p50_ms']:.0f}"
            f" | {numbers['turn_p99_ms']:.0f} | {result.redelivered}"
            f" | {result.actions_duplicated}"
            f" | {result.messages_lost} | {len(problems)} |"
        )
    return "\n".join(lines)


def run_mode(
    options: argparse.Namespace, running: load.Services, first_order: int, folder: Path
) -> list[tuple[DispatchResult, list[str]]]:
    """This mode's two runs: dispatched without duplicates, then with them."""
    rows = []
    for number, fraction in enumerate((0.0, options.duplicate_fraction)):
        first = first_order + number * options.conversations
        label = f"sqlite, {options.workers}, dispatched"
        if fraction:
            label += f", {fraction:.0%} twice"
        rows.append(
            run_dispatched(
                running,
                label,
                store=str(folder / f"agent-dispatched-{number}.sqlite3"),
                orders=list(range(first, first + options.conversations)),
                workers=options.workers,
                latency=options.latency,
                timeout=options.timeout,
                fraction=fraction,
                concurrency=options.concurrency,
            )
        )
    return rows
