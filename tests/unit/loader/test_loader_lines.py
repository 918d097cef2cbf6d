"""Spec diagnostics name a line and column beside their JSON pointer (YAML and JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from specagent import ir
from specagent.loader import build_api, load_spec
from specagent.loader._lines import with_lines

YAML = """\
openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: integer}
        - name: q
          in: query
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pett'}
components:
  schemas:
    Pet: {type: object}
"""


def _diagnostic(file: str, path: tuple[str, ...]) -> ir.Diagnostic:
    return ir.Diagnostic(
        ir.Code.SCHEMA_TYPE, ir.Severity.WARNING, "m", ir.Location.in_spec(file, path)
    )


def _places(text: str, *paths: tuple[str, ...]) -> list[tuple[int, int]]:
    found = with_lines([_diagnostic("s", path) for path in paths], {"s": text.encode()})
    return [(d.location.line, d.location.column) for d in found]


def test_yaml_pointers_get_the_line_of_their_key() -> None:
    places = _places(
        YAML,
        ("paths", "/pets/{id}", "get"),
        ("paths", "/pets/{id}", "get", "parameters", "1"),
        ("paths", "/pets/{id}", "get", "responses", "200", "content", "application/json"),
        ("components", "schemas", "Pet"),
    )
    assert places == [(5, 5), (12, 11), (18, 13), (22, 5)]


def test_json_pointers_get_the_line_of_their_key() -> None:
    document = {
        "openapi": "3.0.3",
        "paths": {"/a~b/c": {"get": {"parameters": [{"name": "x"}, {"name": "y"}], "x": [1]}}},
    }
    text = json.dumps(document, indent=2)
    lines = text.splitlines()
    places = _places(
        text,
        ("paths", "/a~b/c", "get"),
        ("paths", "/a~b/c", "get", "parameters", "1"),
        ("paths", "/a~b/c", "get", "parameters", "1", "name"),
    )
    for line, column in places:
        assert line > 0 and column > 0
    assert lines[places[0][0] - 1].strip().startswith('"get"')
    assert places[1][0] == places[2][0] - 1  # the item's brace, then its first key
    assert lines[places[2][0] - 1].strip() == '"name": "y"'


def test_a_missing_last_token_falls_back_to_its_parent_only_when_close() -> None:
    near, far = _places(
        YAML,
        ("paths", "/pets/{id}", "get", "requestBody"),  # reported as missing: the operation
        ("components", "schemas", "Bundled_Thing"),  # placed by the bundler: not `schemas:`
    )
    assert near == (5, 5)
    assert far == (0, 0)


def test_swagger_2_places_map_back_to_where_the_file_has_them() -> None:
    text = "swagger: '2.0'\ninfo: {title: T, version: '1'}\ndefinitions:\n  Pet:\n    type: object"
    assert _places(text, ("components", "schemas", "Pet")) == [(4, 3)]


def test_load_and_build_report_lines(tmp_path: Path) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(YAML, encoding="utf-8")
    spec = load_spec(path)
    api = build_api(spec)
    rendered = [d.render() for d in spec.with_lines(api.diagnostics)]
    dangling = next(text for text in rendered if "ref.dangling" in text)
    assert f"{path}:19:15 (#/paths/~1pets~1{{id}}/get/responses/200" in dangling
    no_schema = next(text for text in rendered if "parameter.no_schema" in text)
    assert f"{path}:12:11 (#/paths/~1pets~1{{id}}/get/parameters/1)" in no_schema


def test_other_files_and_pointerless_places_are_left_alone() -> None:
    line_only = ir.Diagnostic(
        ir.Code.SPEC_SYNTAX, ir.Severity.ERROR, "m", ir.Location.at_line("s", 3, 4)
    )
    other = _diagnostic("other.yaml", ("paths",))
    assert with_lines([line_only, other], {"s": YAML.encode()}) == [line_only, other]
