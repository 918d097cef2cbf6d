"""What a peer's edge-case documents slipped past silently is now said, at its place (issue 19):
a request body (or parameter, response) whose `$ref` leads back to itself, a response key that
is no status code, parameter defaults their own schema contradicts."""

from __future__ import annotations

from pathlib import Path

from specagent import ir
from specagent.loader import build_api, load_spec
from specagent.loader._defaults import default_problem

SPEC = """\
openapi: 3.0.3
info: {title: Edge, version: "1"}
paths:
  /a:
    post:
      operationId: postA
      parameters:
        - {name: id, in: query, schema: {type: string, format: uuid, default: notauuid}}
        - {name: n, in: query, schema: {type: string, format: uuid, default: 3}}
        - name: ok
          in: query
          schema: {type: string, format: uuid, default: 0b5e47c6-4a3e-4d2b-9b1e-1f6f2c3d4e5f}
        - {name: day, in: query, schema: {type: string, format: date, default: "2024-02-30"}}
        - {name: size, in: query, schema: {type: integer, default: "x", enum: [1, 2]}}
        - $ref: '#/components/parameters/Loop'
      requestBody:
        $ref: '#/components/requestBodies/Self'
      responses:
        '200': {description: ok}
        2xx: {description: also ok}
        abcdef: {description: nonsense}
components:
  parameters:
    Loop: {$ref: '#/components/parameters/Loop'}
  requestBodies:
    Self:
      $ref: '#/components/requestBodies/Self'
"""


def _api(tmp_path: Path) -> ir.Api:
    path = tmp_path / "openapi.yaml"
    path.write_text(SPEC, encoding="utf-8")
    spec = load_spec(path)
    api = build_api(spec)
    return api


def _found(api: ir.Api, code: ir.Code) -> list[ir.Diagnostic]:
    return [d for d in api.diagnostics if d.code is code]


def test_a_ref_loop_where_a_body_or_parameter_should_be_is_an_error(tmp_path: Path) -> None:
    api = _api(tmp_path)
    loops = {d.location.pointer: d for d in _found(api, ir.Code.REF_CYCLE)}
    body = loops["/components/requestBodies/Self"]
    assert body.severity is ir.Severity.ERROR
    assert body.message == (
        "$ref '#/components/requestBodies/Self' -> '#/components/requestBodies/Self' leads "
        "back to itself and defines nothing, so the request body at "
        "#/paths/~1a/post/requestBody would be lost"
    )
    assert body.hint == "replace the $ref with the request body's definition"
    assert (
        "the parameter at #/paths/~1a/post/parameters/5"
        in loops["/components/parameters/Loop"].message
    )


def test_a_response_key_that_is_no_status_code_is_skipped_with_a_warning(tmp_path: Path) -> None:
    api = _api(tmp_path)
    [warning] = _found(api, ir.Code.RESPONSE_STATUS)
    assert warning.severity is ir.Severity.WARNING
    assert warning.location.pointer == "/paths/~1a/post/responses/abcdef"
    assert warning.message == "response 'abcdef' is not an HTTP status code; skipped"
    [operation] = api.operations
    assert [response.status for response in operation.responses] == ["200", "2xx"]


def test_defaults_that_do_not_fit_are_dropped_with_a_warning(tmp_path: Path) -> None:
    api = _api(tmp_path)
    warnings = {d.location.pointer: d.message for d in _found(api, ir.Code.PARAMETER_DEFAULT)}
    assert warnings == {
        "/paths/~1a/post/parameters/0/schema/default": (
            "the default 'notauuid' of parameter 'id' is not a valid `uuid`; ignored"
        ),
        "/paths/~1a/post/parameters/1/schema/default": (
            "the default 3 of parameter 'n' is not a string; ignored"
        ),
        "/paths/~1a/post/parameters/3/schema/default": (
            "the default '2024-02-30' of parameter 'day' is not a valid `date`; ignored"
        ),
        "/paths/~1a/post/parameters/4/schema/default": (
            "the default 'x' of parameter 'size' is not an integer; ignored"
        ),
    }
    [operation] = api.operations
    schemas = {parameter.name: parameter.schema for parameter in operation.parameters}
    assert "default" not in schemas["id"] and "default" not in schemas["size"]
    assert schemas["ok"]["default"] == "0b5e47c6-4a3e-4d2b-9b1e-1f6f2c3d4e5f"  # a fitting one stays


def test_default_problem_by_type_format_and_enum() -> None:
    assert default_problem({"type": "integer", "default": True}) == "is not an integer"
    assert default_problem({"type": ["string", "null"], "default": None}) == ""
    assert default_problem({"type": "string", "enum": ["a"], "default": "b"}) == (
        "is not one of the values of its `enum`"
    )
    assert default_problem({"type": "string", "format": "date-time", "default": "2024-01-01"}) == (
        "is not a valid `date-time`"
    )
    assert default_problem({"format": "date-time", "default": "2024-01-01T10:00:00Z"}) == ""
    assert default_problem({"type": "integer", "format": "int32", "default": 2**40}) == (
        "does not fit in `int32`"
    )
    assert default_problem({"type": "string", "format": "ipv4", "default": "10.0.0.1"}) == ""
    assert default_problem({"type": "string"}) == ""
