"""Fixtures for the end-to-end tests: the reference petstore API, the scripted model server, and
the committed example package (`examples/petstore/petstore_agent`) imported as users import it.

The package is imported from the example folder, not regenerated, because it is what users run;
the golden test keeps it equal to the generator's output. Other test modules import packages of
the same name from their own folders, so the import is undone at the end of each module.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.petstore_server import PetstoreServer

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "petstore"
EXAMPLE_PACKAGE = "petstore_agent"


def _forget(package: str) -> None:
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def petstore_package() -> Iterator[ModuleType]:
    """`petstore_agent` from `examples/petstore`, with its client and agent modules loaded."""
    _forget(EXAMPLE_PACKAGE)  # another module's package of the same name must not be reused
    sys.path.insert(0, str(EXAMPLE))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(EXAMPLE_PACKAGE)
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().parent == EXAMPLE / EXAMPLE_PACKAGE
        importlib.import_module(f"{EXAMPLE_PACKAGE}.client")
        importlib.import_module(f"{EXAMPLE_PACKAGE}.agent")
        yield module
    finally:
        sys.path.remove(str(EXAMPLE))
        _forget(EXAMPLE_PACKAGE)


@pytest.fixture
def petstore() -> Iterator[PetstoreServer]:
    """The reference Petstore API on a free local port, fresh seed data, empty request log."""
    with PetstoreServer() as server:
        yield server


@pytest.fixture
def fake_model() -> Iterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server; tests add turns with `fake_model.add(...)`."""
    with FakeOpenAI() as server:
        yield server
