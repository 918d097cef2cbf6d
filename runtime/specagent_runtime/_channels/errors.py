"""The channel layer's exceptions, one tree, each mapped to the answer the webhook gets.

    ChannelError
    ├── SignatureError   401, nothing stored: missing, malformed, wrong or expired signature
    ├── PayloadError     400: a verified body that is not what the helpdesk documents
    ├── ConfigError      the service does not start: a setting is missing or invalid
    └── DeliveryError    the helpdesk's API refused or failed, after the retries

Messages name the problem (a header, a JSON path, an environment variable) and never carry a
secret, a signature or a token: they are written to logs, and an attacker who sends a forged
webhook must not learn from the 401 what the right signature would have been.
"""

from __future__ import annotations

from typing import Literal

SignatureProblem = Literal["missing", "malformed", "mismatch", "expired", "replayed"]


class ChannelError(Exception):
    """The root of every error raised by a channel."""


class SignatureError(ChannelError):
    """The request is not proven to come from the helpdesk (or the widget's backend): 401."""

    def __init__(self, channel: str, problem: SignatureProblem, detail: str) -> None:
        self.channel = channel
        self.problem: SignatureProblem = problem
        self.detail = detail
        super().__init__(f"{channel}: {problem} signature: {detail}")


class PayloadError(ChannelError):
    """A verified body that cannot be read as the helpdesk's documented payload: 400.

    `where` is a JSON path into the payload (``$.data.item.id``) so the log line says which part
    is wrong without echoing customer text.
    """

    def __init__(self, channel: str, where: str, problem: str) -> None:
        self.channel = channel
        self.where = where
        self.problem = problem
        super().__init__(f"{channel}: malformed payload at {where}: {problem}")


class ConfigError(ChannelError):
    """A setting (usually an environment variable) is missing or invalid."""


class DeliveryError(ChannelError):
    """A call to the helpdesk's API failed after the retries.

    `status` is the last HTTP status (None when no response came back); `retryable` tells the
    caller (the serve step's outbox) whether trying again later can help.
    """

    def __init__(
        self,
        channel: str,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
    ) -> None:
        self.channel = channel
        self.operation = operation
        self.status = status
        self.retryable = retryable
        where = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{channel}: {operation} failed ({where}): {message}")
