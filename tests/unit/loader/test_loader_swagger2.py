"""Swagger 2.0 documents read as OpenAPI 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from specagent import ir
from specagent.loader import build_api, load_spec

SPECS = Path(__file__).parent / "specs"


@pytest.fixture(scope="module")
def api() -> ir.Api:
    return build_api(load_spec(SPECS / "swagger2.yaml"))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_spec(SPECS / "swagger2.yaml").document


def _op(api: ir.Api, op_id: str) -> ir.Operation:
    return next(op for op in api.operations if op.id == op_id)


def test_no_diagnostics_and_version_kept(api: ir.Api) -> None:
    assert api.diagnostics == ()
    assert api.source_version == "2.0"


def test_servers_from_host_base_path_and_schemes(api: ir.Api) -> None:
    assert [s.url for s in api.servers] == [
        "https://api.example.com/v2",
        "http://api.example.com/v2",
    ]


def test_relative_server_without_host(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("swagger: '2.0'\ninfo: {title: T, version: '1'}\nbasePath: /api\npaths: {}\n")
    api = build_api(load_spec(path))
    assert [s.url for s in api.servers] == ["/api"]


def test_definitions_become_component_schemas(api: ir.Api) -> None:
    order = api.schemas["Order"]
    assert order["properties"]["customer"] == {"$ref": "#/components/schemas/Customer"}
    assert order["discriminator"] == {"propertyName": "kind"}
    # x-nullable -> nullable -> 3.1 flavour null type
    assert order["properties"]["note"] == {"type": ["string", "null"]}


def test_body_parameter_becomes_request_body(api: ir.Api) -> None:
    create = _op(api, "createOrder")
    assert create.parameters == ()
    assert create.request_body is not None
    assert create.request_body.required
    assert [(m.name, m.schema) for m in create.request_body.content] == [
        ("application/json", {"$ref": "#/components/schemas/Order"})
    ]


def test_form_data_becomes_multipart_with_binary_file(api: ir.Api) -> None:
    upload = _op(api, "uploadAttachment")
    assert upload.request_body is not None
    [media] = upload.request_body.content
    assert media.name == "multipart/form-data"
    assert media.schema == {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}, "note": {"type": "string"}},
        "required": ["file"],
    }
    # produces on the operation decides the response media type; path params are merged.
    assert [m.name for m in upload.responses[0].content] == ["application/xml"]
    assert [p.name for p in upload.parameters] == ["id"]


def test_form_data_without_files_is_urlencoded(api: ir.Api) -> None:
    note = _op(api, "setNote")
    assert note.request_body is not None
    assert [m.name for m in note.request_body.content] == ["application/x-www-form-urlencoded"]


def test_collection_formats_become_style_and_explode(api: ir.Api) -> None:
    params = {p.name: p for p in _op(api, "listOrders").parameters}
    assert (params["status"].style, params["status"].explode) == ("form", True)
    assert (params["ids"].style, params["ids"].explode) == ("pipeDelimited", False)
    assert (params["X-Tags"].style, params["X-Tags"].explode) == ("simple", False)
    assert params["limit"].schema == {"type": "integer", "default": 20}


def test_responses_with_schema_headers_and_shared_responses(
    api: ir.Api, document: dict[str, Any]
) -> None:
    list_orders = _op(api, "listOrders")
    [ok] = list_orders.responses
    assert ok.content[0].schema == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Order"},
    }
    headers = document["paths"]["/orders"]["get"]["responses"]["200"]["headers"]
    assert headers == {"X-Total": {"schema": {"type": "integer"}}}
    default = _op(api, "createOrder").responses[1]
    assert (default.status, default.description) == ("default", "a problem")


def test_security_definitions_and_requirements(api: ir.Api) -> None:
    schemes = {s.name: s for s in api.security_schemes}
    assert (schemes["basicAuth"].type, schemes["basicAuth"].scheme) == ("http", "basic")
    assert (schemes["key"].param_name, schemes["key"].location) == ("X-Key", "header")
    flows = {name: schemes[name].flows[0] for name in ("app", "code", "pw", "imp")}
    assert {name: flow.kind for name, flow in flows.items()} == {
        "app": "clientCredentials",
        "code": "authorizationCode",
        "pw": "password",
        "imp": "implicit",
    }
    assert flows["app"].token_url == "https://auth.example.com/token"
    assert flows["app"].scopes == (("read", "Read things"),)
    assert flows["imp"].authorization_url == "https://auth.example.com/authorize"
    assert _op(api, "listOrders").security == (ir.SecurityRequirement((("key", ()),)),)
    assert _op(api, "createOrder").security == ()
