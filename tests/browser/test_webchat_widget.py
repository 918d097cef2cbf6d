"""The web chat widget in a real browser, in front of the real agent: headless Chromium
(Debian's package, installed by tests/services/install.sh) driven by Playwright.

A test-local Starlette app stands in for the serve step (`serve_app` is tested on its own): it
serves the widget file from the runtime's package data and a page with the documented snippet,
runs every POST through the real `WebchatChannel.verify` + `parse`, hands messages to the shop
agent (`Agent.respond`) and button clicks, resolved by `ConfirmationCodec`, to
`Agent.confirm_task`; its events endpoint answers what the agent said. The model is scripted,
the company API is the shop's reference server. The browser types a message, clicks Yes, and
the cancellation must reach the API exactly once, also when the click is replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import (
    Agent,
    ClientCredentials,
    ConfirmationRequested,
    MemoryStore,
    Secret,
    SpecagentError,
    TaskWaiting,
)
from specagent_runtime._channels.base import InboundConfirmation, InboundMessage
from specagent_runtime._channels.errors import ChannelError
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._channels.webchat import (
    WebchatChannel,
    confirmation_event,
    conversation_key,
    handoff_event,
    make_token,
    reply_event,
    static_file,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.browser.conftest import serving, shop_server
from tests.support.fake_openai import FakeOpenAI, call

SECRET = Secret("webchat-signing-secret-for-the-browser-test")
MODEL = "webchat-test-model"


class ChatBackend:
    """The webchat endpoints as the serve step offers them, over the agent, with a log of
    what arrived."""

    def __init__(self, agent: Agent, *closing: Any) -> None:
        self.agent = agent
        self.closing = closing  # clients to close on the server's loop, where they ran
        self.channel = WebchatChannel(SECRET)
        self.codec = ConfirmationCodec.from_secret(SECRET)
        self.received: list[InboundMessage | InboundConfirmation] = []
        self.refused: list[str] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        # conversation -> the actions its buttons stand for ("task:<run>", "tool:<action>")
        self.offered: dict[str, list[str]] = {}
        self.lock = asyncio.Lock()

    def app(self, token: str) -> Starlette:
        async def page(request: Request) -> HTMLResponse:
            return HTMLResponse(
                "<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>"
                f'<script src="/webchat/widget.js" data-endpoint="" data-title="Shop support"'
                f' data-token="{token}" defer></script></body></html>'
            )

        async def widget(request: Request) -> Response:
            return Response(static_file("widget.js"), media_type="text/javascript")

        async def messages(request: Request) -> JSONResponse:
            try:
                verified = self.channel.verify(request.headers, await request.body())
                (inbound,) = self.channel.parse(verified)
            except ChannelError as exc:
                self.refused.append(str(exc))
                return JSONResponse({"error": str(exc)}, 400)
            assert isinstance(inbound, InboundMessage | InboundConfirmation)
            self.received.append(inbound)
            async with self.lock:  # one turn at a time, as the serve step's inbox does
                try:
                    await self.handle(inbound)
                except SpecagentError as exc:
                    self.refused.append(f"{type(exc).__name__}: {exc}")
                    return JSONResponse({"error": type(exc).__name__}, 409)
            return JSONResponse({"accepted": True}, 202)

        async def events(request: Request) -> JSONResponse:
            verified = self.channel.verify(request.headers, b"")
            key = conversation_key(request.query_params["conversation_id"], verified.identity)
            after = int(request.query_params.get("after", "0"))
            found = [e for e in self.events.get(key, []) if e["seq"] > after]
            return JSONResponse({"events": found})

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            yield
            await self.agent.aclose()
            for client in self.closing:
                await client.aclose() if hasattr(client, "aclose") else await client.close()

        return Starlette(
            routes=[
                Route("/", page),
                Route("/webchat/widget.js", widget),
                Route("/webchat/messages", messages, methods=["POST"]),
                Route("/webchat/events", events),
            ],
            lifespan=lifespan,
        )

    async def handle(self, inbound: InboundMessage | InboundConfirmation) -> None:
        conversation = inbound.conversation_id
        if isinstance(inbound, InboundMessage):
            reply = await self.agent.respond(
                conversation,
                inbound.text,
                identity=inbound.identity,
                message_id=inbound.message_id,
                client_key="webchat-test",
            )
        else:
            resolved = self.codec.resolve(
                inbound.token, conversation, self.offered.get(conversation, [])
            )
            if resolved is None:
                self.refused.append("a token for no offered action")
                return
            kind, _, target = resolved.action_id.partition(":")
            yes = resolved.choice == "yes"
            if kind == "task":
                reply = await self.agent.confirm_task(
                    conversation, target, yes, identity=inbound.identity,
                    message_id=inbound.message_id,
                )  # fmt: skip
            elif yes:
                reply = await self.agent.confirm(
                    conversation, target, identity=inbound.identity, message_id=inbound.message_id
                )
            else:
                reply = await self.agent.respond(
                    conversation, "No", identity=inbound.identity, message_id=inbound.message_id
                )
        queue = self.events.setdefault(conversation, [])
        asks = [
            f"task:{e.run_id}"
            for e in reply.events
            if isinstance(e, TaskWaiting) and e.waiting_for == "confirmation"
        ] + [f"tool:{e.action_id}" for e in reply.events if isinstance(e, ConfirmationRequested)]
        if asks:
            self.offered.setdefault(conversation, []).extend(asks)
            prompt = self.codec.prompt(conversation, asks[-1], reply.text)
            queue.append(confirmation_event(len(queue) + 1, prompt))
        elif reply.text:
            queue.append(reply_event(len(queue) + 1, reply.text))
        if reply.handed_off:
            queue.append(handoff_event(len(queue) + 1, None))


@pytest.fixture
def served(shop_package: ModuleType, shop: Any) -> Iterator[tuple[str, ChatBackend, FakeOpenAI]]:
    with FakeOpenAI() as fake:
        credentials = ClientCredentials(shop_server.CLIENT_ID, shop_server.CLIENT_SECRET)
        client = shop_package.AsyncClient(shop.base_url, credentials={"supportOAuth": credentials})
        model = fake.client()
        agent: Agent = shop_package.build_agent(
            client, model=MODEL, openai_client=model, store=MemoryStore()
        )
        backend = ChatBackend(agent, client, model)
        token = make_token(SECRET, sub="cust-70", email="ada@example.com")
        with serving(backend.app(token)) as url:
            yield url, backend, fake


def test_the_widget_confirms_an_action_once(
    served: tuple[str, ChatBackend, FakeOpenAI], shop: Any, chromium: Any, screenshots: Path
) -> None:
    url, backend, fake = served
    fake.add(
        call("cancel_order", order_hint="order 1002"),
        call("finish_step", order_id=1002),
    )
    page = chromium.new_page()
    errors: list[str] = []
    posted: list[dict[str, Any]] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            posted.append(request.post_data_json)
            if request.method == "POST" and request.url.endswith("/webchat/messages")
            else None
        ),
    )
    try:
        page.goto(url + "/")
        page.get_by_role("button", name="Open the support chat").click()
        page.get_by_label("Your message").fill("Please cancel order 1002")
        page.get_by_role("button", name="Send").click()
        page.get_by_text("Cancel order 1002 from 2026-11-20 (38.5 EUR)?").wait_for(timeout=15_000)
        assert shop.calls("POST", "/orders/1002/cancel") == []  # asked, not done
        page.get_by_role("button", name="Yes").click()
        page.get_by_text("Order 1002 is cancelled.").wait_for(timeout=15_000)
        assert page.get_by_role("button", name="Yes").is_disabled()
        page.screenshot(path=str(screenshots / "webchat-widget.png"))

        # The click again, as a replayed request: the token still names the action, the run
        # is finished, nothing more reaches the API.
        click = posted[-1]
        assert set(click) == {"conversation_id", "message_id", "confirmation"}
        for message_id in (click["message_id"], "a-new-message-id-for-the-replay"):
            status = page.evaluate(
                """async ([body, token]) => (await fetch('/webchat/messages', {method: 'POST',
                    headers: {'Content-Type': 'application/json',
                              'Authorization': 'Bearer ' + token},
                    body: JSON.stringify(body)})).status""",
                [{**click, "message_id": message_id}, make_token(SECRET, sub="cust-70",
                                                                email="ada@example.com")],
            )  # fmt: skip
            assert status in (202, 409)
    finally:
        page.close()
    assert errors == []
    cancels = shop.calls("POST", "/orders/1002/cancel")
    assert len(cancels) == 1 and cancels[0].status == 200
    assert shop.order_status(1002) == "cancelled"
    message, click_in = backend.received[:2]
    assert isinstance(message, InboundMessage)
    assert message.text == "Please cancel order 1002"
    assert message.identity is not None and message.identity.user_id == "cust-70"
    assert isinstance(click_in, InboundConfirmation)
    assert click_in.conversation_id == message.conversation_id
    assert len(fake.requests) == 2  # the task tool, its instruction step; the click no model
    # The replay with a new id reached the agent and was refused there (the run is done).
    assert [r for r in backend.refused if r.startswith("TaskError")], backend.refused
