"""Zendesk Support end to end: signed event webhooks (timestamp + body) into `serve_app`, the
identity from the author's verified email identity, public comments by the bot user, the
confirmation answered in words (the strict consent rule), the hand-off by group, tag and
internal note."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from specagent_runtime import Secret
from specagent_runtime._channels.config import ZendeskSettings

from tests.support.fake_openai import call, say
from tests.support.helpdesks.zendesk import ZendeskMock, comment_added, iso_now

from ._support import GatedModel, Service, build_shop_agent, close_agent, wait_until

ADA = "20978392"


def settings(mock: ZendeskMock) -> ZendeskSettings:
    return ZendeskSettings(
        webhook_secret=Secret(mock.signing_secret),
        api_base=mock.base_url,
        email=mock.email,
        api_token=Secret(mock.api_token),
        bot_user_id="900",
        handoff_group_id="360001",
    )


@pytest.fixture
def service(
    zendesk: ZendeskMock, shop: Any, model: GatedModel, store_path: Path
) -> Iterator[Service]:
    agent = build_shop_agent(shop, model, store_path)
    served = Service.start(agent, "zendesk", settings(zendesk))
    yield served
    served.stop()
    close_agent(agent)


def hook(service: Service) -> str:
    return service.url("/webhooks/zendesk")


def comments(mock: ZendeskMock, ticket: str, *, public: bool = True) -> list[dict[str, Any]]:
    return [
        r.body["ticket"]
        for r in mock.requests
        if r.method == "PUT"
        and r.path == f"/api/v2/tickets/{ticket}"
        and r.body["ticket"].get("comment", {}).get("public") is public
    ]


def test_a_verified_requester_cancels_by_answering_yes(
    service: Service, zendesk: ZendeskMock, model: GatedModel, shop: Any
) -> None:
    zendesk.add_identity(ADA, "ada@example.com", verified=True)
    model.add(call("cancel_order", order_hint="the mugs"), call("finish_step", order_id=1002))
    first = comment_added("41", "Please cancel my coffee mugs", author_id=ADA)
    assert zendesk.deliver(hook(service), first).status_code == 200
    (question,) = wait_until(lambda: comments(zendesk, "41"), what="the question")
    text = question["comment"]["body"]
    assert text.startswith("Cancel order 1002")
    assert text.endswith('Please reply "yes" to go ahead, or "no" to cancel.')
    assert question["comment"]["author_id"] == 900
    assert shop.calls("POST", "/orders/1002/cancel") == []

    answer = comment_added("41", "Yes, please.", author_id=ADA)
    zendesk.deliver(hook(service), answer)
    wait_until(lambda: len(comments(zendesk, "41")) == 2, what="the outcome")
    assert comments(zendesk, "41")[-1]["comment"]["body"] == "Order 1002 is cancelled."
    zendesk.deliver(hook(service), answer)  # redelivered: nothing more
    assert len(shop.calls("POST", "/orders/1002/cancel")) == 1
    # The identity came from Zendesk's verified identities, asked once per message.
    lookups = [r for r in zendesk.requests if r.path == f"/api/v2/users/{ADA}/identities"]
    assert len(lookups) == 2


def test_an_unverified_email_is_anonymous(
    service: Service, zendesk: ZendeskMock, model: GatedModel, shop: Any
) -> None:
    zendesk.add_identity(ADA, "ada@example.com", verified=False)
    model.add(say("I can help once you sign in."))
    zendesk.deliver(hook(service), comment_added("42", "What's my plan? I'm ada@example.com"))
    wait_until(lambda: comments(zendesk, "42"), what="the reply")
    assert shop.calls("GET", "/customers/by-email") == []  # no account read for a claim
    offered = {tool["function"]["name"] for tool in model.requests[0]["tools"]}
    assert "cancel_order" not in offered  # verified-only tasks are not offered


def test_a_hand_off_sets_the_group_tag_and_an_internal_note(
    service: Service, zendesk: ZendeskMock, model: GatedModel
) -> None:
    model.add(call("handoff_to_human", reason="legal question"), say("A colleague will reply."))
    zendesk.deliver(hook(service), comment_added("43", "I want to speak to a lawyer"))
    (note,) = wait_until(lambda: comments(zendesk, "43", public=False), what="the hand-off")
    assert note["group_id"] == 360001
    assert "specagent_handoff" in note["additional_tags"]
    assert "legal question" in note["comment"]["body"]


def test_staff_comments_and_internal_notes_are_ignored(
    service: Service, zendesk: ZendeskMock, model: GatedModel
) -> None:
    staff = comment_added("44", "Looking into it", staff=True, author_id="77")
    internal = comment_added("44", "note to self", public=False)
    bot = comment_added("44", "the bot's reply", author_id="900")
    for payload in (staff, internal, bot):
        assert zendesk.deliver(hook(service), payload).json()["ignored"] == 1
    assert model.requests == [] and service.worker.feed.after() == []


@pytest.mark.parametrize("case", ["good", "bad", "missing", "replayed", "wrong secret"])
def test_signatures(service: Service, zendesk: ZendeskMock, model: GatedModel, case: str) -> None:
    model.add(say("Hello!"))
    payload = comment_added("45", "hello")
    if case == "wrong secret":
        body, headers = ZendeskMock(signing_secret="another-webhook").signed(payload)
    elif case == "replayed":  # captured 10 minutes ago and sent again
        body, headers = zendesk.signed(payload, timestamp=iso_now(-600))
    else:
        body, headers = zendesk.signed(payload)
    if case == "bad":
        headers["x-zendesk-webhook-signature"] = "AAAA" + headers["x-zendesk-webhook-signature"][4:]
    if case == "missing":
        del headers["x-zendesk-webhook-signature"]
    response = httpx.post(hook(service), content=body, headers=headers)
    if case == "good":
        assert response.status_code == 200
        wait_until(lambda: comments(zendesk, "45"), what="the reply")
        return
    assert response.status_code == 401
    expected = {"bad": "mismatch", "missing": "missing", "replayed": "expired"}
    assert response.json()["problem"] == expected.get(case, "mismatch")
    assert service.worker.feed.after() == []
    assert zendesk.requests == []


def test_a_tampered_timestamp_breaks_the_signature(service: Service, zendesk: ZendeskMock) -> None:
    body, headers = zendesk.signed(comment_added("46", "hello"), timestamp=iso_now(-600))
    headers["x-zendesk-webhook-signature-timestamp"] = iso_now()  # made fresh by the attacker
    response = httpx.post(hook(service), content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["problem"] == "mismatch"
