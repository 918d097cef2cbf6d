"""The generated client imports `_operations` lazily: code that reads the module's names
(the testing kit's recorder, the MCP server's tool annotations) must see them even when the
client was imported first and the module's code has not run yet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from specagent_runtime._mcp.server import _http_methods
from specagent_runtime.testing._recorder import package_operations

from tests.support.imports import imported_from

PETSTORE = Path(__file__).resolve().parents[3] / "examples" / "petstore"


@pytest.fixture
def fresh_petstore() -> Iterator[str]:
    with imported_from(PETSTORE, "petstore_agent", "client"):  # client: _operations lazy
        yield "petstore_agent"


def test_the_recorder_finds_the_operations_of_a_lazily_imported_module(
    fresh_petstore: str,
) -> None:
    assert "getUserByName" in {op.id for op in package_operations(fresh_petstore)}


def test_mcp_annotations_read_the_methods_of_a_lazily_imported_module(
    fresh_petstore: str,
) -> None:
    assert _http_methods(fresh_petstore)["deleteOrder"] == "DELETE"
