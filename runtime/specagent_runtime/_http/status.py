"""A non-success response as its typed error (`_errors.ApiStatusError` and subclasses).

The developer's message names the status, the spec's description of it and an excerpt of the
body; the model's (`model_message`) gets only the description and a JSON body's own message
field, never an HTML error page or a stack trace. Both are scrubbed of the secrets in use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from specagent_runtime._errors import (
    ApiStatusError,
    AuthError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ResponseTooDeepError,
    ServerError,
    UnprocessableEntityError,
    cap,
    clean,
    reason,
)
from specagent_runtime._http.body import ERROR_BODY_LIMIT, loads
from specagent_runtime._secrets import KNOWN_MINIMUM, Secret, known_secrets, redact

BODY_EXCERPT_LIMIT = 500
ERROR_BODY_DEPTH = 32  # an error body's message sits near the top
_API_MESSAGE_KEYS = (
    "message",
    "detail",
    "msg",
    "error_description",
    "error",
    "title",
    "description",
)

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
    # The request's own credentials, and every other one this process holds (an API may echo
    # another client's key, or the Basic value of a token request).
    secrets = (*secrets, *(s for s in known_secrets() if len(s.reveal()) >= KNOWN_MINIMUM))
    description = clean(redact(response_description(responses, status), secrets))
    api_message, excerpt = _body_texts(body, content_type, secrets)
    cls = _STATUS_CLASSES.get(status) or (ServerError if status >= 500 else ApiStatusError)
    message = f"HTTP {status} {reason(status)}"
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


def _body_texts(body: bytes, content_type: str, secrets: Iterable[Secret]) -> tuple[str, str]:
    """(message for the model, excerpt for the developer) from an error body.

    Only a JSON body's message field reaches the model; HTML error pages and stack traces
    stay in the developer's excerpt. Secrets are removed before anything is cut, so a key
    that straddles the cut cannot leave its first half behind.
    """
    text = redact(body[:ERROR_BODY_LIMIT].decode("utf-8", errors="replace"), secrets)
    excerpt = clean(text)[:BODY_EXCERPT_LIMIT]
    if "json" not in content_type.lower():
        return "", excerpt
    try:
        data = loads(body, ERROR_BODY_DEPTH)
    except (ValueError, ResponseTooDeepError):
        return "", excerpt
    return cap(redact(_json_message(data), secrets)), excerpt


def _json_message(data: object, depth: int = 0) -> str:
    if isinstance(data, str):
        return clean(data)
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
