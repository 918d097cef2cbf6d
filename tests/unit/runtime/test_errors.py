"""The exception tree and what the model is shown for each error."""

from __future__ import annotations

import json

import pytest
from specagent_runtime import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ApiTimeoutError,
    AuthError,
    BadRequestError,
    ConflictError,
    CredentialsError,
    NotFoundError,
    RateLimitError,
    RequestError,
    ResponseDecodeError,
    Secret,
    ServerError,
    UnprocessableEntityError,
)
from specagent_runtime._http.status import response_description, status_error

RESPONSES = (
    ("200", "successful operation"),
    ("404", "Order not found"),
    ("4XX", "Client error"),
    ("default", "Unexpected error"),
)


def _error(
    status: int,
    body: bytes = b"",
    content_type: str = "application/json",
    *,
    secrets: tuple[Secret, ...] = (),
    retry_after: float | None = None,
) -> ApiStatusError:
    return status_error(
        status=status,
        operation_id="getOrderById",
        method="GET",
        path="/store/order/5",
        responses=RESPONSES,
        body=body,
        content_type=content_type,
        secrets=secrets,
        retry_after=retry_after,
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, ApiStatusError),
        (302, ApiStatusError),
    ],
)
def test_status_maps_to_its_class(status: int, cls: type[ApiStatusError]) -> None:
    error = _error(status)
    assert type(error) is cls
    assert isinstance(error, ApiError)
    assert error.status == status


def test_hierarchy() -> None:
    assert issubclass(ApiTimeoutError, ApiConnectionError)
    assert issubclass(ApiConnectionError, ApiError)
    assert issubclass(CredentialsError, RequestError)
    assert issubclass(ResponseDecodeError, ApiError)
    assert issubclass(RequestError, ApiError)
    assert not issubclass(ApiTimeoutError, TimeoutError)


def test_not_found_uses_the_spec_description_for_the_model() -> None:
    error = _error(404, b'{"code": 1, "message": "Order 5 does not exist"}')
    assert error.model_message() == (
        "The service answered 404 (Not Found): Order not found. "
        'Its message: "Order 5 does not exist".'
    )
    text = str(error)
    assert text.startswith("GET /store/order/5 (getOrderById): HTTP 404 Not Found")
    assert "Order 5 does not exist" in text


@pytest.mark.parametrize(
    ("status", "description"),
    [(404, "Order not found"), (410, "Client error"), (500, "Unexpected error")],
)
def test_description_falls_back_to_range_then_default(status: int, description: str) -> None:
    assert response_description(RESPONSES, status) == description


def test_html_error_pages_never_reach_the_model() -> None:
    html = b"<html><body><h1>502 Bad Gateway</h1><pre>Traceback (most recent call last)</pre>"
    error = _error(502, html, "text/html")
    assert "<html>" not in error.model_message()
    assert "Traceback" not in error.model_message()
    assert "Bad Gateway" in error.model_message()
    assert "Traceback" in error.body_excerpt  # the developer still sees it


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"detail": "Invalid zip code"}, "Invalid zip code"),
        ({"error": {"message": "Card declined", "type": "card_error"}}, "Card declined"),
        ({"errors": [{"message": "name is required"}]}, "name is required"),
        ({"error": "invalid_request"}, "invalid_request"),
        ({"detail": [{"loc": ["body", "name"], "msg": "Field required"}]}, "Field required"),
        ([{"code": 3}], ""),
    ],
)
def test_json_message_fields_are_quoted(body: object, expected: str) -> None:
    error = _error(400, json.dumps(body).encode())
    assert error.api_message == expected


def test_model_message_is_capped() -> None:
    error = _error(400, json.dumps({"message": "x" * 5000}).encode())
    assert len(error.model_message()) <= 300
    assert error.model_message().endswith("…")
    assert len(error.body_excerpt) <= 500


def test_control_characters_are_removed() -> None:
    error = _error(400, b'{"message": "bad\\r\\ninput\\u0000here"}')
    assert error.api_message == "bad input here"


def test_secrets_echoed_by_the_api_are_scrubbed() -> None:
    key = Secret("sk-live-1234567890")
    body = b'{"message": "Invalid API key sk-live-1234567890"}'
    error = _error(401, body, secrets=(key,))
    for text in (str(error), error.model_message(), repr(error), error.api_message):
        assert "sk-live-1234567890" not in text


def test_rate_limit_message_mentions_the_wait() -> None:
    assert "try again in 20 seconds" in _error(429, retry_after=20.0).model_message()
    assert "try again later" in _error(429).model_message()


def test_auth_error_message_for_the_model() -> None:
    message = _error(401, b'{"message": "token expired"}').model_message()
    assert message == "The service refused the request as unauthorized (Client error)."


def test_non_status_errors_have_fixed_model_messages() -> None:
    assert "did not respond in time" in ApiTimeoutError("timed out").model_message()
    assert "could not be reached" in ApiConnectionError("refused").model_message()
    assert "could not be read" in ResponseDecodeError("bad json").model_message()
    credentials = CredentialsError("listPets needs credentials: set PET_KEY")
    assert "PET_KEY" not in credentials.model_message()
    assert "PET_KEY" in str(credentials)


def test_request_error_text_names_the_operation() -> None:
    error = RequestError("missing required path argument 'orderId'", operation_id="getOrder")
    assert str(error) == "getOrder: missing required path argument 'orderId'"
    assert error.model_message() == "missing required path argument 'orderId'"


def test_api_message_equal_to_the_description_is_not_repeated() -> None:
    error = _error(404, b'{"message": "order not found"}')
    assert error.model_message() == "The service answered 404 (Not Found): Order not found."


def test_status_code_is_status_under_the_name_httpx_and_openai_use() -> None:
    error = _error(404)
    assert isinstance(error, NotFoundError)
    assert error.status_code == error.status == 404
    assert RequestError("bad argument").status_code is None
