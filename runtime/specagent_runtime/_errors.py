"""The runtime's exception tree, and the short text the model is shown for each error.

Two readers: the developer gets `str(exc)` (operation, method, path, status, a body excerpt),
the model gets `exc.model_message()` (what happened in words the agent can relay to a customer,
taken from the spec's response description). Neither ever carries a credential: messages are
built from values the runtime chose, and API bodies are scrubbed of the secrets in use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus

from specagent_runtime._secrets import Secret, redact

MODEL_TEXT_LIMIT = 300
BODY_EXCERPT_LIMIT = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]+")
_API_MESSAGE_KEYS = (
    "message",
    "detail",
    "msg",
    "error_description",
    "error",
    "title",
    "description",
)


class ApiError(Exception):
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

    def __str__(self) -> str:
        where = " ".join(part for part in (self.method, self.path) if part)
        if self.operation_id:
            where = f"{where} ({self.operation_id})" if where else self.operation_id
        return f"{where}: {self.message}" if where else self.message

    def model_message(self) -> str:
        """Short text for the model: what happened, never a body dump or a traceback."""
        return _cap(self.message)


class RequestError(ApiError):
    """The request could not be built: a bad argument, a relative base URL, a header with CR/LF.

    Nothing was sent. The message names the argument and is safe to show the model.
    """


class CredentialsError(RequestError):
    """No security alternative of the operation has all its credentials available.

    The message names the environment variables to set (never their values).
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
        text = f"The service answered {status} ({_reason(status)})"
        if self.description:
            text += f": {self.description.rstrip('.')}"
        text += "."
        if self.api_message and self.api_message.lower() != self.description.lower():
            text += f' Its message: "{self.api_message}".'
        return _cap(text)


class BadRequestError(ApiStatusError):
    """400: the API rejected the arguments."""


class AuthError(ApiStatusError):
    """401 or 403: the credentials were refused or lack permission (also a failed token fetch)."""

    def model_message(self) -> str:
        text = "The service refused the request as unauthorized"
        if self.description:
            text += f" ({self.description.rstrip('.')})"
        return _cap(text + ".")


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


_STATUS_CLASSES: Mapping[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(
    *,
    status: int,
    operation_id: str,
    method: str,
    path: str,
    responses: Iterable[tuple[str, str]],
    body: bytes,
    content_type: str,
    secrets: Iterable[Secret] = (),
    retry_after: float | None = None,
) -> ApiStatusError:
    """The typed error for a non-success response of one operation."""
    secrets = tuple(secrets)
    description = _clean(redact(response_description(responses, status), secrets))
    api_message, excerpt = _body_texts(body, content_type)
    api_message = _cap(redact(api_message, secrets))
    excerpt = redact(excerpt, secrets)
    cls = _STATUS_CLASSES.get(status) or (ServerError if status >= 500 else ApiStatusError)
    message = f"HTTP {status} {_reason(status)}"
    if description:
        message += f": {description}"
    if excerpt:
        message += f"; body: {excerpt}"
    return cls(
        message,
        operation_id=operation_id,
        method=method,
        path=path,
        status=status,
        description=description,
        api_message=api_message,
        body_excerpt=excerpt,
        retry_after=retry_after,
    )


def response_description(responses: Iterable[tuple[str, str]], status: int) -> str:
    """The spec's description for `status`: exact code, then `4XX`, then `default`."""
    by_code = {code.upper(): text for code, text in responses}
    for key in (str(status), f"{status // 100}XX", "DEFAULT"):
        text = by_code.get(key)
        if text:
            return text.strip()
    return ""


def _body_texts(body: bytes, content_type: str) -> tuple[str, str]:
    """(message for the model, excerpt for the developer) from an error body.

    Only a JSON body's message field reaches the model; HTML error pages and stack traces
    stay in the developer's excerpt.
    """
    text = body[: BODY_EXCERPT_LIMIT * 4].decode("utf-8", errors="replace")
    excerpt = _clean(text)[:BODY_EXCERPT_LIMIT]
    if "json" not in content_type.lower():
        return "", excerpt
    try:
        data = json.loads(body)
    except ValueError:
        return "", excerpt
    return _json_message(data), excerpt


def _json_message(data: object, depth: int = 0) -> str:
    if isinstance(data, str):
        return _clean(data)
    if depth > 2:
        return ""
    if isinstance(data, Mapping):
        for key in _API_MESSAGE_KEYS:
            if key in data:
                found = _json_message(data[key], depth + 1)
                if found:
                    return found
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            return _json_message(errors[0], depth + 1)
    if isinstance(data, list) and data:
        return _json_message(data[0], depth + 1)
    return ""


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _cap(text: str) -> str:
    text = _clean(text)
    if len(text) <= MODEL_TEXT_LIMIT:
        return text
    return text[: MODEL_TEXT_LIMIT - 1].rstrip() + "…"
