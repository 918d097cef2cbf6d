"""Fixtures for the end-to-end tests: the reference petstore API, the scripted model server, and
generated petstore packages.

`petstore_package` is generated once per session from the example's spec and the agent file
below, under its own name, so the agent tests do not change when the example's agent file does
(its order actions may move to tasks) and never share a module name with other tests' packages.
`example_package` is the committed `examples/petstore/petstore_agent`, for the demo.
Every test runs with DEBUG logging on every logger, its records searched for every credential
the process made (`tests/support/debug_secrets.py`, issue 15).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from specagent import GenerateOptions, generate, ir

from tests.support.debug_secrets import debug_everything, no_secret_in_any_record  # noqa: F401
from tests.support.fake_openai import FakeOpenAI
from tests.support.imports import imported_from
from tests.support.petstore_server import PetstoreServer

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "petstore"
EXAMPLE_PACKAGE = "petstore_agent"
E2E_PACKAGE = "e2e_petstore_agent"

# The three kinds of access as plain tools: a bound account, lookups for anyone, and order
# actions behind the confirmation gate.
AGENT_FILE = """\
agent:
  name: Petstore support
  instructions: >-
    You help customers of the pet store with their orders, their account and our pets.
tools:
  include:
    operations: [getOrderById, placeOrder, deleteOrder, getUserByName, updateUser]
    tags: [pet]
    methods: [GET]
  exclude:
    operations: [deleteUser, loginUser, logoutUser, getInventory, uploadFile]
  overrides:
    getUserByName:
      name: get_my_account
      description: The signed-in customer's own account.
      bind: {username: identity.username}
      redact: [password]
    updateUser:
      name: update_my_account
      description: Update the signed-in customer's own account.
      bind: {username: identity.username}
      confirm: true
    getOrderById:
      name: get_order
      description: Look up one order by its ID. Anyone may do this.
    deleteOrder:
      name: cancel_order
      description: Cancel an order by its ID.
      confirm: true
    placeOrder:
      confirm: true
"""


def _import_from(root: Path, package: str) -> Iterator[ModuleType]:
    """Import `package` from `root` (with its client and agent); undo it afterwards."""
    with imported_from(root, package, "client", "agent") as module:
        yield module


@pytest.fixture(scope="session")
def petstore_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """A petstore agent package generated from the example spec and `AGENT_FILE`."""
    root = tmp_path_factory.mktemp("e2e_package")
    agent_file = root / "agent.yaml"
    agent_file.write_text(AGENT_FILE, encoding="utf-8")
    result = generate(EXAMPLE / "openapi.yaml", agent_file, E2E_PACKAGE, GenerateOptions())
    errors = [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    assert result.ok, errors
    for path, text in result.files.items():
        target = root / E2E_PACKAGE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    yield from _import_from(root, E2E_PACKAGE)


@pytest.fixture(scope="module")
def example_package() -> Iterator[ModuleType]:
    """The committed `examples/petstore/petstore_agent`, as the demo imports it."""
    yield from _import_from(EXAMPLE, EXAMPLE_PACKAGE)


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
