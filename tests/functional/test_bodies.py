"""Request bodies the Petstore lacks (`specs/bodies.yaml`): form-urlencoded, multipart with a
file, JSON with camelCase aliases and nested models, plain text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import ModuleType
from urllib.parse import parse_qsl

import pytest
from specagent_runtime import RequestError, UnprocessableEntityError

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

BASE = "https://api.example.test/v1"


def test_form_urlencoded_body(bodies: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(204))
    result = call(
        bodies,
        mode,
        "send_contact",
        "Ann Lee & Co",
        email="ann+1@example.test",
        topics=["billing", "a=b"],
        subscribe=True,
        recorder=recorder,
    )
    request = recorder.last
    assert result is None
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/contact"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == (
        b"name=Ann+Lee+%26+Co&email=ann%2B1%40example.test&topics=billing&topics=a%3Db"
        b"&subscribe=true"
    )
    assert parse_qsl(request.content.decode()) == [
        ("name", "Ann Lee & Co"),
        ("email", "ann+1@example.test"),
        ("topics", "billing"),
        ("topics", "a=b"),
        ("subscribe", "true"),
    ]


def test_form_body_omits_unset_fields(bodies: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(204))
    call(bodies, mode, "send_contact", "Bo", recorder=recorder)
    assert recorder.last.content == b"name=Bo"


def test_multipart_upload_with_file_text_and_object_parts(bodies: ModuleType, mode: Mode) -> None:
    document = b"%PDF-1.7\x00\xff\r\n--not-a-boundary\r\n"
    recorder = Recorder(json_reply({"id": 5, "title": "Scan"}, 201))
    result = call(
        bodies,
        mode,
        "upload_document",
        document,
        title="Scan é",
        meta=bodies.models.Meta(source="scanner"),
        recorder=recorder,
    )
    request = recorder.last
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/documents"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = multipart_parts(request)
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("file", "file", "application/octet-stream"),
        ("title", None, "text/plain"),
        ("meta", None, "application/json"),
    ]
    assert parts[0].content == document
    assert parts[1].content.decode("utf-8") == "Scan é"
    assert json.loads(parts[2].content) == {"source": "scanner"}
    assert isinstance(result, bodies.models.Document)
    assert result.id == 5


def test_multipart_without_optional_parts(bodies: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply({"id": 6}, 201))
    call(bodies, mode, "upload_document", b"data", recorder=recorder)
    parts = multipart_parts(recorder.last)
    assert [(p.name, p.content) for p in parts] == [("file", b"data")]


def test_json_body_nested_models_by_alias(bodies: ModuleType, mode: Mode) -> None:
    models = bodies.models
    note = {"noteId": 11, "noteTitle": "Call back", "isPinned": True}
    recorder = Recorder(json_reply(note, 201))
    result = call(
        bodies,
        mode,
        "create_note",
        "Call back",
        is_pinned=True,
        due_at=datetime(2025, 1, 1, 9, 30, tzinfo=UTC),
        labels=[models.Label(labelName="urgent"), models.Label()],
        recorder=recorder,
    )
    request = recorder.last
    assert str(request.url) == f"{BASE}/notes"
    assert json_body(request) == {
        "noteTitle": "Call back",
        "isPinned": True,
        "dueAt": "2025-01-01T09:30:00Z",
        "labels": [{"labelName": "urgent"}, {}],
    }
    assert result.note_id == 11
    assert result.is_pinned is True


def test_json_body_keeps_non_ascii_text(bodies: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply({"noteTitle": "x"}, 201))
    call(bodies, mode, "create_note", "Grüße ☕", recorder=recorder)
    assert recorder.last.content == '{"noteTitle":"Grüße ☕"}'.encode()


def test_json_body_refuses_nan(bodies: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply({"noteTitle": "x"}, 201))
    labels = [{"labelName": float("nan")}]
    with pytest.raises(RequestError, match="createNote"):
        call(bodies, mode, "create_note", "x", labels=labels, recorder=recorder)
    assert recorder.requests == []


def test_422_maps_to_unprocessable_with_the_api_detail(bodies: ModuleType, mode: Mode) -> None:
    reply = json_reply({"errors": [{"message": "noteTitle is too long"}]}, 422)
    recorder = Recorder(reply)
    with pytest.raises(UnprocessableEntityError) as caught:
        call(bodies, mode, "create_note", "x" * 500, recorder=recorder)
    assert caught.value.model_message() == (
        "The service answered 422 (Unprocessable Entity): The note is invalid. "
        'Its message: "noteTitle is too long".'
    )
    assert len(recorder.requests) == 1  # a POST is never retried without an idempotency key


def test_text_body(bodies: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(204))
    call(bodies, mode, "put_note_text", 3, "héllo\nworld", recorder=recorder)
    request = recorder.last
    assert request.method == "PUT"
    assert raw_path(request) == b"/v1/notes/3/text"
    assert request.headers["content-type"] == "text/plain; charset=utf-8"
    assert request.content == "héllo\nworld".encode()
