"""Sunshine Conversations: the shared secret, batches of events, authenticated users only, and
the business messages and switchboard calls as they reach the mock (checked against its spec)."""

from __future__ import annotations

import json

import pytest
from specagent_runtime import RetryPolicy, Secret
from specagent_runtime._channels.base import (
    HandoffRequest,
    Ignored,
    InboundConfirmation,
    InboundMessage,
    VerifiedRequest,
)
from specagent_runtime._channels.errors import PayloadError, SignatureError
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._channels.sunshine import SunshineChannel, SunshineClient

from tests.support.helpdesks.sunshine import (
    SunshineMock,
    batch,
    message_event,
    postback_event,
    user,
)


def _channel(mock: SunshineMock, **kw: object) -> SunshineChannel:
    return SunshineChannel(Secret(mock.webhook_secret), **kw)


def _receive(mock: SunshineMock, payload: dict[str, object], **kw: object) -> list:
    channel = _channel(mock, **kw)
    body, headers = mock.signed(payload)
    return list(channel.parse(channel.verify(headers, body)))


def test_the_shared_secret_verifies(sunshine: SunshineMock) -> None:
    body, headers = sunshine.signed(batch(message_event("c1", "hi")))
    _channel(sunshine).verify({"x-api-key": headers["X-API-Key"]}, body)


@pytest.mark.parametrize(
    ("headers", "problem"),
    [({}, "missing"), ({"X-API-Key": "wrong"}, "mismatch"), ({"X-API-Key": ""}, "mismatch")],
)
def test_a_wrong_or_missing_secret_is_refused(sunshine: SunshineMock, headers, problem) -> None:
    with pytest.raises(SignatureError) as caught:
        _channel(sunshine).verify(headers, b"{}")
    assert caught.value.problem == problem
    assert sunshine.webhook_secret not in str(caught.value)


def test_a_batch_yields_one_event_each(sunshine: SunshineMock) -> None:
    events = _receive(
        sunshine,
        batch(
            message_event("c1", "Where is order 7?", message_id="m1"),
            message_event("c1", "our own reply", author_type="business"),
            postback_event("c2", "token-1", event_id="e3"),
            {
                "id": "e4",
                "type": "conversation:read",
                "createdAt": "2020-01-01T00:00:00.000Z",
                "payload": {"conversation": {"id": "c1"}},
            },
        ),
    )
    message, own, postback, read = events
    assert isinstance(message, InboundMessage)
    assert (message.conversation_id, message.message_id, message.text) == (
        "c1",
        "m1",
        "Where is order 7?",
    )
    assert isinstance(own, Ignored)
    assert isinstance(postback, InboundConfirmation)
    assert (postback.conversation_id, postback.message_id, postback.token) == (
        "c2",
        "e3",
        "token-1",
    )
    assert isinstance(read, Ignored)


def test_only_an_authenticated_user_has_an_identity(sunshine: SunshineMock) -> None:
    signed_in, visitor, no_external = _receive(
        sunshine,
        batch(
            message_event("c1", "a", who=user(authenticated=True, external_id="cust-70")),
            message_event("c1", "b", who=user(authenticated=False, external_id="cust-70")),
            message_event("c1", "c", who=user(authenticated=True, external_id=None)),
        ),
    )
    assert signed_in.identity is not None
    assert signed_in.identity.user_id == "cust-70"
    assert visitor.identity is None
    assert no_external.identity is None


def test_a_postback_carries_the_identity_of_its_user(sunshine: SunshineMock) -> None:
    (anonymous,) = _receive(
        sunshine, batch(postback_event("c1", "t", who=user(authenticated=False)))
    )
    assert anonymous.identity is None


def test_events_of_conversations_another_integration_controls_are_ignored(
    sunshine: SunshineMock,
) -> None:
    mine, theirs = _receive(
        sunshine,
        batch(
            message_event("c1", "hi", active_integration="bot-integration"),
            message_event("c2", "hi", active_integration="agent-workspace"),
        ),
        integration_id="bot-integration",
    )
    assert isinstance(mine, InboundMessage)
    assert isinstance(theirs, Ignored)


def test_a_reply_button_and_non_text_messages(sunshine: SunshineMock) -> None:
    button, image = _receive(
        sunshine,
        batch(
            message_event("c1", "", content={"type": "text", "text": "Yes", "payload": "tok"}),
            message_event(
                "c1", "", content={"type": "image", "mediaUrl": "https://example.com/a.png"}
            ),
        ),
    )
    assert isinstance(button, InboundConfirmation)
    assert (button.token, button.label) == ("tok", "Yes")
    assert isinstance(image, Ignored)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"events": {}}, "$.events"),
        ({}, "$.events"),
        ({"events": [{"type": "conversation:message"}]}, "$.events[0].id"),
        (
            {"events": [{"id": "1", "type": "conversation:message", "payload": {}}]},
            "$.events[0].payload.conversation",
        ),
        (
            {
                "events": [
                    {
                        "id": "1",
                        "type": "conversation:postback",
                        "payload": {"conversation": {"id": "c"}, "postback": {}},
                    }
                ]
            },
            "$.events[0].payload.postback.payload",
        ),
    ],
)
def test_a_malformed_batch_names_the_problem(payload, where: str) -> None:
    with pytest.raises(PayloadError) as caught:
        SunshineChannel(Secret("s" * 20)).parse(
            VerifiedRequest("sunshine", json.dumps(payload).encode())
        )
    assert caught.value.where == where


# -- the bot's calls ------------------------------------------------------------------------


def _client(mock: SunshineMock, retry: RetryPolicy, **kw: object) -> SunshineClient:
    return SunshineClient(
        mock.app_id, mock.key_id, Secret(mock.key_secret), api_base=mock.base_url, retry=retry, **kw
    )


async def test_reply_is_a_business_text_message(sunshine: SunshineMock, fast_retry) -> None:
    client = _client(sunshine, fast_retry)
    delivery = await client.reply("c1", "Order 7 ships today.")
    await client.aclose()
    assert delivery.status == 201
    assert delivery.helpdesk_id is not None
    (request,) = sunshine.requests
    assert request.path == f"/v2/apps/{sunshine.app_id}/conversations/c1/messages"
    assert request.body == {
        "author": {"type": "business"},
        "content": {"type": "text", "text": "Order 7 ships today."},
    }


async def test_a_confirmation_has_postback_buttons_carrying_the_tokens(
    sunshine: SunshineMock, fast_retry
) -> None:
    codec = ConfirmationCodec.from_secret(Secret(sunshine.webhook_secret))
    prompt = codec.prompt("c1", "a1", "Cancel order 7?")
    client = _client(sunshine, fast_retry, ai_subtype=True)
    await client.ask_confirmation("c1", prompt)
    await client.aclose()
    body = sunshine.requests[0].body
    assert body["author"] == {"type": "business", "subtypes": ["AI"]}
    assert body["content"]["actions"] == [
        {"type": "postback", "text": "Yes", "payload": prompt.yes_token},
        {"type": "postback", "text": "No", "payload": prompt.no_token},
    ]
    # the click comes back as a postback that resolves to the action
    (click,) = _receive(sunshine, batch(postback_event("c1", prompt.no_token)))
    resolved = codec.resolve(click.token, "c1", ["a1"])
    assert resolved is not None
    assert resolved.choice == "no"


async def test_hand_off_passes_control_through_the_switchboard(
    sunshine: SunshineMock, fast_retry
) -> None:
    client = _client(sunshine, fast_retry, handoff_target="zd-agentWorkspace")
    await client.hand_off(
        "c1", HandoffRequest(note="n" * 5000, message="One moment.", tags=("vip",))
    )
    await client.aclose()
    message, passed = sunshine.requests
    assert message.body["content"]["text"] == "One moment."
    assert passed.path == f"/v2/apps/{sunshine.app_id}/conversations/c1/passControl"
    assert passed.body["switchboardIntegration"] == "zd-agentWorkspace"
    assert len(passed.body["metadata"]["specagent_note"]) == 1000
    assert passed.body["metadata"]["specagent_tags"] == "vip"
