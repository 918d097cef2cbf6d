"""The agent loop over a failing API: each turn still ends with an answer, the model is told
something it can relay, and nothing unsafe is repeated.

The model is the scripted fake OpenAI server: it calls one tool, then answers. What matters is
what the runtime did in between: the tool result the model saw (status and message) and the
requests the API received.
"""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import MemoryStore, RetryPolicy

from tests.support.fake_openai import FakeOpenAI, call, say
from tests.support.fault_server import (
    Fault,
    FaultServer,
    hang,
    json_response,
    malformed_json,
    reset_mid_response,
    retry_after,
    status,
    truncated_json,
    wrong_content_type,
)

API = "/api/v3"
ORDER = {"id": 1, "petId": 7, "quantity": 2, "status": "placed", "complete": False}


async def _no_wait(_seconds: float) -> None:
    return None


def run_turn(package: ModuleType, server: FaultServer, fake_model: FakeOpenAI, message: str) -> Any:
    async def turn() -> Any:
        policy = RetryPolicy(max_retries=2, async_sleep=_no_wait)
        client = package.AsyncClient(server.root_url + API, timeout=0.75, retry_policy=policy)
        model = fake_model.client()
        agent = package.build_agent(client, model="fake", openai_client=model, store=MemoryStore())
        try:
            return await agent.respond("c1", message)
        finally:
            await client.aclose()
            await model.close()

    return asyncio.run(turn())


GET_FAULTS: list[tuple[str, tuple[Fault, ...], int, str]] = [
    ("5xx burst", (status(503), status(503)), 3, "ok"),
    ("5xx outage", (status(503),) * 3, 3, "The service answered 503 (Service Unavailable)"),
    ("429 long wait", (retry_after(300),), 1, "try again in 300 seconds"),
    ("timeouts", (hang(2.0),) * 3, 3, "did not respond in time"),
    ("reset then ok", (reset_mid_response(),), 2, "ok"),
    ("truncated JSON", (truncated_json(),), 1, "could not be read"),
    ("malformed JSON", (malformed_json(),), 1, "could not be read"),
    ("HTML page", (wrong_content_type(),), 1, "could not be read"),
]


@pytest.mark.parametrize(
    ("faults", "sent", "expected"),
    [pytest.param(f, n, e, id=name) for name, f, n, e in GET_FAULTS],
)
def test_lookup_under_faults(
    package: ModuleType,
    server: FaultServer,
    fake_model: FakeOpenAI,
    faults: tuple[Fault, ...],
    sent: int,
    expected: str,
) -> None:
    path = f"{API}/store/order/1"
    server.route("GET", path, json_response(ORDER))
    server.fail_next("GET", path, *faults)
    fake_model.add(call("get_order", orderId=1), say("Here is what I found."))

    reply = run_turn(package, server, fake_model, "Where is order 1?")

    assert reply.text == "Here is what I found."
    (result,) = fake_model.tool_results(1)
    if expected == "ok":
        assert result["status"] == "ok"
        assert result["data"]["id"] == 1
    else:
        assert result["status"] == "error"
        assert expected in result["message"]
        assert "Traceback" not in result["message"]
        assert "httpx" not in result["message"]
    assert len(server.requests("GET", path)) == sent


POST_FAULTS = [
    pytest.param((status(503),), id="503"),
    pytest.param((retry_after(1),), id="429"),
    pytest.param(
        (reset_mid_response(),),
        id="reset",
    ),
    pytest.param(
        (hang(2.0),),
        id="timeout",
    ),
]


@pytest.mark.parametrize("faults", POST_FAULTS)
def test_post_under_faults_is_sent_once_and_not_retried_blindly(
    package: ModuleType, server: FaultServer, fake_model: FakeOpenAI, faults: tuple[Fault, ...]
) -> None:
    path = f"{API}/store/order"
    server.route("POST", path, json_response(ORDER))
    server.fail_next("POST", path, *faults)
    fake_model.add(call("place_order", petId=7, quantity=2), say("Something went wrong."))

    reply = run_turn(package, server, fake_model, "Order pet 7 twice please")

    assert reply.text == "Something went wrong."
    (result,) = fake_model.tool_results(1)
    assert len(server.requests("POST", path)) == 1, result
    assert result["status"] == "error"
    # The outcome of a request that reached the server is unknown: the model must not be
    # invited to send it again (it would place a second order).
    if not any(f.status in (429, 503) and f.kind == "respond" for f in faults):
        assert "try again" not in result["message"].lower()
