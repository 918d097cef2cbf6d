"""A petstore package generated for the security tests (tests/security/petstore.yaml and
agent.yaml), imported under a name no other test uses, plus the servers the tests talk to.

Generated here rather than taken from examples/: these tests pin their own tools (which need
confirmation, which are bound to the identity), so changes to the example do not move them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from specagent import GenerateOptions, generate, ir

from tests.support.fake_openai import FakeOpenAI
from tests.support.imports import forget
from tests.support.petstore_server import PetstoreServer

HERE = Path(__file__).resolve().parent
PACKAGE = "sec_petstore"

# Distinctive so that a leak is found by plain substring search wherever it lands.
API_KEY = "sk-live-APIKEY-7d41c0ffee9b"
CLIENT_ID = "client-ID-b7c2"
CLIENT_SECRET = "cs-SECRET-e3f9a51d0042"


def generate_into(root: Path, spec: Path, agent: Path, package: str) -> ModuleType:
    result = generate(spec, agent, package, GenerateOptions())
    errors = [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    assert result.ok, errors
    for path, text in result.files.items():
        target = root / package / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(package)
        for name in ("client", "models", "agent"):
            importlib.import_module(f"{package}.{name}")
    finally:
        sys.path.remove(str(root))
    return module


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("security_package")
    module = generate_into(root, HERE / "petstore.yaml", HERE / "agent.yaml", PACKAGE)
    sys.path.insert(0, str(root))  # Toolset imports <package>.models lazily
    yield module
    sys.path.remove(str(root))
    forget(PACKAGE)


@pytest.fixture
def petstore() -> Iterator[PetstoreServer]:
    with PetstoreServer(
        api_key=API_KEY, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as server:
        yield server


@pytest.fixture
def fake_model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server
