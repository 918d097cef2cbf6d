"""Zendesk Support (tickets by email and web form): signed event webhooks in, comments out.

Webhooks (https://developer.zendesk.com/documentation/webhooks/verifying/ and
https://developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request): every
request carries `X-Zendesk-Webhook-Signature`, the base64 HMAC-SHA256 of the
`X-Zendesk-Webhook-Signature-Timestamp` value (ISO 8601, e.g. `2021-03-25T05:09:27Z`) followed
by the raw body, keyed by the webhook's signing secret. The timestamp is inside the signature,
so a captured request replayed later is refused once it is older than the replay window.

The agent subscribes to the `zen:event-type:ticket.comment_added` event
(https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events): the ticket is
the conversation, the comment id the message id. Internal notes, comments by staff (agents, the
bot itself) and every other event type are acknowledged and ignored.

Identity: the event names the comment's author but not how Zendesk knows them. The client's
`identify` asks `GET /api/v2/users/{id}/identities` and trusts an email only where Zendesk says
`verified: true` (the requester confirmed it, or the company's SSO asserted it); a requester
who merely typed an address into a web form stays anonymous.

Outbound: `PUT /api/v2/tickets/{id}` with a public comment by the bot user; confirmations are a
question the customer answers in words (email has no buttons, so the strict text rule of the
consent layer applies); hand-off sets the group (and assignee), adds tags and an internal note.
No Zendesk Support OpenAPI document is in the corpus: these shapes follow the Tickets and User
Identities API reference pages (see docs/channels.md).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
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
    member,
    object_member,
    optional_text,
    text_member,
)
from specagent_runtime._channels.errors import PayloadError, SignatureError
from specagent_runtime._channels.http import HelpdeskHttp, SecretAuth, base_url, segment
from specagent_runtime._channels.signing import equal, hmac_digest
from specagent_runtime._channels.text import html_to_text

NAME: ChannelName = "zendesk"
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
COMMENT_ADDED = "zen:event-type:ticket.comment_added"
DEFAULT_REPLAY_WINDOW = 300.0  # seconds either side of now
DEFAULT_HANDOFF_TAG = "specagent_handoff"
CONFIRM_HINT = 'Please reply "yes" to go ahead, or "no" to cancel.'


class ZendeskChannel:
    """Verifies and reads Zendesk Support event webhooks."""

    name: ClassVar[ChannelName] = NAME

    def __init__(
        self,
        signing_secret: Secret,
        *,
        bot_user_id: str | None = None,
        replay_window: float = DEFAULT_REPLAY_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not signing_secret:
            raise ValueError("zendesk: the signing secret is empty")
        self._secret = signing_secret
        self.bot_user_id = bot_user_id
        self.replay_window = replay_window
        self._clock = clock

    def __repr__(self) -> str:
        return f"ZendeskChannel(bot_user_id={self.bot_user_id!r}, window={self.replay_window})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedRequest:
        signature = header(headers, SIGNATURE_HEADER)
        stamp = header(headers, TIMESTAMP_HEADER)
        if signature is None:
            raise SignatureError(NAME, "missing", f"no {SIGNATURE_HEADER} header")
        if stamp is None:
            raise SignatureError(NAME, "missing", f"no {TIMESTAMP_HEADER} header")
        try:
            given = base64.b64decode(signature.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError(NAME, "malformed", f"{SIGNATURE_HEADER} is not base64") from None
        try:
            sent_at = datetime.fromisoformat(stamp.strip())
        except ValueError:
            raise SignatureError(
                NAME, "malformed", f"{TIMESTAMP_HEADER} is not an ISO 8601 time"
            ) from None
        if sent_at.tzinfo is None:
            raise SignatureError(NAME, "malformed", f"{TIMESTAMP_HEADER} has no time zone")
        expected = hmac_digest(self._secret, stamp.encode() + body, "sha256")
        if len(given) != len(expected) or not equal(expected, given):
            raise SignatureError(NAME, "mismatch", f"{SIGNATURE_HEADER} does not match the body")
        age = self._clock() - sent_at.timestamp()
        if abs(age) > self.replay_window:
            raise SignatureError(
                NAME,
                "expired",
                f"{TIMESTAMP_HEADER} is {abs(age):.0f}s from now "
                f"(window {self.replay_window:.0f}s)",
            )
        return VerifiedRequest(NAME, body, delivery_id=header(headers, INVOCATION_HEADER))

    def parse(self, request: VerifiedRequest) -> Sequence[Inbound]:
        payload = request.json()
        kind = text_member(NAME, payload, "type", "$")
        event_id = optional_text(NAME, payload, "id", "$")
        if kind != COMMENT_ADDED:
            return [Ignored(NAME, f"event type {kind!r} is not a new comment", event_id)]
        detail = object_member(NAME, payload, "detail", "$")
        ticket_id = text_member(NAME, detail, "id", "$.detail")
        event = object_member(NAME, payload, "event", "$")
        comment = object_member(NAME, event, "comment", "$.event")
        where = "$.event.comment"
        message_id = f"comment-{text_member(NAME, comment, 'id', where)}"
        public = member(NAME, comment, "is_public", where)
        if not isinstance(public, bool):
            raise PayloadError(NAME, f"{where}.is_public", "expected a boolean")
        author = object_member(NAME, comment, "author", where)
        author_id = text_member(NAME, author, "id", f"{where}.author")
        staff = author.get("is_staff", False)
        if not isinstance(staff, bool):
            raise PayloadError(NAME, f"{where}.author.is_staff", "expected a boolean")
        if not public:
            return [Ignored(NAME, "an internal note", message_id)]
        if staff or author_id == self.bot_user_id:
            return [Ignored(NAME, "a comment by staff, not the customer", message_id)]
        body = member(NAME, comment, "body", where)
        if not isinstance(body, str):
            raise PayloadError(NAME, f"{where}.body", "expected a string")
        text = html_to_text(body)
        if not text:
            return [Ignored(NAME, "a comment without text", message_id)]
        return [InboundMessage(NAME, ticket_id, message_id, text, None, author_id)]


class ZendeskClient:
    """Public comments, questions, internal notes and group assignment as the bot user."""

    def __init__(
        self,
        api_base: str,
        email: str,
        api_token: Secret,
        bot_user_id: str,
        *,
        handoff_group_id: str | None = None,
        handoff_assignee_id: str | None = None,
        handoff_tag: str = DEFAULT_HANDOFF_TAG,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.bot_user_id = str(bot_user_id)
        self.handoff_group_id = handoff_group_id
        self.handoff_assignee_id = handoff_assignee_id
        self.handoff_tag = handoff_tag
        # API token auth: `{email}/token` as the user name (Zendesk's "API token" scheme).
        self._http = HelpdeskHttp(
            NAME,
            base_url(NAME, api_base, "ZENDESK_API_BASE"),
            auth=SecretAuth.basic(f"{email}/token", api_token),
            secrets=[api_token],
            retry=retry,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"ZendeskClient(bot_user_id={self.bot_user_id!r}, base={self._http.base!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def reply(self, conversation_id: str, text: str) -> Delivery:
        return await self._update("reply", conversation_id, {"comment": self._comment(text, True)})

    async def ask_confirmation(self, conversation_id: str, prompt: ConfirmationPrompt) -> Delivery:
        text = f"{prompt.text.rstrip()}\n\n{CONFIRM_HINT}"
        return await self._update(
            "ask_confirmation", conversation_id, {"comment": self._comment(text, True)}
        )

    async def hand_off(self, conversation_id: str, handoff: HandoffRequest) -> Delivery:
        if handoff.message:
            await self.reply(conversation_id, handoff.message)
        ticket: dict[str, Any] = {
            "comment": self._comment(handoff.note, False),
            "additional_tags": sorted({self.handoff_tag, *handoff.tags}),
        }
        if self.handoff_group_id is not None:
            ticket["group_id"] = _number(self.handoff_group_id)
        if self.handoff_assignee_id is not None:
            ticket["assignee_id"] = _number(self.handoff_assignee_id)
        return await self._update("hand_off", conversation_id, ticket)

    async def identify(self, message: InboundMessage | InboundConfirmation) -> Identity | None:
        """The author's primary verified email identity, or None (anonymous)."""
        if message.author_ref is None or message.author_ref == self.bot_user_id:
            return None
        path = f"/api/v2/users/{segment(message.author_ref)}/identities"
        response = await self._http.send("identify", "GET", path, idempotent=True)
        try:
            data = response.json()
        except ValueError:
            return None
        identities = data.get("identities") if isinstance(data, dict) else None
        if not isinstance(identities, list):
            return None
        verified = [
            entry
            for entry in identities
            if isinstance(entry, dict)
            and entry.get("type") == "email"
            and entry.get("verified") is True
            and isinstance(entry.get("value"), str)
            and entry["value"]
        ]
        if not verified:
            return None
        verified.sort(key=lambda entry: entry.get("primary") is not True)
        return Identity(email=verified[0]["value"], verified=True)

    def _comment(self, text: str, public: bool) -> dict[str, Any]:
        return {"body": text, "public": public, "author_id": _number(self.bot_user_id)}

    async def _update(self, operation: str, ticket_id: str, ticket: dict[str, Any]) -> Delivery:
        path = f"/api/v2/tickets/{segment(ticket_id)}"
        response = await self._http.send(operation, "PUT", path, body={"ticket": ticket})
        return Delivery(operation, response.status_code, _audit_id(response))


def _number(value: str) -> int | str:
    """Zendesk ids are integers in request bodies; keep a non-numeric id as given."""
    return int(value) if value.isdigit() else value


def _audit_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    audit = data.get("audit") if isinstance(data, dict) else None
    if isinstance(audit, dict) and audit.get("id") is not None:
        return str(audit["id"])
    return None
