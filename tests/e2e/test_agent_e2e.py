"""The support agent end to end: a generated petstore package's `build_agent`, a scripted model
behind the real `openai` SDK, and real HTTP to the reference petstore server. (The demo, the
docs' webhook and a synchronous host are in `test_agent_hosts.py`.)

Each test plays a conversation and then checks the two witnesses that cannot be scripted: what
the model was shown (the fake model server records every request) and what reached the API (the
petstore server logs every request).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import httpx
import pytest
from openai import AsyncOpenAI
from specagent_runtime import (
    Agent,
    ApiKey,
    AsyncApiClient,
    ClientCredentials,
    ConfirmationExecuted,
    ConfirmationNotFound,
    HandoffRequested,
    Identity,
    Limits,
    MemoryStore,
    ModelError,
    RetryPolicy,
    SQLiteStore,
    Store,
    ToolCalled,
)

from tests.support.fake_openai import FakeOpenAI, ToolCall, Turn, call, calls, say
from tests.support.petstore_server import PetstoreServer

MODEL = "fake-model"
USER1 = Identity(username="user1", verified=True)
# Fast backoff: the retry tests count requests; they need not wait half a second per retry.
QUICK_RETRIES = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02)


class MakeAgent(Protocol):
    def __call__(
        self,
        *,
        store: Store | None = None,
        default_store: bool = False,
        client: AsyncApiClient | None = None,
        max_rounds: int = 8,
        **client_options: Any,
    ) -> Agent: ...


@pytest.fixture
async def openai_client(fake_model: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    client = fake_model.client()
    yield client
    await client.close()


@pytest.fixture
async def make_agent(
    petstore_package: ModuleType, petstore: PetstoreServer, openai_client: AsyncOpenAI
) -> AsyncIterator[MakeAgent]:
    """Builds agents the way a host does: the package's `AsyncClient` pointed at the petstore
    with its API key, then `build_agent`. A new call is a new worker (same model server)."""
    clients: list[AsyncApiClient] = []

    def make(
        *,
        store: Store | None = None,
        default_store: bool = False,
        client: AsyncApiClient | None = None,
        max_rounds: int = 8,
        **client_options: Any,
    ) -> Agent:
        if client is None:
            options = {"credentials": {"api_key": ApiKey(petstore.api_key)}, **client_options}
            client = petstore_package.AsyncClient(petstore.base_url, **options)
        assert client is not None
        clients.append(client)
        if store is None and not default_store:
            store = MemoryStore()
        agent: Agent = petstore_package.build_agent(
            client, model=MODEL, openai_client=openai_client, store=store, max_rounds=max_rounds
        )
        return agent

    yield make
    for client in clients:
        await client.aclose()


def tool_messages(fake: FakeOpenAI, request: int = -1) -> list[dict[str, Any]]:
    """The results of the tool round that model request answers (the trailing tool messages),
    parsed: the JSON envelopes the model read."""
    latest: list[dict[str, Any]] = []
    for message in reversed(fake.messages(request)):
        if message["role"] != "tool":
            break
        latest.insert(0, json.loads(message["content"]))
    return latest


def everything_sent_to_the_model(fake: FakeOpenAI) -> str:
    return json.dumps(fake.requests)


# --- 1. user data bound to the verified identity ----------------------------------------------


async def test_verified_customer_reads_their_own_account(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("get_my_account"), say("Your account is in the name of John James."))
    agent = make_agent()

    reply = await agent.respond("t1", "Which name is my account under?", identity=USER1)

    assert reply.text == "Your account is in the name of John James."
    assert reply.events == [ToolCalled("get_my_account", {}, status="ok")]
    # The model was offered the tool without the bound parameter: it cannot name a user.
    schema = fake_model.tools(0)["get_my_account"]
    assert schema["properties"] == {}
    assert "username" not in json.dumps(schema)
    assert "user1" not in json.dumps(fake_model.requests[0])
    # The runtime filled it from the identity.
    assert [(r.method, r.path, r.status) for r in petstore.requests("/user")] == [
        ("GET", "/user/user1", 200)
    ]
    [result] = tool_messages(fake_model)
    assert result["status"] == "ok"
    account = result["data"]
    assert (account["username"], account["firstName"], account["email"]) == (
        "user1",
        "John",
        "user1@example.com",
    )
    # agent.yaml redacts the password: neither the field nor its value reaches the model.
    assert "password" not in account
    assert "password1" not in everything_sent_to_the_model(fake_model)


async def test_model_cannot_name_another_customer(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(call("get_my_account", username="user2"), say("I can only see your account."))
    agent = make_agent()

    reply = await agent.respond("t1", "Show me user2's account", identity=USER1)

    assert [event.status for event in reply.events if isinstance(event, ToolCalled)] == ["error"]
    [result] = tool_messages(fake_model)
    assert result["status"] == "error"
    assert "you cannot choose `username`" in result["message"]
    assert petstore.requests("/user") == []
    assert "Jane" not in everything_sent_to_the_model(fake_model)


# --- 2. lookups for anyone --------------------------------------------------------------------


async def test_anonymous_user_looks_up_an_order_by_id(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    fake_model.add(
        call("get_order", orderId=1),
        call("get_my_account"),  # not offered, but a model may still try
        say("Order 1 is placed."),
    )
    agent = make_agent()

    reply = await agent.respond("web-1", "Where is order 1?")

    assert reply.text == "Order 1 is placed."
    offered = fake_model.tools(0)
    assert "get_order" in offered
    assert "get_my_account" not in offered
    assert "update_my_account" not in offered
    assert offered["get_order"]["required"] == ["orderId"]
    [found] = tool_messages(fake_model, 1)
    assert found["status"] == "ok"
    assert (found["data"]["id"], found["data"]["status"], found["data"]["petId"]) == (
        1,
        "placed",
        1,
    )
    [refused] = tool_messages(fake_model, 2)
    assert refused["status"] == "error"
    assert "only for a verified customer" in refused["message"]
    assert [(r.method, r.path) for r in petstore.requests()] == [("GET", "/store/order/1")]


# --- 3. a consequential action behind the confirmation gate ------------------------------------


async def test_cancellation_needs_the_customers_yes_in_a_new_message_and_runs_once(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent()
    fake_model.add(
        call("cancel_order", orderId=2),
        call("cancel_order", orderId=2),  # the model tries to confirm on its own
        say("Shall I cancel order 2? This cannot be undone."),
    )

    proposed = await agent.respond("t9", "Please cancel order 2", identity=USER1)

    assert petstore.requests(method="DELETE") == []
    assert petstore.order(2) is not None
    [request] = proposed.pending_confirmations
    assert request.tool == "cancel_order"
    assert "cancel_order(orderId=2)" in request.summary
    first, second = fake_model.tool_results(2)
    assert first["status"] == "confirmation_required"
    assert second["status"] == "error"
    assert "already proposed" in second["message"]
    assert [e.status for e in proposed.events if isinstance(e, ToolCalled)] == [
        "confirmation_required",
        "error",
    ]
    assert [a.id for a in await agent.pending("t9")] == [request.action_id]
    assert proposed.text.endswith('Reply "yes" to confirm, or "no".')  # the runtime's words
    assert request.summary in proposed.text

    # Two intents are not a yes: nothing runs, the model is told the customer has not agreed.
    fake_model.add(say("Just to be sure: shall I cancel order 2?"))
    unclear = await agent.respond("t9", "Yes, cancel it and order 3 too", identity=USER1)
    assert petstore.requests(method="DELETE") == []
    assert "NOT agreed" in fake_model.messages(-1)[-1]["content"]
    assert unclear.pending_confirmations == []  # nothing new to confirm: the old one stays
    fake_model.add(call("cancel_order", orderId=2), say("Shall I cancel order 2?"))
    again = await agent.respond("t9", "Order 2 only.", identity=USER1)
    [request] = again.pending_confirmations  # proposed afresh: a new action id

    # The customer's yes runs it (the runtime does); the model only reports.
    fake_model.add(say("Done: order 2 is cancelled."))
    done = await agent.respond("t9", "Yes please", identity=USER1)

    assert done.text == "Done: order 2 is cancelled."
    assert ConfirmationExecuted(request.action_id, "cancel_order", ok=True) in done.events
    [result] = tool_messages(fake_model)
    assert result["status"] == "ok"
    deletes = petstore.requests(method="DELETE")
    assert [(r.path, r.status) for r in deletes] == [("/store/order/2", 200)]
    assert petstore.order(2) is None
    assert await agent.pending("t9") == []

    # The same call again is a new proposal, not a second cancellation.
    fake_model.add(call("cancel_order", orderId=2), say("Do you want me to try again?"))
    again = await agent.respond("t9", "Did it work?", identity=USER1)
    assert len(again.pending_confirmations) == 1
    assert len(petstore.requests(method="DELETE")) == 1


async def test_changed_arguments_are_a_new_proposal(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent()
    fake_model.add(call("cancel_order", orderId=2), say("Cancel order 2?"))
    await agent.respond("t2", "cancel order 2")
    fake_model.add(call("cancel_order", orderId=3), say("Cancel order 3?"))

    reply = await agent.respond("t2", "sorry, I meant order 3")

    [result] = tool_messages(fake_model)
    assert result["status"] == "confirmation_required"
    assert "orderId=3" in result["message"]
    assert [e.tool for e in reply.pending_confirmations] == ["cancel_order"]
    assert petstore.requests(method="DELETE") == []
    fake_model.add(say("Order 3 is cancelled."))
    await agent.respond("t2", "yes")
    assert [r.path for r in petstore.requests(method="DELETE")] == ["/store/order/3"]


async def test_host_confirms_with_a_button(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent()
    fake_model.add(call("cancel_order", orderId=1), say("Press Confirm to cancel order 1."))
    proposed = await agent.respond("t3", "cancel order 1")
    [request] = proposed.pending_confirmations
    fake_model.add(say("Order 1 is cancelled."))

    done = await agent.confirm("t3", request.action_id)

    assert done.text == "Order 1 is cancelled."
    assert ConfirmationExecuted(request.action_id, "cancel_order", ok=True, by="host") in (
        done.events
    )
    [result] = tool_messages(fake_model)
    assert result["status"] == "ok"
    assert [r.path for r in petstore.requests(method="DELETE")] == ["/store/order/1"]
    with pytest.raises(ConfirmationNotFound):
        await agent.confirm("t3", request.action_id)
    assert len(petstore.requests(method="DELETE")) == 1


async def test_a_proposal_for_one_customer_is_not_confirmed_by_another(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent()
    fake_model.add(call("update_my_account", phone="555-0199"), say("Change it to 555-0199?"))
    proposed = await agent.respond("t12", "change my phone to 555-0199", identity=USER1)
    assert [e.tool for e in proposed.pending_confirmations] == ["update_my_account"]
    # The same conversation, another verified customer (a shared inbox, a reassigned ticket).
    fake_model.add(call("update_my_account", phone="555-0199"), say("Shall I?"))

    reply = await agent.respond("t12", "yes", identity=Identity(username="user2", verified=True))

    [result] = tool_messages(fake_model)
    assert result["status"] == "confirmation_required"  # a new proposal, for user2
    assert not any(isinstance(e, ConfirmationExecuted) for e in reply.events)
    assert petstore.requests(method="PUT") == []
    assert (petstore.user("user1") or {}).get("phone") == "555-0101"


# --- API errors as text the model can use ------------------------------------------------------

_DEBUG_PAGE = (
    "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>Internal Server Error</h1><pre>Traceback (most recent call last):\n"
    '  File "/srv/petstore/orders.py", line 42, in get_order\n'
    "    row = db.fetch(order_id)\nsqlite3.OperationalError: database is locked</pre>"
    "</body></html>"
)


class DebugErrorPages(httpx.AsyncBaseTransport):
    """Real HTTP to the server, whose 500s come back as a framework's HTML debug page with a
    stack trace (as behind a misconfigured proxy): the worst error body an API can send."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if response.status_code != 500:
            return response
        await response.aread()
        await response.aclose()
        return httpx.Response(
            500, headers={"Content-Type": "text/html; charset=utf-8"}, text=_DEBUG_PAGE
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_not_found_and_server_error_become_useful_text(
    petstore_package: ModuleType,
    make_agent: MakeAgent,
    fake_model: FakeOpenAI,
    petstore: PetstoreServer,
) -> None:
    async with httpx.AsyncClient(transport=DebugErrorPages()) as http:
        client = petstore_package.AsyncClient(petstore.base_url, http_client=http)
        agent = make_agent(client=client)
        petstore.fail_next("/store/order/1", 500)
        fake_model.add(
            calls(("get_order", {"orderId": 999}), ("get_order", {"orderId": 1})),
            say("I could not find order 999, and our order system has a problem."),
        )

        reply = await agent.respond("t4", "Where are orders 999 and 1?")

    assert [(e.tool, e.status) for e in reply.events if isinstance(e, ToolCalled)] == [
        ("get_order", "error"),
        ("get_order", "error"),
    ]
    missing, failed = tool_messages(fake_model)
    assert missing["status"] == "error"
    assert "404" in missing["message"]
    assert "Order not found" in missing["message"]  # the spec's description of the 404
    assert failed["status"] == "error"
    assert "500" in failed["message"]
    assert "Unexpected error" in failed["message"]  # the spec's `default` response
    for text in (missing["message"], failed["message"]):
        assert "<" not in text
        assert "Traceback" not in text
        assert "orders.py" not in text
        assert len(text) <= 300
    # A 500 is not retried: the request may have done something.
    statuses = [(r.path, r.status) for r in petstore.requests("/store/order")]
    assert sorted(statuses) == [("/store/order/1", 500), ("/store/order/999", 404)]


# --- retries ----------------------------------------------------------------------------------


async def test_get_is_retried_after_503s(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent(retry_policy=QUICK_RETRIES)
    petstore.fail_next("/store/order/1", 503, count=2)
    fake_model.add(call("get_order", orderId=1), say("Order 1 is placed."))

    reply = await agent.respond("t5", "order 1?")

    assert reply.events == [ToolCalled("get_order", {"orderId": 1}, status="ok")]
    assert [r.status for r in petstore.requests("/store/order/1")] == [503, 503, 200]
    [result] = tool_messages(fake_model)
    assert (result["status"], result["data"]["id"]) == ("ok", 1)


async def _place_order_confirmed(agent: Agent, fake: FakeOpenAI, conversation: str) -> None:
    """Propose an order, then confirm it in a new message (place_order needs confirmation)."""
    fake.add(call("place_order", petId=5, quantity=1), say("Order Polly for you?"))
    await agent.respond(conversation, "I'd like to buy Polly")
    fake.add(say("Here is the outcome."))  # the runtime places it on the yes
    await agent.respond(conversation, "Yes please")


async def test_post_without_idempotency_key_is_not_retried(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent(retry_policy=QUICK_RETRIES)
    petstore.fail_next("/store/order", 503, count=2, method="POST")

    await _place_order_confirmed(agent, fake_model, "t6")

    [post] = petstore.requests("/store/order", method="POST")  # not sent again
    assert post.status == 503
    # The confirmed action's own key (for an API that deduplicates), not a reason to retry.
    assert post.headers["idempotency-key"].startswith("confirm-")
    [result] = tool_messages(fake_model)
    assert result["status"] == "error"
    assert "503" in result["message"]
    assert len(petstore.orders()) == 3  # the seed orders only


async def test_post_with_idempotency_key_is_retried_with_the_same_key(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent(retry_policy=QUICK_RETRIES, idempotency_keys=True)
    petstore.fail_next("/store/order", 503, count=1, method="POST")

    await _place_order_confirmed(agent, fake_model, "t7")

    posts = petstore.requests("/store/order", method="POST")
    assert [p.status for p in posts] == [503, 200]
    keys = {p.headers.get("idempotency-key") for p in posts}
    assert len(keys) == 1
    assert None not in keys
    [result] = tool_messages(fake_model)
    assert (result["status"], result["data"]["petId"]) == ("ok", 5)
    assert len(petstore.orders()) == 4


# --- OAuth2 client credentials ------------------------------------------------------------------


def client_credentials_client(package: ModuleType) -> type[AsyncApiClient]:
    """The package's client with `petstore_auth` served by the reference server's token endpoint.

    The published Petstore spec declares only an implicit flow (a browser flow, no token URL);
    this API also accepts client credentials, so its scheme is pointed at `/oauth/token`,
    which the runtime resolves against the API's server like a relative URL in a spec."""
    schemes = dict(package.AsyncClient.security_schemes)
    schemes["petstore_auth"] = dataclasses.replace(
        schemes["petstore_auth"], token_url="/oauth/token", scopes=("read:pets", "write:pets")
    )
    cls: type[AsyncApiClient] = type(
        "ClientCredentialsClient", (package.AsyncClient,), {"security_schemes": schemes}
    )
    return cls


async def test_oauth2_token_fetched_once_for_20_concurrent_calls(
    petstore_package: ModuleType,
    make_agent: MakeAgent,
    fake_model: FakeOpenAI,
    petstore: PetstoreServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    credentials = ClientCredentials(petstore.client_id, petstore.client_secret)
    client_class = client_credentials_client(petstore_package)
    client: Any = client_class(petstore.base_url, credentials={"petstore_auth": credentials})
    agent = make_agent(client=client)
    # 20 lookups in one round, all at once (by default 8 a round, 4 at a time, 10 lookups and
    # 3 in flight, the misses allowed before a lockout).
    agent.limiter.limits = Limits(
        tool_calls_per_round=20, parallel_calls=20, lookup_limit=20, misses_before_lockout=20
    )
    statuses = ["available", "pending", "sold", "available"] * 5
    fake_model.add(
        Turn(calls=tuple(ToolCall("find_pets_by_status", {"status": s}) for s in statuses)),
        say("We have several pets."),
    )

    # One model round with 20 parallel tool calls: the agent runs them concurrently.
    reply = await agent.respond("t8", "Which pets do you have?")

    assert [e.status for e in reply.events if isinstance(e, ToolCalled)] == ["ok"] * 20
    assert petstore.token_requests == 1
    searches = petstore.requests("/pet/findByStatus")
    assert len(searches) == 20
    assert all(r.status == 200 and r.authorization for r in searches)
    results = tool_messages(fake_model)
    assert [len(r["data"]) for r in results[:3]] == [3, 1, 1]

    # A revoked token: every call gets 401 once, then all share one refreshed token.
    petstore.revoke_tokens()
    petstore.clear_requests()
    found = await asyncio.gather(*(client.find_pets_by_status(status=s) for s in statuses))
    assert [len(pets) for pets in found[:3]] == [3, 1, 1]
    assert petstore.token_requests == 1
    assert sorted(r.status for r in petstore.requests("/pet")) == [200] * 20 + [401] * 20

    # No credential ever reached the model or a log line.
    sent = everything_sent_to_the_model(fake_model)
    assert petstore.client_secret not in sent
    assert "Bearer" not in sent
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "find_pets_by_status" in logged  # the capture saw the calls
    assert petstore.client_secret not in logged
    assert re.search(r"Bearer [\w-]{20}", logged) is None  # no access token (43 characters)


# --- state: a stateless webhook handler resumes the conversation ----------------------------------


async def test_second_agent_on_the_same_sqlite_file_resumes_the_conversation(
    make_agent: MakeAgent,
    fake_model: FakeOpenAI,
    petstore: PetstoreServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = tmp_path / "conversations.sqlite3"
    first = make_agent(store=SQLiteStore(database))
    fake_model.add(call("cancel_order", orderId=3), say("Cancel order 3? Reply yes to confirm."))
    proposed = await first.respond("zendesk-77", "Please cancel order 3", identity=USER1)
    [request] = proposed.pending_confirmations

    # The next webhook call lands on another worker: a new client and agent, and the store
    # named by SPECAGENT_STORE (what build_agent uses without a store).
    monkeypatch.setenv("SPECAGENT_STORE", str(database))
    second = make_agent(default_store=True)
    assert [a.id for a in await second.pending("zendesk-77")] == [request.action_id]
    fake_model.add(say("Order 3 is cancelled."))

    done = await second.respond("zendesk-77", "yes", identity=USER1)

    assert ConfirmationExecuted(request.action_id, "cancel_order", ok=True) in done.events
    history = fake_model.messages(-1)  # what the second worker's model saw
    assert [m["role"] for m in history] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "system",  # the runtime's note: the customer confirmed, it ran it
        "assistant",
        "tool",
    ]
    assert history[1]["content"] == "Please cancel order 3"
    assert json.loads(history[3]["content"])["status"] == "confirmation_required"
    assert [r.path for r in petstore.requests(method="DELETE")] == ["/store/order/3"]
    third = make_agent(store=SQLiteStore(database))
    assert await third.pending("zendesk-77") == []


async def test_model_failure_saves_nothing_so_the_host_can_retry(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent()
    # The fake model has no answer scripted: it fails with HTTP 500.
    with pytest.raises(ModelError, match="HTTP 500"):
        await agent.respond("t13", "Where is order 1?")
    fake_model.add(call("get_order", orderId=1), say("Order 1 is placed."))

    reply = await agent.respond("t13", "Where is order 1?")  # the host delivers it again

    assert reply.text == "Order 1 is placed."
    users = [m["content"] for m in fake_model.messages() if m["role"] == "user"]
    assert users == ["Where is order 1?"]  # the failed attempt left no trace
    assert len(petstore.requests("/store/order/1")) == 1


# --- hand-off to a human ----------------------------------------------------------------------


async def test_model_hands_off_to_a_human(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    reason = "The customer wants a refund, which needs a person."
    fake_model.add(
        Turn(
            text="I'm passing you to a colleague.",
            calls=(
                ToolCall("get_order", {"orderId": 1}),
                ToolCall("handoff_to_human", {"reason": reason}),
            ),
        )
    )
    agent = make_agent()

    reply = await agent.respond("t10", "I want my money back for order 1")

    assert reply.text == "I'm passing you to a colleague."
    assert reply.handed_off
    assert reply.events == [HandoffRequested(reason)]
    handoff = fake_model.tools(0)["handoff_to_human"]
    assert handoff["required"] == ["reason"]
    assert len(fake_model.requests) == 1  # the turn ends at the hand-off
    assert petstore.requests() == []  # a call in the same round is not run

    # The next message shows the model what happened to both calls.
    fake_model.add(say("A colleague will be with you shortly."))
    await agent.respond("t10", "hello?")
    results = {r["tool"]: r for r in fake_model.tool_results()}
    assert results["handoff_to_human"]["status"] == "ok"
    assert results["get_order"]["message"] == "not run: handed off"


async def test_running_out_of_rounds_hands_off(
    make_agent: MakeAgent, fake_model: FakeOpenAI, petstore: PetstoreServer
) -> None:
    agent = make_agent(max_rounds=2)
    fake_model.add(call("get_order", orderId=1), call("get_order", orderId=2))

    reply = await agent.respond("t11", "tell me everything")

    assert reply.handed_off
    assert reply.text  # a polite fallback, never an empty message
    assert len(petstore.requests("/store/order")) == 2
    assert len(fake_model.requests) == 2
