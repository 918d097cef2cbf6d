"""Many customers at once: concurrent cancel-order conversations on one shared store.

    uv run python benchmarks/load.py [--conversations 200] [--workers 4] [--latency 0.05]
    uv run python benchmarks/load.py --store postgres --conversations 1000 --workers 8 --no-baseline

`--store postgres` compares the shared stores (issue 18): the multi-worker run and the
duplicate-delivery run (`--duplicate-fraction` of the messages delivered twice at the same
moment; with `--no-baseline`, only the latter) on SQLite and on PostgreSQL (a throwaway
server this run starts, as the tests do: the machine's PostgreSQL, tests/support/postgres.py;
a database per run), in one table with the actions duplicated, the messages lost and the
updates lost beside turns/s and p50/p99.

Every conversation is a verified customer (`customer<N>`) cancelling their own order N with
the committed example package (`examples/petstore/petstore_agent`): "Please cancel my order N"
(the model starts the `cancel_order` task, which looks the order up and asks), "yes" (the
task deletes the order; the model is not asked), "Thanks!" (the model answers from the
history). The reference petstore runs in its own process, the fake model in another (a fixed
`--latency` per completion), and the conversations are spread over `--workers` worker
processes that share one SQLite store file, as webhook workers would.

The same load runs four times in one go, each on fresh orders: the in-memory store in one
process (the baseline: no disk, no sharing), SQLite in one process, SQLite across the workers,
and SQLite across the workers with only 2 conversations at a time in each (what a turn adds
when the machine is not saturated; the others start all their conversations at once).
After each run it checks, from the server's request log and the store file rather than from
what the workers say: every conversation completed with the expected replies; no update was
lost (each conversation stored with all its messages and turns, every run saved the same
number of times, the run index lists each run once); each order was deleted exactly once;
each conversation's messages and task run mention only its own order and customer.

Reported per run: wall time, turns/s, conversations/s, and p50/p99 of the turn time and of the
added latency (turn time minus the model's fixed latency times the completions in that turn).
`--duplicates` adds the duplicate-delivery mode (benchmarks/load_duplicates.py): the same
conversations dispatched message by message, a `--duplicate-fraction` of them (10%) delivered
twice at the same moment to different workers, reporting actions duplicated and messages lost
(both must be 0) beside the same throughput figures, with and without duplicates. There every
conversation starts at once and each worker process runs `--concurrency` turns at a time (32,
`serve`'s default), the rest waiting in it as webhooks wait in `serve`'s queue; a turn's time
counts from its arrival at the worker.
Everything listens on 127.0.0.1 only; the run is bounded by `--timeout` and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import importlib
import json
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import unquote

import httpx
import uvicorn
from openai import AsyncOpenAI
from specagent_runtime import ApiKey, Identity, Store, open_store
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "petstore"
FIRST_ORDER = 100_001  # six-digit order numbers: any other conversation's would stand out
ORDER_NUMBER = re.compile(r"\b1\d{5}\b")
CANCEL = re.compile(r"cancel my order (\d+)")
READY = "READY "
DESCRIPTION = "Concurrent cancel-order conversations on one shared store (SQLite or PostgreSQL)."


# --- the fake model (its own process) ---------------------------------------------------------


def model_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A chat-completions answer that depends only on the request: a cancel request starts the
    task, anything else is answered with every order number the model was shown, so a
    conversation that saw another's data would say so in its own history."""
    messages = body.get("messages", [])
    last: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    asked = CANCEL.search(str(last.get("content") or ""))
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if asked is not None:
        arguments = json.dumps({"order_id": int(asked.group(1))})
        message["tool_calls"] = [
            {
                "id": f"call_{asked.group(1)}_{len(messages)}",
                "type": "function",
                "function": {"name": "cancel_order", "arguments": arguments},
            }
        ]
    else:
        seen = sorted(set(ORDER_NUMBER.findall(json.dumps(messages))))
        message["content"] = f"You're welcome. We talked about order {', '.join(seen)}."
    return {
        "id": f"chatcmpl-{len(messages)}",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if asked is not None else "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def serve_model(latency: float) -> None:
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        await asyncio.sleep(latency)
        return JSONResponse(model_answer(body))

    app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    # The workers pool their connections: uvicorn's 5 s keep-alive would close idle ones as a
    # worker reuses them (a spurious APIConnectionError), and its 2048 backlog fills when 8
    # workers connect at once on a busy machine.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=300,
        backlog=8192,
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        print(f"{READY}http://127.0.0.1:{port}/v1", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        server.should_exit = True
        await task

    asyncio.run(run())


# --- a worker process -------------------------------------------------------------------------

_completions: contextvars.ContextVar[list[int]] = contextvars.ContextVar("completions")


async def _count_completion(request: httpx.Request) -> None:
    counter = _completions.get(None)
    if counter is not None:
        counter[0] += 1


def messages_for(order: int) -> tuple[str, ...]:
    return (f"Please cancel my order {order}", "yes", "Thanks!")


async def _converse(agent: Any, order: int, emit: Any) -> None:
    identity = Identity(username=f"customer{order}", verified=True)
    conversation = f"load-{order}"
    for turn, message in enumerate(messages_for(order)):
        counter = [0]
        token = _completions.set(counter)
        started = time.perf_counter()
        try:
            reply = await agent.respond(conversation, message, identity=identity)
        except Exception as exc:  # reported, and counted as an incomplete conversation
            emit({"order": order, "turn": turn, "error": f"{type(exc).__name__}: {exc}"})
            return
        finally:
            _completions.reset(token)
        seconds = time.perf_counter() - started
        emit({"order": order, "turn": turn, "seconds": seconds, "completions": counter[0],
              "reply": reply.text})  # fmt: skip


async def run_worker(options: argparse.Namespace) -> None:
    # The committed example package, found through PYTHONPATH (see `_env`).
    package = importlib.import_module("petstore_agent")
    client_module = importlib.import_module("petstore_agent.client")
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
    api_http = httpx.AsyncClient(limits=limits, timeout=60, follow_redirects=False)
    model_http = httpx.AsyncClient(
        limits=limits, timeout=60, event_hooks={"request": [_count_completion]}
    )
    api = client_module.AsyncClient(
        options.api,
        credentials={"api_key": ApiKey(os.environ["LOAD_API_KEY"])},
        http_client=api_http,
    )
    model = AsyncOpenAI(
        base_url=options.model, api_key="load", max_retries=0, http_client=cast(Any, model_http)
    )
    store = open_store(options.store)  # ":memory:", a SQLite file or a postgresql:// URL
    agent = package.build_agent(api, model="fake-model", openai_client=model, store=store)
    orders = [int(order) for order in options.orders.split(",")]

    def emit(data: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(data) + "\n")

    print(READY, flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    # --in-flight 0: every conversation at once (the load); N: at most N at a time, to see
    # what a turn adds when the machine is not saturated.
    gate = asyncio.Semaphore(options.in_flight or len(orders))

    async def gated(order: int) -> None:
        async with gate:
            await _converse(agent, order, emit)

    await asyncio.gather(*(gated(order) for order in orders))
    emit({"done": time.monotonic()})  # CLOCK_MONOTONIC: comparable across processes
    sys.stdout.flush()
    await api.aclose()
    await model.close()
    await api_http.aclose()
    await model_http.aclose()
    store.close()


# --- the driver -------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What one configuration did: the turns the workers reported and the wall time."""

    label: str
    store: str  # ":memory:", the SQLite file or the PostgreSQL database's URL
    orders: list[int]
    workers: int
    latency: float
    wall: float = 0.0
    turns: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(EXAMPLE), str(REPO), env.get("PYTHONPATH")])
    )
    return env


def _spawn(arguments: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *arguments],
        env=env,
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _ready_line(process: subprocess.Popen[str], deadline: float) -> str:
    stdout: IO[str] | None = process.stdout
    assert stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stdout], [], [], 0.1)
        if ready:
            line = stdout.readline()
            if line.startswith(READY):
                return line.removeprefix(READY).strip()
            if not line:
                break
    raise RuntimeError(f"process {process.pid} did not start (exit status {process.poll()})")


def _stop(process: subprocess.Popen[str]) -> None:
    for pipe in (process.stdin,):
        if pipe is not None and not pipe.closed:
            pipe.close()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def seed_orders(api_url: str, api_key: str, orders: list[int]) -> None:
    """Create the orders through the API, as a customer's shop would have: order N belongs to
    `customer<N>` (the task's owner check reads it)."""
    with httpx.Client(base_url=api_url, headers={"api_key": api_key}, timeout=30) as client:
        for order in orders:
            response = client.post(
                "/store/order",
                json={
                    "id": order,
                    "petId": 1,
                    "quantity": 1,
                    "status": "placed",
                    "username": f"customer{order}",  # the task's owner check compares it
                },
            )
            response.raise_for_status()


def run_load(
    label: str,
    *,
    api_url: str,
    api_key: str,
    model_url: str,
    store: str,
    orders: list[int],
    workers: int,
    latency: float,
    timeout: float,
    in_flight: int = 0,
) -> RunResult:
    """Run the conversations of `orders` spread over `workers` processes; all start at once
    (or `in_flight` at a time per worker)."""
    result = RunResult(label, store, orders, workers, latency)
    env = _env()
    env["LOAD_API_KEY"] = api_key
    shares = [orders[n::workers] for n in range(workers)]
    processes = [
        _spawn(
            [
                "--worker",
                "--api",
                api_url,
                "--model",
                model_url,
                "--store",
                store,
                "--orders",
                ",".join(map(str, share)),
                "--in-flight",
                str(in_flight),
            ],
            env,
        )
        for share in shares
        if share
    ]
    deadline = time.monotonic() + timeout
    try:
        for process in processes:
            _ready_line(process, deadline)
        started = time.monotonic()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        ended = started
        for process in processes:
            out, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            for line in out.splitlines():
                data = json.loads(line)
                if "error" in data:
                    result.errors.append(data)
                elif "seconds" in data:
                    result.turns.append(data)
                elif "done" in data:
                    ended = max(ended, float(data["done"]))
        result.wall = ended - started
    finally:
        for process in processes:
            _stop(process)
    return result


# --- the checks -------------------------------------------------------------------------------


def expected_replies(order: int) -> tuple[str, str, str]:
    return (
        f"Cancel order {order} for 1 item(s)?",
        f"Order {order} is cancelled.",
        f"You're welcome. We talked about order {order}.",
    )


def check(result: RunResult, petstore: Any) -> list[str]:
    """Everything that went wrong in a run, as sentences (empty: all held)."""
    problems = [f"order {e['order']} turn {e['turn']}: {e['error']}" for e in result.errors]
    replies: dict[int, dict[int, str]] = {}
    for turn in result.turns:
        replies.setdefault(turn["order"], {})[turn["turn"]] = turn["reply"]
    for order in result.orders:
        got = tuple(replies.get(order, {}).get(n) for n in range(3))
        if got != expected_replies(order):
            problems.append(f"order {order}: replies {got!r}")
    problems += _check_deletes(result, petstore)
    if result.store != ":memory:":
        problems += asyncio.run(_check_store(result))
    return problems


def _check_deletes(result: RunResult, petstore: Any) -> list[str]:
    problems = []
    deletes = Counter(
        (request.path, request.status)
        for request in petstore.requests("/store/order", method="DELETE")
    )
    for order in result.orders:
        path = f"/store/order/{order}"
        sent = {status: n for (p, status), n in deletes.items() if p == path}
        if sent != {200: 1}:
            problems.append(f"order {order}: DELETEs by status {sent} (expected one 200)")
        if petstore.order(order) is not None:
            problems.append(f"order {order}: still exists")
    return problems


async def _check_store(result: RunResult) -> list[str]:
    store = open_store(result.store)
    try:
        return await _check_stored(store, result)
    finally:
        store.close()


async def _check_stored(store: Store, result: RunResult) -> list[str]:
    problems: list[str] = []
    runs_of: dict[str, list[str]] = {}
    for key, record in await store.scan("task_run_of", ""):  # <conversation>/<run id>
        runs_of.setdefault(unquote(key.rsplit("/", 1)[0]), []).append(str(record.value["run"]))
    run_saves: Counter[int] = Counter()
    for order in result.orders:
        conversation = f"load-{order}"
        stored = await store.load(conversation)
        if stored is None:
            problems.append(f"{conversation}: not stored")
            continue
        messages = stored.value["messages"]
        said = [m["content"] for m in messages if m["role"] == "user"]
        answered = [m["content"] for m in messages if m["role"] == "assistant" and m["content"]]
        if said != list(messages_for(order)) or stored.value["turn"] != 3:
            problems.append(
                f"{conversation}: turn {stored.value['turn']},"
                f" customer messages {said!r} (an update was lost)"
            )
        if answered != list(expected_replies(order)):
            problems.append(f"{conversation}: stored replies {answered!r}")
        if set(ORDER_NUMBER.findall(json.dumps(stored.value))) != {str(order)}:
            problems.append(f"{conversation}: mentions another order")
        problems += await _check_runs(store, conversation, order, runs_of, run_saves)
    if len(run_saves) > 1:
        problems.append(f"task runs were saved unequal numbers of times: {dict(run_saves)}")
    return problems


async def _check_runs(
    store: Any, conversation: str, order: int, runs_of: dict[str, list[str]], saves: Counter[int]
) -> list[str]:
    run_ids = runs_of.get(conversation, [])
    if len(run_ids) != 1:
        return [f"{conversation}: {len(run_ids)} task runs indexed (expected 1)"]
    stored = await store.get("task_run", run_ids[0])
    if stored is None:
        return [f"{conversation}: task run {run_ids[0]} is missing"]
    run = stored.value
    saves[stored.version] += 1
    variables = run["variables"]
    problems = []
    if (run["task"], run["status"], run["conversation_id"]) != (
        "cancel_order",
        "done",
        conversation,
    ):
        problems.append(f"{conversation}: run {run['task']} {run['status']}")
    if variables.get("identity") != {"username": f"customer{order}"}:
        problems.append(f"{conversation}: run of identity {variables.get('identity')!r}")
    found = variables.get("order") or {}
    if variables.get("inputs", {}).get("order_id") != order or found.get("id") != order:
        problems.append(f"{conversation}: run for another order")
    return problems


# --- figures ----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def figures(result: RunResult) -> dict[str, float]:
    times = [turn["seconds"] for turn in result.turns]
    added = [turn["seconds"] - turn["completions"] * result.latency for turn in result.turns]
    done = len({turn["order"] for turn in result.turns if turn["turn"] == 2})
    return {
        "conversations": done,
        "turns": len(result.turns),
        "wall_s": result.wall,
        "turns_per_s": len(result.turns) / result.wall if result.wall else 0.0,
        "conversations_per_s": done / result.wall if result.wall else 0.0,
        "turn_p50_ms": 1000 * percentile(times, 0.5),
        "turn_p99_ms": 1000 * percentile(times, 0.99),
        "added_p50_ms": 1000 * percentile(added, 0.5),
        "added_p99_ms": 1000 * percentile(added, 0.99),
        "added_mean_ms": 1000 * statistics.fmean(added) if added else float("nan"),
    }


def table(rows: list[tuple[RunResult, dict[str, float], int]]) -> str:
    header = (
        "| store, processes | conversations | turns | wall s | turns/s | conv/s "
        "| turn p50 ms | turn p99 ms | added p50 ms | added p99 ms | checks failed |"
    )
    lines = [header, "|" + " --- |" * 11]
    for result, numbers, failed in rows:
        lines.append(
            f"| {result.label} | {numbers['conversations']:.0f}/{len(result.orders)}"
            f" | {numbers['turns']:.0f} | {numbers['wall_s']:.2f}"
            f" | {numbers['turns_per_s']:.1f} | {numbers['conversations_per_s']:.1f}"
            f" | {numbers['turn_p50_ms']:.0f} | {numbers['turn_p99_ms']:.0f}"
            f" | {numbers['added_p50_ms']:.0f} | {numbers['added_p99_ms']:.0f} | {failed} |"
        )
    return "\n".join(lines)


def by_turn(results: list[RunResult]) -> str:
    """Added latency p50/p99 per turn: 1 starts the task (model, run index, run saves), 2 is
    the yes (the DELETE and the run's saves, no model), 3 the model's answer."""
    lines = ["| store, processes | turn 1 p50/p99 ms | turn 2 p50/p99 ms | turn 3 p50/p99 ms |"]
    lines.append("|" + " --- |" * 4)
    for result in results:
        cells = []
        for number in range(3):
            added = [
                t["seconds"] - t["completions"] * result.latency
                for t in result.turns
                if t["turn"] == number
            ]
            cells.append(
                f"{1000 * percentile(added, 0.5):.0f} / {1000 * percentile(added, 0.99):.0f}"
            )
        lines.append(f"| {result.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per completion")
    parser.add_argument("--timeout", type=float, default=150.0, help="seconds per run")
    parser.add_argument("--no-baseline", action="store_true", help="only the SQLite workers")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--duplicates",
        action="store_true",
        help="also run the duplicate-delivery mode (benchmarks/load_duplicates.py)",
    )
    parser.add_argument(
        "--duplicate-fraction",
        type=float,
        default=0.1,
        help="in that mode, the share of messages delivered twice at the same moment",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="in the dispatched runs, the turns each worker process runs at once, the rest"
        " waiting in it, as `serve`'s worker does (its default, 32); 0: all at once",
    )
    # Internal roles: the fake model and the worker processes run this same file.
    parser.add_argument("--serve-model", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--delivery-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument(
        "--store",
        help="sqlite (the default), or postgres: the shared-store runs on SQLite and on"
        " PostgreSQL side by side (a throwaway server of the machine's PostgreSQL)",
    )  # in the worker roles: the store's location
    parser.add_argument("--orders", help=argparse.SUPPRESS)
    parser.add_argument("--in-flight", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.serve_model:
        serve_model(options.latency)
        return 0
    if options.worker:
        asyncio.run(run_worker(options))
        return 0
    if options.delivery_worker:
        asyncio.run(_duplicates().run_delivery_worker(options))
        return 0
    if not 1 <= options.conversations <= 2000 or not 1 <= options.workers <= 32:
        parser.error("--conversations must be 1..2000 and --workers 1..32")
    if options.duplicates and options.workers < 2:
        parser.error("--duplicates needs --workers 2 or more (a duplicate goes to another one)")
    if options.concurrency < 0:
        parser.error("--concurrency must be 0 (no bound) or more")
    if not 0 <= options.duplicate_fraction <= 1:
        parser.error("--duplicate-fraction must be between 0 and 1")
    if options.store not in (None, "sqlite", "postgres"):
        parser.error("--store is sqlite or postgres")
    if options.store == "postgres" and options.workers < 2:
        parser.error("--store postgres needs --workers 2 or more (duplicates go to another one)")
    rows, duplicate_rows = run_all(options)
    if rows:  # none when `--store postgres --no-baseline` runs only the stores compared
        print(table([(result, figures(result), len(problems)) for result, problems in rows]))
        print()
        print(by_turn([result for result, _ in rows]))
    compared = [row for row in duplicate_rows if row[0].label.startswith(COMPARED)]
    duplicate_rows = [row for row in duplicate_rows if row not in compared]
    if duplicate_rows:
        print()
        print(_duplicates().table(duplicate_rows))
    if compared:
        print()
        print(stores_table(compared))
        bound = f"{options.concurrency} turns" if options.concurrency else "every turn it is sent"
        print(f"(each worker process runs {bound} at once)")
    duplicate_rows += compared
    for result, problems in [*rows, *duplicate_rows]:
        for problem in problems[:20]:
            print(f"{result.label}: {problem}")
    if options.json is not None:
        figures_of = [{"run": r.label, **figures(r), "problems": p} for r, p in rows]
        figures_of += [
            {
                "run": r.label,
                **figures(r),
                "delivered_twice": len(r.duplicated),
                "actions_duplicated": r.actions_duplicated,
                "messages_lost": r.messages_lost,
                "redelivered": r.redelivered,
                "problems": p,
            }
            for r, p in duplicate_rows
        ]
        options.json.write_text(json.dumps(figures_of, indent=2))
    return 1 if any(problems for _, problems in [*rows, *duplicate_rows]) else 0


# --- the shared stores compared (--store postgres) ---------------------------------------------

COMPARED = "store "  # the label of the comparison's duplicate-delivery runs


def updates_lost(problems: list[str]) -> int:
    """Conversations whose stored customer messages are not each message once, in order."""
    return sum(1 for problem in problems if ": stored customer messages " in problem)


def stores_table(rows: list[tuple[Any, list[str]]]) -> str:
    """The duplicate-delivery runs of each shared store, side by side."""
    header = (
        "| store | worker processes | conversations | messages | delivered twice | wall s"
        " | turns/s | turn p50 ms | turn p99 ms | actions duplicated | messages lost"
        " | updates lost | checks failed |"
    )
    lines = [header, "|" + " --- |" * 13]
    for result, problems in rows:
        numbers = figures(result)
        lines.append(
            f"| {result.label.removeprefix(COMPARED)} | {result.workers}"
            f" | {numbers['conversations']:.0f}/{len(result.orders)}"
            f" | {3 * len(result.orders)} | {len(result.duplicated)} | {numbers['wall_s']:.1f}"
            f" | {numbers['turns_per_s']:.1f} | {numbers['turn_p50_ms']:.0f}"
            f" | {numbers['turn_p99_ms']:.0f} | {result.actions_duplicated}"
            f" | {result.messages_lost} | {updates_lost(problems)} | {len(problems)} |"
        )
    return "\n".join(lines)


@contextlib.contextmanager
def postgres_databases() -> Iterator[Callable[[], str]]:
    """A throwaway PostgreSQL server (the tests' own fixture code); yields a function that
    makes a fresh database with the store's schema and returns its URL."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    postgres = importlib.import_module("tests.support.postgres")
    factory = importlib.import_module("specagent_runtime._stores.factory")
    server = postgres.PostgresServer().start()

    def fresh() -> str:
        url = str(server.create_database("specagent_load"))
        factory.migrate_store(url)
        return url

    try:
        yield fresh
    finally:
        server.stop()


def _duplicates() -> Any:
    """benchmarks/load_duplicates.py, the duplicate-delivery mode (imported when used)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return importlib.import_module("benchmarks.load_duplicates")


@dataclass(frozen=True)
class Services:
    """The reference petstore (its own process, its state file readable here) and the fake
    model (its own process), both on 127.0.0.1."""

    petstore: Any  # tests.support.petstore_server.PetstoreProcess
    model_url: str
    folder: Path


@contextlib.contextmanager
def services(folder: Path, latency: float) -> Iterator[Services]:
    sys.path.insert(0, str(REPO))  # the reference server lives with the tests
    run_in_subprocess = importlib.import_module("tests.support.petstore_server").run_in_subprocess
    petstore = run_in_subprocess(folder / "petstore.db", api_key="load-key")
    try:
        model = _spawn(["--serve-model", "--latency", str(latency)], _env())
        try:
            yield Services(petstore, _ready_line(model, time.monotonic() + 30), folder)
        finally:
            _stop(model)
    finally:
        petstore.stop()


def run_checked(
    running: Services,
    label: str,
    *,
    store: str,
    orders: list[int],
    workers: int,
    latency: float,
    timeout: float,
    in_flight: int = 0,
) -> tuple[RunResult, list[str]]:
    """Seed the orders, run their conversations, check the outcome."""
    seed_orders(running.petstore.base_url, running.petstore.api_key, orders)
    result = run_load(
        label,
        api_url=running.petstore.base_url,
        api_key=running.petstore.api_key,
        model_url=running.model_url,
        store=store,
        orders=orders,
        workers=workers,
        latency=latency,
        timeout=timeout,
        in_flight=in_flight,
    )
    return result, check(result, running.petstore)


def run_all(
    options: argparse.Namespace,
) -> tuple[list[tuple[RunResult, list[str]]], list[tuple[Any, list[str]]]]:
    """The baseline configurations, then SQLite across the workers, each on fresh orders;
    last the same with 2 conversations at a time per worker (the machine not saturated).
    With `--duplicates`, then the duplicate-delivery mode's two runs (its own rows)."""
    many = options.workers
    compare = options.store == "postgres"
    plans = [("memory, 1", ":memory:", 1, 0), ("sqlite, 1", "", 1, 0)]
    plans = [] if options.no_baseline else plans
    plans.append((f"sqlite, {many}", "", many, 0))
    if compare:
        plans.append((f"postgres, {many}", "postgres", many, 0))
        if options.no_baseline:  # only the shared stores' duplicate-delivery runs
            plans = []
    if not options.no_baseline:
        plans.append((f"sqlite, {many}, 2 at a time each", "", many, 2))
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="specagent-load-") as folder,
        services(Path(folder), options.latency) as running,
        postgres_databases() if compare else contextlib.nullcontext(None) as database,
    ):

        def location(store: str, name: str) -> str:
            if store == "postgres":
                assert database is not None
                return database()
            return store or str(Path(folder) / f"{name}.sqlite3")

        for number, (label, store, workers, in_flight) in enumerate(plans):
            first = FIRST_ORDER + number * options.conversations
            rows.append(
                run_checked(
                    running,
                    label,
                    store=location(store, f"agent-{number}"),
                    orders=list(range(first, first + options.conversations)),
                    workers=workers,
                    latency=options.latency,
                    timeout=options.timeout,
                    in_flight=in_flight,
                )
            )
        duplicate_rows = []
        first = FIRST_ORDER + len(plans) * options.conversations
        if options.duplicates:
            duplicate_rows = _duplicates().run_mode(options, running, first, Path(folder))
            first += 2 * options.conversations
        if compare:
            for number, kind in enumerate(("sqlite", "postgres")):
                start = first + number * options.conversations
                duplicate_rows.append(
                    _duplicates().run_dispatched(
                        running,
                        f"{COMPARED}{kind}",
                        store=location("" if kind == "sqlite" else kind, f"compared-{kind}"),
                        orders=list(range(start, start + options.conversations)),
                        workers=many,
                        latency=options.latency,
                        timeout=options.timeout,
                        fraction=options.duplicate_fraction,
                        concurrency=options.concurrency,
                    )
                )
    return rows, duplicate_rows


if __name__ == "__main__":
    sys.exit(main())
