"""Signatures, shared secrets and confirmation tokens, all compared in constant time.

Every check here goes through `hmac.compare_digest`, so the time a forged webhook takes to be
refused says nothing about how much of its signature was right. Secrets arrive as
`specagent_runtime.Secret` and are revealed only inside these functions.

Confirmation tokens are what a button or quick reply carries back: an HMAC of (conversation,
action, choice) under a key derived from the channel's secret, written as an RFC 9562 version-8
UUID because Intercom's quick-reply options must be UUIDs. A token is useless outside its
conversation and cannot be made without the key; nothing needs storing, since the host already
knows the pending actions of the conversation and `resolve` recomputes their tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from specagent_runtime import Secret
from specagent_runtime._channels.base import ConfirmationPrompt

Choice = Literal["yes", "no"]

_TOKEN_PURPOSE = b"specagent channel confirmation token v1"
_CHOICES: tuple[Choice, ...] = ("yes", "no")


def equal(expected: bytes | str, given: bytes | str) -> bool:
    """Constant-time equality of two strings or byte strings (str is UTF-8 encoded)."""
    left = expected.encode() if isinstance(expected, str) else expected
    right = given.encode() if isinstance(given, str) else given
    return hmac.compare_digest(left, right)


def hmac_hex(secret: Secret, message: bytes, digest: str) -> str:
    return hmac.new(secret.reveal().encode(), message, digest).hexdigest()


def hmac_digest(secret: Secret, message: bytes, digest: str) -> bytes:
    return hmac.new(secret.reveal().encode(), message, digest).digest()


@dataclass(frozen=True, slots=True)
class ResolvedConfirmation:
    action_id: str
    choice: Choice


class ConfirmationCodec:
    """Makes and reads the tokens behind Yes/No buttons for one channel."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a confirmation key needs at least 16 bytes")
        self._key = key

    @classmethod
    def from_secret(cls, secret: Secret) -> ConfirmationCodec:
        """A key derived from the channel's webhook or signing secret (no extra setting)."""
        return cls(hmac.new(secret.reveal().encode(), _TOKEN_PURPOSE, hashlib.sha256).digest())

    def __repr__(self) -> str:
        return "ConfirmationCodec(key=**********)"

    def token(self, conversation_id: str, action_id: str, choice: Choice) -> str:
        message = "\x00".join(("v1", conversation_id, action_id, choice)).encode()
        digest = bytearray(hmac.new(self._key, message, hashlib.sha256).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x80  # version 8: custom
        digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
        return str(uuid.UUID(bytes=bytes(digest)))

    def prompt(
        self,
        conversation_id: str,
        action_id: str,
        text: str,
        *,
        yes_label: str = "Yes",
        no_label: str = "No",
    ) -> ConfirmationPrompt:
        return ConfirmationPrompt(
            text=text,
            yes_token=self.token(conversation_id, action_id, "yes"),
            no_token=self.token(conversation_id, action_id, "no"),
            yes_label=yes_label,
            no_label=no_label,
        )

    def resolve(
        self, token: str, conversation_id: str, pending_action_ids: Iterable[str]
    ) -> ResolvedConfirmation | None:
        """The pending action and choice `token` stands for in this conversation, or None.

        Every candidate is compared (no early exit), so timing does not tell which matched.
        """
        given = token.strip().lower()
        found: ResolvedConfirmation | None = None
        for action_id in pending_action_ids:
            for choice in _CHOICES:
                if equal(self.token(conversation_id, action_id, choice), given) and found is None:
                    found = ResolvedConfirmation(action_id, choice)
        return found
