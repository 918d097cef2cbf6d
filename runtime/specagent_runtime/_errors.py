"""Every exception the runtime raises, under one root, and the short text the model is shown.

The tree (``except SpecagentError`` catches all of them)::

    SpecagentError
    ├── ConfigurationError (also ValueError)   a setup fault: fix the code or the configuration
    │   ├── CredentialsError                    (also a RequestError, below)
    │   └── McpConfigError                      the MCP server cannot start as configured
    ├── ApiError                                calling an API operation failed
    │   ├── RequestError                        nothing was sent: a bad argument, a bad base URL
    │   │   └── CredentialsError                no credentials for any of the operation's schemes
    │   ├── ApiConnectionError                  not reached, or the connection broke off
    │   │   └── ApiTimeoutError
    │   ├── ResponseDecodeError                 a success response that cannot be read
    │   │   ├── ResponseTooLargeError           over the decoded-size cap (decompression too)
    │   │   └── ResponseTooDeepError            JSON nested deeper than the cap
    │   └── ApiStatusError                      a non-success status
    │       ├── BadRequestError                 400
    │       ├── AuthError                       401, 403, a failed OAuth2 token fetch
    │       ├── NotFoundError                   404
    │       ├── ConflictError                   409
    │       ├── UnprocessableEntityError        422
    │       ├── RateLimitError                  429
    │       └── ServerError                     5xx
    ├── AgentError                              the host must act (no tasks, no model client)
    │   ├── ModelError                          the model service failed; the turn was not saved
    │   └── ConfirmationNotFound (also LookupError)
    ├── TaskError                               a task cannot be started or continued as asked
    │   └── TaskBusy                            another worker is advancing the run right now
    ├── TaskDataError                           a value a task step needs is missing or mistyped
    ├── StoreError                              the store cannot be used
    │   └── StoreConflict                       another worker saved the record first
    │       ├── LeaseLost                       another worker took over a lease (_stores)
    │       └── ConversationBusy                another worker holds the conversation
    └── ToolCallError (also ValueError)         a tool call payload in a provider's format is broken

Private ones (never raised to a caller) sit under the root too: `InvalidAnswer` (a customer's
answer does not fit a task input; `_tasks.input`) and the command line's usage error.
Wrong argument *types* raise `TypeError`, as everywhere in Python.

Two readers: the developer gets `str(exc)` (operation, method, path, status, a body excerpt,
the file or setting at fault), the model gets `exc.model_message()` (what happened in words
the agent can relay to a customer, e.g. the spec's response description; never a body dump, a
traceback or a setting). Neither ever carries a credential: messages are built from values the
runtime chose, and API bodies are scrubbed of the secrets in use (`_http.status`).
"""

from __future__ import annotations

import re
from typing import Any

MODEL_TEXT_LIMIT = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]+")


class SpecagentError(Exception):
    """The root of every exception the runtime raises."""

    def model_message(self) -> str:
        """Short text for the model. Errors meant for the developer tell it nothing more."""
        return "The request could not be completed because of a technical problem."


class ConfigurationError(SpecagentError, ValueError):
    """A setup fault the developer must fix: a bad argument (``max_rounds=0``), clashing tool
    and task names, an unreadable ``agent.json``, credentials for an unknown scheme.

    Also a `ValueError`, which these faults were before this class existed."""


class ApiError(SpecagentError):
    """Base of every error raised while calling an API operation."""

    def __init__(
        self,
        message: str,
        *,
        operation_id: str = "",
        method: str = "",
        path: str = "",
        status: int | None = None,
        description: str = "",
        api_message: str = "",
        body_excerpt: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation_id = operation_id
        self.method = method
        self.path = path
        self.status = status
        self.description = description
        self.api_message = api_message
        self.body_excerpt = body_excerpt

    @property
    def status_code(self) -> int | None:
        """`status` under the name httpx (`Response.status_code`) and openai
        (`APIStatusError.status_code`) users reach for; None when no response came."""
        return self.status

    def __str__(self) -> str:
        where = " ".join(part for part in (self.method, self.path) if part)
        if self.operation_id:
            where = f"{where} ({self.operation_id})" if where else self.operation_id
        return f"{where}: {self.message}" if where else self.message

    def model_message(self) -> str:
        """Short text for the model: what happened, never a body dump or a traceback."""
        return cap(self.message)


class RequestError(ApiError):
    """The request could not be built: a bad argument, a relative base URL, a header with CR/LF.

    Nothing was sent. The message names the argument and is safe to show the model.
    """


class CredentialsError(RequestError, ConfigurationError):
    """No security alternative of the operation has all its credentials available, or the
    credentials given in code do not fit the spec's schemes.

    The message names the environment variables to set (never their values). Both a request
    that could not be built and a setup fault, hence its two bases.
    """

    def model_message(self) -> str:
        return "This operation is not available: the service is not configured with credentials."


_OUTCOME_UNKNOWN = (
    "It is not known whether the action was carried out, so do not repeat it: tell the "
    "customer, and check with a lookup or offer to hand off to a human."
)


class ApiConnectionError(ApiError):
    """The API could not be reached (DNS, refused connection, TLS, dropped connection).

    `outcome_unknown` is set when an unsafe request (POST, PATCH) may have reached the server
    before the connection failed: the action may have happened, so inviting the model to try
    again could do it twice."""

    outcome_unknown: bool = False

    def model_message(self) -> str:
        if self.outcome_unknown:
            return "The connection to the service broke off. " + _OUTCOME_UNKNOWN
        return "The service could not be reached. Try again later."


class ApiTimeoutError(ApiConnectionError):
    """The API did not answer in time."""

    def model_message(self) -> str:
        if self.outcome_unknown:
            return "The service did not respond in time. " + _OUTCOME_UNKNOWN
        return "The service did not respond in time. Try again later."


class ResponseDecodeError(ApiError):
    """A success response whose body could not be decoded (e.g. invalid JSON)."""

    def model_message(self) -> str:
        return "The service returned a response that could not be read."


class ResponseTooLargeError(ResponseDecodeError):
    """The body grew past `ResponseLimits.max_bytes` once decoded (a gzip bomb, a dump of a
    whole table); reading stopped there. `limit` is the cap in bytes."""

    def __init__(self, message: str, *, limit: int = 0, **context: Any) -> None:
        super().__init__(message, **context)
        self.limit = limit

    def model_message(self) -> str:
        return (
            "The service's answer was too large to read. Ask for less (a narrower search, "
            "one item) or offer to hand off to a human."
        )


class ResponseTooDeepError(ResponseDecodeError):
    """A JSON body nested deeper than `ResponseLimits.max_depth`; it was not parsed, so no
    recursive code ever saw it. `limit` is the cap in levels."""

    def __init__(self, message: str, *, limit: int = 0, **context: Any) -> None:
        super().__init__(message, **context)
        self.limit = limit

    def model_message(self) -> str:
        return (
            "The service's answer was malformed (nested too deeply to read). Do not retry; "
            "offer to hand off to a human."
        )


class ApiStatusError(ApiError):
    """The API answered with a non-success status. Subclasses name the common ones."""

    def __init__(
        self,
        message: str,
        *,
        operation_id: str = "",
        method: str = "",
        path: str = "",
        status: int | None = None,
        description: str = "",
        api_message: str = "",
        body_excerpt: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            operation_id=operation_id,
            method=method,
            path=path,
            status=status,
            description=description,
            api_message=api_message,
            body_excerpt=body_excerpt,
        )
        self.retry_after = retry_after

    def model_message(self) -> str:
        status = self.status or 0
        text = f"The service answered {status} ({reason(status)})"
        if self.description:
            text += f": {self.description.rstrip('.')}"
        text += "."
        if self.api_message and self.api_message.lower() != self.description.lower():
            text += f' Its message: "{self.api_message}".'
        return cap(text)


class BadRequestError(ApiStatusError):
    """400: the API rejected the arguments."""


class AuthError(ApiStatusError):
    """401 or 403: the credentials were refused or lack permission (also a failed token fetch)."""

    def model_message(self) -> str:
        text = "The service refused the request as unauthorized"
        if self.description:
            text += f" ({self.description.rstrip('.')})"
        return cap(text + ".")


class NotFoundError(ApiStatusError):
    """404."""


class ConflictError(ApiStatusError):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(ApiStatusError):
    """422: the API understood the request but refused its content.

    Not named `ValidationError`, which readers would take for pydantic's.
    """


class RateLimitError(ApiStatusError):
    """429: too many requests; `retry_after` holds the server's hint in seconds, if any."""

    def model_message(self) -> str:
        text = "The service is receiving too many requests"
        if self.retry_after is not None:
            text += f"; try again in {max(1, round(self.retry_after))} seconds"
        else:
            text += "; try again later"
        return text + "."


class ServerError(ApiStatusError):
    """5xx: the API failed."""


class AgentError(SpecagentError):
    """A problem the host must handle (configuration, the model service), not the model."""


class ModelError(AgentError):
    """The model service failed or answered something unusable; the turn was not saved."""


class ConfirmationNotFound(AgentError, LookupError):
    """`Agent.confirm` named an action that is not pending (expired, replaced or done)."""


class TaskError(SpecagentError):
    """A task cannot be started or continued as asked (unknown task or run, bad inputs, another
    customer's run). The message is safe to show the model: it names no values."""

    def model_message(self) -> str:
        return str(self)


class TaskBusy(TaskError):
    """Another worker is advancing this task run right now (its lease is live): the request is
    being handled; nothing was done twice."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"task run {run_id} is being handled by another worker right now")
        self.run_id = run_id


class TaskDataError(SpecagentError):
    """A value a step needs is missing or has the wrong type at run time.

    The spec promised the field, the API did not send it: the engine hands the run to a human
    rather than guess. The message names the expression's path, never its value.
    """


class StoreError(SpecagentError):
    """The store cannot be used (a file that cannot be opened, locked too long, a full disk, a
    corrupt database). `kind` and `key` name the record it could not read or save ("" when the
    store itself failed), so the host can say exactly what was lost."""

    def __init__(self, message: str, *, kind: str = "", key: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.key = key


class StoreConflict(StoreError):
    """Another worker changed (or created) the record since it was loaded."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(
            f"{kind} {key!r} was changed by someone else; load it again and retry",
            kind=kind,
            key=key,
        )


class ConversationBusy(StoreConflict):
    """Another worker is handling this conversation and did not finish within the wait; a host
    confirmation is not queued: deliver it again (the helpdesk's retry does)."""

    def __init__(self, conversation_id: str) -> None:
        StoreError.__init__(
            self,
            f"conversation {conversation_id!r} is being handled by another worker; try again",
            kind="lease",
            key=conversation_id,
        )


class ToolCallError(SpecagentError, ValueError):
    """A tool call payload that cannot be read. `call_id` and `name` are set when the payload
    got that far, so the host can still answer the model with an error result."""

    def __init__(self, message: str, *, call_id: str | None = None, name: str | None = None):
        super().__init__(message)
        self.call_id = call_id
        self.name = name


# --- text for the model -----------------------------------------------------------------------


def reason(status: int) -> str:
    """The HTTP reason phrase of `status` ("Not Found"), "Error" for a code it does not know."""
    from http import HTTPStatus  # noqa: PLC0415 - only for API errors, not on a cold start

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def clean(text: str) -> str:
    """One line: control characters and runs of whitespace become single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def cap(text: str) -> str:
    """`clean` text cut to what the model is shown of an error."""
    text = clean(text)
    if len(text) <= MODEL_TEXT_LIMIT:
        return text
    return text[: MODEL_TEXT_LIMIT - 1].rstrip() + "…"
