"""The webhook service under load: ack latency and first-reply latency, beside `respond`.

    uv run python benchmarks/channels.py [--conversations 200] [--latency 0.2] [--concurrency 32]

`--conversations` Intercom conversations each send one signed `conversation.user.created`
webhook at the same moment to ``python -m shop_agent serve --channel intercom`` (the README's
command, in its own process: the committed `examples/shop/shop_agent`, `serve_app` on uvicorn,
a SQLite store file, `--concurrency` events answered at once). Measured per conversation:

- **ack**: from sending the webhook to its 200 (verify, parse, record in the store);
- **first reply**: from sending the webhook to the reply's arrival at the helpdesk stub (the
  worker's `respond`, the post, `delivered`).

The baseline, in the same run and process: the agent's own `respond` for as many conversations
at once (same model, same store kind, no HTTP in front), and one `respond` alone. The model is
a local OpenAI-compatible server answering every completion after a fixed `--latency`; the
helpdesk is a stub that records replies (the spec-validating mock would measure openapi-core).
Anonymous customers: no context fetch, so the shop API is never called and the figures are
the service's own cost around the model's fixed latency. The load generator, the model and the
stub share this process; the service has its own. Prints a table; exits 1 if a reply is
missing or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from openai import AsyncOpenAI
from specagent_runtime import Agent, SQLiteStore
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "examples" / "shop"), str(REPO)]

from tests.support.helpdesks.intercom import IntercomMock, sign  # noqa: E402

SECRET = "bench-intercom-client-secret"
TOKEN = "bench-intercom-access-token"


class Threaded:
    """An ASGI app on uvicorn in a background thread (127.0.0.1, a free port)."""

    def __init__(self, app: Any, lifespan: str = "off") -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, lifespan=lifespan,
            backlog=4096,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("a server did not start")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.socket.close()


def fixed_latency_model(latency: float) -> Starlette:
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        await asyncio.sleep(latency)
        message = {"role": "assistant", "content": "Thanks, I'm on it."}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return JSONResponse(
            {
                "id": "bench",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "bench"),
                "choices": [choice],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


class HelpdeskStub:
    """Records when each conversation's reply arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def app(self) -> Starlette:
        async def reply(request: Request) -> JSONResponse:
            await request.body()
            with self.lock:
                self.arrived.setdefault(request.path_params["cid"], []).append(time.perf_counter())
            return JSONResponse({"type": "conversation", "id": request.path_params["cid"]})

        return Starlette(routes=[Route("/conversations/{cid}/reply", reply, methods=["POST"])])


def shop_agent(model_url: str, store: Path) -> Agent:
    import shop_agent as package  # noqa: PLC0415

    client = package.AsyncClient("http://127.0.0.1:9/v1")  # never called: anonymous turns
    model = AsyncOpenAI(base_url=model_url + "/v1", api_key="bench", max_retries=0, timeout=60)
    agent: Agent = package.build_agent(
        client, model="bench", openai_client=model, store=SQLiteStore(store)
    )
    return agent


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def baseline(agent: Agent, conversations: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    await agent.respond("bench-alone", "Where is my order?", message_id="alone")
    alone = time.perf_counter() - start

    async def one(n: int) -> float:
        began = time.perf_counter()
        await agent.respond(f"bench-{n}", "Where is my order?", message_id=f"m-{n}")
        return time.perf_counter() - began

    times = await asyncio.gather(*(one(n) for n in range(conversations)))
    return alone, list(times)


async def post_raw(port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    """One HTTP/1.1 POST on its own connection, by hand: httpx's pool costs more than the
    service under 200 simultaneous requests and would be measured instead of it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        + "\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    status = await reader.readline()
    await reader.read()
    writer.close()
    return int(status.split()[1])


async def load(port: int, mock: IntercomMock, conversations: int) -> tuple[dict[str, float], ...]:
    bodies = []
    for n in range(conversations):
        payload = mock.user_created(f"conv{n}", "Where is my order?", notification_id=f"n{n}")
        body = json.dumps(payload).encode()
        bodies.append((f"conv{n}", body, {"X-Hub-Signature": sign(SECRET, body)}))
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}

    async def deliver(cid: str, body: bytes, headers: dict[str, str]) -> None:
        sent[cid] = time.perf_counter()
        status = await post_raw(port, "/webhooks/intercom", body, headers)
        acked[cid] = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"webhook answered {status}")

    await asyncio.gather(*(deliver(*item) for item in bodies))
    return sent, acked


def start_service(
    model: Threaded, helpdesk: Threaded, store: Path, concurrency: int
) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m shop_agent serve --channel intercom` in its own process, as deployed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ)
    env.update(
        INTERCOM_CLIENT_SECRET=SECRET,
        INTERCOM_ACCESS_TOKEN=TOKEN,
        INTERCOM_ADMIN_ID="1",
        INTERCOM_API_BASE=helpdesk.url,
        OPENAI_API_KEY="bench",
        OPENAI_BASE_URL=model.url + "/v1",
        SPECAGENT_MODEL="bench",
        SPECAGENT_STORE=str(store),
        SPECAGENT_SERVE_CONCURRENCY=str(concurrency),
    )
    command = [sys.executable, "-m", "shop_agent", "serve", "--channel", "intercom"]
    command += ["--port", str(port), "--api-url", "http://127.0.0.1:9/v1"]
    process = subprocess.Popen(
        command, cwd=REPO / "examples" / "shop", env=env, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, port
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the service did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2, help="the model's seconds")
    parser.add_argument("--concurrency", type=int, default=32, help="events answered at once")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    model = Threaded(fixed_latency_model(args.latency))
    stub = HelpdeskStub()
    helpdesk = Threaded(stub.app())
    mock = IntercomMock(client_secret=SECRET)  # builds the webhooks only
    folder = Path(tempfile.mkdtemp(prefix="bench-channels-"))

    base_agent = shop_agent(model.url, folder / "baseline.sqlite3")
    alone, respond_times = asyncio.run(baseline(base_agent, args.conversations))

    process, port = start_service(model, helpdesk, folder / "serve.sqlite3", args.concurrency)
    try:
        started = time.perf_counter()
        sent, acked = asyncio.run(load(port, mock, args.conversations))
        deadline = time.monotonic() + args.timeout
        while len(stub.arrived) < args.conversations and time.monotonic() < deadline:
            time.sleep(0.05)
        wall = time.perf_counter() - started
        time.sleep(1.0)  # let a doubled reply show itself
    finally:
        process.terminate()
        process.wait(timeout=30)
        helpdesk.stop()
        model.stop()
    missing = [cid for cid in sent if cid not in stub.arrived]
    doubled = [cid for cid, times in stub.arrived.items() if len(times) > 1]
    ack = [acked[cid] - sent[cid] for cid in sent]
    first = [stub.arrived[cid][0] - sent[cid] for cid in sent if cid in stub.arrived]

    rows = [
        ("webhook ack (serve)", *percentiles(ack)),
        ("first reply (serve)", *percentiles(first)),
        (f"respond, {args.conversations} at once (baseline)", *percentiles(respond_times)),
        ("respond, alone (baseline)", alone * 1000, alone * 1000),
    ]
    print(
        f"\n{args.conversations} conversations at once, model latency {args.latency * 1000:.0f} "
        f"ms, worker concurrency {args.concurrency}, SQLite store"
    )
    print(f"{'measure':46} {'p50 ms':>9} {'p99 ms':>9}")
    for name, p50, p99 in rows:
        print(f"{name:46} {p50:9.1f} {p99:9.1f}")
    print(f"wall time to the last reply: {wall:.2f} s; replies missing {len(missing)}, "
          f"doubled {len(doubled)}")  # fmt: skip
    return 1 if missing or doubled else 0


if __name__ == "__main__":
    sys.exit(main())
