"""Responses into the generated types: discriminated unions, nullable fields, maps, root
models, and drift from the spec returned leniently with one logged warning (never a crash)."""

from __future__ import annotations

import logging
from types import ModuleType

import pytest
from specagent_runtime import ResponseDecodeError

from ._harness import Mode, Recorder, Reply, call, json_reply

PET = {"id": 4, "name": "Rex", "photoUrls": []}


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    ("data", "kind"),
    [({"kind": "circle", "radius": 1.5}, "Circle"), ({"kind": "square", "side": 2}, "Square")],
)
def test_discriminated_union(
    bodies: ModuleType,
    mode: Mode,
    caplog: pytest.LogCaptureFixture,
    data: dict[str, object],
    kind: str,
) -> None:
    shape = call(bodies, mode, "get_shape", 1, recorder=Recorder(json_reply(data)))
    assert isinstance(shape, bodies.models.Shape)
    assert type(shape.root) is getattr(bodies.models, kind)
    assert shape.root.model_dump() == data
    assert _warnings(caplog) == []


def test_unknown_union_member_is_returned_raw_with_a_warning(
    bodies: ModuleType, mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    data = {"kind": "triangle", "sides": [3, 4, 5]}
    shape = call(bodies, mode, "get_shape", 1, recorder=Recorder(json_reply(data)))
    assert shape == data or shape.root == data
    assert len(_warnings(caplog)) == 1
    assert "getShape" in _warnings(caplog)[0]


def test_nullable_fields_accept_null(
    bodies: ModuleType, mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(json_reply({"id": 3, "text": None, "savedAt": None}))
    draft = call(bodies, mode, "save_draft", recorder=recorder)
    assert (draft.id, draft.text, draft.saved_at) == (3, None, None)
    assert _warnings(caplog) == []
    request = recorder.last
    assert request.content == b""  # optional body with nothing set: no body at all
    assert "content-type" not in request.headers


def test_map_response(styles: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply({"lamp": 3, "chair": 0}))
    stock = call(
        styles,
        mode,
        "get_stock",
        12,
        styles.models.Region.EU,
        status=styles.models.Status.OUT_OF_STOCK,
        recorder=recorder,
    )
    assert stock == {"lamp": 3, "chair": 0}
    request = recorder.last
    assert request.url.raw_path == b"/v1/stores/12/stock?region=eu&status=out%20of%20stock"


def test_spec_headers_accept_content_type_authorization_are_not_arguments(
    styles: ModuleType,
) -> None:
    fields = set(styles.models.GetStockArgs.model_fields)
    assert fields == {"store_id", "region", "status"}


def test_list_with_one_drifted_item_keeps_the_others_typed(
    petstore: ModuleType, mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    from specagent_runtime import AccessToken  # noqa: PLC0415

    drifted = {"id": 5, "name": "Ghost"}  # photoUrls is required
    recorder = Recorder(json_reply([PET, drifted]))
    options = {"credentials": {"petstore_auth": AccessToken("t")}}
    pets = call(petstore, mode, "find_pets_by_tags", tags=["x"], recorder=recorder, options=options)
    assert isinstance(pets[0], petstore.models.Pet)
    assert pets[0].name == "Rex"
    assert isinstance(pets[1], petstore.models.Pet)  # built without validation
    assert (pets[1].id, pets[1].name) == (5, "Ghost")
    assert len(_warnings(caplog)) == 1


def test_root_model_string_response(petstore: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply("logged in user session:1234"))
    session = call(petstore, mode, "login_user", username="ann", password="p w", recorder=recorder)
    assert session.root == "logged in user session:1234"
    assert recorder.last.url.query == b"username=ann&password=p%20w"


def test_invalid_json_success_body_is_a_decode_error(petstore: ModuleType, mode: Mode) -> None:
    reply = Reply(200, b"<order id=1/>", {"Content-Type": "application/xml"})
    with pytest.raises(ResponseDecodeError) as caught:
        call(petstore, mode, "get_order_by_id", 1, recorder=Recorder(reply))
    assert caught.value.operation_id == "getOrderById"
    assert "application/xml" in str(caught.value)
    assert caught.value.model_message() == "The service returned a response that could not be read."


def test_empty_success_body_for_a_typed_operation_is_none(petstore: ModuleType, mode: Mode) -> None:
    assert call(petstore, mode, "get_order_by_id", 1, recorder=Recorder(Reply(200))) is None


def test_binary_download_returns_the_bytes(bodies: ModuleType, mode: Mode) -> None:
    pdf = b"%PDF-1.7\n\x00\xff\xfe"
    recorder = Recorder(Reply(200, pdf, {"Content-Type": "application/pdf"}))
    assert call(bodies, mode, "download_document", 8, recorder=recorder) == pdf
    assert recorder.last.headers["accept"] == "application/pdf"


def test_text_response_returns_the_text(bodies: ModuleType, mode: Mode) -> None:
    reply = Reply(
        200, "Zusammenfassung: schön".encode(), {"Content-Type": "text/plain; charset=utf-8"}
    )
    recorder = Recorder(reply)
    assert call(bodies, mode, "get_summary", 8, recorder=recorder) == "Zusammenfassung: schön"
    assert recorder.last.headers["accept"] == "text/plain"
