"""Lenient repairs: each keeps the spec's meaning and names the place with a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_pydantic.v3.v3_1 import OpenAPI
from pydantic import ValidationError
from specagent.ir import Diagnostic, Severity
from specagent.loader import LoadedSpec, build_api, load_spec

SPECS = Path(__file__).parent / "specs"


@pytest.fixture(scope="module")
def spec() -> LoadedSpec:
    return load_spec(SPECS / "repairs.yaml")


def _schema(spec: LoadedSpec, prop: str) -> Any:
    return spec.document["components"]["schemas"]["Thing"]["properties"][prop]


def _warnings(spec: LoadedSpec, code: str) -> list[Diagnostic]:
    return [d for d in spec.diagnostics if d.code == code]


def test_repairs_are_warnings_only(spec: LoadedSpec) -> None:
    assert spec.diagnostics
    assert {d.severity for d in spec.diagnostics} == {Severity.WARNING}
    for diagnostic in spec.diagnostics:
        assert diagnostic.where.startswith(f"{SPECS / 'repairs.yaml'}#")


def test_parameter_without_schema_accepts_anything(spec: LoadedSpec) -> None:
    param = spec.document["paths"]["/things/{id}"]["parameters"][0]
    assert param["schema"] == {}
    [warning] = _warnings(spec, "parameter.no_schema")
    assert warning.where.endswith("#/paths/~1things~1{id}/parameters/0")


def test_swagger_style_parameter_keys_move_into_schema(spec: LoadedSpec) -> None:
    param = spec.document["paths"]["/things/{id}"]["get"]["parameters"][0]
    assert param == {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1},
    }
    assert len(_warnings(spec, "parameter.swagger_style")) == 1


def test_invalid_enum_values_are_kept_as_data(spec: LoadedSpec) -> None:
    param = spec.document["paths"]["/things/{id}"]["get"]["parameters"][1]
    assert param["schema"]["enum"] == [1, "a", None]


def test_path_without_operations_warns(spec: LoadedSpec) -> None:
    [warning] = _warnings(spec, "path.empty")
    assert warning.where.endswith("#/paths/~1empty")


def test_nullable_becomes_null_type(spec: LoadedSpec) -> None:
    assert _schema(spec, "name") == {"type": ["string", "null"]}
    assert _schema(spec, "color") == {"type": ["string", "null"], "enum": ["red", "blue", None]}
    assert _schema(spec, "base") == {
        "anyOf": [{"$ref": "#/components/schemas/Base"}, {"type": "null"}],
        "description": "the base",
    }
    assert _schema(spec, "either")["oneOf"][-1] == {"type": "null"}
    assert _schema(spec, "all") == {
        "anyOf": [{"allOf": [{"$ref": "#/components/schemas/Base"}]}, {"type": "null"}]
    }


def test_required_true_on_property_moves_to_parent(spec: LoadedSpec) -> None:
    thing = spec.document["components"]["schemas"]["Thing"]
    assert thing["required"] == ["name"]
    assert len(_warnings(spec, "schema.required")) == 1


def test_ref_with_structural_siblings_becomes_all_of(spec: LoadedSpec) -> None:
    assert _schema(spec, "extended") == {
        "allOf": [{"$ref": "#/components/schemas/Base"}],
        "properties": {"extra": {"type": "string"}},
    }
    [warning] = _warnings(spec, "schema.ref_siblings")
    assert warning.where.endswith("#/components/schemas/Thing/properties/extended")
    # Annotations beside a $ref are harmless: kept, no warning.
    assert _schema(spec, "described") == {
        "$ref": "#/components/schemas/Base",
        "description": "kept beside the ref",
    }


def test_boolean_exclusive_bounds_become_numbers(spec: LoadedSpec) -> None:
    assert _schema(spec, "size") == {"type": "number", "exclusiveMinimum": 0, "maximum": 10}


def test_type_aliases_and_unknown_types(spec: LoadedSpec) -> None:
    assert _schema(spec, "count") == {"type": "integer"}
    assert _schema(spec, "odd") == {}
    assert len(_warnings(spec, "schema.type")) == 2


def test_repaired_spec_builds(spec: LoadedSpec) -> None:
    api = build_api(spec)
    [op] = api.operations
    assert op.id == "getThing"
    assert [p.name for p in op.parameters] == ["id", "limit", "mode"]
    assert api.diagnostics == spec.diagnostics


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "openapi.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_webhooks_only_document_has_zero_operations(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "openapi: 3.1.0\ninfo: {title: Hooks, version: '1'}\n"
        "webhooks:\n  newPet:\n    post:\n      responses: {'200': {description: ok}}\n",
    )
    api = build_api(load_spec(path))
    assert api.operations == ()
    [warning] = api.diagnostics
    assert (warning.code, warning.severity) == ("spec.no_paths", Severity.WARNING)
    assert "webhooks" in warning.message


def test_31_nullable_is_read_with_a_warning(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n"
        "components:\n  schemas:\n    A: {type: [string, 'null']}\n"
        "    B: {type: string, nullable: true}\n",
    )
    spec = load_spec(path)
    schemas = spec.document["components"]["schemas"]
    assert schemas["A"] == {"type": ["string", "null"]}
    assert schemas["B"] == {"type": ["string", "null"]}
    assert "schema.nullable" in [d.code for d in spec.diagnostics]


def test_many_repairs_of_one_kind_are_summed_up(tmp_path: Path) -> None:
    props = "".join(f"        p{i}: {{type: str}}\n" for i in range(40))
    path = _write(
        tmp_path,
        "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths: {}\n"
        "components:\n  schemas:\n    A:\n      type: object\n      properties:\n" + props,
    )
    warnings = [d for d in load_spec(path).diagnostics if d.code == "schema.type"]
    assert len(warnings) == 26
    assert "15 more places" in warnings[-1].message


def test_schema_oddities_from_real_specs(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths: {}\n"
        "components:\n  schemas:\n"
        "    Empty: {type: string, enum: []}\n"  # Discord
        "    Tuple: {type: array, items: [{type: integer}, {type: 'null'}]}\n"  # Slack
        "    One: {type: array, items: [{type: integer}]}\n"
        "    Ex: {type: string, examples: {one: {value: a}}}\n"  # SendGrid
        "    Mixin: {type: array, enum: [live, promotions], items: {type: string}}\n",  # BBC
    )
    spec = load_spec(path)
    schemas = spec.document["components"]["schemas"]
    assert schemas["Empty"] == {"type": "string"}
    assert schemas["Tuple"] == {
        "type": "array",
        "items": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    }
    assert schemas["One"] == {"type": "array", "items": {"type": "integer"}}
    assert schemas["Ex"] == {"type": "string"}
    assert schemas["Mixin"] == {
        "type": "array",
        "items": {"type": "string", "enum": ["live", "promotions"]},
    }
    assert sorted(d.code for d in spec.diagnostics if d.code != "spec.no_paths") == [
        "schema.enum",
        "schema.enum",
        "schema.items_list",
        "schema.items_list",
    ]


def test_repair_fixture_becomes_valid_openapi() -> None:
    raw = yaml.safe_load((SPECS / "repairs.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ValidationError):
        OpenAPI.model_validate({**raw, "openapi": "3.1.0"})
    spec = load_spec(SPECS / "repairs.yaml")
    OpenAPI.model_validate({**spec.document, "openapi": "3.1.0"})
