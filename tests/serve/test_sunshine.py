"""Zendesk messaging (Sunshine Conversations) end to end: webhook batches with the shared
secret into `serve_app`, business messages and postback buttons posted to the mock (checked
against the Sunshine OpenAPI document), the clicked postback as the host confirmation of the
task's confirm step, the hand-off through the switchboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from specagent_runtime import Secret
from specagent_runtime._channels.config import SunshineSettings

from tests.support.fake_openai import call, say
from tests.support.helpdesks.sunshine import SunshineMock, batch, message_event, postback_event

from ._support import GatedModel, Service, build_shop_agent, close_agent, wait_until


def settings(mock: SunshineMock) -> SunshineSettings:
    return SunshineSettings(
        webhook_secret=Secret(mock.webhook_secret),
        app_id=mock.app_id,
        key_id=mock.key_id,
        key_secret=Secret(mock.key_secret),
        api_base=mock.base_url,
        integration_id="5f11a650e4e987667c2051d1",
    )


@pytest.fixture
def service(
    sunshine: SunshineMock, shop: Any, model: GatedModel, store_path: Path
) -> Iterator[Service]:
    agent = build_shop_agent(shop, model, store_path)
    served = Service.start(agent, "sunshine", settings(sunshine))
    yield served
    served.stop()
    close_agent(agent)


def hook(service: Service) -> str:
    return service.url("/webhooks/sunshine")


def messages(mock: SunshineMock, conversation: str) -> list[dict[str, Any]]:
    path = f"/v2/apps/{mock.app_id}/conversations/{conversation}/messages"
    return [r.body["content"] for r in mock.requests if r.path == path]


def say_and_wait(service: Service, mock: SunshineMock, conversation: str, text: str) -> str:
    before = len(messages(mock, conversation))
    mock.deliver(hook(service), batch(message_event(conversation, text)))
    wait_until(lambda: len(messages(mock, conversation)) > before, what=f"the answer to {text!r}")
    return str(messages(mock, conversation)[-1]["text"])


def test_a_demo_is_booked_once_by_a_postback_click(
    service: Service, sunshine: SunshineMock, model: GatedModel, shop: Any
) -> None:
    model.add(call("book_demo"))
    assert say_and_wait(service, sunshine, "s-1", "I'd like a demo").endswith("your name?")
    say_and_wait(service, sunshine, "s-1", "Grace")
    say_and_wait(service, sunshine, "s-1", "Hopper Labs")
    question = say_and_wait(service, sunshine, "s-1", "grace@hopperlabs.example")
    assert question.startswith("Book a demo for Grace (Hopper Labs)")
    actions = messages(sunshine, "s-1")[-1]["actions"]
    assert [(a["type"], a["text"]) for a in actions] == [("postback", "Yes"), ("postback", "No")]
    assert shop.count("bookings") == 0

    click = batch(postback_event("s-1", actions[0]["payload"]))
    assert sunshine.deliver(hook(service), click).status_code == 200
    wait_until(lambda: "booked" in str(messages(sunshine, "s-1")[-1].get("text")), what="booked")
    sunshine.deliver(hook(service), click)  # redelivered: nothing more
    assert shop.count("bookings") == shop.count("invites") == 1
    assert len(shop.calls("POST", "/demo-bookings")) == 1
    authors = {str(r.body["author"]) for r in sunshine.requests if r.path.endswith("/messages")}
    assert authors == {"{'type': 'business'}"}


def test_the_no_button_declines(
    service: Service, sunshine: SunshineMock, model: GatedModel, shop: Any
) -> None:
    inputs = {"name": "Grace", "company": "Hopper Labs", "email": "g@hopperlabs.example"}
    model.add(call("book_demo", inputs))
    question = say_and_wait(service, sunshine, "s-2", "Demo please: Grace, Hopper Labs")
    assert question.startswith("Book a demo")
    no = messages(sunshine, "s-2")[-1]["actions"][1]["payload"]
    sunshine.deliver(hook(service), batch(postback_event("s-2", no)))
    wait_until(lambda: len(messages(sunshine, "s-2")) == 2, what="the answer to No")
    assert shop.count("bookings") == 0


def test_a_hand_off_passes_control(
    service: Service, sunshine: SunshineMock, model: GatedModel
) -> None:
    model.add(call("handoff_to_human", reason="complaint"), say("Passing you to a colleague."))
    sunshine.deliver(hook(service), batch(message_event("s-3", "I want a person")))
    path = f"/v2/apps/{sunshine.app_id}/conversations/s-3/passControl"
    (handoff,) = wait_until(
        lambda: [r.body for r in sunshine.requests if r.path == path], what="passControl"
    )
    assert handoff["switchboardIntegration"] == "next"
    assert "complaint" in handoff["metadata"]["specagent_note"]


def test_events_of_a_conversation_a_human_controls_are_ignored(
    service: Service, sunshine: SunshineMock, model: GatedModel
) -> None:
    human = message_event("s-4", "hello", active_integration="agent-workspace-integration")
    assert sunshine.deliver(hook(service), batch(human)).json()["ignored"] == 1
    assert model.requests == []


@pytest.mark.parametrize("key", [None, "wrong-secret", "sunshine-webhook-secre"])
def test_a_missing_or_wrong_shared_secret_is_refused(
    service: Service, sunshine: SunshineMock, key: str | None
) -> None:
    body, headers = sunshine.signed(batch(message_event("s-5", "hello")))
    del headers["X-API-Key"]
    if key is not None:
        headers["X-API-Key"] = key
    response = httpx.post(hook(service), content=body, headers=headers)
    assert response.status_code == 401
    assert service.worker.feed.after() == []
