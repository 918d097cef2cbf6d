"""Zendesk Support: the timestamped signature and its replay window, which comments are the
customer's, verified email identities only, and the ticket updates as they reach the mock."""

from __future__ import annotations

import json
import time

import pytest
from specagent_runtime import RetryPolicy, Secret
from specagent_runtime._channels.base import (
    HandoffRequest,
    Ignored,
    InboundMessage,
    VerifiedRequest,
)
from specagent_runtime._channels.errors import DeliveryError, PayloadError, SignatureError
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._channels.zendesk import CONFIRM_HINT, ZendeskChannel, ZendeskClient

from tests.support.helpdesks.zendesk import ZendeskMock, comment_added, iso_now, sign

SIG = "x-zendesk-webhook-signature"
STAMP = "x-zendesk-webhook-signature-timestamp"


def _channel(mock: ZendeskMock, **kw: object) -> ZendeskChannel:
    return ZendeskChannel(Secret(mock.signing_secret), bot_user_id="900", **kw)


def _receive(mock: ZendeskMock, payload: dict[str, object]) -> list:
    channel = _channel(mock)
    body, headers = mock.signed(payload)
    return list(channel.parse(channel.verify(headers, body)))


def test_a_signed_webhook_verifies_and_keeps_the_invocation_id(zendesk: ZendeskMock) -> None:
    body, headers = zendesk.signed(comment_added("42", "hi"))
    request = _channel(zendesk).verify(headers, body)
    assert request.delivery_id == headers["x-zendesk-webhook-invocation-id"]


def test_the_signature_covers_timestamp_then_body_with_the_secret_as_given() -> None:
    # Zendesk's docs' example values; the signature computed as the current docs say.
    secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
    body, stamp = b'{"say": "hello"}', "2021-07-25T10:00:00Z"
    channel = ZendeskChannel(Secret(secret), clock=lambda: 1627207200.0)
    channel.verify({SIG: sign(secret, stamp, body), STAMP: stamp}, body)
    with pytest.raises(SignatureError):
        swapped = sign(secret, "", body + stamp.encode())  # body then timestamp: the old docs
        channel.verify({SIG: swapped, STAMP: stamp}, body)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda h, b: ({k: v for k, v in h.items() if k != SIG}, b), "missing"),
        (lambda h, b: ({k: v for k, v in h.items() if k != STAMP}, b), "missing"),
        (lambda h, b: ({**h, SIG: "not base64!"}, b), "malformed"),
        (lambda h, b: ({**h, SIG: "c2hvcnQ="}, b), "mismatch"),
        (lambda h, b: ({**h, STAMP: "yesterday"}, b), "malformed"),
        (lambda h, b: ({**h, STAMP: "2021-03-25T05:09:27"}, b), "malformed"),
        (lambda h, b: (h, b + b" "), "mismatch"),
        (lambda h, b: ({**h, SIG: sign("other-secret", h[STAMP], b)}, b), "mismatch"),
        (lambda h, b: ({**h, STAMP: iso_now(60), SIG: h[SIG]}, b), "mismatch"),
    ],
    ids=[
        "no-signature",
        "no-timestamp",
        "not-base64",
        "short",
        "bad-time",
        "naive-time",
        "tampered-body",
        "wrong-secret",
        "timestamp-moved",
    ],
)
def test_a_bad_signature_is_refused(zendesk: ZendeskMock, change, problem: str) -> None:
    body, headers = zendesk.signed(comment_added("42", "hi"))
    headers, body = change(headers, body)
    with pytest.raises(SignatureError) as caught:
        _channel(zendesk).verify(headers, body)
    assert caught.value.problem == problem
    assert zendesk.signing_secret not in str(caught.value)


@pytest.mark.parametrize("offset", [-301.0, -3600.0, 301.0])
def test_a_replayed_or_future_webhook_is_refused_even_when_signed(
    zendesk: ZendeskMock, offset: float
) -> None:
    body, headers = zendesk.signed(comment_added("42", "hi"), timestamp=iso_now(offset))
    with pytest.raises(SignatureError) as caught:
        _channel(zendesk).verify(headers, body)
    assert caught.value.problem == "expired"


def test_the_replay_window_is_configurable(zendesk: ZendeskMock) -> None:
    body, headers = zendesk.signed(comment_added("42", "hi"), timestamp=iso_now(-600))
    _channel(zendesk, replay_window=900).verify(headers, body)
    later = ZendeskChannel(Secret(zendesk.signing_secret), clock=lambda: time.time() + 1200)
    with pytest.raises(SignatureError):
        later.verify(headers, body)


def test_a_customer_comment_is_a_message(zendesk: ZendeskMock) -> None:
    (message,) = _receive(zendesk, comment_added("42", "Where is order 7?", comment_id="9876"))
    assert isinstance(message, InboundMessage)
    assert (message.conversation_id, message.message_id) == ("42", "comment-9876")
    assert message.identity is None  # looked up by the client, not taken from the payload
    assert message.author_ref == "20978392"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (comment_added("42", "note", public=False), "internal note"),
        (comment_added("42", "an agent", staff=True), "staff"),
        (comment_added("42", "the bot", author_id="900"), "staff"),
        ({**comment_added("42", "x"), "type": "zen:event-type:ticket.status_changed"}, "status"),
    ],
)
def test_other_comments_and_events_are_ignored(zendesk: ZendeskMock, payload, reason: str) -> None:
    (event,) = _receive(zendesk, payload)
    assert isinstance(event, Ignored)
    assert reason in event.reason


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda p: p.pop("detail"), "$.detail"),
        (lambda p: p["event"]["comment"].update(is_public="yes"), "$.event.comment.is_public"),
        (lambda p: p["event"]["comment"].pop("author"), "$.event.comment.author"),
        (lambda p: p["event"]["comment"].update(body=None), "$.event.comment.body"),
        (lambda p: p.update(type=None), "$.type"),
    ],
)
def test_a_malformed_event_names_the_problem(mutate, where: str) -> None:
    payload = comment_added("42", "x")
    mutate(payload)
    channel = ZendeskChannel(Secret("s" * 20))
    with pytest.raises(PayloadError) as caught:
        channel.parse(VerifiedRequest("zendesk", json.dumps(payload).encode()))
    assert caught.value.where == where


# -- the bot's calls ------------------------------------------------------------------------


def _client(mock: ZendeskMock, retry: RetryPolicy, **kw: object) -> ZendeskClient:
    return ZendeskClient(
        mock.base_url, mock.email, Secret(mock.api_token), "900", retry=retry, **kw
    )


async def test_only_a_verified_email_becomes_the_identity(zendesk: ZendeskMock, fast_retry) -> None:
    (message,) = _receive(zendesk, comment_added("42", "hi", author_id="31"))
    client = _client(zendesk, fast_retry)
    assert await client.identify(message) is None  # no identities at all
    zendesk.add_identity("31", "typed@example.com", verified=False)
    assert await client.identify(message) is None
    zendesk.add_identity("31", "second@example.com", verified=True, primary=False)
    zendesk.add_identity("31", "ada@example.com", verified=True, primary=True)
    identity = await client.identify(message)
    await client.aclose()
    assert identity is not None
    assert identity.email == "ada@example.com"
    assert all(r.path == "/api/v2/users/31/identities" for r in zendesk.requests)


async def test_an_identity_lookup_is_retried_after_a_server_error(
    zendesk: ZendeskMock, fast_retry
) -> None:
    zendesk.add_identity("31", "ada@example.com", verified=True)
    zendesk.fail_next(500)
    (message,) = _receive(zendesk, comment_added("42", "hi", author_id="31"))
    client = _client(zendesk, fast_retry)
    identity = await client.identify(message)
    await client.aclose()
    assert identity is not None
    assert len(zendesk.requests) == 2


async def test_reply_is_a_public_comment_by_the_bot(zendesk: ZendeskMock, fast_retry) -> None:
    client = _client(zendesk, fast_retry)
    await client.reply("42", "Order 7 ships today.")
    await client.aclose()
    (request,) = zendesk.requests
    assert (request.method, request.path) == ("PUT", "/api/v2/tickets/42")
    assert request.body == {
        "ticket": {"comment": {"body": "Order 7 ships today.", "public": True, "author_id": 900}}
    }


async def test_a_confirmation_is_a_question_to_answer_in_words(
    zendesk: ZendeskMock, fast_retry
) -> None:
    prompt = ConfirmationCodec(b"k" * 32).prompt("42", "a1", "Cancel order 7?")
    client = _client(zendesk, fast_retry)
    await client.ask_confirmation("42", prompt)
    await client.aclose()
    body = zendesk.requests[0].body["ticket"]["comment"]["body"]
    assert body == f"Cancel order 7?\n\n{CONFIRM_HINT}"
    assert prompt.yes_token not in body


async def test_hand_off_sets_group_assignee_tags_and_an_internal_note(
    zendesk: ZendeskMock, fast_retry
) -> None:
    client = _client(zendesk, fast_retry, handoff_group_id="77", handoff_assignee_id="88")
    await client.hand_off(
        "42",
        HandoffRequest(note="Needs a refund", message="A colleague will reply.", tags=("vip",)),
    )
    await client.aclose()
    message, update = zendesk.requests
    assert message.body["ticket"]["comment"]["public"] is True
    assert update.body == {
        "ticket": {
            "comment": {"body": "Needs a refund", "public": False, "author_id": 900},
            "additional_tags": ["specagent_handoff", "vip"],
            "group_id": 77,
            "assignee_id": 88,
        }
    }


async def test_a_failed_update_is_not_resent_and_keeps_the_token_secret(
    zendesk: ZendeskMock, fast_retry
) -> None:
    zendesk.fail_next(502)
    client = _client(zendesk, fast_retry)
    with pytest.raises(DeliveryError) as caught:
        await client.reply("42", "hi")
    await client.aclose()
    assert len(zendesk.requests) == 1
    assert zendesk.api_token not in str(caught.value)
