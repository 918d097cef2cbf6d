"""Fixtures of the adversarial suite: the generated packages (once per session), a fresh Acme
API and a fresh attacker model per test, and agents built the way a host builds them.

Only public interfaces are used: `specagent.generate`, the generated package's `AsyncClient`
and `build_agent`, `specagent_runtime`'s top-level names, and HTTP on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import httpx
import httpx2
import pytest
from openai import AsyncOpenAI
from specagent_runtime import Agent, ApiKey, AsyncApiClient, MemoryStore, Store

from ._api import API_KEY, AcmeApi
from ._model import AttackerModel
from ._packages import ACME_SPEC, SPECS, build

MODEL = "attacker-model"


@pytest.fixture(scope="session")
def package_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("adversarial_packages")


@pytest.fixture(scope="session")
def acme(package_root: Path) -> ModuleType:
    """The main package: every attack surface of acme.yaml, with today's agent file keys."""
    return build(package_root, ACME_SPEC, SPECS / "acme_agent.yaml", "adv_acme")


@pytest.fixture(scope="session")
def ctx(package_root: Path) -> ModuleType:
    """The account as `context:` (fetched with the identity, given to the model as data)."""
    return build(package_root, ACME_SPEC, SPECS / "ctx_agent.yaml", "adv_ctx")


@pytest.fixture(scope="session")
def _api_server() -> Iterator[AcmeApi]:
    with AcmeApi() as server:
        yield server


@pytest.fixture(scope="session")
def _evil_server() -> Iterator[AcmeApi]:
    with AcmeApi(host="127.0.0.2") as server:
        yield server


@pytest.fixture(scope="session")
def _model_server() -> Iterator[AttackerModel]:
    server = AttackerModel()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(_api_server: AcmeApi) -> AcmeApi:
    """The Acme API with fresh seed data, default handlers and an empty log."""
    _api_server.reset()
    return _api_server


@pytest.fixture
def evil(_evil_server: AcmeApi) -> AcmeApi:
    """Another host (127.0.0.2) that logs whatever reaches it: credentials must not."""
    _evil_server.reset()
    return _evil_server


@pytest.fixture
def model(_model_server: AttackerModel) -> AttackerModel:
    """The attacker model with an empty plan and no recorded requests."""
    _model_server.reset()
    return _model_server


class MakeAgent(Protocol):
    def __call__(
        self, package: ModuleType | None = None, *, store: Store | None = None, **options: Any
    ) -> Agent: ...


@pytest.fixture
async def make_agent(
    acme: ModuleType, api: AcmeApi, model: AttackerModel
) -> AsyncIterator[MakeAgent]:
    """`make_agent()` is a worker of the acme agent; pass another package or a store.

    The HTTP clients skip loading the CA bundle (every server here is plain HTTP on loopback):
    that alone took 40 ms per client, a tenth of the suite's time."""
    openai_clients: list[AsyncOpenAI] = []
    clients: list[AsyncApiClient] = []
    pools: list[httpx.AsyncClient] = []
    model_pools: list[httpx2.AsyncClient] = []  # the openai SDK's own HTTP client library

    def pool(timeout: float) -> httpx.AsyncClient:
        made = httpx.AsyncClient(verify=False, timeout=timeout, follow_redirects=False)
        pools.append(made)
        return made

    def model_pool() -> httpx2.AsyncClient:
        made = httpx2.AsyncClient(verify=False, timeout=10)
        model_pools.append(made)
        return made

    def make(
        package: ModuleType | None = None, *, store: Store | None = None, **options: Any
    ) -> Agent:
        package = package or acme
        client: AsyncApiClient = package.AsyncClient(
            options.pop("base_url", api.base_url),
            credentials=options.pop("credentials", {"apiKey": ApiKey(API_KEY)}),
            max_retries=0,
            timeout=5,
            http_client=pool(5),
            **options,
        )
        clients.append(client)
        openai_client = AsyncOpenAI(
            base_url=model.base_url, api_key="test", max_retries=0, http_client=model_pool()
        )
        openai_clients.append(openai_client)
        agent: Agent = package.build_agent(
            client,
            model=MODEL,
            openai_client=openai_client,
            store=store if store is not None else MemoryStore(),
        )
        return agent

    yield make
    for client in clients:
        await client.aclose()
    for openai_client in openai_clients:
        await openai_client.close()
    for made in pools:
        await made.aclose()
    for model_made in model_pools:
        await model_made.aclose()


@pytest.fixture
def agent(make_agent: MakeAgent) -> Agent:
    return make_agent()
