"""The playground's routes without a browser: who may use them, what they refuse, what they
record, and the scripted stand-in model (tests/browser/test_playground.py drives the page)."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from specagent_runtime import ConfigurationError, MemoryStore
from specagent_runtime._serve.playground import (
    PlaygroundEvents,
    content_security_policy,
    playground_routes,
    static_file,
)
from specagent_runtime._serve.playground_model import (
    DEFAULT_MODEL,
    GREETING,
    SCRIPTED_MODEL,
    DefaultScript,
    fill,
    playground_agent,
    scripted_model_of,
)
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.support.imports import imported_from

REPO = Path(__file__).resolve().parents[3]
SHOP = REPO / "examples" / "shop"


def _server_module() -> ModuleType:
    name = "shop_reference_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SHOP / "server.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


shop_server = _server_module()
ENV = {
    "SHOP_AGENT_SUPPORT_O_AUTH_CLIENT_ID": shop_server.CLIENT_ID,
    "SHOP_AGENT_SUPPORT_O_AUTH_CLIENT_SECRET": shop_server.CLIENT_SECRET,
}


@pytest.fixture(scope="module")
def shop_package() -> Iterator[ModuleType]:
    sys.path.insert(0, str(SHOP))
    try:
        yield importlib.import_module("shop_agent")
    finally:
        sys.path.remove(str(SHOP))


@pytest.fixture
def shop() -> Iterator[Any]:
    with shop_server.ShopServer() as server:
        yield server


@pytest.fixture
async def playground(shop_package: ModuleType, shop: Any) -> AsyncIterator[Any]:
    agent = playground_agent("shop_agent", api_url=shop.base_url, env=ENV)
    events = PlaygroundEvents()
    app = Starlette(routes=[Mount("/playground", routes=playground_routes(agent, events=events))])

    def client(peer: str = "127.0.0.1", base: str = "http://127.0.0.1:8000") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(peer, 50000))
        return httpx.AsyncClient(transport=transport, base_url=base)

    yield agent, events, client
    await agent.aclose()


def _body(**values: Any) -> dict[str, Any]:
    return {"conversation_id": "pg-unit-conversation", "message_id": "message-0001", **values}


async def test_only_this_machine_may_use_it(playground: Any) -> None:
    _, _, client = playground
    async with client() as local:
        assert (await local.get("/playground/")).status_code == 200
    async with client(peer="10.1.2.3") as remote:
        assert (await remote.get("/playground/api/info")).status_code == 403
    # DNS rebinding: a loopback peer, but the page was loaded under another name.
    async with client(base="http://evil.example:8000") as rebound:
        assert (await rebound.get("/playground/api/tools")).status_code == 403


async def test_posts_must_be_json_from_its_own_origin(playground: Any, shop: Any) -> None:
    _, _, client = playground
    async with client() as local:
        form = await local.post(
            "/playground/api/message",
            content=b'{"text": "Please cancel order 1002"}',
            headers={"Content-Type": "text/plain"},
        )
        assert form.status_code == 415
        cross = await local.post(
            "/playground/api/message",
            json=_body(text="Hi", email="ada@example.com"),
            headers={"Origin": "https://evil.example"},
        )
        assert cross.status_code == 403
        for bad in (
            {**_body(text="Hi"), "conversation_id": "../../x"},
            _body(text=""),
            _body(text="Hi", email="not an email"),
            _body(text="Hi", email=["ada@example.com"]),
        ):
            assert (await local.post("/playground/api/message", json=bad)).status_code == 400
        confirm = await local.post(
            "/playground/api/confirm", json=_body(kind="other", target="x", approved=True)
        )
        assert confirm.status_code == 400
    assert [r for r in shop.requests() if r.path != "/oauth/token"] == []


async def test_a_turn_records_its_requests_and_only_its_own(playground: Any) -> None:
    agent, events, client = playground
    async with client() as local:
        await local.post("/playground/api/message", json=_body(text="Hi", email="ada@example.com"))
        answer = await local.post(
            "/playground/api/message",
            json={**_body(text="Where is my order 1003?", email="ada@example.com"),
                  "message_id": "message-0002"},
        )  # fmt: skip
    record = answer.json()
    assert record["error"] is None and record["as"] == "ada@example.com"
    (call,) = [e for e in record["entries"] if e["kind"] == "tool_call"]
    assert (call["tool"], call["arguments"], call["status"]) == (
        "get_my_order",
        {"orderId": 1003},
        "ok",
    )
    assert '"status":"shipped"' in call["result"]
    paths = [(r["method"], r["path"], r["status"]) for r in record["requests"]]
    assert ("GET", "/v1/customers/by-email/orders/1003", 200) in paths
    for request in record["requests"]:  # the query (it may carry credentials) is never kept
        assert (
            set(request) == {"kind", "method", "path", "status", "ms"}
            and "?" not in request["path"]
        )
    assert events.turns("pg-unit-conversation")[-1] == record
    # The same agent outside a playground turn (another channel): nothing recorded.
    seen = len(events.turns("pg-unit-conversation"))
    with events.recording() as requests:
        pass
    await agent.respond("other-channel", "Hi", client_key="x")
    assert requests == [] and len(events.turns("pg-unit-conversation")) == seen


async def test_the_tools_offered_follow_the_identity(playground: Any) -> None:
    _, _, client = playground
    async with client() as local:
        verified = (await local.get("/playground/api/tools?email=ada@example.com")).json()
        anonymous = (await local.get("/playground/api/tools")).json()
    names = {tool["name"] for tool in verified["tools"]}
    assert {"get_my_account", "get_my_order", "cancel_order"} <= names
    assert {tool["name"] for tool in anonymous["tools"]} == {
        "lookup_order",
        "book_demo",
        "handoff_to_human",
    }


def test_the_page_allows_only_its_own_script_and_never_writes_html() -> None:
    html = static_file().decode()
    policy = content_security_policy(html)
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+';", policy)
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert not re.search(r"\s on[a-z]+\s*=", html)  # no inline event handlers
    assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", html)


def test_playground_agent_picks_the_model(shop_package: ModuleType) -> None:
    scripted = playground_agent("shop_agent", env={})
    assert scripted.model == SCRIPTED_MODEL and scripted_model_of(scripted) is not None
    real = playground_agent("shop_agent", env={"OPENAI_API_KEY": "sk-test"})
    assert real.model == DEFAULT_MODEL and scripted_model_of(real) is None
    chosen = playground_agent(
        "shop_agent", env={"OPENAI_API_KEY": "sk-test", "SPECAGENT_MODEL": "gpt-x"}
    )
    assert chosen.model == "gpt-x"
    assert playground_agent("shop_agent", model="m", env={"OPENAI_API_KEY": "k"}).model == "m"
    assert isinstance(scripted.store, MemoryStore)
    with pytest.raises(ConfigurationError, match="not an importable generated package"):
        playground_agent("no_such_package_here")


def _tools(**schemas: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"name": name, "description": "", "parameters": s} for name, s in schemas.items()}


def test_the_default_script() -> None:
    script = DefaultScript(read_only={"get_order"})
    offered = _tools(
        get_order={"properties": {"id": {"type": "integer"}}, "required": ["id"]},
        cancel_order={"properties": {"hint": {"type": "string"}}, "required": ["hint"]},
        handoff_to_human={"properties": {"reason": {"type": "string"}}, "required": ["reason"]},
    )
    hello = [{"role": "system", "content": "x"}, {"role": "user", "content": "hello"}]
    assert script.answer(hello, offered).text.startswith(GREETING)
    asked = [
        *hello,
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": "cancel order 7"},
    ]
    assert script.answer(asked, offered).calls == (("get_order", {"id": 7}),)
    looked = [
        *asked,
        {"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "get_order"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"id": 7}'},
    ]
    assert script.answer(looked, offered).calls == (("cancel_order", {"hint": "cancel order 7"}),)
    confirmed = [
        *looked,
        {
            "role": "assistant",
            "tool_calls": [{"id": "confirmed_a1", "function": {"name": "cancel_order"}}],
        },
        {"role": "tool", "tool_call_id": "confirmed_a1", "content": "<b>done</b>"},
    ]
    assert script.answer(confirmed, offered).text == "Done: cancel_order answered <b>done</b>"
    person = [
        *hello,
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": "a human please"},
    ]
    assert script.answer(person, offered).calls[0][0] == "handoff_to_human"
    step = [
        {"role": "system", "content": "data"},
        {"role": "user", "content": 'Of their 5 orders, find the one they mean by "order 1002"'},
    ]
    finish = _tools(
        finish_step={"properties": {"order_id": {"type": "integer"}}, "required": ["order_id"]}
    )
    assert script.answer(step, finish).calls == (("finish_step", {"order_id": 1002}),)


def test_fill_takes_arguments_from_the_message() -> None:
    schema = {
        "properties": {
            "orderId": {"type": "integer"},
            "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
            "email": {"type": "string", "format": "email"},
            "reason": {"type": "string", "enum": ["damaged", "late"]},
        },
        "required": ["orderId", "zip"],
    }
    text = "Order 1003 arrived late, zip 10115."
    assert fill(schema, text) == {"orderId": 1003, "zip": "10115"}
    assert fill(schema, text, required_only=False) == {
        "orderId": 1003,
        "zip": "10115",
        "reason": "late",
    }
    assert fill(schema, "order 1003") is None  # no zip code: the tool does not fit


@pytest.fixture(scope="module")
def petstore_package() -> Iterator[ModuleType]:
    # Other tests import a petstore_agent of their own (a freshly generated one): no committed
    # copy is left behind in sys.modules to shadow it.
    with imported_from(REPO / "examples" / "petstore", "petstore_agent") as module:
        yield module


async def test_a_tool_proposal_is_declined_then_confirmed(petstore_package: ModuleType) -> None:
    """Tool proposals (not tasks): Decline is the customer's no, Confirm is `Agent.confirm`;
    the DELETE reaches the petstore once, after the Confirm only."""
    from tests.support.petstore_server import PetstoreServer  # noqa: PLC0415

    with PetstoreServer() as petstore:
        form = {
            "grant_type": "client_credentials",
            "client_id": petstore.client_id,
            "client_secret": petstore.client_secret,
            "scope": "read:pets write:pets",
        }
        async with httpx.AsyncClient() as http:
            token = (await http.post(petstore.token_url, data=form)).json()["access_token"]
        env = {
            "PETSTORE_AGENT_API_KEY": petstore.api_key,
            "PETSTORE_AGENT_PETSTORE_AUTH_TOKEN": token,
        }
        agent = playground_agent("petstore_agent", api_url=petstore.base_url, env=env)
        app = Starlette(routes=[Mount("/playground", routes=playground_routes(agent))])
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        ids = iter(f"message-{n:04d}" for n in range(100))

        async def post(path: str, **values: Any) -> dict[str, Any]:
            body = {**_body(**values), "message_id": next(ids), "email": None}
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
                answer = await c.post(f"/playground/api/{path}", json=body)
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        def proposal(record: dict[str, Any]) -> dict[str, Any]:
            (found,) = [e for e in record["entries"] if e["kind"] == "confirmation"]
            assert (found["confirm"], found["tool"]) == ("tool", "delete_pet"), record
            return found

        try:
            await post("message", text="Hello")
            asked = proposal(await post("message", text="Please delete pet 1"))
            declined = await post("confirm", kind="tool", target=asked["target"], approved=False)
            assert declined["action"] == "decline" and declined["error"] is None
            assert petstore.requests("/pet", "DELETE") == []
            asked = proposal(await post("message", text="Please delete pet 1 after all"))
            done = await post("confirm", kind="tool", target=asked["target"], approved=True)
            assert [e["kind"] for e in done["entries"]][:1] == ["executed"], done
            again = await post("confirm", kind="tool", target=asked["target"], approved=True)
            assert again["error"].startswith("ConfirmationNotFound"), again
        finally:
            await agent.aclose()
        deletes = petstore.requests("/pet", "DELETE")
        assert [(r.path, r.status) for r in deletes] == [("/pet/1", 200)]
