"""The generated client imports `_operations` lazily: code that reads the module's names
(the testing kit's recorder, the MCP server's tool annotations) must see them even when the
client was imported first and the module's code has not run yet."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from specagent_runtime._mcp.server import _http_methods
from specagent_runtime.testing._recorder import package_operations

PETSTORE = Path(__file__).resolve().parents[3] / "examples" / "petstore"


@pytest.fixture
def fresh_petstore() -> Iterator[str]:
    def ours(name: str) -> bool:
        return name.partition(".")[0] == "petstore_agent"

    earlier = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in earlier:
        del sys.modules[name]
    sys.path.insert(0, str(PETSTORE))
    try:
        importlib.import_module("petstore_agent.client")  # makes _operations a lazy module
        yield "petstore_agent"
    finally:
        sys.path.remove(str(PETSTORE))
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(earlier)


def test_the_recorder_finds_the_operations_of_a_lazily_imported_module(
    fresh_petstore: str,
) -> None:
    assert "getUserByName" in {op.id for op in package_operations(fresh_petstore)}


def test_mcp_annotations_read_the_methods_of_a_lazily_imported_module(
    fresh_petstore: str,
) -> None:
    assert _http_methods(fresh_petstore)["deleteOrder"] == "DELETE"
