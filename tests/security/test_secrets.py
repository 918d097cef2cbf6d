"""Secrets never leave the HTTP requests that need them.

An end-to-end support conversation runs with every logger at DEBUG: an API key and OAuth2 client
credentials against the reference petstore (a token is fetched, revoked and fetched again),
errors included (a 404, wrong credentials, an API that echoes the key back in its error body).
Afterwards every place text ends up is searched for every credential and every Authorization
or api_key header value the client actually sent: log records (formatted, with tracebacks),
exception messages and tracebacks, the SQLite store's files, the requests sent to the model,
the replies and their events, and the reprs of the objects a developer might print.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from specagent_runtime import (
    ApiError,
    ApiKey,
    ClientCredentials,
    Identity,
    SQLiteStore,
)

from tests.support.fake_openai import FakeOpenAI, call, calls, say
from tests.support.fault_server import FaultServer, json_response
from tests.support.petstore_server import PetstoreServer

from .conftest import API_KEY, CLIENT_ID, CLIENT_SECRET

WRONG_KEY = "sk-live-WRONGKEY-31f00d"
WRONG_SECRET = "cs-WRONG-SECRET-77e1"
LOGGERS = ("", "specagent_runtime", "httpx", "httpcore", "openai", "asyncio")


class Capture(logging.Handler):
    """Every record, formatted with its traceback, plus the raw arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        self.texts.append(repr(record.args))


@pytest.fixture
def logs() -> Iterator[Capture]:
    handler = Capture()
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    logging.getLogger().addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    logging.getLogger().removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


class Sent:
    """An httpx request hook: the credential header values the client really sent."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    async def __call__(self, request: httpx.Request) -> None:
        for name in ("authorization", "api_key"):
            value = request.headers.get(name)
            if value:
                self.values.add(value)
                self.values.add(value.partition(" ")[2] or value)


def _secrets(sent: Sent) -> list[str]:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    found = {API_KEY, CLIENT_SECRET, WRONG_KEY, WRONG_SECRET, basic, *sent.values}
    return sorted(value for value in found if len(value) >= 8)


def _store_bytes(folder: Path) -> str:
    return "".join(
        path.read_bytes().decode("latin-1") for path in sorted(folder.glob("store.sqlite3*"))
    )


def test_no_secret_anywhere_after_a_conversation(
    package: ModuleType,
    petstore: PetstoreServer,
    fake_model: FakeOpenAI,
    logs: Capture,
    tmp_path: Path,
) -> None:
    sent = Sent()
    leaks: list[str] = []  # every text a secret could have reached

    fake_model.add(
        calls(
            ("get_inventory", {}),
            ("find_pets_by_status", {"status": "available"}),
            ("get_pet_by_id", {"petId": 1}),
            ("get_order", {"orderId": 987654}),
            ("get_my_account", {}),
        ),
        say("Here is your account and our pets."),
        call("cancel_order", orderId=2),
        say("Shall I cancel order 2?"),
        call("cancel_order", orderId=2),
        say("Order 2 is cancelled."),
        call("find_pets_by_status", status="sold"),  # after the token was revoked
        say("Those are the sold pets."),
        calls(("get_inventory", {}), ("find_pets_by_status", {"status": "pending"})),
        say("I could not reach the systems."),
        call("get_inventory"),
        say("The inventory service refused."),
    )
    identity = Identity(username="user1", verified=True)
    store_path = tmp_path / "store.sqlite3"
    good = {
        "api_key": ApiKey(API_KEY),
        "petstore_auth": ClientCredentials(CLIENT_ID, CLIENT_SECRET),
    }
    wrong = {
        "api_key": ApiKey(WRONG_KEY),
        "petstore_auth": ClientCredentials(CLIENT_ID, WRONG_SECRET),
    }

    async def conversation(echo: FaultServer) -> None:
        model = fake_model.client()
        store = SQLiteStore(store_path)
        async with httpx.AsyncClient(event_hooks={"request": [sent]}) as http:
            client = package.AsyncClient(petstore.base_url, credentials=good, http_client=http)
            agent = package.build_agent(client, model="m", openai_client=model, store=store)
            replies = [
                await agent.respond("conv", "Show my account and pets", identity=identity),
                await agent.respond("conv", "cancel order 2", identity=identity),
                await agent.respond("conv", "yes", identity=identity),
            ]
            petstore.revoke_tokens()
            replies.append(await agent.respond("conv", "sold pets?", identity=identity))

            bad_client = package.AsyncClient(petstore.base_url, credentials=wrong, http_client=http)
            bad = package.build_agent(bad_client, model="m", openai_client=model, store=store)
            replies.append(await bad.respond("conv2", "inventory and pending pets?"))

            # An API that quotes the key it was given in its error message.
            body = {"message": f"invalid api_key {API_KEY}", "detail": f"Bearer {API_KEY}"}
            echo.route("GET", "/api/v3/store/inventory", json_response(body, 401))
            echo_client = package.AsyncClient(
                echo.root_url + "/api/v3", credentials=good, http_client=http
            )
            echoing = package.build_agent(echo_client, model="m", openai_client=model, store=store)
            replies.append(await echoing.respond("conv3", "inventory?"))

            for api_client in (bad_client, echo_client):
                try:
                    await api_client.get_inventory()
                except ApiError as exc:
                    leaks.extend([str(exc), repr(exc), exc.model_message()])
                    leaks.extend(traceback.format_exception(exc))
                else:
                    pytest.fail("the call with refused credentials succeeded")
            for reply in replies:
                leaks.extend([reply.text, repr(reply), repr(reply.events)])
            leaks.extend(repr(x) for x in (agent, client, good, wrong, agent.toolset))
            leaks.extend(str(x) for x in (client, *good.values(), *wrong.values()))
        await model.close()

    with FaultServer() as echo:
        asyncio.run(conversation(echo))

    # The conversation really authenticated both ways, and really failed where it should.
    requests = petstore.requests()
    assert petstore.token_requests >= 2  # fetched, revoked, fetched again
    assert any(r.path == "/store/inventory" and r.status == 200 for r in requests)
    assert any(r.path == "/store/inventory" and r.status == 401 for r in requests)
    assert any(r.path == "/pet/findByStatus" and r.status == 200 for r in requests)
    assert any(r.method == "DELETE" and r.path == "/store/order/2" for r in requests)
    assert any(value.startswith("Bearer ") for value in sent.values)

    leaks.extend(logs.texts)
    leaks.append(_store_bytes(tmp_path))
    leaks.append(json.dumps(fake_model.requests))
    haystack = "\n".join(leaks)
    assert len(logs.texts) > 10 and "conv" in _store_bytes(tmp_path)
    found = [secret for secret in _secrets(sent) if secret in haystack]
    assert found == [], f"leaked: {found}"
