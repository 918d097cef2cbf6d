"""A generated package's Toolset is built without httpx, pydantic, `_operations` or models,
and the first call loads them and works: in a fresh interpreter, from a package as users get it
(examples/petstore), asserting what was imported, never how long it took.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PETSTORE = ROOT / "examples" / "petstore"

_HEAVY = ("httpx", "pydantic.main", "petstore_agent._operations", "petstore_agent.models")

_SCRIPT = """
import asyncio, json, sys
from specagent_runtime import Toolset
import petstore_agent

HEAVY = %r


def loaded():
    # A lazy module not yet used is in sys.modules with another type: it does not count.
    return [n for n in HEAVY if type(sys.modules.get(n)).__name__ == "module"]


client = petstore_agent.AsyncClient("https://petstore.example.test/api/v3")
tools = Toolset.from_package("petstore_agent", client)
listed = tools.openai_tools(None)
before = loaded()

import httpx

def answer(request):
    return httpx.Response(200, json={"id": 42, "petId": 7, "quantity": 1, "status": "placed"})

client._http_client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
result = asyncio.run(tools.execute("get_order", {"orderId": 42}))
print(json.dumps({"tools": len(listed), "before": before, "after": loaded(),
                  "status": result.status, "data": result.data}))
"""


def _run(script: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(PETSTORE)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_tool_list_loads_no_http_or_models_and_the_first_call_works() -> None:
    found = _run(_SCRIPT % (_HEAVY,))
    listed = json.loads((PETSTORE / "petstore_agent" / "agent.json").read_text("utf-8"))["tools"]
    # Those needing no verified customer, and the hand-off.
    assert found["tools"] == sum(1 for tool in listed if not tool.get("bindings")) + 1
    assert found["before"] == []
    assert found["status"] == "ok"
    assert found["data"] == {"id": 42, "petId": 7, "quantity": 1, "status": "placed"}
    assert found["after"] == list(_HEAVY)


_THREADS = """
import json, sys, threading
import httpx
from specagent_runtime import ApiClient
import petstore_agent

# A fresh process whose first two calls start together in two threads, each on its own client:
# the lazy modules (the client's `decode` and `auth`) are executed once, under one lock.
def answer(request):
    return httpx.Response(200, json={"id": 42, "petId": 7, "quantity": 1, "status": "placed"})

results, errors = [], []
barrier = threading.Barrier(8)

def call():
    client = petstore_agent.Client(
        "https://petstore.example.test/api/v3",
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
    )
    barrier.wait()
    try:
        results.append(client.get_order_by_id(42).pet_id)
    except Exception as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=call) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"results": results, "errors": errors}))
"""


def test_first_calls_from_several_threads_at_once() -> None:
    found = _run(_THREADS)
    assert found["errors"] == []
    assert found["results"] == [7] * 8
