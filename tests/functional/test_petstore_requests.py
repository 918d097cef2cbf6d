"""The generated Petstore client against a mock transport: the exact requests it sends and
what it makes of the answers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from specagent_runtime import (
    AccessToken,
    ApiKey,
    NotFoundError,
    RequestError,
    ServerError,
)

from ._harness import (
    Mode,
    Recorder,
    Reply,
    call,
    empty_reply,
    json_body,
    json_reply,
    raw_path,
)

BASE = "https://petstore3.swagger.io/api/v3"
ORDER = {
    "id": 7,
    "petId": 3,
    "quantity": 2,
    "shipDate": "2024-05-06T07:08:09Z",
    "status": "approved",
    "complete": True,
}
PET = {"id": 4, "name": "Rex", "photoUrls": ["https://img.test/rex.png"], "status": "available"}
TOKEN = {"petstore_auth": AccessToken("tok-1")}


def test_get_order_by_id_sends_get_to_the_order_url(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply(ORDER))
    order = call(petstore, mode, "get_order_by_id", 7, recorder=recorder)
    request = recorder.last
    assert request.method == "GET"
    assert str(request.url) == f"{BASE}/store/order/7"
    assert request.headers["accept"] == "application/json"
    assert request.content == b""
    assert "authorization" not in request.headers
    assert isinstance(order, petstore.models.Order)
    assert order.id == 7
    assert order.pet_id == 3
    assert order.ship_date == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert order.status == petstore.models.OrderStatus.APPROVED
    assert order.complete is True


def test_base_url_given_in_code_keeps_its_path(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply(ORDER))
    options = {"base_url": "http://127.0.0.1:9/prefix/v3/"}
    call(petstore, mode, "get_order_by_id", 1, recorder=recorder, options=options)
    assert str(recorder.last.url) == "http://127.0.0.1:9/prefix/v3/store/order/1"


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("../admin", b"/api/v3/user/..%2Fadmin"),
        ("a/b", b"/api/v3/user/a%2Fb"),
        ("%2F", b"/api/v3/user/%252F"),
        ("who?x=1", b"/api/v3/user/who%3Fx%3D1"),
        ("a#frag", b"/api/v3/user/a%23frag"),
        ("Ann Lee", b"/api/v3/user/Ann%20Lee"),
        ("café-😀", b"/api/v3/user/caf%C3%A9-%F0%9F%98%80"),
        ("a;b,c=d", b"/api/v3/user/a%3Bb%2Cc%3Dd"),
    ],
)
def test_path_parameters_are_percent_encoded_whole(
    petstore: ModuleType, mode: Mode, username: str, expected: bytes
) -> None:
    user = {"id": 1, "username": username}
    recorder = Recorder(json_reply(user))
    result = call(petstore, mode, "get_user_by_name", username, recorder=recorder)
    request = recorder.last
    assert request.url.host == "petstore3.swagger.io"
    assert raw_path(request) == expected
    assert request.url.query == b""
    assert result.username == username


@pytest.mark.parametrize("username", ["..", ".", ""])
def test_dot_segments_and_empty_path_values_are_refused(
    petstore: ModuleType, mode: Mode, username: str
) -> None:
    recorder = Recorder(json_reply({}))
    with pytest.raises(RequestError) as caught:
        call(petstore, mode, "get_user_by_name", username, recorder=recorder)
    assert recorder.requests == []
    assert "username" in str(caught.value)
    assert caught.value.operation_id == "getUserByName"


def test_query_array_is_form_exploded(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply([PET]))
    pets = call(
        petstore,
        mode,
        "find_pets_by_tags",
        tags=["a b", "c,d", "e&f=g"],
        recorder=recorder,
        options={"credentials": TOKEN},
    )
    request = recorder.last
    assert request.url.path == "/api/v3/pet/findByTags"
    assert request.url.query == b"tags=a%20b&tags=c%2Cd&tags=e%26f%3Dg"
    assert request.url.params.get_list("tags") == ["a b", "c,d", "e&f=g"]
    assert [pet.name for pet in pets] == ["Rex"]
    assert isinstance(pets[0], petstore.models.Pet)


def test_enum_query_parameter_sends_its_value(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply([]))
    status = petstore.models.FindPetsByStatusArgsStatus.SOLD
    options = {"credentials": TOKEN}
    result = call(
        petstore, mode, "find_pets_by_status", status=status, recorder=recorder, options=options
    )
    assert recorder.last.url.query == b"status=sold"
    assert result == []


def test_unset_optional_query_parameters_are_omitted(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply([]))
    options = {"credentials": TOKEN}
    call(petstore, mode, "find_pets_by_status", recorder=recorder, options=options)
    assert recorder.last.url.query == b""


def test_header_parameter_and_no_body_on_delete(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(200))
    options = {"credentials": TOKEN}
    result = call(
        petstore, mode, "delete_pet", 9, api_key="spec-header", recorder=recorder, options=options
    )
    request = recorder.last
    assert request.method == "DELETE"
    assert raw_path(request) == b"/api/v3/pet/9"
    assert request.headers["api_key"] == "spec-header"
    assert request.headers["authorization"] == "Bearer tok-1"
    assert request.content == b""
    assert result is None


def test_header_parameter_with_a_line_break_is_refused(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(200))
    options = {"credentials": TOKEN}
    with pytest.raises(RequestError, match="line break"):
        call(
            petstore,
            mode,
            "delete_pet",
            9,
            api_key="x\r\nX-Evil: 1",
            recorder=recorder,
            options=options,
        )
    assert recorder.requests == []


def test_json_body_dumps_models_by_alias_and_omits_unset_fields(
    petstore: ModuleType, mode: Mode
) -> None:
    models = petstore.models
    recorder = Recorder(json_reply(PET))
    pet = call(
        petstore,
        mode,
        "add_pet",
        "Rex",
        ["https://img.test/rex.png"],
        category=models.Category(id=2),
        tags=[models.Tag(name="good"), models.Tag(id=5, name=None)],
        status=models.AddPetArgsStatus.AVAILABLE,
        recorder=recorder,
        options={"credentials": TOKEN},
    )
    request = recorder.last
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/pet"
    assert json_body(request) == {
        "name": "Rex",
        "category": {"id": 2},
        "photoUrls": ["https://img.test/rex.png"],
        "tags": [{"name": "good"}, {"id": 5, "name": None}],
        "status": "available",
    }
    assert pet.photo_urls == ["https://img.test/rex.png"]


def test_json_body_datetimes_and_camel_case_keys(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply(ORDER))
    shipped = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    call(
        petstore,
        mode,
        "place_order",
        pet_id=3,
        quantity=2,
        ship_date=shipped,
        complete=False,
        recorder=recorder,
    )
    request = recorder.last
    assert json_body(request) == {
        "petId": 3,
        "quantity": 2,
        "shipDate": "2024-05-06T07:08:09Z",
        "complete": False,
    }
    assert b"null" not in request.content


def test_whole_array_body(petstore: ModuleType, mode: Mode) -> None:
    users = [
        petstore.models.User(username="ann", firstName="Ann"),
        petstore.models.User(id=2, email="bo@example.test"),
    ]
    recorder = Recorder(json_reply({"id": 1, "username": "ann"}))
    call(petstore, mode, "create_users_with_list_input", body=users, recorder=recorder)
    assert raw_path(recorder.last) == b"/api/v3/user/createWithList"
    assert json_body(recorder.last) == [
        {"username": "ann", "firstName": "Ann"},
        {"id": 2, "email": "bo@example.test"},
    ]


def test_models_accept_their_python_field_names(petstore: ModuleType) -> None:
    user = petstore.models.User(first_name="Ann", user_status=1)
    assert user.model_dump(by_alias=True, exclude_unset=True) == {
        "firstName": "Ann",
        "userStatus": 1,
    }


def test_path_and_body_fields_with_the_same_name(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(200))
    call(
        petstore,
        mode,
        "update_user",
        "old name",
        username__body="new-name",
        email="n@example.test",
        recorder=recorder,
    )
    request = recorder.last
    assert request.method == "PUT"
    assert raw_path(request) == b"/api/v3/user/old%20name"
    assert json_body(request) == {"username": "new-name", "email": "n@example.test"}


def test_query_parameters_of_a_post_without_body(petstore: ModuleType, mode: Mode) -> None:
    # The Petstore 3 spec sends updatePetWithForm's fields in the query, not as a form body.
    recorder = Recorder(json_reply(PET))
    call(
        petstore,
        mode,
        "update_pet_with_form",
        4,
        name="Rex II",
        status="sold",
        recorder=recorder,
        options={"credentials": TOKEN},
    )
    request = recorder.last
    assert request.method == "POST"
    assert raw_path(request) == b"/api/v3/pet/4"
    assert request.url.query == b"name=Rex%20II&status=sold"
    assert request.content == b""
    assert "content-type" not in request.headers


def test_octet_stream_upload_sends_the_bytes_as_they_are(petstore: ModuleType, mode: Mode) -> None:
    image = b"\x89PNG\r\n\x1a\n\x00\xff binary"
    recorder = Recorder(json_reply({"code": 200, "type": "ok", "message": "stored"}))
    result = call(
        petstore,
        mode,
        "upload_file",
        4,
        additional_metadata="front view",
        body=image,
        recorder=recorder,
        options={"credentials": TOKEN},
    )
    request = recorder.last
    assert raw_path(request) == b"/api/v3/pet/4/uploadImage"
    assert request.url.query == b"additionalMetadata=front%20view"
    assert request.headers["content-type"] == "application/octet-stream"
    assert request.content == image
    assert result.message == "stored"


def test_api_key_header_from_code(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply({"available": 3, "sold": 1}))
    options = {"credentials": {"api_key": ApiKey("k-123")}}
    inventory = call(petstore, mode, "get_inventory", recorder=recorder, options=options)
    assert recorder.last.headers["api_key"] == "k-123"
    assert "authorization" not in recorder.last.headers
    assert inventory == {"available": 3, "sold": 1}


def test_api_key_header_from_the_documented_environment_variable(
    petstore: ModuleType, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = petstore.client.SECURITY_SCHEMES["api_key"]
    assert scheme.env == "FN_PETSTORE_API_KEY"
    readme = Path(str(petstore.__file__)).with_name("README.md").read_text(encoding="utf-8")
    assert f"`{scheme.env}`" in readme
    monkeypatch.setenv(scheme.env, "env-key")
    recorder = Recorder(json_reply({}))
    call(petstore, mode, "get_inventory", recorder=recorder)
    assert recorder.last.headers["api_key"] == "env-key"


def test_404_maps_to_not_found_with_the_spec_description(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply({"code": 1, "type": "error", "message": "Order not found"}, 404))
    with pytest.raises(NotFoundError) as caught:
        call(petstore, mode, "get_order_by_id", 99, recorder=recorder)
    error = caught.value
    assert error.status == 404
    assert error.operation_id == "getOrderById"
    assert error.description == "Order not found"
    assert error.model_message() == "The service answered 404 (Not Found): Order not found."
    assert "GET /store/order/99 (getOrderById)" in str(error)
    assert len(recorder.requests) == 1  # a 404 is not retried


def test_api_message_differing_from_the_description_reaches_the_model(
    petstore: ModuleType, mode: Mode
) -> None:
    recorder = Recorder(json_reply({"message": "order 99 was archived"}, 404))
    with pytest.raises(NotFoundError) as caught:
        call(petstore, mode, "get_order_by_id", 99, recorder=recorder)
    assert caught.value.model_message() == (
        'The service answered 404 (Not Found): Order not found. Its message: "order 99 was '
        'archived".'
    )


def test_html_error_page_stays_out_of_the_model_message(petstore: ModuleType, mode: Mode) -> None:
    page = b"<html><body><h1>Internal Error</h1><pre>Traceback ...</pre></body></html>"
    recorder = Recorder(Reply(500, page, {"Content-Type": "text/html"}))
    with pytest.raises(ServerError) as caught:
        call(petstore, mode, "get_order_by_id", 1, recorder=recorder)
    message = caught.value.model_message()
    assert message == "The service answered 500 (Internal Server Error): Unexpected error."
    assert "Traceback" in caught.value.body_excerpt  # the developer still sees the body
    assert len(recorder.requests) == 1  # 500 is not among the retried statuses


def test_response_not_matching_the_schema_is_returned_with_a_warning(
    petstore: ModuleType, mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    drifted = {**ORDER, "id": "not-a-number", "status": "lost-in-transit", "extra": 1}
    recorder = Recorder(json_reply(drifted))
    with caplog.at_level(logging.WARNING, logger="specagent_runtime"):
        order = call(petstore, mode, "get_order_by_id", 7, recorder=recorder)
    assert isinstance(order, petstore.models.Order)
    assert order.id == "not-a-number"
    assert order.status == "lost-in-transit"
    assert order.ship_date == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)  # valid fields typed
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "getOrderById" in text
    assert "Order" in text
    assert "not-a-number" not in text  # values may be customer data: not logged


def test_missing_credentials_name_the_environment_variables(
    petstore: ModuleType, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    for scheme in petstore.client.SECURITY_SCHEMES.values():
        for name in ("env", "env_token", "env_client_id", "env_client_secret"):
            if getattr(scheme, name, ""):
                monkeypatch.delenv(getattr(scheme, name), raising=False)
    recorder = Recorder(json_reply(PET))
    with pytest.raises(RequestError) as caught:
        call(petstore, mode, "get_pet_by_id", 1, recorder=recorder)
    assert recorder.requests == []
    message = str(caught.value)
    assert "FN_PETSTORE_API_KEY" in message
    assert "FN_PETSTORE_PETSTORE_AUTH_TOKEN" in message
