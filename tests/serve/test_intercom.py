"""Intercom end to end: signed webhooks from the mock into `serve_app` on uvicorn, the shop
agent answering through the scripted model, replies, quick replies and the hand-off posted to
the mock (every request checked against Intercom's OpenAPI document), actions read from the
shop reference server's log."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from specagent_runtime import Secret
from specagent_runtime._channels.config import IntercomSettings

from tests.support.fake_openai import call, say
from tests.support.helpdesks.intercom import IntercomMock, contact, part
from tests.support.helpdesks.intercom import sign as sign_with

from ._support import GatedModel, Service, build_shop_agent, close_agent, wait_until


def settings(mock: IntercomMock, **kw: Any) -> IntercomSettings:
    return IntercomSettings(
        client_secret=Secret(mock.client_secret),
        access_token=Secret(mock.access_token),
        admin_id=mock.admin_id,
        api_base=mock.base_url,
        identity_verification=True,
        **kw,
    )


@pytest.fixture
def service(
    intercom: IntercomMock, shop: Any, model: GatedModel, store_path: Path
) -> Iterator[Service]:
    agent = build_shop_agent(shop, model, store_path)
    served = Service.start(agent, "intercom", settings(intercom, team_id="5017691"))
    yield served
    served.stop()
    close_agent(agent)


def posted(mock: IntercomMock, conversation: str, message_type: str | None = None) -> list[Any]:
    """The bot's replies in `conversation` (of one message type)."""
    return [
        r.body
        for r in mock.requests
        if r.path == f"/conversations/{conversation}/reply"
        and (message_type is None or r.body.get("message_type") == message_type)
    ]


def sign(mock: IntercomMock, body: bytes) -> str:
    return sign_with(mock.client_secret, body)


def hook(service: Service) -> str:
    return service.url("/webhooks/intercom")


def test_a_message_is_answered_through_the_api(
    service: Service, intercom: IntercomMock, model: GatedModel
) -> None:
    model.add(say("You are on the Plus plan."))
    response = intercom.deliver(hook(service), intercom.user_created("c-1", "Which plan am I on?"))
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicate": 0, "ignored": 0}
    (reply,) = wait_until(lambda: posted(intercom, "c-1"), what="the reply")
    assert reply["type"] == "admin" and reply["admin_id"] == intercom.admin_id
    assert reply["body"] == "<p>You are on the Plus plan.</p>"
    # The model saw the verified customer's account as context (identity verification on).
    context = json.dumps(model.requests[0]["messages"]).replace(" ", "")
    assert '\\"plan\\":\\"plus\\"' in context
    headers = next(r.headers for r in intercom.requests if r.path.endswith("/reply"))
    assert headers["authorization"] == f"Bearer {intercom.access_token}"


def test_a_clicked_quick_reply_confirms_the_cancellation_once(
    service: Service, intercom: IntercomMock, model: GatedModel, shop: Any
) -> None:
    model.add(call("cancel_order", order_hint="the mugs"), call("finish_step", order_id=1002))
    intercom.deliver(hook(service), intercom.user_created("c-2", "Please cancel the coffee mugs"))
    (options,) = wait_until(lambda: posted(intercom, "c-2", "quick_reply"), what="quick replies")
    (question,) = posted(intercom, "c-2", "comment")
    assert "Cancel order 1002" in question["body"]
    labels = [option["text"] for option in options["reply_options"]]
    assert labels == ["Yes", "No"]
    assert shop.calls("POST", "/orders/1002/cancel") == []  # asked, not done

    yes = options["reply_options"][0]["uuid"]
    click = part(contact(), "Yes", part_type="quick_reply", metadata={"quick_reply_uuid": yes})
    payload = intercom.user_replied("c-2", [click])
    assert intercom.deliver(hook(service), payload).status_code == 200
    wait_until(lambda: len(posted(intercom, "c-2", "comment")) == 2, what="the outcome")
    assert posted(intercom, "c-2", "comment")[-1]["body"] == "<p>Order 1002 is cancelled.</p>"
    # The same click delivered again (Intercom retries): nothing more happens.
    assert intercom.deliver(hook(service), payload).json()["duplicate"] == 1
    assert len(shop.calls("POST", "/orders/1002/cancel")) == 1
    assert shop.order_status(1002) == "cancelled"


def test_a_forged_click_confirms_nothing(
    service: Service, intercom: IntercomMock, model: GatedModel, shop: Any
) -> None:
    model.add(call("cancel_order", order_hint="the mugs"), call("finish_step", order_id=1002))
    intercom.deliver(hook(service), intercom.user_created("c-3", "Cancel the mugs"))
    wait_until(lambda: posted(intercom, "c-3", "quick_reply"), what="quick replies")
    forged = "1b4e28ba-2fa1-8ed2-a883-0e02b2c3d479"
    click = part(contact(), "Yes", part_type="quick_reply", metadata={"quick_reply_uuid": forged})
    intercom.deliver(hook(service), intercom.user_replied("c-3", [click]))
    wait_until(lambda: len(posted(intercom, "c-3", "comment")) == 2, what="the refusal")
    assert "no longer open" in posted(intercom, "c-3", "comment")[-1]["body"]
    assert shop.calls("POST", "/orders/1002/cancel") == []


def test_a_hand_off_assigns_the_team_with_a_note(
    service: Service, intercom: IntercomMock, model: GatedModel
) -> None:
    model.add(call("handoff_to_human", reason="asks for a person"), say("A colleague will help."))
    intercom.deliver(hook(service), intercom.user_created("c-4", "I want to talk to a human"))
    (assignment,) = wait_until(
        lambda: [r.body for r in intercom.requests if r.path == "/conversations/c-4/parts"],
        what="the assignment",
    )
    assert assignment["message_type"] == "assignment"
    assert assignment["assignee_id"] == "5017691"
    (note,) = posted(intercom, "c-4", "note")
    assert "asks for a person" in note["body"]


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({}, "missing"),
        ({"X-Hub-Signature": "sha1=" + "0" * 40}, "mismatch"),
        ({"X-Hub-Signature": "sha256=abc"}, "malformed"),
    ],
)
def test_a_bad_or_missing_signature_is_refused_and_nothing_stored(
    service: Service, intercom: IntercomMock, model: GatedModel, headers: Any, problem: str
) -> None:
    body, _ = intercom.signed(intercom.user_created("c-5", "hello"))
    response = httpx.post(hook(service), content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["problem"] == problem
    assert service.worker.feed.after() == []
    assert model.requests == []


def test_the_url_check_is_answered(service: Service) -> None:
    assert httpx.head(hook(service)).status_code == 200  # Intercom's check when it is saved


def test_a_webhook_signed_with_another_secret_is_refused(
    service: Service, intercom: IntercomMock
) -> None:
    other = IntercomMock(client_secret="somebody-elses-secret")
    response = other.deliver(hook(service), intercom.user_created("c-6", "hello"))
    assert response.status_code == 401
    assert service.worker.feed.after() == []


def test_malformed_unknown_and_the_bots_own_parts(
    service: Service, intercom: IntercomMock, caplog: pytest.LogCaptureFixture
) -> None:
    payload = intercom.user_created("c-7", "hello")
    del payload["data"]["item"]["id"]
    body = json.dumps(payload).encode()
    with caplog.at_level("WARNING", logger="specagent_runtime.serve"):
        response = httpx.post(
            hook(service), content=body, headers={"X-Hub-Signature": sign(intercom, body)}
        )
    assert response.status_code == 400
    assert response.json()["where"] == "$.data.item.id"
    assert "malformed payload at $.data.item.id" in caplog.text
    ping = {"type": "notification_event", "topic": "ping", "id": "n1", "data": {"item": {}}}
    assert intercom.deliver(hook(service), ping).json() == {
        "accepted": 0,
        "duplicate": 0,
        "ignored": 1,
    }
    admin = {"type": "admin", "id": "1", "name": "Bot", "email": "b@example.com"}
    own = intercom.user_replied("c-7", [part(admin, "<p>hi</p>")])
    assert intercom.deliver(hook(service), own).json()["ignored"] == 1
    assert service.worker.feed.after() == []


def test_duplicate_and_concurrent_deliveries_give_one_reply(
    service: Service, intercom: IntercomMock, model: GatedModel
) -> None:
    model.add(say("One answer."))
    payload = intercom.user_created("c-8", "Where is my order?")
    body, headers = intercom.signed(payload)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(
                lambda _: httpx.post(hook(service), content=body, headers=headers).json(), range(8)
            )
        )
    assert sum(s["accepted"] for s in statuses) == 1
    assert sum(s["duplicate"] for s in statuses) == 7
    wait_until(lambda: posted(intercom, "c-8"), what="the reply")
    # Redelivered later with a new notification id: the same message, still one reply.
    again = dict(payload, id="notif_redelivered")
    assert intercom.deliver(hook(service), again).json()["duplicate"] == 1
    service_idle(service)
    assert len(posted(intercom, "c-8")) == 1
    assert len(model.requests) == 1


def test_the_helpdesk_api_down_is_retried_then_the_reply_arrives_once(
    service: Service, intercom: IntercomMock, model: GatedModel
) -> None:
    model.add(say("Here you go."))
    intercom.fail_next(503, times=4)  # the client's 3 tries, and the worker's first attempt
    intercom.deliver(hook(service), intercom.user_created("c-9", "hi"))
    wait_until(
        lambda: [r for r in intercom.requests if r.path == "/conversations/c-9/reply"][4:],
        what="the fifth try",
    )
    service_idle(service)
    answered = [r for r in intercom.requests if r.path == "/conversations/c-9/reply" and r.body]
    assert len(answered) == 5  # four refused, one posted
    assert len(model.requests) == 1  # the reply was made once and re-posted, not re-made
    kinds = [record["kind"] for record in service.worker.feed.after()]
    assert kinds == ["accepted", "retry", "reply"]


def service_idle(service: Service) -> None:
    wait_until(lambda: not service.worker._queued, what="the worker to finish")


def test_a_helpdesk_that_stays_down_is_given_up_on_and_the_worker_goes_on(
    service: Service, intercom: IntercomMock, model: GatedModel, caplog: pytest.LogCaptureFixture
) -> None:
    service.worker.max_attempts = 2
    model.add(say("Lost to the outage."), say("Answered after it."))
    intercom.fail_next(503, times=6)  # two attempts of three tries each
    with caplog.at_level("WARNING", logger="specagent_runtime.serve"):
        intercom.deliver(hook(service), intercom.user_created("c-10", "first"))
        wait_until(
            lambda: any(r["kind"] == "failed" for r in service.worker.feed.after()),
            what="the event to be given up",
        )
        intercom.deliver(hook(service), intercom.user_created("c-11", "second"))
        (reply,) = wait_until(lambda: posted(intercom, "c-11"), what="the next reply")
    assert reply["body"] == "<p>Answered after it.</p>"
    assert "giving up after 2 attempts" in caplog.text
    assert intercom.access_token not in caplog.text and intercom.client_secret not in caplog.text
    tries = [r for r in intercom.requests if r.path == "/conversations/c-10/reply"]
    assert len(tries) == 6  # bounded: no loop


def test_a_lead_is_anonymous_whatever_email_it_gives(
    service: Service, intercom: IntercomMock, model: GatedModel, shop: Any
) -> None:
    model.add(say("Sign in and I can look at your account."))
    lead = contact("lead", contact_id="lead-1", external_id=None, email="ada@example.com")
    intercom.deliver(hook(service), intercom.user_created("c-12", "What's my plan?", lead))
    wait_until(lambda: posted(intercom, "c-12"), what="the reply")
    assert shop.calls("GET", "/customers/by-email") == []
    offered = {tool["function"]["name"] for tool in model.requests[0]["tools"]}
    assert "cancel_order" not in offered
