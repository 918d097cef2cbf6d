"""The web chat widget in a real browser: headless Chromium (Debian's package, installed by
tests/services/install.sh) driven by Playwright.

A local Starlette app stands in for the serve step: it serves the widget file from the
runtime's package data and a page with the documented snippet, and runs every POST through the
real `WebchatChannel.verify` + `parse`; its events endpoint answers with a reply and a
confirmation. The test types a message, sees it arrive, sees the reply, clicks Yes and checks
that the click carried the token of that one action.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from specagent_runtime import Secret
from specagent_runtime._channels.base import InboundConfirmation, InboundMessage
from specagent_runtime._channels.errors import ChannelError
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._channels.webchat import (
    WebchatChannel,
    confirmation_event,
    conversation_key,
    make_token,
    reply_event,
    static_file,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECRET = Secret("webchat-signing-secret-for-the-browser-test")

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing: run tests/services/install.sh before the tests")
    pytest.skip("no /usr/bin/chromium (run tests/services/install.sh)", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


class ChatBackend:
    """The webchat endpoints as the serve step will offer them, with a log of what arrived."""

    def __init__(self) -> None:
        self.channel = WebchatChannel(SECRET)
        self.codec = ConfirmationCodec.from_secret(SECRET)
        self.received: list[InboundMessage | InboundConfirmation] = []
        self.refused: list[str] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()

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
            assert not isinstance(inbound, tuple)
            with self.lock:
                self.received.append(inbound)  # type: ignore[arg-type]
                queue = self.events.setdefault(inbound.conversation_id, [])
                if isinstance(inbound, InboundMessage):
                    queue.append(reply_event(len(queue) + 1, f"You said: {inbound.text}"))
                    prompt = self.codec.prompt(
                        inbound.conversation_id, "cancel-7", "Cancel order 7?"
                    )
                    queue.append(confirmation_event(len(queue) + 1, prompt))
                else:
                    queue.append(reply_event(len(queue) + 1, "Done: order 7 is cancelled."))
            return JSONResponse({"accepted": True}, 202)

        async def events(request: Request) -> JSONResponse:
            verified = self.channel.verify(request.headers, b"")
            key = conversation_key(request.query_params["conversation_id"], verified.identity)
            after = int(request.query_params.get("after", "0"))
            with self.lock:
                found = [e for e in self.events.get(key, []) if e["seq"] > after]
            return JSONResponse({"events": found})

        return Starlette(
            routes=[
                Route("/", page),
                Route("/webchat/widget.js", widget),
                Route("/webchat/messages", messages, methods=["POST"]),
                Route("/webchat/events", events),
            ]
        )


@pytest.fixture
def served() -> Iterator[tuple[str, ChatBackend]]:
    backend = ChatBackend()
    token = make_token(SECRET, sub="cust-70", email="ada@example.com")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        backend.app(token), log_config=None, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", backend
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_the_widget_posts_a_message_and_a_confirmation(served, tmp_path: Path) -> None:
    url, backend = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url + "/")
            page.get_by_role("button", name="Open the support chat").click()
            page.get_by_label("Your message").fill("Please cancel order 7")
            page.get_by_role("button", name="Send").click()
            page.get_by_text("You said: Please cancel order 7").wait_for(timeout=10_000)
            page.get_by_role("button", name="Yes").click()
            page.get_by_text("Done: order 7 is cancelled.").wait_for(timeout=10_000)
            page.screenshot(path=str(tmp_path / "widget.png"))
        finally:
            browser.close()
    assert errors == []
    assert backend.refused == []
    message, click = backend.received
    assert isinstance(message, InboundMessage)
    assert message.text == "Please cancel order 7"
    assert message.identity is not None and message.identity.user_id == "cust-70"
    assert isinstance(click, InboundConfirmation)
    resolved = backend.codec.resolve(click.token, click.conversation_id, ["cancel-7", "other"])
    assert resolved is not None
    assert (resolved.action_id, resolved.choice) == ("cancel-7", "yes")
    assert click.conversation_id == message.conversation_id
