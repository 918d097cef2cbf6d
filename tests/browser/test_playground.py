"""The playground in a real browser: headless Chromium (Debian's package) driven by Playwright.

A test-local Starlette app mounts `playground_routes` at /playground, over the shop agent built
by `playground_agent` with no OPENAI_API_KEY, so the model is the playground's own scripted
stand-in, and the company API is the shop's reference server. The browser types as the
customer, reads the side panel (tool calls, API requests, task steps), clicks Confirm, and
every "it happened once" is read from the reference server's request log.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import Agent
from specagent_runtime._serve.playground import PlaygroundEvents, playground_routes
from specagent_runtime._serve.playground_model import (
    SCRIPTED_MODEL,
    ScriptedChat,
    playground_agent,
    scripted_model_of,
)
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.browser.conftest import SHOP_ENV, serving

# Put into the customer's name at the reference server: it comes back in API responses and
# must reach the page as text, never as an element or a script (no double quotes: JSON would
# escape them in the tool result the model quotes).
HOSTILE = "<img src=x onerror=window.__pwned=1;document.title='pwned'>"


class Served:
    def __init__(self, url: str, agent: Agent, events: PlaygroundEvents, shop: Any) -> None:
        self.url = url
        self.agent = agent
        self.events = events
        self.shop = shop

    @property
    def model(self) -> ScriptedChat:
        model = scripted_model_of(self.agent)
        assert model is not None
        return model


@pytest.fixture
def served(shop_package: ModuleType, shop: Any) -> Iterator[Served]:
    # No OPENAI_API_KEY in this env: the scripted stand-in, whatever the developer's shell has.
    agent = playground_agent("shop_agent", api_url=shop.base_url, env=SHOP_ENV)
    events = PlaygroundEvents()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await agent.aclose()  # on the server's loop, where its connections live

    app = Starlette(
        routes=[Mount("/playground", routes=playground_routes(agent, events=events))],
        lifespan=lifespan,
    )
    with serving(app) as url:
        yield Served(url, agent, events, shop)


@pytest.fixture
def errors() -> list[str]:
    """The page's uncaught script errors (none expected)."""
    return []


@pytest.fixture
def page(chromium: Any, errors: list[str]) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def send(page: Any, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def turn(page: Any, number: int) -> Any:
    """The side panel's card of one turn, once it is there."""
    card = page.locator("#turns > li.turn").nth(number - 1)
    card.wait_for(timeout=15_000)
    return card


def test_a_conversation_with_a_confirmation(
    served: Served, page: Any, errors: list[str], screenshots: Path
) -> None:
    shop = served.shop
    with shop._shop.lock:  # the reference server's data: the customer's name is hostile text
        shop._shop.db.execute("update customers set name = ? where id = 1", (HOSTILE,))
        shop._shop.db.commit()
    page.goto(served.url + "/playground/")
    page.get_by_text("scripted model (no OPENAI_API_KEY)").wait_for()
    tools = page.locator("#tools")
    tools.get_by_text("get_my_account", exact=True).wait_for()

    send(page, "Hi")
    page.locator(".bubble.agent").get_by_text("scripted stand-in", exact=False).wait_for()

    # A read tool: the model calls it, the API answers, the page shows both.
    send(page, "Please cancel order 1002")
    card = turn(page, 2)
    call = card.locator("[data-kind=tool_call]").filter(has_text="get_my_order")
    call.wait_for()
    assert json.loads(call.locator("pre.arguments").text_content()) == {"orderId": 1002}
    assert any(
        text.startswith("GET /v1/customers/by-email/orders/1002 → 200")
        for text in card.locator("[data-kind=api_request]").all_text_contents()
    )
    # The task's steps, and its confirmation with the buttons.
    steps = card.locator("[data-kind=task_step]").all_text_contents()
    assert any("instruct" in step for step in steps)
    assert any("confirm" in step and "Cancel order 1002" in step for step in steps)
    proposal = card.locator("[data-kind=confirmation]")
    assert "Cancel order 1002" in proposal.text_content()
    assert shop.calls("POST", "/orders/1002/cancel") == []  # asked, not done

    proposal.get_by_role("button", name="Confirm").click()
    page.locator(".bubble.agent").get_by_text("Order 1002 is cancelled.").wait_for()
    done = turn(page, 3)
    assert any(
        re.fullmatch(r"POST /v1/orders/1002/cancel → 200 \(.* ms\)", text)
        for text in done.locator("[data-kind=api_request]").all_text_contents()
    )
    assert proposal.get_by_role("button", name="Confirm").is_disabled()

    # Confirm it again, as a replayed click would (the button itself is disabled now).
    (conversation,) = served.events.conversations()
    asked = served.events.turns(conversation)[1]["entries"]
    run = next(entry["target"] for entry in asked if entry["kind"] == "confirmation")
    for message_id in ("replayed-click-1", "replayed-click-1", "replayed-click-2"):
        status, record = page.evaluate(
            """async ([body]) => {
                const response = await fetch('api/confirm', {method: 'POST',
                  headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
                return [response.status, await response.json()];
            }""",
            [
                {
                    "conversation_id": conversation,
                    "message_id": message_id,
                    "kind": "task",
                    "target": run,
                    "approved": True,
                    "email": "ada@example.com",
                }
            ],
        )
        assert status == 200 and record["error"].startswith("TaskError"), record
    cancels = shop.calls("POST", "/orders/1002/cancel")
    assert len(cancels) == 1 and cancels[0].status == 200
    assert shop.order_status(1002) == "cancelled"

    # API text reaches the page as text: the hostile name, in the tool result and the reply.
    send(page, "What does my account say?")
    card = turn(page, 4)
    card.locator("[data-kind=tool_call]").filter(has_text="get_my_account").wait_for()
    page.locator(".bubble.agent").filter(has_text=HOSTILE).wait_for()
    assert HOSTILE in card.locator("pre.result").first.text_content()
    assert page.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert page.title() == "specagent playground"

    path = screenshots / "playground.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"playground screenshot: {path}")
    assert path.stat().st_size > 10_000
    assert errors == []


def test_anonymous_visitors_are_not_offered_bound_tools(
    served: Served, page: Any, errors: list[str]
) -> None:
    page.goto(served.url + "/playground/")
    tools = page.locator("#tools")
    tools.get_by_text("get_my_account", exact=True).wait_for()

    page.get_by_label("Anonymous visitor").check()
    tools.get_by_text("lookup_order", exact=True).wait_for()
    page.wait_for_function(
        "!document.querySelector('#tools').textContent.includes('get_my_account')"
    )
    offered = tools.locator("li").all_text_contents()
    assert "get_my_account" not in offered and "get_my_order" not in offered
    assert "cancel_order" not in offered  # a task for verified customers only

    send(page, "Hello")
    turn(page, 1)
    send(page, "Where is order 1003? My zip code is 10115.")
    card = turn(page, 2)
    assert "as anonymous" in card.locator(".head").text_content()
    call = card.locator("[data-kind=tool_call]").filter(has_text="lookup_order")
    assert json.loads(call.locator("pre.arguments").text_content()) == {
        "orderId": 1003,
        "zip": "10115",
    }
    assert any(
        text.startswith("GET /v1/orders/1003 → 200")
        for text in card.locator("[data-kind=api_request]").all_text_contents()
    )
    # What the model was really offered in those turns, and what reached the API.
    for offered_names in served.model.requests:
        assert "get_my_account" not in offered_names and "get_my_order" not in offered_names
    assert served.shop.calls("GET", "/customers/by-email") == []
    assert served.agent.model == SCRIPTED_MODEL
    assert errors == []
