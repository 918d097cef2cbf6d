"""What the runtime costs per call, next to raw httpx, against a local keep-alive server.

    uv run python benchmarks/tool_call_overhead.py [--calls 1000]

Both sides send the same GET with a path and a query parameter over one pooled connection and
parse the JSON body; the runtime also validates it into a pydantic model, picks auth, and builds
the URL from the operation. The difference is the runtime's own overhead per tool call.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from pydantic import BaseModel
from specagent_runtime import ApiKey, ApiKeyScheme, Arg, AsyncApiClient, OperationSpec

BODY = b'{"id": 42, "petId": 7, "quantity": 1, "status": "placed", "complete": false}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\nConnection: keep-alive\r\n\r\n"
    + BODY
)
GET_ORDER = OperationSpec(
    id="getOrderById",
    method="GET",
    path="/store/order/{orderId}",
    args=(
        Arg("orderId", "orderId", "path"),
        Arg("fields", "fields", "query", style="form", explode=False),
    ),
    security=(("api_key",),),
)


class Order(BaseModel):
    id: int
    petId: int
    quantity: int
    status: str
    complete: bool


class Petstore(AsyncApiClient):
    security_schemes = {"api_key": ApiKeyScheme("api_key", "X-API-Key", "header", "BENCH_KEY")}  # noqa: RUF012


_connections: set[asyncio.StreamWriter] = set()


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A minimal HTTP/1.1 keep-alive responder: the server's cost stays out of the numbers."""
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


async def _time(calls: int, one: Callable[[], Awaitable[object]]) -> list[float]:
    for _ in range(min(50, calls)):  # warm up the pool, caches and adapters
        await one()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await one()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


async def main(calls: int) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}/api/v3"
    async with httpx.AsyncClient() as raw:

        async def raw_call() -> object:
            response = await raw.get(
                f"{base}/store/order/42",
                params={"fields": "id,status"},
                headers={"X-API-Key": "k"},
            )
            response.raise_for_status()
            return response.json()

        raw_samples = await _time(calls, raw_call)
    async with Petstore(base, credentials={"api_key": ApiKey("k")}) as client:

        async def runtime_call() -> object:
            return await client._call(GET_ORDER, {"orderId": 42, "fields": ["id", "status"]}, Order)

        runtime_samples = await _time(calls, runtime_call)
    server.close()
    for writer in list(_connections):
        writer.close()
    await server.wait_closed()
    await asyncio.sleep(0)  # let the handlers see the closed connections
    rows = [("raw httpx", raw_samples), ("specagent runtime", runtime_samples)]
    print(f"{calls} sequential calls, µs per call")
    print(f"{'':<20}{'median':>10}{'mean':>10}{'p95':>10}")
    for name, samples in rows:
        p95 = statistics.quantiles(samples, n=20)[-1]
        print(
            f"{name:<20}{statistics.median(samples):>10.0f}"
            f"{statistics.fmean(samples):>10.0f}{p95:>10.0f}"
        )
    overhead = statistics.median(runtime_samples) - statistics.median(raw_samples)
    print(f"{'overhead (median)':<20}{overhead:>10.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    asyncio.run(main(parser.parse_args().calls))
