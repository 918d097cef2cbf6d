"""build_api: the IR from a normalised document."""

from __future__ import annotations

from pathlib import Path

import pytest
from specagent import ir
from specagent.ir import Severity
from specagent.loader import SpecError, build_api, load_api, load_spec

SPECS = Path(__file__).parent / "specs"
PETSTORE = Path(__file__).parents[3] / "examples" / "petstore" / "openapi.yaml"


@pytest.fixture(scope="module")
def api() -> ir.Api:
    return build_api(load_spec(SPECS / "build.yaml"))


def _op(api: ir.Api, op_id: str) -> ir.Operation:
    return next(op for op in api.operations if op.id == op_id)


def test_info(api: ir.Api) -> None:
    assert (api.title, api.version, api.description) == ("Build", "2.1", "Test API")
    assert api.source_version == "3.1.0"


def test_operations_in_path_then_method_order(api: ir.Api) -> None:
    assert [(op.method, op.path) for op in api.operations] == [
        ("get", "/store/order/{orderId}"),
        ("delete", "/store/order/{orderId}"),
        ("patch", "/store/order/{orderId}"),
        ("put", "/items/{itemId}/class"),
        ("post", "/items/{itemId}/class"),
        ("get", "/"),
    ]


def test_missing_operation_ids_are_synthesised(api: ir.Api) -> None:
    get = api.operations[0]
    assert get.id == "get_store_order_by_orderId"
    assert get.original_id is None
    assert api.operations[-1].id == "get_root"
    assert api.operations[3].id == "put_items_by_itemId_class"


def test_duplicate_operation_id_renamed_with_warning(api: ir.Api) -> None:
    assert [op.id for op in api.operations if op.original_id == "dupe"] == ["dupe", "dupe_2"]
    [warning] = [d for d in api.diagnostics if d.code == "operation.duplicate_id"]
    assert warning.severity is Severity.WARNING
    assert warning.where.endswith("#/paths/~1items~1{itemId}~1class/post/operationId")
    assert "~1store~1order~1{orderId}/delete" in warning.message


def test_path_parameters_merged_and_overridden(api: ir.Api) -> None:
    params = {(p.name, p.location.value): p for p in api.operations[0].parameters}
    assert list(params) == [
        ("orderId", "path"),
        ("verbose", "query"),
        ("X-Trace", "header"),
        ("filter", "query"),
        ("ids", "query"),
        ("session", "cookie"),
    ]
    verbose = params[("verbose", "query")]
    assert (verbose.required, verbose.description) == (True, "overridden")
    assert str(verbose.where).endswith("#/paths/~1store~1order~1{orderId}/get/parameters/0")


def test_style_and_explode_defaults(api: ir.Api) -> None:
    params = {p.name: p for p in api.operations[0].parameters}
    assert (params["orderId"].style, params["orderId"].explode) == ("simple", False)
    assert (params["verbose"].style, params["verbose"].explode) == ("form", True)
    assert (params["X-Trace"].style, params["X-Trace"].explode) == ("simple", False)
    assert (params["session"].style, params["session"].explode) == ("form", True)
    assert (params["ids"].style, params["ids"].explode) == ("spaceDelimited", False)


def test_content_parameter(api: ir.Api) -> None:
    params = {p.name: p for p in api.operations[0].parameters}
    assert params["filter"].content_type == "application/json"
    assert params["filter"].schema == {"type": "object"}
    assert params["verbose"].content_type is None


def test_responses_keep_order_and_skip_extensions(api: ir.Api) -> None:
    responses = api.operations[0].responses
    assert [(r.status, r.description) for r in responses] == [
        ("200", "the order"),
        ("4XX", "client error"),
    ]
    assert responses[0].content == (ir.MediaType("application/json", {"type": "object"}),)


def test_request_body_through_ref(api: ir.Api) -> None:
    body = _op(api, "dupe_2").request_body
    assert body is not None
    assert (body.required, body.description) == (True, "an item")
    assert [m.name for m in body.content] == ["application/json", "application/xml"]
    assert _op(api, "dupe_2").responses == (ir.Response("200", "fine", ()),)


def test_effective_security(api: ir.Api) -> None:
    alternatives = (
        ir.SecurityRequirement((("key", ()),)),
        ir.SecurityRequirement((("oauth", ("read", "write")),)),
    )
    assert _op(api, "patchOrder").security == alternatives
    assert api.operations[0].security == ()  # `security: []` means no auth
    assert _op(api, "dupe").security[0] == ir.SecurityRequirement(
        (("key", ()), ("oauth", ("write",)))
    )


def test_unknown_security_scheme_is_an_error_with_hint(api: ir.Api) -> None:
    [error] = [d for d in api.diagnostics if d.code == "security.unknown_scheme"]
    assert error.severity is Severity.ERROR
    assert error.where.endswith("#/paths/~1store~1order~1{orderId}/delete/security/1")


def test_servers_resolved_and_relative_kept(api: ir.Api) -> None:
    first, second = api.servers
    assert first.url == "https://{region}.example.com/{base}"
    assert first.resolved_url == "https://eu.example.com/v1"
    assert [v.name for v in first.variables] == ["region", "base"]
    assert first.variables[0].enum == ("eu", "us")
    assert (second.url, second.resolved_url) == ("/api/v3", "/api/v3")


def test_path_and_operation_servers(api: ir.Api) -> None:
    assert [s.url for s in api.operations[0].servers] == ["https://orders.example.com"]
    assert [s.url for s in _op(api, "dupe").servers] == ["https://delete.example.com"]
    assert api.operations[-1].servers == ()


def test_security_schemes(api: ir.Api) -> None:
    schemes = {s.name: s for s in api.security_schemes}
    assert (schemes["key"].type, schemes["key"].param_name, schemes["key"].location) == (
        "apiKey",
        "api_key",
        "query",
    )
    assert (schemes["bearer"].scheme, schemes["bearer"].bearer_format) == ("bearer", "JWT")
    [flow] = schemes["oauth"].flows
    assert flow == ir.OAuthFlow(
        kind="clientCredentials",
        token_url="https://auth.example.com/token",
        scopes=(("read", "r"), ("write", "w")),
    )
    assert schemes["oidc"].openid_connect_url == "https://auth.example.com/.well-known"


def test_keyword_and_non_ascii_names_kept(api: ir.Api) -> None:
    names = [p.name for p in _op(api, "dupe_2").parameters]
    assert names == ["class", "prénom", "itemId"]
    # The undeclared {itemId} is added as a required string, with a warning.
    item_id = _op(api, "dupe_2").parameters[-1]
    assert (item_id.required, item_id.schema) == (True, {"type": "string"})
    assert any(d.code == "parameter.undeclared" for d in api.diagnostics)


def test_invalid_parameter_location_is_an_error(api: ir.Api) -> None:
    [error] = [d for d in api.diagnostics if d.code == "parameter.location"]
    assert error.severity is Severity.ERROR
    assert error.where.endswith("#/paths/~1items~1{itemId}~1class/put/parameters/0")


def test_petstore() -> None:
    api = build_api(load_spec(PETSTORE))
    assert api.diagnostics == ()
    assert len(api.operations) == 19
    assert api.operations[0].id == "updatePet"
    get_order = next(op for op in api.operations if op.id == "getOrderById")
    [order_id] = get_order.parameters
    assert (order_id.name, order_id.location, order_id.required) == (
        "orderId",
        ir.ParamLocation.PATH,
        True,
    )
    assert {s.name for s in api.security_schemes} == {"petstore_auth", "api_key"}
    assert "Pet" in api.schemas


def test_build_api_of_a_failed_load_does_not_raise(tmp_path: Path) -> None:
    spec = load_spec(tmp_path / "missing.yaml")
    api = build_api(spec)
    assert api.operations == ()
    assert [d.code for d in api.diagnostics] == ["spec.not_found"]


def test_dangling_parameter_ref_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\n"
        "paths:\n  /a:\n    get:\n      parameters: [{$ref: '#/components/parameters/Nope'}]\n"
        "      responses: {'200': {description: ok}}\n",
        encoding="utf-8",
    )
    api = build_api(load_spec(path))
    assert [d.code for d in api.diagnostics] == ["ref.dangling"]
    assert api.operations[0].parameters == ()


def test_load_api_raises_with_all_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_api(SPECS / "build.yaml")
    codes = sorted(d.code for d in caught.value.diagnostics)
    assert codes == ["parameter.location", "security.unknown_scheme"]
    assert "unknown scheme 'nope'" in str(caught.value)
    assert load_api(PETSTORE).title.startswith("Swagger Petstore")
    with pytest.raises(SpecError) as strict:
        load_api(SPECS / "repairs.yaml", strict=True)
    assert {d.severity for d in strict.value.diagnostics} == {Severity.WARNING}
    with pytest.raises(SpecError) as missing:
        load_api(tmp_path / "missing.yaml")
    assert [d.code for d in missing.value.diagnostics] == ["spec.not_found"]


def test_small_oddities(tmp_path: Path) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\n"
        "paths:\n  /a:\n    get:\n      operationId: 123\n"
        "      parameters:\n        - {name: q, in: query, schema: {type: string}}\n"
        "        - {name: q, in: query, schema: {type: integer}}\n"
        "      responses: {'200': {description: ok}}\n"
        "components:\n  securitySchemes:\n    h: {type: http}\n",
        encoding="utf-8",
    )
    api = build_api(load_spec(path))
    [op] = api.operations
    assert (op.id, op.original_id) == ("123", "123")
    [q] = op.parameters
    assert q.schema == {"type": "integer"}
    assert api.security_schemes[0].scheme == "bearer"
    assert sorted(d.code for d in api.diagnostics) == [
        "parameter.duplicate",
        "security.http_scheme",
    ]
