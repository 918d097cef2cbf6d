"""The mock helpdesks themselves: they must accept what the helpdesk accepts and flag what it
would refuse, or the channel tests prove nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest

from tests.support.helpdesks.intercom import IntercomMock, contact, part
from tests.support.helpdesks.sunshine import SunshineMock, batch, message_event
from tests.support.helpdesks.zendesk import ZendeskMock, comment_added


def _intercom_post(mock: IntercomMock, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(
        mock.base_url + path,
        json=body,
        headers={"Authorization": f"Bearer {mock.access_token}", "Intercom-Version": "2.16"},
    )


def test_intercom_accepts_a_documented_admin_reply(intercom: IntercomMock) -> None:
    body = {"message_type": "comment", "type": "admin", "admin_id": "1", "body": "<p>Hi</p>"}
    assert _intercom_post(intercom, "/conversations/1/reply", body).status_code == 200
    assert intercom.requests[0].valid


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"message_type": "comment", "type": "admin", "admin_id": 1, "body": "x"}, "admin_id int"),
        ({"type": "admin", "admin_id": "1", "body": "x"}, "no message_type"),
        ({"message_type": "shout", "type": "admin", "admin_id": "1", "body": "x"}, "bad enum"),
        (
            {
                "message_type": "quick_reply",
                "type": "admin",
                "admin_id": "1",
                "reply_options": [{"text": "Yes", "uuid": "not-a-uuid"}],
            },
            "option uuid",
        ),
    ],
)
def test_intercom_flags_a_reply_the_spec_refuses(
    _intercom_server: IntercomMock, body: dict[str, object], problem: str
) -> None:
    mock = _intercom_server
    mock.reset()
    response = _intercom_post(mock, "/conversations/1/reply", body)
    assert response.status_code == 400, problem
    assert mock.errors, problem
    with pytest.raises(AssertionError, match="break the spec"):
        mock.assert_clean()
    mock.reset()


def test_intercom_refuses_a_wrong_token(intercom: IntercomMock) -> None:
    response = httpx.post(
        intercom.base_url + "/conversations/1/reply",
        json={"message_type": "comment", "type": "admin", "admin_id": "1", "body": "x"},
        headers={"Authorization": "Bearer wrong"},
    )
    assert response.status_code == 401


def test_intercom_webhook_is_signed_like_intercom(intercom: IntercomMock) -> None:
    body, headers = intercom.signed(intercom.user_created("7", "Hello"))
    expected = hmac.new(intercom.client_secret.encode(), body, hashlib.sha1).hexdigest()
    assert headers["X-Hub-Signature"] == f"sha1={expected}"


def test_intercom_mock_refuses_to_send_a_payload_the_spec_does_not_describe(
    intercom: IntercomMock,
) -> None:
    payload = intercom.user_replied("7", [part(contact(), "hi")])
    payload["data"]["item"]["created_at"] = "yesterday"  # type: ignore[index]
    with pytest.raises(AssertionError, match="created_at"):
        intercom.signed(payload)


def _sunshine_post(mock: SunshineMock, body: dict[str, object]) -> httpx.Response:
    return httpx.post(
        f"{mock.base_url}/v2/apps/{mock.app_id}/conversations/c1/messages",
        json=body,
        auth=(mock.key_id, mock.key_secret),
    )


def test_sunshine_accepts_a_business_text_message(sunshine: SunshineMock) -> None:
    body = {"author": {"type": "business"}, "content": {"type": "text", "text": "Hi"}}
    assert _sunshine_post(sunshine, body).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"author": {"type": "bot"}, "content": {"type": "text", "text": "Hi"}},
        {"content": {"type": "text", "text": "Hi"}},
        {"author": {"type": "business"}, "content": {"type": "text", "text": "x" * 5000}},
        {
            "author": {"type": "business"},
            "content": {"type": "text", "text": "?", "actions": [{"type": "postback"}]},
        },
    ],
)
def test_sunshine_flags_a_message_the_spec_refuses(
    _sunshine_server: SunshineMock, body: dict[str, object]
) -> None:
    mock = _sunshine_server
    mock.reset()
    assert _sunshine_post(mock, body).status_code == 400
    assert mock.errors
    mock.reset()


def test_sunshine_mock_checks_its_webhooks_against_the_event_schemas(
    sunshine: SunshineMock,
) -> None:
    good = batch(message_event("c1", "hello"))
    sunshine.signed(good)
    bad = batch(message_event("c1", "hello", author_type="robot"))
    with pytest.raises(AssertionError, match="robot"):
        sunshine.signed(bad)


def _zendesk_put(mock: ZendeskMock, body: object) -> httpx.Response:
    return httpx.put(
        f"{mock.base_url}/api/v2/tickets/42",
        json=body,
        auth=(f"{mock.email}/token", mock.api_token),
    )


def test_zendesk_accepts_a_documented_ticket_update(zendesk: ZendeskMock) -> None:
    body = {"ticket": {"comment": {"body": "Hi", "public": True, "author_id": 900}}}
    assert _zendesk_put(zendesk, body).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"ticket": {"comment": {"public": True}}},
        {"ticket": {"comment": {"body": "x", "author_id": "900"}}},
        {"ticket": {"comment": {"body": "x", "privat": True}}},
        {"comment": {"body": "x"}},
        {"ticket": {}},
    ],
)
def test_zendesk_flags_an_update_the_docs_refuse(
    _zendesk_server: ZendeskMock, body: object
) -> None:
    mock = _zendesk_server
    mock.reset()
    assert _zendesk_put(mock, body).status_code == 422
    assert mock.errors
    mock.reset()


def test_zendesk_webhook_is_signed_over_timestamp_then_body(zendesk: ZendeskMock) -> None:
    body, headers = zendesk.signed(comment_added("42", "hi"), timestamp="2021-03-25T05:09:27Z")
    digest = hmac.new(
        zendesk.signing_secret.encode(), b"2021-03-25T05:09:27Z" + body, hashlib.sha256
    ).digest()
    assert headers["x-zendesk-webhook-signature"] == base64.b64encode(digest).decode()
