"""What one tool call costs through the runtime, next to raw httpx, against a local server.

    uv run python benchmarks/tool_call_overhead.py [--calls 1000] [--rounds 10]

The Petstore package is generated into a temporary folder first (as users get it), then the
same `GET /store/order/42` is sent four ways over one pooled keep-alive connection each:

* raw httpx: `client.get(...)` and `response.json()`;
* raw httpx + model: the same, then `Order.model_validate` (what parsing alone costs);
* generated client: `AsyncClient.get_order_by_id(42)` (URL building, auth choice, headers,
  retry bookkeeping, typed errors, lenient decoding);
* Toolset.execute: the tool call as the agent makes it (argument checks, binding, validation
  into the argument model, the client call, response shaping and the size budget).

The server is a minimal asyncio HTTP/1.1 responder in the same process, so its own cost stays
out of the numbers. Variants take turns in rounds, so a busy machine slows them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from specagent import GenerateOptions, generate, ir
from specagent_runtime import Toolset

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "examples" / "petstore" / "openapi.yaml"
AGENT = REPO / "examples" / "petstore" / "agent.yaml"
PACKAGE = "bench_petstore"

BODY = (
    b'{"id": 42, "petId": 7, "quantity": 1, "shipDate": "2024-05-06T07:08:09Z",'
    b' "status": "placed", "complete": false}'
)
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\nConnection: keep-alive\r\n\r\n"
    + BODY
)

Call = Callable[[], Awaitable[object]]

_connections: set[asyncio.StreamWriter] = set()


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection with the same small JSON order."""
    _connections.add(writer)
    try:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        _connections.discard(writer)
        writer.close()


def _generate_package(root: Path) -> ModuleType:
    started = time.perf_counter()
    result = generate(SPEC, AGENT, PACKAGE, GenerateOptions())
    errors = [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    if not result.ok:
        raise SystemExit("generation failed:\n" + "\n".join(errors))
    for path, text in result.files.items():
        target = root / PACKAGE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(root))
    module = importlib.import_module(PACKAGE)
    importlib.import_module(f"{PACKAGE}.client")
    print(f"generated {PACKAGE} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return module


async def _measure(variants: dict[str, Call], calls: int, rounds: int) -> dict[str, list[float]]:
    """Microseconds per call for each variant, taking turns in `rounds` blocks."""
    for one in variants.values():  # warm up pools, caches and adapters; check it works
        for _ in range(min(50, calls)):
            await one()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    block = max(1, calls // rounds)
    for _ in range(rounds):
        for name, one in variants.items():
            for _ in range(block):
                started = time.perf_counter()
                await one()
                samples[name].append((time.perf_counter() - started) * 1e6)
    return samples


def _table(samples: dict[str, list[float]]) -> str:
    base = statistics.median(samples["raw httpx"])
    lines = [
        f"{'':<24}{'median':>9}{'p90':>9}{'mean':>9}{'ratio':>8}{'overhead':>10}",
    ]
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        lines.append(
            f"{name:<24}{median:>9.0f}{p90:>9.0f}{statistics.fmean(values):>9.0f}"
            f"{median / base:>7.2f}x{median - base:>+10.0f}"
        )
    return "\n".join(lines)


async def main(calls: int, rounds: int, package: ModuleType) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}/api/v3"
    order_model: Any = package.models.Order
    raw = httpx.AsyncClient()
    client = package.AsyncClient(base)
    tools = Toolset.from_package(PACKAGE, client)

    async def raw_call() -> object:
        response = await raw.get(f"{base}/store/order/42", headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()

    async def raw_model_call() -> object:
        return order_model.model_validate(await raw_call())

    async def client_call() -> object:
        return await client.get_order_by_id(42)

    async def tool_call() -> object:
        result = await tools.execute("get_order", {"orderId": 42})
        if result.status != "ok":
            raise SystemExit(f"the tool call failed: {result.message}")
        return result

    variants: dict[str, Call] = {
        "raw httpx": raw_call,
        "raw httpx + model": raw_model_call,
        "generated client": client_call,
        "Toolset.execute": tool_call,
    }
    try:
        samples = await _measure(variants, calls, rounds)
    finally:
        await raw.aclose()
        await client.aclose()
        server.close()
        for writer in list(_connections):
            writer.close()
        await server.wait_closed()
        await asyncio.sleep(0)  # let the handlers see the closed connections
    per_variant = len(samples["raw httpx"])
    print(f"GET /store/order/42 to 127.0.0.1, {per_variant} sequential calls each, µs per call")
    print(_table(samples))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per variant")
    parser.add_argument("--rounds", type=int, default=10, help="turns the variants take")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="specagent-bench-") as folder:
        petstore = _generate_package(Path(folder))
        asyncio.run(main(arguments.calls, arguments.rounds, petstore))
