"""Intercom: signed webhooks in, admin replies, quick replies and team assignment out.

Webhooks (https://developers.intercom.com/docs/references/1.0/webhooks/webhook-models and
https://intercom-developer-hub.readme.io/reference/signed-notifications): a notification
`{"type": "notification_event", "id", "topic", "data": {"item": <conversation>}}` signed with
`X-Hub-Signature: sha1=<hex>`, the HMAC-SHA1 of the raw body keyed by the app's client secret.
The agent acts on two topics: `conversation.user.created` (the customer's first message is the
conversation's `source`) and `conversation.user.replied` (new `conversation_parts`); every other
topic, `ping` included, is acknowledged and ignored.

Identity: a part's author is a `user` (a contact with an account) or a `lead` (anonymous).
Intercom can vouch for a user only when the workspace enforces Identity Verification (the
Messenger then refuses a logged-in user without the HMAC `user_hash` made by the company's
backend, https://www.intercom.com/help/en/articles/7946878-what-is-identity-verification), so a
`user` becomes an `Identity` (their `external_id` as `user_id`, their email) only when the
channel is told it is enforced; leads and visitors are always anonymous.

Outbound (the API spec `intercom.io__2.16.yaml`): `replyConversation` as the bot admin, quick
replies (`message_type: quick_reply`, whose clicked option comes back in a part's
`metadata.quick_reply_uuid`), `manageConversation` to assign a team, a `note` for the humans.
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
from specagent_runtime._channels.signing import equal, hmac_hex
from specagent_runtime._channels.text import html_to_text, text_to_html

NAME: ChannelName = "intercom"
SIGNATURE_HEADER = "X-Hub-Signature"
TOPICS = frozenset({"conversation.user.created", "conversation.user.replied"})
CONTACT_AUTHORS = frozenset({"user", "lead", "contact"})
MESSAGE_PARTS = frozenset({"comment", "quick_reply", "open"})
DEFAULT_API_BASE = "https://api.intercom.io"
API_VERSION = "2.16"


class IntercomChannel:
    """Verifies and reads Intercom webhook notifications."""

    name: ClassVar[ChannelName] = NAME

    def __init__(self, client_secret: Secret, *, identity_verification: bool = False) -> None:
        if not client_secret:
            raise ValueError("intercom: the client secret is empty")
        self._secret = client_secret
        self.identity_verification = identity_verification

    def __repr__(self) -> str:
        return f"IntercomChannel(identity_verification={self.identity_verification})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedRequest:
        given = header(headers, SIGNATURE_HEADER)
        if given is None:
            raise SignatureError(NAME, "missing", f"no {SIGNATURE_HEADER} header")
        prefix, _, digest = given.strip().partition("=")
        if prefix != "sha1" or len(digest) != 40:
            raise SignatureError(NAME, "malformed", f"{SIGNATURE_HEADER} is not sha1=<40 hex>")
        expected = hmac_hex(self._secret, body, "sha1")
        if not equal(expected, digest.lower()):
            raise SignatureError(NAME, "mismatch", f"{SIGNATURE_HEADER} does not match the body")
        return VerifiedRequest(NAME, body)

    def parse(self, request: VerifiedRequest) -> Sequence[Inbound]:
        payload = request.json()
        topic = text_member(NAME, payload, "topic", "$")
        notification_id = optional_text(NAME, payload, "id", "$")
        if topic not in TOPICS:
            return [Ignored(NAME, f"topic {topic!r} is not a customer message", notification_id)]
        data = object_member(NAME, payload, "data", "$")
        item = object_member(NAME, data, "item", "$.data")
        where = "$.data.item"
        conversation_id = text_member(NAME, item, "id", where)
        contacts = _contacts(item, where)
        if topic == "conversation.user.created":
            source = object_member(NAME, item, "source", where)
            found = self._part(conversation_id, source, f"{where}.source", contacts, "source")
            return [found]
        parts_list = object_member(NAME, item, "conversation_parts", where)
        parts = list_member(NAME, parts_list, "conversation_parts", f"{where}.conversation_parts")
        events = [
            self._part(
                conversation_id,
                part,
                f"{where}.conversation_parts.conversation_parts[{index}]",
                contacts,
                "part",
            )
            for index, part in enumerate(parts)
        ]
        if not events:
            return [Ignored(NAME, "a reply notification without parts", notification_id)]
        return events

    def _part(
        self,
        conversation_id: str,
        part: Any,
        where: str,
        contacts: Mapping[str, str | None],
        kind: str,
    ) -> Inbound:
        part_id = text_member(NAME, part, "id", where)
        message_id = f"{kind}-{part_id}"
        author = object_member(NAME, part, "author", where)
        author_type = text_member(NAME, author, "type", f"{where}.author")
        if author_type not in CONTACT_AUTHORS:
            return Ignored(NAME, f"written by {author_type!r}, not the customer", message_id)
        part_type = optional_text(NAME, part, "part_type", where) or "comment"
        metadata = part.get("metadata")
        clicked = metadata.get("quick_reply_uuid") if isinstance(metadata, dict) else None
        if kind == "part" and part_type not in MESSAGE_PARTS and clicked is None:
            return Ignored(NAME, f"a {part_type!r} part is not a message", message_id)
        author_id = optional_text(NAME, author, "id", f"{where}.author")
        identity = self._identity(author_type, author, author_id, contacts, f"{where}.author")
        body = part.get("body")
        if body is not None and not isinstance(body, str):
            raise PayloadError(NAME, f"{where}.body", "expected a string")
        text = html_to_text(body or "")
        if clicked is not None:
            if not isinstance(clicked, str) or not clicked:
                raise PayloadError(NAME, f"{where}.metadata.quick_reply_uuid", "expected a uuid")
            return InboundConfirmation(
                NAME, conversation_id, message_id, clicked, text, identity, author_id
            )
        if not text:
            return Ignored(NAME, "a part without text (an attachment or an event)", message_id)
        return InboundMessage(NAME, conversation_id, message_id, text, identity, author_id)

    def _identity(
        self,
        author_type: str,
        author: dict[str, Any],
        author_id: str | None,
        contacts: Mapping[str, str | None],
        where: str,
    ) -> Identity | None:
        if author_type != "user" or not self.identity_verification:
            return None
        external_id = contacts.get(author_id) if author_id is not None else None
        email = optional_text(NAME, author, "email", where)
        if external_id is None and email is None:
            return None
        return Identity(email=email, user_id=external_id, verified=True)


def _contacts(item: dict[str, Any], where: str) -> dict[str, str | None]:
    """Intercom contact id -> the company's own user id (`external_id`), for the parts' authors."""
    block = item.get("contacts")
    if block is None:
        return {}
    entries = list_member(NAME, block, "contacts", f"{where}.contacts")
    found: dict[str, str | None] = {}
    for index, entry in enumerate(entries):
        at = f"{where}.contacts.contacts[{index}]"
        found[text_member(NAME, entry, "id", at)] = optional_text(NAME, entry, "external_id", at)
    return found


class IntercomClient:
    """Replies, quick replies, notes and assignment as the bot admin (`INTERCOM_ADMIN_ID`)."""

    def __init__(
        self,
        access_token: Secret,
        admin_id: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        team_id: str | None = None,
        tag_id: str | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.admin_id = str(admin_id)
        self.team_id = team_id
        self.tag_id = tag_id
        self._http = HelpdeskHttp(
            NAME,
            base_url(NAME, api_base, "INTERCOM_API_BASE"),
            auth=SecretAuth.bearer(access_token),
            secrets=[access_token],
            headers={"Intercom-Version": API_VERSION},
            retry=retry,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"IntercomClient(admin_id={self.admin_id!r}, base={self._http.base!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def reply(self, conversation_id: str, text: str) -> Delivery:
        body = {
            "message_type": "comment",
            "type": "admin",
            "admin_id": self.admin_id,
            "body": text_to_html(text),
        }
        return await self._reply("reply", conversation_id, body)

    async def ask_confirmation(self, conversation_id: str, prompt: ConfirmationPrompt) -> Delivery:
        # Quick-reply parts carry only the options (their body must be absent), so the question
        # goes first as a comment, then the options.
        await self.reply(conversation_id, prompt.text)
        body = {
            "message_type": "quick_reply",
            "type": "admin",
            "admin_id": self.admin_id,
            "reply_options": [
                {"text": prompt.yes_label, "uuid": prompt.yes_token},
                {"text": prompt.no_label, "uuid": prompt.no_token},
            ],
        }
        return await self._reply("ask_confirmation", conversation_id, body)

    async def hand_off(self, conversation_id: str, handoff: HandoffRequest) -> Delivery:
        note = {
            "message_type": "note",
            "type": "admin",
            "admin_id": self.admin_id,
            "body": text_to_html(handoff.note),
        }
        await self._reply("hand_off note", conversation_id, note)
        if self.tag_id is not None:
            await self._http.send(
                "hand_off tag",
                "POST",
                f"/conversations/{segment(conversation_id)}/tags",
                body={"id": self.tag_id, "admin_id": self.admin_id},
            )
        assign: dict[str, Any] = {
            "message_type": "assignment",
            "type": "team",
            "admin_id": self.admin_id,
            # "0" is Intercom's "unassigned": the bot lets go even without a configured team.
            "assignee_id": self.team_id or "0",
        }
        if handoff.message:
            assign["body"] = text_to_html(handoff.message)
        response = await self._http.send(
            "hand_off", "POST", f"/conversations/{segment(conversation_id)}/parts", body=assign
        )
        return Delivery("hand_off", response.status_code, _last_part_id(response))

    async def identify(self, message: InboundMessage | InboundConfirmation) -> Identity | None:
        return message.identity

    async def workspace_identity_verification(self) -> bool:
        """Whether the workspace uses Identity Verification (`GET /me`, its
        `app.identity_verification`): the serve step checks the setting against it."""
        response = await self._http.send("identify admin", "GET", "/me", idempotent=True)
        app = _json(response).get("app")
        return isinstance(app, dict) and app.get("identity_verification") is True

    async def _reply(self, operation: str, conversation_id: str, body: dict[str, Any]) -> Delivery:
        path = f"/conversations/{segment(conversation_id)}/reply"
        response = await self._http.send(operation, "POST", path, body=body)
        return Delivery(operation, response.status_code, _last_part_id(response))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _last_part_id(response: httpx.Response) -> str | None:
    parts = _json(response).get("conversation_parts")
    if isinstance(parts, dict) and isinstance(parts.get("conversation_parts"), list):
        items = parts["conversation_parts"]
        if items and isinstance(items[-1], dict) and items[-1].get("id") is not None:
            return str(items[-1]["id"])
    return None
