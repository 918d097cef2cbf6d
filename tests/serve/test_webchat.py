"""The web chat end to end over HTTP, as the widget speaks it: messages and clicks posted to
`serve_app`'s /webchat/messages, replies polled from /webchat/events, the identity only from
the company's signed token, the action once in the shop reference server's log. (The widget
itself, in Chromium against this same app: test_webchat_browser.py.)"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from specagent_runtime import Secret
from specagent_runtime._channels.config import WebchatSettings
from specagent_runtime._channels.webchat import make_token

from tests.support.fake_openai import call, say

from ._support import GatedModel, Service, build_shop_agent, close_agent, wait_until

SECRET = Secret("webchat-signing-secret-of-the-serve-tests")


@pytest.fixture
def service(shop: Any, model: GatedModel, store_path: Path) -> Iterator[Service]:
    agent = build_shop_agent(shop, model, store_path)
    served = Service.start(agent, "webchat", WebchatSettings(SECRET))
    yield served
    served.stop()
    close_agent(agent)


def new_id() -> str:
    return secrets.token_urlsafe(16)


class Widget:
    """The widget's two requests."""

    def __init__(self, service: Service, token: str | None) -> None:
        self.service = service
        self.conversation = new_id()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.after = 0

    def send(self, **body: Any) -> httpx.Response:
        body = {"conversation_id": self.conversation, "message_id": new_id(), **body}
        return httpx.post(self.service.url("/webchat/messages"), json=body, headers=self.headers)

    def poll(self) -> list[dict[str, Any]]:
        response = httpx.get(
            self.service.url("/webchat/events"),
            params={"conversation_id": self.conversation, "after": str(self.after)},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        if events:
            self.after = events[-1]["seq"]
        return events

    def next_event(self) -> dict[str, Any]:
        return wait_until(self.poll, what="an event for the widget")[-1]


def test_a_signed_in_customer_confirms_with_a_button(
    service: Service, model: GatedModel, shop: Any
) -> None:
    token = make_token(SECRET, sub="cust-70", email="ada@example.com")
    widget = Widget(service, token)
    model.add(call("cancel_order", order_hint="the mugs"), call("finish_step", order_id=1002))
    assert widget.send(text="Please cancel the coffee mugs").status_code == 202
    question = widget.next_event()
    assert question["type"] == "confirmation"
    assert question["text"].startswith("Cancel order 1002")
    yes = next(o for o in question["options"] if o["choice"] == "yes")
    assert shop.calls("POST", "/orders/1002/cancel") == []

    assert widget.send(confirmation=yes["token"]).status_code == 202
    outcome = widget.next_event()
    assert (outcome["type"], outcome["text"]) == ("reply", "Order 1002 is cancelled.")
    assert len(shop.calls("POST", "/orders/1002/cancel")) == 1
    # Another customer's token (or none) with the same widget id reads another conversation.
    thief = Widget(service, make_token(SECRET, sub="cust-99", email="eve@example.com"))
    thief.conversation = widget.conversation
    assert thief.poll() == []
    anonymous = Widget(service, None)
    anonymous.conversation = widget.conversation
    assert anonymous.poll() == []


def test_an_anonymous_visitor_is_answered(service: Service, model: GatedModel, shop: Any) -> None:
    widget = Widget(service, None)
    model.add(say("Happy to help with an order number and zip code."))
    widget.send(text="Where is my order?")
    assert widget.next_event()["text"] == "Happy to help with an order number and zip code."
    assert shop.calls("GET", "/customers/by-email") == []


def test_a_bad_token_is_refused_not_made_anonymous(service: Service, model: GatedModel) -> None:
    forged = make_token(Secret("somebody-elses-signing-secret"), sub="cust-70")
    expired = make_token(SECRET, sub="cust-70", lifetime=-3600)
    for token in (forged, expired, "not.a.jwt"):
        response = Widget(service, token).send(text="hello")
        assert response.status_code == 401
    assert service.worker.feed.after() == []
    assert model.requests == []


def test_malformed_messages_and_the_widget_files(service: Service) -> None:
    widget = Widget(service, None)
    assert widget.send(text="").status_code == 400
    response = widget.send(text="x", confirmation="y")
    assert response.status_code == 400
    bad_id = httpx.post(
        service.url("/webchat/messages"),
        json={"conversation_id": "short", "message_id": new_id(), "text": "hi"},
    )
    assert bad_id.json()["where"] == "$.conversation_id"
    script = httpx.get(service.url("/webchat/widget.js"))
    assert script.status_code == 200 and "SpecagentWebchat" in script.text
    assert script.headers["content-type"].startswith("text/javascript")
    # The webhook route takes the widget's messages too.
    same = httpx.post(
        service.url("/webhooks/webchat"),
        json={"conversation_id": new_id(), "message_id": new_id(), "text": ""},
    )
    assert same.status_code == 400
