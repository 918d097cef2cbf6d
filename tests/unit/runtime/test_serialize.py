"""Parameter styles and request bodies (pure request building)."""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
from urllib.parse import parse_qsl

import httpx
import pytest
from pydantic import BaseModel, Field
from specagent_runtime import Arg, OperationSpec, RequestError
from specagent_runtime._http.serialize import PreparedRequest, prepare_request, to_jsonable


def _op(*args: Arg, path: str = "/items", method: str = "GET", **kw: object) -> OperationSpec:
    return OperationSpec(id="op", method=method, path=path, args=args, **kw)  # type: ignore[arg-type]


def _path(arg: Arg, value: object) -> str:
    op = _op(arg, path="/items/{" + arg.name + "}")
    return prepare_request(op, {arg.key: value}).path.removeprefix("/items/")


def _query(arg: Arg, value: object) -> str:
    return prepare_request(_op(arg), {arg.key: value}).query


class Color(enum.Enum):
    RED = "red"


class Address(BaseModel):
    zip_code: str = Field(alias="zipCode")
    city: str | None = None


# --- path --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("../admin", "..%2Fadmin"),
        ("a/b", "a%2Fb"),
        ("%2F", "%252F"),
        ("x?y=1#frag", "x%3Fy%3D1%23frag"),
        ("a b", "a%20b"),
        ("é", "%C3%A9"),
        (5, "5"),
        (True, "true"),
    ],
)
def test_path_values_are_one_encoded_segment(value: object, expected: str) -> None:
    assert _path(Arg("id", "id", "path"), value) == expected


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_path_values_that_would_change_the_route_are_refused(value: str) -> None:
    with pytest.raises(RequestError, match=r"'id'.*must not be empty"):
        _path(Arg("id", "id", "path"), value)


def test_dot_dot_cannot_climb_out_of_the_base_path() -> None:
    op = _op(Arg("id", "id", "path"), path="/files/{id}/raw")
    prepared = prepare_request(op, {"id": "../../secret"})
    url = httpx.URL("https://api.test/v1" + prepared.path)
    assert url.raw_path == b"/v1/files/..%2F..%2Fsecret/raw"


@pytest.mark.parametrize(
    ("style", "explode", "value", "expected"),
    [
        ("simple", False, [3, 4, 5], "3,4,5"),
        ("simple", True, [3, 4, 5], "3,4,5"),
        ("simple", False, {"R": 100, "G": 200}, "R,100,G,200"),
        ("simple", True, {"R": 100, "G": 200}, "R=100,G=200"),
        ("label", False, "blue", ".blue"),
        ("label", False, [3, 4], ".3,4"),
        ("label", True, [3, 4], ".3.4"),
        ("label", True, {"R": 1, "G": 2}, ".R=1.G=2"),
        ("matrix", False, "blue", ";color=blue"),
        ("matrix", False, [3, 4], ";color=3,4"),
        ("matrix", True, [3, 4], ";color=3;color=4"),
        ("matrix", False, {"R": 1, "G": 2}, ";color=R,1,G,2"),
        ("matrix", True, {"R": 1, "G": 2}, ";R=1;G=2"),
    ],
)
def test_path_styles(style: str, explode: bool, value: object, expected: str) -> None:
    arg = Arg("color", "color", "path", style=style, explode=explode)
    assert _path(arg, value) == expected


def test_array_items_are_encoded_so_they_cannot_add_items() -> None:
    assert _path(Arg("ids", "ids", "path"), ["a,b", "c/d"]) == "a%2Cb,c%2Fd"


def test_missing_path_argument_is_refused_naming_it() -> None:
    op = _op(Arg("orderId", "orderId", "path"), path="/o/{orderId}")
    with pytest.raises(RequestError, match="missing required path argument 'orderId'") as info:
        prepare_request(op, {})
    assert info.value.operation_id == "op"


def test_unknown_argument_is_refused() -> None:
    with pytest.raises(RequestError, match="unknown argument 'nope'"):
        prepare_request(_op(), {"nope": 1})


def test_argument_key_and_wire_name_differ() -> None:
    op = _op(Arg("id__query", "id", "query"), Arg("id", "id", "path"), path="/x/{id}")
    prepared = prepare_request(op, {"id__query": "q", "id": "p"})
    assert (prepared.path, prepared.query) == ("/x/p", "id=q")


# --- query -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "explode", "value", "expected"),
    [
        ("form", True, "blue", "color=blue"),
        ("form", True, [3, 4], "color=3&color=4"),
        ("form", False, [3, 4], "color=3,4"),
        ("form", True, {"R": 1, "G": 2}, "R=1&G=2"),
        ("form", False, {"R": 1, "G": 2}, "color=R,1,G,2"),
        ("spaceDelimited", False, [3, 4], "color=3%204"),
        ("pipeDelimited", False, [3, 4], "color=3%7C4"),
        ("pipeDelimited", True, [3, 4], "color=3&color=4"),
        ("deepObject", True, {"R": 1, "G": 2}, "color[R]=1&color[G]=2"),
        ("deepObject", True, {"a": {"b": "x"}}, "color[a][b]=x"),
        ("form", True, True, "color=true"),
        ("form", True, None, ""),
        ("form", True, [], ""),
    ],
)
def test_query_styles(style: str, explode: bool, value: object, expected: str) -> None:
    arg = Arg("color", "color", "query", style=style, explode=explode)
    assert _query(arg, value) == expected


def test_query_values_cannot_inject_parameters() -> None:
    query = _query(Arg("q", "q", "query", style="form", explode=True), "a&admin=1#x")
    assert query == "q=a%26admin%3D1%23x"
    assert parse_qsl(query) == [("q", "a&admin=1#x")]


def test_allow_reserved_keeps_reserved_characters_but_not_separators() -> None:
    arg = Arg("path", "path", "query", style="form", explode=True, allow_reserved=True)
    assert _query(arg, "/a/b:c?d&e=f") == "path=/a/b:c?d%26e%3Df"


def test_query_values_from_python_types() -> None:
    args = (
        Arg("when", "when", "query", style="form", explode=True),
        Arg("color", "color", "query", style="form", explode=True),
        Arg("n", "n", "query", style="form", explode=True),
    )
    when = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)
    query = prepare_request(_op(*args), {"when": when, "color": Color.RED, "n": 1.5}).query
    assert query == "when=2024-05-01T12%3A30%3A00Z&color=red&n=1.5"


def test_content_parameters_are_json_encoded() -> None:
    arg = Arg("filter", "filter", "query", content_type="application/json")
    query = _query(arg, {"status": "open", "n": [1, 2]})
    assert parse_qsl(query) == [("filter", '{"status":"open","n":[1,2]}')]


# --- header and cookie -------------------------------------------------------------------------


def test_header_simple_style() -> None:
    op = _op(
        Arg("ids", "X-Ids", "header"),
        Arg("obj", "X-Obj", "header", explode=True),
        Arg("flag", "X-Flag", "header"),
    )
    headers = prepare_request(op, {"ids": [1, 2], "obj": {"a": 1}, "flag": False}).headers
    assert headers == {"X-Ids": "1,2", "X-Obj": "a=1", "X-Flag": "false"}


@pytest.mark.parametrize("value", ["a\r\nX-Admin: 1", "a\nb", "a\rb"])
def test_header_values_with_line_breaks_are_refused(value: str) -> None:
    op = _op(Arg("trace", "X-Trace", "header"))
    with pytest.raises(RequestError, match=r"'trace'.*line break"):
        prepare_request(op, {"trace": value})


def test_header_params_the_spec_says_to_ignore_are_not_sent() -> None:
    op = _op(Arg("auth", "Authorization", "header"), Arg("accept", "Accept", "header"))
    assert prepare_request(op, {"auth": "Bearer x", "accept": "text/html"}).headers == {}


def test_cookie_form_style_and_injection() -> None:
    op = _op(
        Arg("session", "session", "cookie", style="form", explode=True),
        Arg("ids", "ids", "cookie", style="form", explode=False),
    )
    headers = prepare_request(op, {"session": "a; admin=1", "ids": [1, 2]}).headers
    assert headers == {"Cookie": "session=a%3B%20admin=1; ids=1,2"}


# --- bodies ------------------------------------------------------------------------------------


def _body_op(
    media_type: str, *args: Arg, flattened: bool = False, required: bool = False
) -> OperationSpec:
    return _op(
        *args,
        method="POST",
        body_media_type=media_type,
        body_flattened=flattened,
        body_required=required,
    )


def test_flattened_json_body_has_the_present_properties() -> None:
    op = _body_op(
        "application/json",
        Arg("name", "name", "body"),
        Arg("tag", "tag", "body"),
        Arg("address", "address", "body"),
        flattened=True,
    )
    prepared = prepare_request(
        op, {"name": "Rex", "tag": None, "address": Address(zipCode="12345")}
    )
    assert prepared.headers["Content-Type"] == "application/json"
    assert prepared.content is not None
    assert json.loads(prepared.content) == {"name": "Rex", "address": {"zipCode": "12345"}}


def test_whole_json_body_from_a_model_dumps_by_alias_only_set_fields() -> None:
    op = _body_op("application/vnd.api+json", Arg("body", "", "body"), required=True)
    prepared = prepare_request(op, {"body": Address(zipCode="1", city=None)})
    assert prepared.content == b'{"zipCode":"1","city":null}'
    assert prepared.headers["Content-Type"] == "application/vnd.api+json"


def test_required_body_missing_is_refused() -> None:
    op = _body_op("application/json", Arg("body", "", "body"), required=True)
    with pytest.raises(RequestError, match="missing required request body"):
        prepare_request(op, {})


def test_optional_body_absent_sends_nothing() -> None:
    op = _body_op("application/json", Arg("body", "", "body"))
    prepared = prepare_request(op, {})
    assert (prepared.content, prepared.files, prepared.headers) == (None, None, {})


def test_required_flattened_body_with_no_properties_is_an_empty_object() -> None:
    op = _body_op("application/json", Arg("note", "note", "body"), flattened=True, required=True)
    assert prepare_request(op, {}).content == b"{}"


def test_nan_in_json_body_is_a_request_error() -> None:
    op = _body_op("application/json", Arg("x", "x", "body"), flattened=True)
    with pytest.raises(RequestError, match="request body of op"):
        prepare_request(op, {"x": float("nan")})


def test_form_urlencoded_body_nests_objects_in_brackets() -> None:
    op = _body_op(
        "application/x-www-form-urlencoded",
        Arg("amount", "amount", "body"),
        Arg("metadata", "metadata", "body"),
        Arg("expand", "expand", "body"),
        Arg("items", "items", "body"),
        flattened=True,
    )
    prepared = prepare_request(
        op,
        {
            "amount": 100,
            "metadata": {"order": "A&1"},
            "expand": ["customer", "invoice"],
            "items": [{"price": "p1"}],
        },
    )
    assert prepared.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert prepared.content is not None
    assert parse_qsl(prepared.content.decode()) == [
        ("amount", "100"),
        ("metadata[order]", "A&1"),
        ("expand", "customer"),
        ("expand", "invoice"),
        ("items[0][price]", "p1"),
    ]


def test_multipart_body_sends_files_and_fields() -> None:
    op = _body_op(
        "multipart/form-data",
        Arg("file", "file", "body"),
        Arg("doc", "doc", "body"),
        Arg("note", "note", "body"),
        Arg("meta", "meta", "body"),
        flattened=True,
    )
    upload = io.BytesIO(b"PDFDATA")
    upload.name = "/tmp/report.pdf"
    prepared = prepare_request(
        op, {"file": b"\x89PNG", "doc": upload, "note": "hello", "meta": {"a": 1}}
    )
    assert "Content-Type" not in prepared.headers  # httpx adds it with the boundary
    request = httpx.Request("POST", "https://x.test/", files=prepared.files)
    body = request.read()
    assert b'name="file"; filename="file"' in body
    assert b"\x89PNG" in body
    assert b'name="doc"; filename="report.pdf"' in body
    assert b"PDFDATA" in body
    assert b'name="note"\r\n\r\nhello' in body
    assert b'Content-Type: application/json\r\n\r\n{"a":1}' in body
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")


def test_multipart_whole_body_model_keeps_bytes() -> None:
    class Upload(BaseModel):
        content: bytes
        title: str

    op = _body_op("multipart/form-data", Arg("body", "", "body"), required=True)
    prepared = prepare_request(op, {"body": Upload(content=b"\x00\x01", title="t")})
    assert prepared.files is not None
    assert [(name, part[0]) for name, part in prepared.files] == [
        ("content", "content"),
        ("title", None),
    ]


def test_octet_stream_body() -> None:
    op = _body_op("application/octet-stream", Arg("body", "", "body"), required=True)
    assert prepare_request(op, {"body": b"\x00\xff"}).content == b"\x00\xff"
    assert prepare_request(op, {"body": io.BytesIO(b"abc")}).content == b"abc"
    with pytest.raises(RequestError, match="needs bytes, str or a file, not dict"):
        prepare_request(op, {"body": {"a": 1}})


def test_text_body_gets_a_charset() -> None:
    op = _body_op("text/plain", Arg("body", "", "body"), required=True)
    prepared = prepare_request(op, {"body": "héllo"})
    assert prepared.content == "héllo".encode()
    assert prepared.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_to_jsonable_handles_nested_python_values() -> None:
    value = {
        Color.RED: [Address(zipCode="1")],
        "when": dt.date(2024, 1, 2),
        "raw": b"\x00",
        "set": {3, 1},
    }
    assert to_jsonable(value) == {
        "red": [{"zipCode": "1"}],
        "when": "2024-01-02",
        "raw": "AA==",
        "set": [1, 3],
    }


def test_prepared_request_method_is_upper_case() -> None:
    prepared = prepare_request(_op(method="get"), {})
    assert prepared == PreparedRequest(method="GET", path="/items")


def test_nan_in_a_parameter_is_a_request_error_naming_it() -> None:
    op = _op(Arg("ratio", "ratio", "query", content_type="application/json"))
    with pytest.raises(RequestError, match="argument 'ratio' of op"):
        prepare_request(op, {"ratio": {"x": float("inf")}})


def test_non_ascii_header_values_are_refused_but_json_content_headers_escape() -> None:
    op = _op(
        Arg("name", "X-Name", "header"),
        Arg("meta", "X-Meta", "header", content_type="application/json"),
    )
    with pytest.raises(RequestError, match="must be ASCII"):
        prepare_request(op, {"name": "Zoë"})
    assert prepare_request(op, {"meta": {"n": "Zoë"}}).headers == {"X-Meta": '{"n":"Zo\\u00eb"}'}
