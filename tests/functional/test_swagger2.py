"""A Swagger 2.0 spec (`specs/swagger2.yaml`), converted before generation: collectionFormat
styles, formData fields and files, a body parameter colliding with a path parameter, basic
auth and an apiKey."""

from __future__ import annotations

import base64
from types import ModuleType

import pytest
from specagent_runtime import ApiKey, BasicAuth, NotFoundError

from ._harness import (
    Mode,
    Recorder,
    call,
    empty_reply,
    json_body,
    json_reply,
    multipart_parts,
    raw_path,
)

BASE = "https://legacy.example.test/v2"
BASIC = {"basic": BasicAuth("ann", "pw:1")}
BASIC_HEADER = "Basic " + base64.b64encode(b"ann:pw:1").decode()


@pytest.mark.parametrize(
    ("arguments", "query"),
    [
        ({"tag": ["x", "y z"]}, b"tag=x&tag=y%20z"),
        ({"ids": [1, 2]}, b"ids=1,2"),
        ({"names": ["a", "b"]}, b"names=a%7Cb"),
        ({"words": ["a", "b"]}, b"words=a%20b"),
        ({"limit": 10, "tag": ["t"]}, b"tag=t&limit=10"),
    ],
)
def test_collection_formats(
    swagger2: ModuleType, mode: Mode, arguments: dict[str, object], query: bytes
) -> None:
    recorder = Recorder(json_reply([{"hitId": 1, "title": "One", "score": 0.5}]))
    hits = call(
        swagger2, mode, "search", recorder=recorder, options={"credentials": BASIC}, **arguments
    )
    request = recorder.last
    assert str(request.url.copy_with(query=None)) == f"{BASE}/search"
    assert request.url.query == query
    assert request.headers["authorization"] == BASIC_HEADER
    assert [(hit.hit_id, hit.title, hit.score) for hit in hits] == [(1, "One", 0.5)]


def test_form_data_login_sends_no_auth(
    swagger2: ModuleType, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = swagger2.client.SECURITY_SCHEMES["basic"]
    monkeypatch.setenv(scheme.env_username, "ann")
    monkeypatch.setenv(scheme.env_password, "secret")
    recorder = Recorder(empty_reply(204))
    call(swagger2, mode, "login", "ann", "p&ss word", recorder=recorder)
    request = recorder.last
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == b"username=ann&password=p%26ss+word"
    assert "authorization" not in request.headers


def test_form_data_file_upload_with_api_key(swagger2: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(204))
    options = {"credentials": {"key": ApiKey("xk-1")}}
    call(
        swagger2,
        mode,
        "attach",
        b"\x00\x01",
        caption="Two bytes",
        recorder=recorder,
        options=options,
    )
    request = recorder.last
    assert request.headers["x-key"] == "xk-1"
    assert "authorization" not in request.headers
    parts = multipart_parts(request)
    assert [(p.name, p.content) for p in parts] == [
        ("upload", b"\x00\x01"),
        ("caption", b"Two bytes"),
    ]


def test_body_parameter_beside_a_path_parameter_of_the_same_name(
    swagger2: ModuleType, mode: Mode
) -> None:
    recorder = Recorder(json_reply({"hitId": 8, "title": "New"}))
    hit = call(
        swagger2,
        mode,
        "replace_hit",
        8,
        "New",
        hit_id__body=8,
        recorder=recorder,
        options={"credentials": BASIC},
    )
    request = recorder.last
    assert request.method == "PUT"
    assert raw_path(request) == b"/v2/hits/8"
    assert json_body(request) == {"hitId": 8, "title": "New"}
    assert hit.title == "New"


def test_404_uses_the_swagger_description(swagger2: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply({"error": "gone"}, 404))
    with pytest.raises(NotFoundError) as caught:
        call(
            swagger2, mode, "replace_hit", 9, "x", recorder=recorder, options={"credentials": BASIC}
        )
    assert caught.value.model_message() == (
        'The service answered 404 (Not Found): No such hit. Its message: "gone".'
    )
