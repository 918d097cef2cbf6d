"""The agent file's limits reach the running agent: `tools.overrides.<op>.lookup_limit` and the
top-level `limits:` section, generated into agent.json and read by `build_agent`.

Generated from the shop example's spec with an agent file of its own (the example's package is
left as it is); the witness is the shop reference server's request log.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from specagent import GenerateOptions, generate
from specagent_runtime import Agent, ClientCredentials, Limits, MemoryStore

from tests.support.fake_openai import FakeOpenAI, Turn, calls, say
from tests.support.imports import imported_from

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
PACKAGE = "limits_shop_agent"
ORDER, ZIP = 1002, "10115"  # a real order of the shop's reference data, and its zip code

AGENT_FILE = """\
agent: {name: Shop support, instructions: Anyone may look up an order with its zip code.}
tools:
  include: {operations: [getOrder]}
  overrides:
    getOrder:
      name: lookup_order
      lookup_limit: 2
limits:
  tool_calls_per_round: 3
  lookups_per_client_per_day: 50
"""


def _load_server() -> ModuleType:
    spec = importlib.util.spec_from_file_location("limits_e2e_shop_server", SHOP / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


shop_server = _load_server()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("limits")
    agent_file = root / "agent.yaml"
    agent_file.write_text(AGENT_FILE, encoding="utf-8")
    result = generate(SHOP / "openapi.yaml", agent_file, PACKAGE, GenerateOptions())
    assert result.ok, [d.render() for d in result.diagnostics]
    for relative, text in result.files.items():
        target = root / PACKAGE / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    with imported_from(root, PACKAGE) as module:
        yield module


@pytest.fixture
def shop() -> Iterator[Any]:
    with shop_server.ShopServer() as server:
        yield server


def _lookups(count: int) -> Turn:
    return calls(*(("lookup_order", {"orderId": ORDER, "zip": ZIP}) for _ in range(count)))


def _run(package: ModuleType, shop: Any, fake: FakeOpenAI, limits: Limits | None) -> None:
    async def turn() -> None:
        credentials = ClientCredentials(shop_server.CLIENT_ID, shop_server.CLIENT_SECRET)
        client = package.AsyncClient(shop.base_url, credentials={"supportOAuth": credentials})
        model = fake.client()
        agent: Agent = package.build_agent(
            client, model="m", openai_client=model, store=MemoryStore(), limits=limits
        )
        await agent.respond("c1", "where is my order 1002, zip 10115?", client_key="visitor")
        await client.aclose()
        await model.close()

    asyncio.run(turn())


def test_the_agent_files_limits_are_in_agent_json(package: ModuleType) -> None:
    data = json.loads((Path(package.__file__).parent / "agent.json").read_text())
    assert data["limits"] == {"tool_calls_per_round": 3, "lookups_per_client_per_day": 50}
    assert [tool["lookup_limit"] for tool in data["tools"]] == [2]


def test_a_lookup_limit_and_a_round_limit_from_the_agent_file_hold(
    package: ModuleType, shop: Any
) -> None:
    """Five lookups in one round: `limits.tool_calls_per_round: 3` answers three, and the
    tool's `lookup_limit: 2` lets two of those reach the API (the default would be 10)."""
    with FakeOpenAI() as fake:
        fake.add(_lookups(5), say("Your order is on its way."))
        _run(package, shop, fake, None)
        results = fake.tool_results()
    assert len(shop.calls("GET", f"/orders/{ORDER}")) == 2
    assert [r["status"] for r in results].count("ok") == 2
    messages = [r.get("message", "") for r in results if r["status"] == "error"]
    assert sum("may be used 2 times in one conversation" in m for m in messages) == 1
    assert sum("at most 3 tool calls are answered" in m for m in messages) == 2


def test_build_agents_limits_win_over_the_agent_files(package: ModuleType, shop: Any) -> None:
    with FakeOpenAI() as fake:
        fake.add(_lookups(5), say("Your order is on its way."))
        _run(package, shop, fake, Limits(tool_calls_per_round=1))
        results = fake.tool_results()
    assert len(shop.calls("GET", f"/orders/{ORDER}")) == 1
    assert [r["status"] for r in results] == ["ok"] + ["error"] * 4
