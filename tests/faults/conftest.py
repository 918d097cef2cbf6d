"""A petstore package generated for the fault tests (the security tests' spec with
tests/faults/agent.yaml), and the fault-injecting server it talks to."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.security.conftest import forget, generate_into
from tests.support.fake_openai import FakeOpenAI
from tests.support.fault_server import FaultServer

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "security" / "petstore.yaml"
PACKAGE = "flt_petstore"


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("faults_package")
    module = generate_into(root, SPEC, HERE / "agent.yaml", PACKAGE)
    sys.path.insert(0, str(root))
    yield module
    sys.path.remove(str(root))
    forget(PACKAGE)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture
def fake_model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


# The exactly-once suite's environment (issue 15): see tests/faults/_delivery.py.
from tests.faults._delivery import eo  # noqa: E402, F401
