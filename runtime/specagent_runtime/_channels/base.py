"""The one channel interface: what every helpdesk module provides and what it hands the host.

A webhook goes through two steps. `verify(headers, body)` proves the request comes from the
helpdesk (a signature over the raw bytes, a shared secret, the widget backend's signed token)
and returns a `VerifiedRequest`, the only thing `parse` accepts, so an unverified body cannot be
parsed by mistake. `parse(request)` turns the helpdesk's payload into neutral inbound events:

- `InboundMessage`: a customer wrote text; `message_id` is the helpdesk's own id for that
  message, the idempotency key (a redelivered webhook carries the same id);
- `InboundConfirmation`: the customer clicked a button or quick reply that the agent sent for
  one proposed action (the token is resolved by `ConfirmationCodec`);
- `Ignored`: a topic, author or event kind the agent does not act on (the webhook gets 200).

Identity is only ever what the helpdesk verified: a `specagent_runtime.Identity` taken from the
signed payload (Intercom users of an identity-verified Messenger, Sunshine users authenticated
with a JWT, web-chat tokens signed by the company's backend), or, where the payload cannot
say (Zendesk Support), `author_ref` for the outbound client's `identify` to look up. A name or
an email typed by the customer never becomes an identity.

The outbound side (`HelpdeskClient`) replies, asks for a confirmation in the channel's own
widgets, and hands the conversation to humans.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, TypeAlias, runtime_checkable

from specagent_runtime import Identity
from specagent_runtime._channels.errors import PayloadError

ChannelName = Literal["intercom", "zendesk", "sunshine", "webchat"]


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """A request body whose origin was proven by `Channel.verify`.

    `identity` is set only by channels whose proof is itself an identity assertion (the web
    chat's signed token); `delivery_id` is the helpdesk's id of this HTTP delivery when it sends
    one (Zendesk's invocation id), for logs.
    """

    channel: ChannelName
    body: bytes
    identity: Identity | None = None
    delivery_id: str | None = None

    def json(self) -> Any:
        """The body as JSON; a `PayloadError` (400) when it is not JSON."""
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PayloadError(self.channel, "$", f"not JSON ({exc.__class__.__name__})") from None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's text message, ready for `Agent.respond(..., message_id=...)`."""

    channel: ChannelName
    conversation_id: str
    message_id: str
    text: str
    identity: Identity | None = None
    author_ref: str | None = None  # the helpdesk's id of the author, for `identify` lookups


@dataclass(frozen=True, slots=True)
class InboundConfirmation:
    """The customer clicked a confirmation button: `token` names one action and yes or no.

    It is the host confirmation of that action (`Agent.confirm` / `confirm_task`) once
    `ConfirmationCodec.resolve` maps the token to a pending action of this conversation; a token
    that maps to none (expired, forged, from another conversation) confirms nothing.
    """

    channel: ChannelName
    conversation_id: str
    message_id: str
    token: str
    label: str = ""  # the button text the customer saw, for the transcript
    identity: Identity | None = None
    author_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """An event the agent does not act on, with the reason for the log line."""

    channel: ChannelName
    reason: str
    event_id: str | None = None


Inbound: TypeAlias = InboundMessage | InboundConfirmation | Ignored


@runtime_checkable
class Channel(Protocol):
    """Verify and read one helpdesk's webhooks. Pure: no I/O, no clock but the one injected."""

    name: ClassVar[ChannelName]

    def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedRequest:
        """Prove the request's origin; raises `SignatureError` (401). `headers` may use any
        case (Starlette's `request.headers` or a plain dict)."""
        ...

    def parse(self, request: VerifiedRequest) -> Sequence[Inbound]:
        """The inbound events in a verified payload; raises `PayloadError` (400)."""
        ...


@dataclass(frozen=True, slots=True)
class ConfirmationPrompt:
    """A proposal to show with Yes/No controls; tokens come from `ConfirmationCodec.prompt`."""

    text: str  # the question, including the summary of the action
    yes_token: str
    no_token: str
    yes_label: str = "Yes"
    no_label: str = "No"


@dataclass(frozen=True, slots=True)
class HandoffRequest:
    """Pass the conversation to humans.

    `note` is for the agents only (an internal note, never shown to the customer); `message` is
    an optional last word to the customer.
    """

    note: str
    message: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the helpdesk answered to one outbound call: its id for what was created, if any."""

    operation: str
    status: int
    helpdesk_id: str | None = None


class HelpdeskClient(Protocol):
    """The outbound half of a channel: every method retries with backoff, then raises
    `DeliveryError`; none logs a credential."""

    async def reply(self, conversation_id: str, text: str) -> Delivery:
        """Post `text` to the customer as the bot."""
        ...

    async def ask_confirmation(self, conversation_id: str, prompt: ConfirmationPrompt) -> Delivery:
        """Post the proposal with the channel's confirmation controls (quick replies, postback
        buttons; a plain question where the channel has none, e.g. Zendesk email)."""
        ...

    async def hand_off(self, conversation_id: str, handoff: HandoffRequest) -> Delivery:
        """Route the conversation to humans (team, group, switchboard) with an internal note."""
        ...

    async def identify(self, message: InboundMessage | InboundConfirmation) -> Identity | None:
        """The verified identity of the author: the one in the payload, or a lookup where the
        helpdesk keeps it elsewhere (Zendesk's verified email identities)."""
        ...

    async def aclose(self) -> None: ...


# -- small readers for payloads: each failure names its JSON path -------------------------------


def member(channel: ChannelName, obj: Any, key: str, where: str) -> Any:
    """`obj[key]`, or a `PayloadError` naming `where.key` when `obj` is no object or lacks it."""
    if not isinstance(obj, dict):
        raise PayloadError(channel, where, f"expected an object, got {_kind(obj)}")
    if key not in obj:
        raise PayloadError(channel, f"{where}.{key}", "missing")
    return obj[key]


def text_member(channel: ChannelName, obj: Any, key: str, where: str) -> str:
    """A required non-empty string (ids arrive as numbers from some helpdesks: accepted)."""
    value = member(channel, obj, key, where)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError(channel, f"{where}.{key}", f"expected a string, got {_kind(value)}")
    text = str(value)
    if not text:
        raise PayloadError(channel, f"{where}.{key}", "empty")
    return text


def optional_text(channel: ChannelName, obj: Any, key: str, where: str) -> str | None:
    """An optional string member; absent, null or empty is None."""
    if not isinstance(obj, dict):
        raise PayloadError(channel, where, f"expected an object, got {_kind(obj)}")
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError(channel, f"{where}.{key}", f"expected a string, got {_kind(value)}")
    return str(value)


def object_member(channel: ChannelName, obj: Any, key: str, where: str) -> dict[str, Any]:
    value = member(channel, obj, key, where)
    if not isinstance(value, dict):
        raise PayloadError(channel, f"{where}.{key}", f"expected an object, got {_kind(value)}")
    return value


def list_member(channel: ChannelName, obj: Any, key: str, where: str) -> list[Any]:
    value = member(channel, obj, key, where)
    if not isinstance(value, list):
        raise PayloadError(channel, f"{where}.{key}", f"expected an array, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (plain dicts in tests, Starlette's headers in serve)."""
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lower:
            return candidate
    return None
