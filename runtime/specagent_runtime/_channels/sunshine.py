"""Zendesk messaging (Sunshine Conversations): webhook events in, business messages out.

Webhooks (the API spec `zendesk.com_sunshine-conversations__17.12.1.yaml`, "Securing Sunshine
Conversations Webhooks" and its `x-webhooks` schema): each request carries the webhook's shared
secret in `X-API-Key` (compared in constant time; there is no body signature) and a batch
`{"app", "webhook", "events": [...]}` that may mix users and conversations. The agent reads
`conversation:message` (a user's text, or the payload of a reply button) and
`conversation:postback` (a postback button); messages by the business (its own replies) and
every other trigger are acknowledged and ignored. With an integration id configured, events of
conversations whose active switchboard integration is another one (a human agent has control)
are ignored too.

Identity: a user is someone only when Sunshine says `authenticated: true` (signed in through
the company's JWT or the Help Center); then their `externalId`, the id the company's backend put
in the JWT, is the identity's `user_id`. Display names, profile emails and unauthenticated users
are anonymous.

Outbound: `PostMessage` with `author.type: business`; confirmations as `postback` actions whose
payload is the confirmation token; hand-off through the switchboard's `PassControl`. Basic auth
with the API key id and secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from specagent_runtime import Identity, RetryPolicy, Secret
from specagent_runtime._channels.base import (
    ChannelName,
    ConfirmationPrompt,
    Delivery,
    HandoffRequest,
    Ignored,
    Inbound,
    InboundConfirmation,
    InboundMessage,
    VerifiedRequest,
    header,
    list_member,
    object_member,
    optional_text,
    text_member,
)
from specagent_runtime._channels.errors import PayloadError, SignatureError
from specagent_runtime._channels.http import HelpdeskHttp, SecretAuth, base_url, segment
from specagent_runtime._channels.signing import equal

NAME: ChannelName = "sunshine"
SECRET_HEADER = "X-API-Key"
MESSAGE = "conversation:message"
POSTBACK = "conversation:postback"
DEFAULT_API_BASE = "https://api.smooch.io"
DEFAULT_HANDOFF_TARGET = "next"
METADATA_LIMIT = 1000  # characters of the note in passControl metadata (4 KB in all)


class SunshineChannel:
    """Verifies and reads Sunshine Conversations webhook batches."""

    name: ClassVar[ChannelName] = NAME

    def __init__(self, webhook_secret: Secret, *, integration_id: str | None = None) -> None:
        if not webhook_secret:
            raise ValueError("sunshine: the webhook secret is empty")
        self._secret = webhook_secret
        self.integration_id = integration_id

    def __repr__(self) -> str:
        return f"SunshineChannel(integration_id={self.integration_id!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedRequest:
        given = header(headers, SECRET_HEADER)
        if given is None:
            raise SignatureError(NAME, "missing", f"no {SECRET_HEADER} header")
        if not equal(self._secret.reveal(), given.strip()):
            raise SignatureError(NAME, "mismatch", f"{SECRET_HEADER} is not the webhook secret")
        return VerifiedRequest(NAME, body)

    def parse(self, request: VerifiedRequest) -> Sequence[Inbound]:
        payload = request.json()
        events = list_member(NAME, payload, "events", "$")
        return [self._event(event, f"$.events[{index}]") for index, event in enumerate(events)]

    def _event(self, event: Any, where: str) -> Inbound:
        kind = text_member(NAME, event, "type", where)
        event_id = text_member(NAME, event, "id", where)
        if kind not in {MESSAGE, POSTBACK}:
            return Ignored(NAME, f"trigger {kind!r} is not a customer message", event_id)
        body = object_member(NAME, event, "payload", where)
        at = f"{where}.payload"
        conversation = object_member(NAME, body, "conversation", at)
        conversation_id = text_member(NAME, conversation, "id", f"{at}.conversation")
        active = conversation.get("activeSwitchboardIntegration")
        if self.integration_id is not None and isinstance(active, dict):
            in_control = active.get("integrationId")
            if in_control is not None and str(in_control) != self.integration_id:
                return Ignored(NAME, "another switchboard integration has control", event_id)
        if kind == POSTBACK:
            postback = object_member(NAME, body, "postback", at)
            token = text_member(NAME, postback, "payload", f"{at}.postback")
            user = body.get("user")
            identity, author = _identity(user, f"{at}.user")
            return InboundConfirmation(NAME, conversation_id, event_id, token, "", identity, author)
        message = object_member(NAME, body, "message", at)
        at = f"{at}.message"
        message_id = text_member(NAME, message, "id", at)
        author_block = object_member(NAME, message, "author", at)
        author_type = text_member(NAME, author_block, "type", f"{at}.author")
        if author_type != "user":
            return Ignored(NAME, f"written by {author_type!r}, not the customer", message_id)
        identity, author = _identity(author_block.get("user"), f"{at}.author.user")
        if author is None:
            author = optional_text(NAME, author_block, "userId", f"{at}.author")
        content = object_member(NAME, message, "content", at)
        content_type = text_member(NAME, content, "type", f"{at}.content")
        if content_type != "text":
            return Ignored(NAME, f"a {content_type!r} message is not text", message_id)
        text = content.get("text")
        if text is not None and not isinstance(text, str):
            raise PayloadError(NAME, f"{at}.content.text", "expected a string")
        reply_payload = optional_text(NAME, content, "payload", f"{at}.content")
        if reply_payload is not None:  # a reply button: its payload is the token
            return InboundConfirmation(
                NAME, conversation_id, message_id, reply_payload, text or "", identity, author
            )
        if not text or not text.strip():
            return Ignored(NAME, "a text message without text", message_id)
        return InboundMessage(NAME, conversation_id, message_id, text.strip(), identity, author)


def _identity(user: Any, where: str) -> tuple[Identity | None, str | None]:
    """(identity, Sunshine user id): an identity only for an authenticated user."""
    if user is None:
        return None, None
    if not isinstance(user, dict):
        raise PayloadError(NAME, where, "expected an object")
    user_id = optional_text(NAME, user, "id", where)
    authenticated = user.get("authenticated", False)
    if not isinstance(authenticated, bool):
        raise PayloadError(NAME, f"{where}.authenticated", "expected a boolean")
    external_id = optional_text(NAME, user, "externalId", where)
    if not authenticated or external_id is None:
        return None, user_id
    return Identity(user_id=external_id, verified=True), user_id


class SunshineClient:
    """Business messages, postback buttons and switchboard hand-off for one app."""

    def __init__(
        self,
        app_id: str,
        key_id: str,
        key_secret: Secret,
        *,
        api_base: str = DEFAULT_API_BASE,
        handoff_target: str = DEFAULT_HANDOFF_TARGET,
        ai_subtype: bool = False,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.app_id = app_id
        self.handoff_target = handoff_target
        self.ai_subtype = ai_subtype
        self._http = HelpdeskHttp(
            NAME,
            base_url(NAME, api_base, "SUNSHINE_API_BASE"),
            auth=SecretAuth.basic(key_id, key_secret),
            secrets=[key_secret],
            retry=retry,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"SunshineClient(app_id={self.app_id!r}, base={self._http.base!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def reply(self, conversation_id: str, text: str) -> Delivery:
        return await self._post("reply", conversation_id, {"type": "text", "text": text})

    async def ask_confirmation(self, conversation_id: str, prompt: ConfirmationPrompt) -> Delivery:
        content = {
            "type": "text",
            "text": prompt.text,
            "actions": [
                {"type": "postback", "text": prompt.yes_label, "payload": prompt.yes_token},
                {"type": "postback", "text": prompt.no_label, "payload": prompt.no_token},
            ],
        }
        return await self._post("ask_confirmation", conversation_id, content)

    async def hand_off(self, conversation_id: str, handoff: HandoffRequest) -> Delivery:
        if handoff.message:
            await self.reply(conversation_id, handoff.message)
        metadata: dict[str, str] = {"specagent_note": handoff.note[:METADATA_LIMIT]}
        if handoff.tags:
            metadata["specagent_tags"] = ",".join(handoff.tags)[:200]
        body = {"switchboardIntegration": self.handoff_target, "metadata": metadata}
        response = await self._http.send(
            "hand_off", "POST", f"{self._conversation(conversation_id)}/passControl", body=body
        )
        return Delivery("hand_off", response.status_code)

    async def identify(self, message: InboundMessage | InboundConfirmation) -> Identity | None:
        return message.identity

    def _conversation(self, conversation_id: str) -> str:
        return f"/v2/apps/{segment(self.app_id)}/conversations/{segment(conversation_id)}"

    async def _post(
        self, operation: str, conversation_id: str, content: dict[str, Any]
    ) -> Delivery:
        author: dict[str, Any] = {"type": "business"}
        if self.ai_subtype:
            author["subtypes"] = ["AI"]
        response = await self._http.send(
            operation,
            "POST",
            f"{self._conversation(conversation_id)}/messages",
            body={"author": author, "content": content},
        )
        return Delivery(operation, response.status_code, _message_id(response))


def _message_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    messages = data.get("messages") if isinstance(data, dict) else None
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        found = messages[0].get("id")
        return str(found) if found is not None else None
    return None
