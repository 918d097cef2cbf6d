"""What a hostile response costs the worker: peak RSS under a gzip bomb, time of the depth check.

    uv run python benchmarks/response_bounds.py

Each memory row runs in its own child process (peak RSS is per process): the baseline reads the
bomb as the runtime did before the caps (httpx reads and inflates the whole body), the other
through `AsyncApiClient` (streamed, inflated in 64 KB pieces, stopped at the 8 MB cap). The
timing rows compare the depth pre-check with `json.loads` itself on a large, ordinary body.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

from specagent_runtime._http.body import json_depth_exceeds

from tests.support.fault_server import Fault, FaultServer

BOMB_MB = 300

_CHILD = textwrap.dedent(
    """
    import asyncio, resource, sys
    import httpx
    from specagent_runtime import AsyncApiClient, OperationSpec, SpecagentError

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    async def main(url, how):
        async with httpx.AsyncClient() as http:
            await http.get(url + "/ok")
        async with AsyncApiClient(url) as client:
            await client._call(OperationSpec(id="ok", method="GET", path="/ok"), {}, dict)
        before = peak()
        started = __import__("time").perf_counter()
        outcome = "read"
        if how == "httpx":
            async with httpx.AsyncClient() as http:
                size = len((await http.get(url + "/bomb")).content)
            outcome = f"read {size // 2**20} MB"
        else:
            async with AsyncApiClient(url) as client:
                try:
                    await client._call(OperationSpec(id="b", method="GET", path="/bomb"), {}, dict)
                except SpecagentError as exc:
                    outcome = type(exc).__name__
        millis = (__import__("time").perf_counter() - started) * 1000
        print(f"{before:.0f} {peak():.0f} {millis:.0f} {outcome}")

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def bomb() -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"0" * 2**20
    return b"".join([*(squeeze.compress(zeros) for _ in range(BOMB_MB)), squeeze.flush()])


def main() -> None:
    body = bomb()
    headers = (("Content-Type", "application/json"), ("Content-Encoding", "gzip"))
    print(f"gzip bomb: {len(body) / 1024:.0f} KB on the wire, {BOMB_MB} MB inflated\n")
    print("| reader | RSS before MB | RSS peak MB | ms | outcome |")
    print("| --- | --- | --- | --- | --- |")
    with FaultServer() as server:
        server.route("GET", "/bomb", Fault("respond", 200, body, headers))
        server.route("GET", "/ok", Fault("respond", 200, b"{}", headers[:1]))
        for how, label in (("httpx", "baseline: httpx reads it whole"), ("runtime", "runtime")):
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, server.root_url, how],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split(maxsplit=3)
            print(f"| {label} | {out[0]} | {out[1]} | {out[2]} | {out[3].strip()} |")

    print("\n| body | size MB | json.loads ms | depth check ms |")
    print("| --- | --- | --- | --- |")
    orders = [{"id": i, "items": [{"sku": f"s{i}", "qty": 1}], "note": "[{"} for i in range(80_000)]
    deep = b"[" * 100_000 + b"]" * 100_000
    for label, text in (("80,000 orders", json.dumps(orders).encode()), ("100,000 levels", deep)):
        started = time.perf_counter()
        try:
            json.loads(text)
            loads_ms = f"{(time.perf_counter() - started) * 1000:.0f}"
        except RecursionError:
            loads_ms = "RecursionError"
        started = time.perf_counter()
        json_depth_exceeds(text, 64)
        check_ms = (time.perf_counter() - started) * 1000
        print(f"| {label} | {len(text) / 2**20:.1f} | {loads_ms} | {check_ms:.0f} |")


if __name__ == "__main__":
    main()
