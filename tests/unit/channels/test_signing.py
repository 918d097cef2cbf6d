"""Confirmation tokens: UUID-shaped, bound to conversation, action and choice, unforgeable."""

from __future__ import annotations

import uuid

from specagent_runtime import Secret
from specagent_runtime._channels.signing import ConfirmationCodec


def test_tokens_are_uuids_distinct_per_conversation_action_and_choice() -> None:
    codec = ConfirmationCodec.from_secret(Secret("a-channel-secret"))
    tokens = {
        codec.token(conversation, action, choice)
        for conversation in ("c1", "c2")
        for action in ("a1", "a2")
        for choice in ("yes", "no")
    }
    assert len(tokens) == 8
    for token in tokens:
        assert uuid.UUID(token).version == 8


def test_resolve_finds_only_a_pending_action_of_this_conversation() -> None:
    codec = ConfirmationCodec.from_secret(Secret("a-channel-secret"))
    token = codec.token("c1", "a2", "no")
    found = codec.resolve(token.upper(), "c1", ["a1", "a2"])
    assert found is not None
    assert (found.action_id, found.choice) == ("a2", "no")
    assert codec.resolve(token, "c2", ["a1", "a2"]) is None  # another conversation
    assert codec.resolve(token, "c1", ["a1"]) is None  # no longer pending
    other = ConfirmationCodec.from_secret(Secret("another-secret"))
    assert other.resolve(token, "c1", ["a2"]) is None  # made without the key
    assert codec.resolve("not a token", "c1", ["a2"]) is None


def test_the_codec_does_not_show_its_key() -> None:
    assert "a-channel-secret" not in repr(ConfirmationCodec.from_secret(Secret("a-channel-secret")))
