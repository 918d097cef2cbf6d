"""Fixtures shared by the agent and confirmation tests: a fake model server, the fake package's
client, and an agent wired to both. Import the fixtures into a test module to use them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from openai import AsyncOpenAI
from specagent_runtime import Agent, Identity, MemoryStore

from tests.support.fake_openai import FakeOpenAI
from tests.unit.runtime.fakepkg.client import FakeClient

PACKAGE = "tests.unit.runtime.fakepkg"
ADA = Identity(email="ada@example.com", verified=True)


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def openai_client(model: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    client = model.client()
    yield client
    await client.close()


@pytest.fixture
def api() -> FakeClient:
    return FakeClient()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def agent(api: FakeClient, openai_client: AsyncOpenAI, store: MemoryStore) -> Agent:
    return Agent.from_package(
        PACKAGE, api, model="fake-model", openai_client=openai_client, store=store
    )
