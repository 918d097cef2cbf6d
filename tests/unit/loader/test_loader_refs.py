"""Bundling `$ref`s to other files, and refusing the ones that must not be followed."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from specagent._jsonschema import resolve_pointer, split_fragment
from specagent.ir import Severity
from specagent.loader import build_api, load_spec

SPECS = Path(__file__).parent / "specs"


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("$ref"), str):
                found.append(current["$ref"])
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def test_multi_file_spec_is_bundled_with_local_refs_only() -> None:
    spec = load_spec(SPECS / "multi" / "openapi.yaml")
    assert spec.diagnostics == ()
    refs = _refs(spec.document)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/")
        assert resolve_pointer(spec.document, split_fragment(ref[1:])) is not None


def test_bundled_components_get_names_and_cycles_end() -> None:
    doc = load_spec(SPECS / "multi" / "openapi.yaml").document
    schemas = doc["components"]["schemas"]
    # The component slot that referenced owner.yaml holds its content under its own name.
    assert schemas["Owner"]["properties"]["pets"]["items"] == {"$ref": "#/components/schemas/pet"}
    # pet.yaml refers to itself and to owner.yaml, which refers back: one component each.
    pet = schemas["pet"]
    assert pet["properties"]["children"]["items"] == {"$ref": "#/components/schemas/pet"}
    assert pet["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}
    # A local ref inside another file points into that file, and is bundled too.
    assert pet["properties"]["tag"] == {"$ref": "#/components/schemas/Tag"}
    assert schemas["Tag"] == {"type": "string"}
    assert doc["components"]["parameters"]["PetId"]["name"] == "petId"
    assert doc["components"]["responses"]["NotFound"]["content"]["application/json"] == {
        "schema": {"$ref": "#/components/schemas/error"}
    }


def test_path_item_refs_are_inlined() -> None:
    doc = load_spec(SPECS / "multi" / "openapi.yaml").document
    pets = doc["paths"]["/pets"]
    assert "$ref" not in pets
    items = pets["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    assert items == {"$ref": "#/components/schemas/pet"}


def test_sources_hold_every_file_read() -> None:
    spec = load_spec(SPECS / "multi" / "openapi.yaml")
    assert sorted(spec.sources) == [
        "common.yaml",
        "openapi.yaml",
        "paths/pets.yaml",
        "schemas/error.yaml",
        "schemas/owner.yaml",
        "schemas/pet.yaml",
    ]
    assert spec.sources["common.yaml"] == (SPECS / "multi" / "common.yaml").read_bytes()


def test_build_api_over_bundled_spec() -> None:
    api = build_api(load_spec(SPECS / "multi" / "openapi.yaml"))
    assert [op.id for op in api.operations] == ["listPets", "getPet"]
    get_pet = api.operations[1]
    assert [(p.name, p.location.value, p.required) for p in get_pet.parameters] == [
        ("petId", "path", True)
    ]
    assert [r.description for r in get_pet.responses] == ["ok", "not found"]
    assert sorted(api.schemas) == ["Owner", "Tag", "error", "pet"]


def test_outside_and_remote_refs_are_refused_with_places() -> None:
    spec = load_spec(SPECS / "outside" / "spec" / "openapi.yaml")
    errors = {d.code: d for d in spec.diagnostics if d.severity is Severity.ERROR}
    assert set(errors) == {"ref.outside", "ref.remote"}
    assert errors["ref.outside"].where.endswith(
        "openapi.yaml#/paths/~1a/get/responses/200/content/application~1json/schema"
    )
    assert "allow_outside_refs" in errors["ref.outside"].hint
    assert "allow_remote_refs" in errors["ref.remote"].hint


def test_outside_refs_allowed_on_request() -> None:
    spec = load_spec(SPECS / "outside" / "spec" / "openapi.yaml", allow_outside_refs=True)
    assert [d.code for d in spec.diagnostics] == ["ref.remote"]
    schemas = spec.document["components"]["schemas"]
    assert schemas["shared"] == {"type": "string"}
    assert "../shared.yaml" in spec.sources


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "openapi.yaml"
    path.write_text(text, encoding="utf-8")
    return path


DANGLING = """
openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /pets:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pets'}
components:
  schemas:
    Pet: {type: object}
    PetList: {type: array, items: {$ref: '#/components/schemas/Pet'}}
"""


def test_dangling_local_ref_names_place_and_suggests(tmp_path: Path) -> None:
    path = _spec(tmp_path, DANGLING)
    [error] = load_spec(path).diagnostics
    assert error.code == "ref.dangling"
    assert error.severity is Severity.ERROR
    assert error.where == (
        f"{path}#/paths/~1pets/get/responses/200/content/application~1json/schema"
    )
    assert "#/components/schemas/Pets" in error.message
    assert error.hint == "did you mean '#/components/schemas/Pet'?"


def test_dangling_ref_into_other_file(tmp_path: Path) -> None:
    (tmp_path / "defs.yaml").write_text("Pet: {type: object}\n", encoding="utf-8")
    path = _spec(tmp_path, DANGLING.replace("'#/components/schemas/Pets'", "'defs.yaml#/Pett'"))
    [error] = load_spec(path).diagnostics
    assert error.code == "ref.dangling"
    assert "defs.yaml" in error.message
    assert error.hint == "did you mean '#/Pet'?"


def test_missing_referenced_file(tmp_path: Path) -> None:
    path = _spec(tmp_path, DANGLING.replace("'#/components/schemas/Pets'", "'nope.yaml'"))
    [error] = load_spec(path).diagnostics
    assert error.code == "ref.unreadable"
    assert "nope.yaml" in error.message


def test_all_problems_reported_in_one_pass(tmp_path: Path) -> None:
    text = DANGLING + "    Other: {$ref: '#/components/schemas/Nope'}\n"
    codes = [d.code for d in load_spec(_spec(tmp_path, text)).diagnostics]
    assert codes == ["ref.dangling", "ref.dangling"]


def test_refs_in_examples_and_extensions_are_data(tmp_path: Path) -> None:
    text = DANGLING.replace("'#/components/schemas/Pets'", "'#/components/schemas/Pet'") + (
        "    WithExample:\n"
        "      type: object\n"
        "      example: {$ref: 'https://example.com/not-a-ref'}\n"
        "      x-vendor: {$ref: '../elsewhere.yaml'}\n"
    )
    spec = load_spec(_spec(tmp_path, text))
    assert spec.diagnostics == ()


def test_refs_into_paths_get_a_component(tmp_path: Path) -> None:
    text = """
openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /orders/{id}:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  parent: {$ref: 'REF'}
  /orders:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: 'REF'}
""".replace("REF", "#/paths/~1orders~1%7Bid%7D/get/responses/200/content/application~1json/schema")
    spec = load_spec(_spec(tmp_path, text))
    assert spec.diagnostics == ()
    name = "orders_id_get_responses_200_application_json_schema"
    local = f"#/components/schemas/{name}"
    schema = spec.document["components"]["schemas"][name]
    assert schema["properties"]["parent"] == {"$ref": local}
    listing = spec.document["paths"]["/orders"]["get"]["responses"]["200"]
    assert listing["content"]["application/json"]["schema"]["items"] == {"$ref": local}
    assert all(ref.startswith("#/components/") for ref in _refs(spec.document))


def test_swagger2_refs_into_paths_survive_conversion(tmp_path: Path) -> None:
    text = """
swagger: '2.0'
info: {title: T, version: '1'}
paths:
  /a:
    get:
      responses:
        '200': {description: ok, schema: {type: object, properties: {x: {type: string}}}}
  /b:
    get:
      responses:
        '200': {description: ok, schema: {$ref: '#/paths/~1a/get/responses/200/schema'}}
"""
    spec = load_spec(_spec(tmp_path, text))
    assert spec.diagnostics == ()
    b = spec.document["paths"]["/b"]["get"]["responses"]["200"]["content"]["application/json"]
    ref = b["schema"]["$ref"]
    assert ref == "#/components/schemas/a_get_responses_200_schema"
    assert resolve_pointer(spec.document, split_fragment(ref[1:]))["properties"] == {
        "x": {"type": "string"}
    }


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def multi_server() -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(SPECS / "multi"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_multi_file_spec_from_url(multi_server: str) -> None:
    spec = load_spec(f"{multi_server}/openapi.yaml")
    assert spec.diagnostics == ()
    assert sorted(spec.sources) == [
        "common.yaml",
        "openapi.yaml",
        "paths/pets.yaml",
        "schemas/error.yaml",
        "schemas/owner.yaml",
        "schemas/pet.yaml",
    ]
    local = load_spec(SPECS / "multi" / "openapi.yaml")
    assert spec.document == local.document


def test_remote_refs_fetched_only_when_allowed(multi_server: str, tmp_path: Path) -> None:
    path = _spec(
        tmp_path,
        DANGLING.replace("'#/components/schemas/Pets'", f"'{multi_server}/schemas/error.yaml'"),
    )
    refused = load_spec(path)
    assert [d.code for d in refused.diagnostics] == ["ref.remote"]
    allowed = load_spec(path, allow_remote_refs=True)
    assert allowed.diagnostics == ()
    assert allowed.document["components"]["schemas"]["error"]["type"] == "object"
    assert f"{multi_server}/schemas/error.yaml" in allowed.sources


def test_ref_that_is_not_a_string(tmp_path: Path) -> None:
    text = DANGLING.replace("'#/components/schemas/Pets'", "5") + (
        "    Meta: {type: object, properties: {$ref: {type: string}}}\n"
    )
    [error] = load_spec(_spec(tmp_path, text)).diagnostics
    assert (error.code, error.severity) == ("ref.type", Severity.ERROR)
    assert error.where.endswith("/content/application~1json/schema")


def test_self_referencing_path_item_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").write_text("$ref: './loop.yaml'\n", encoding="utf-8")
    path = _spec(
        tmp_path,
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a: {$ref: loop.yaml}\n",
    )
    [error] = load_spec(path).diagnostics
    assert error.code == "ref.cycle"
    assert error.where.endswith("#/paths/~1a")


def test_json_spec_referring_to_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "pet.yaml").write_text("type: object\n", encoding="utf-8")
    path = tmp_path / "openapi.json"
    path.write_text(
        '{"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": {},'
        ' "components": {"schemas": {"Pet": {"$ref": "pet.yaml"}}}}',
        encoding="utf-8",
    )
    spec = load_spec(path)
    assert [d.code for d in spec.diagnostics] == ["spec.no_paths"]
    assert spec.document["components"]["schemas"] == {"Pet": {"type": "object"}}
    assert sorted(spec.sources) == ["openapi.json", "pet.yaml"]


NESTED_DANGLING = """\
openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /pets:
    get:
      parameters:
        - {name: kind, in: query, schema: {$ref: '#/components/schemas/Kind'}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
components:
  schemas:
    Kind: {type: string}
    Pet:
      type: object
      properties:
        tag: {$ref: '#/components/schemas/Tag', description: A tag}
        tags: {type: array, items: {$ref: '#/components/schemas/Tag'}}
        extra: {additionalProperties: {$ref: '#/components/schemas/Tag'}}
        either: {oneOf: [{$ref: '#/components/schemas/Tag'}, {type: integer}]}
"""


def test_dangling_ref_nested_in_a_schema_becomes_any_value(tmp_path: Path) -> None:
    path = _spec(tmp_path, NESTED_DANGLING)
    spec = load_spec(path)
    assert {d.severity for d in spec.diagnostics} == {Severity.WARNING}
    assert sorted(d.where.partition("#")[2] for d in spec.diagnostics) == [
        "/components/schemas/Pet/properties/either/oneOf/0",
        "/components/schemas/Pet/properties/extra/additionalProperties",
        "/components/schemas/Pet/properties/tag",
        "/components/schemas/Pet/properties/tags/items",
    ]
    assert all(d.code == "ref.dangling" for d in spec.diagnostics)
    pet = spec.document["components"]["schemas"]["Pet"]["properties"]
    assert pet["tag"] == {"description": "A tag"}
    assert pet["tags"]["items"] == {}
    assert "#/components/schemas/Tag" not in str(_refs(spec.document))
    api = build_api(spec)
    assert len(api.operations) == 1
    assert not [d for d in api.diagnostics if d.severity is Severity.ERROR]


_KIND_PARAMETER = "{name: kind, in: query, schema: {$ref: '#/components/schemas/Kind'}}"


@pytest.mark.parametrize(
    "parameter",
    [
        "{$ref: '#/components/parameters/Nope'}",
        "{name: kind, in: query, schema: {$ref: '#/components/schemas/Nope'}}",
    ],
)
def test_dangling_ref_as_a_parameter_or_its_schema_stays_an_error(
    tmp_path: Path, parameter: str
) -> None:
    text = NESTED_DANGLING.replace(_KIND_PARAMETER, parameter)
    problems = load_spec(_spec(tmp_path, text)).diagnostics
    errors = [d for d in problems if d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["ref.dangling"]
    assert errors[0].where.endswith(
        "/get/parameters/0" + ("/schema" if "name" in parameter else "")
    )
