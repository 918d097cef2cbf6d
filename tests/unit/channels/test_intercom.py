"""Intercom: signatures, what counts as the customer and as a verified identity, and the bot's
calls as they reach the mock (each one checked against Intercom's spec by the fixture)."""

from __future__ import annotations

import json
import logging

import pytest
from specagent_runtime import RetryPolicy, Secret
from specagent_runtime._channels.base import (
    HandoffRequest,
    Ignored,
    InboundConfirmation,
    InboundMessage,
    VerifiedRequest,
)
from specagent_runtime._channels.errors import DeliveryError, PayloadError, SignatureError
from specagent_runtime._channels.intercom import IntercomChannel, IntercomClient
from specagent_runtime._channels.signing import ConfirmationCodec

from tests.support.helpdesks.intercom import IntercomMock, contact, notification, part, sign


def _channel(mock: IntercomMock, *, verified: bool = True) -> IntercomChannel:
    return IntercomChannel(Secret(mock.client_secret), identity_verification=verified)


def _receive(channel: IntercomChannel, mock: IntercomMock, payload: dict[str, object]) -> list:
    body, headers = mock.signed(payload)
    return list(channel.parse(channel.verify(headers, body)))


# -- signatures -----------------------------------------------------------------------------


def test_a_signed_webhook_verifies(intercom: IntercomMock) -> None:
    body, headers = intercom.signed(intercom.user_created("1", "Hi"))
    request = _channel(intercom).verify(headers, body)
    assert request.body == body


def test_header_names_are_case_insensitive(intercom: IntercomMock) -> None:
    body, headers = intercom.signed(intercom.user_created("1", "Hi"))
    lowered = {key.lower(): value for key, value in headers.items()}
    _channel(intercom).verify(lowered, body)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda h, b: ({k: v for k, v in h.items() if k != "X-Hub-Signature"}, b), "missing"),
        (lambda h, b: ({**h, "X-Hub-Signature": "sha256=" + "0" * 64}, b), "malformed"),
        (lambda h, b: ({**h, "X-Hub-Signature": "sha1=abc"}, b), "malformed"),
        (lambda h, b: (h, b.replace(b"Hi", b"Ho")), "mismatch"),
        (lambda h, b: ({**h, "X-Hub-Signature": sign("another-secret", b)}, b), "mismatch"),
    ],
    ids=["missing", "other-algorithm", "short", "tampered-body", "wrong-secret"],
)
def test_a_bad_signature_is_refused(intercom: IntercomMock, change, problem: str) -> None:
    body, headers = intercom.signed(intercom.user_created("1", "Hi"))
    headers, body = change(headers, body)
    with pytest.raises(SignatureError) as caught:
        _channel(intercom).verify(headers, body)
    assert caught.value.problem == problem
    assert intercom.client_secret not in str(caught.value)
    assert sign(intercom.client_secret, body).removeprefix("sha1=") not in str(caught.value)


# -- parsing --------------------------------------------------------------------------------


def test_a_new_conversation_is_the_customers_first_message(intercom: IntercomMock) -> None:
    events = _receive(_channel(intercom), intercom, intercom.user_created("55", "Where is it?"))
    assert len(events) == 1
    message = events[0]
    assert isinstance(message, InboundMessage)
    assert (message.conversation_id, message.text) == ("55", "Where is it?")
    assert message.message_id == "source-4055"
    assert message.identity is not None
    assert (message.identity.email, message.identity.user_id) == ("ada@example.com", "cust-70")


def test_a_user_is_anonymous_unless_identity_verification_is_enforced(
    intercom: IntercomMock,
) -> None:
    events = _receive(
        _channel(intercom, verified=False), intercom, intercom.user_created("5", "Hi")
    )
    assert events[0].identity is None


def test_a_lead_is_always_anonymous(intercom: IntercomMock) -> None:
    lead = contact("lead", email="someone@example.com", external_id=None)
    events = _receive(_channel(intercom), intercom, intercom.user_created("5", "Hi", lead))
    assert isinstance(events[0], InboundMessage)
    assert events[0].identity is None


def test_replies_yield_one_message_per_customer_part(intercom: IntercomMock) -> None:
    admin = {"type": "admin", "id": "9", "name": "Bot", "email": "bot@example.com"}
    parts = [
        part(contact(), "<p>first</p>", part_id="11"),
        part(admin, "<p>an agent</p>", part_id="12"),
        part(contact(), "<p>second &amp; <b>last</b></p>", part_id="13"),
        part(contact(), None, part_id="14", part_type="assignment"),
    ]
    events = _receive(_channel(intercom), intercom, intercom.user_replied("5", parts))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["InboundMessage", "Ignored", "InboundMessage", "Ignored"]
    assert [e.text for e in events if isinstance(e, InboundMessage)] == ["first", "second & last"]
    assert [e.message_id for e in events if isinstance(e, InboundMessage)] == ["part-11", "part-13"]


def test_a_clicked_quick_reply_is_a_confirmation(intercom: IntercomMock) -> None:
    codec = ConfirmationCodec.from_secret(Secret(intercom.client_secret))
    token = codec.token("5", "action-1", "yes")
    clicked = part(contact(), "Yes", part_id="20", metadata={"quick_reply_uuid": token})
    events = _receive(_channel(intercom), intercom, intercom.user_replied("5", [clicked]))
    assert isinstance(events[0], InboundConfirmation)
    resolved = codec.resolve(events[0].token, "5", ["action-0", "action-1"])
    assert resolved is not None
    assert (resolved.action_id, resolved.choice) == ("action-1", "yes")


@pytest.mark.parametrize("topic", ["ping", "conversation.admin.replied", "contact.created"])
def test_other_topics_are_ignored(intercom: IntercomMock, topic: str) -> None:
    payload = notification(topic, {"type": "ping", "message": "hello"})
    channel = _channel(intercom)
    body = json.dumps(payload).encode()
    events = channel.parse(
        channel.verify({"X-Hub-Signature": sign(intercom.client_secret, body)}, body)
    )
    assert len(events) == 1
    assert isinstance(events[0], Ignored)
    assert topic in events[0].reason


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"not json", "$"),
        (b"[]", "$"),
        (b'{"topic": "conversation.user.created"}', "$.data"),
        (
            b'{"topic": "conversation.user.created", "data": {"item": {"id": "1"}}}',
            "$.data.item.source",
        ),
        (
            b'{"topic": "conversation.user.replied", "data": {"item": {"id": "1",'
            b' "conversation_parts": {"conversation_parts": {}}}}}',
            "$.data.item.conversation_parts.conversation_parts",
        ),
        (
            b'{"topic": "conversation.user.created", "data": {"item": {"id": "1",'
            b' "source": {"id": "2", "body": 5, "author": {"type": "user"}}}}}',
            "$.data.item.source.body",
        ),
    ],
)
def test_a_malformed_payload_names_the_problem(
    intercom: IntercomMock, body: bytes, where: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        _channel(intercom).parse(VerifiedRequest("intercom", body))
    assert caught.value.where == where


# -- the bot's calls ------------------------------------------------------------------------


def _client(mock: IntercomMock, retry: RetryPolicy, **kw: object) -> IntercomClient:
    return IntercomClient(
        Secret(mock.access_token), mock.admin_id, api_base=mock.base_url, retry=retry, **kw
    )


async def test_reply_posts_an_escaped_admin_comment(intercom: IntercomMock, fast_retry) -> None:
    client = _client(intercom, fast_retry)
    delivery = await client.reply("123", "Your order <b>#7</b>\nships today")
    await client.aclose()
    assert delivery.status == 200
    (request,) = intercom.requests
    assert (request.method, request.path) == ("POST", "/conversations/123/reply")
    assert request.body == {
        "message_type": "comment",
        "type": "admin",
        "admin_id": intercom.admin_id,
        "body": "<p>Your order &lt;b&gt;#7&lt;/b&gt;<br>ships today</p>",
    }
    assert request.headers["intercom-version"] == "2.16"


async def test_a_confirmation_is_the_question_then_yes_no_quick_replies(
    intercom: IntercomMock, fast_retry
) -> None:
    codec = ConfirmationCodec.from_secret(Secret(intercom.client_secret))
    prompt = codec.prompt("123", "act-9", "Cancel order 7?")
    client = _client(intercom, fast_retry)
    await client.ask_confirmation("123", prompt)
    await client.aclose()
    question, options = intercom.requests
    assert question.body["body"] == "<p>Cancel order 7?</p>"
    assert options.body["message_type"] == "quick_reply"
    assert options.body["reply_options"] == [
        {"text": "Yes", "uuid": prompt.yes_token},
        {"text": "No", "uuid": prompt.no_token},
    ]


async def test_hand_off_leaves_a_note_tags_and_assigns_the_team(
    intercom: IntercomMock, fast_retry
) -> None:
    client = _client(intercom, fast_retry, team_id="5017691", tag_id="86")
    await client.hand_off(
        "123", HandoffRequest(note="Refund over limit", message="A colleague joins.")
    )
    await client.aclose()
    note, tag, assign = intercom.requests
    assert note.body["message_type"] == "note"
    assert (tag.path, tag.body) == (
        "/conversations/123/tags",
        {"id": "86", "admin_id": intercom.admin_id},
    )
    assert assign.path == "/conversations/123/parts"
    assert assign.body == {
        "message_type": "assignment",
        "type": "team",
        "admin_id": intercom.admin_id,
        "assignee_id": "5017691",
        "body": "<p>A colleague joins.</p>",
    }


async def test_hand_off_without_a_team_unassigns(intercom: IntercomMock, fast_retry) -> None:
    client = _client(intercom, fast_retry)
    await client.hand_off("123", HandoffRequest(note="help"))
    await client.aclose()
    assert intercom.requests[-1].body["assignee_id"] == "0"


async def test_workspace_identity_verification_is_read_from_me(
    intercom: IntercomMock, fast_retry
) -> None:
    client = _client(intercom, fast_retry)
    assert await client.workspace_identity_verification() is True
    await client.aclose()


async def test_a_refused_reply_is_retried(intercom: IntercomMock, fast_retry) -> None:
    intercom.fail_next(429, headers={"Retry-After": "1"})
    intercom.fail_next(503)
    client = _client(intercom, fast_retry)
    delivery = await client.reply("1", "hello")
    await client.aclose()
    assert delivery.status == 200
    assert len(intercom.requests) == 3


async def test_a_reply_that_may_have_been_processed_is_not_resent(
    intercom: IntercomMock, fast_retry, caplog: pytest.LogCaptureFixture
) -> None:
    intercom.fail_next(500)
    client = _client(intercom, fast_retry)
    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as caught:
        await client.reply("1", "hello")
    await client.aclose()
    assert len(intercom.requests) == 1  # a second copy could reach the customer
    assert caught.value.status == 500
    assert caught.value.retryable
    assert intercom.access_token not in str(caught.value)
    assert all(intercom.access_token not in record.getMessage() for record in caplog.records)


async def test_a_helpdesk_that_keeps_refusing_gives_a_retryable_error(
    intercom: IntercomMock, fast_retry
) -> None:
    intercom.fail_next(503, times=10)
    client = _client(intercom, fast_retry)
    with pytest.raises(DeliveryError) as caught:
        await client.reply("1", "hello")
    await client.aclose()
    assert len(intercom.requests) == 4  # the first try and three retries
    assert caught.value.retryable


async def test_an_unreachable_helpdesk_is_a_delivery_error(fast_retry) -> None:
    client = IntercomClient(
        Secret("t0ken-value"), "1", api_base="http://127.0.0.1:9", retry=fast_retry
    )
    with pytest.raises(DeliveryError) as caught:
        await client.reply("1", "hello")
    await client.aclose()
    assert caught.value.status is None
    assert "t0ken-value" not in str(caught.value)


def test_the_clients_repr_hides_the_token(intercom: IntercomMock) -> None:
    client = IntercomClient(Secret(intercom.access_token), "1", api_base=intercom.base_url)
    assert intercom.access_token not in repr(client)
    assert intercom.client_secret not in repr(_channel(intercom))
