"""Cycles of bare `$ref`s between schemas are refused; recursive schemas are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from specagent.ir import Severity
from specagent.loader import load_spec

HEAD = """\
openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /c:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/A'}
components:
  schemas:
"""


def _load(tmp_path: Path, schemas: str) -> list[tuple[str, Severity, str, str]]:
    path = tmp_path / "openapi.yaml"
    path.write_text(HEAD + schemas, encoding="utf-8")
    return [(d.code, d.severity, d.where, d.message) for d in load_spec(path).diagnostics]


def test_two_schemas_that_are_only_refs_to_each_other(tmp_path: Path) -> None:
    found = _load(
        tmp_path,
        "    B: {$ref: '#/components/schemas/A'}\n    A: {$ref: '#/components/schemas/B'}\n",
    )
    assert found == [
        (
            "ref.cycle",
            Severity.ERROR,
            f"{tmp_path / 'openapi.yaml'}#/components/schemas/A",
            "schemas A -> B -> A are defined only as each other, so they describe no value",
        )
    ]


def test_a_schema_that_is_a_ref_to_itself(tmp_path: Path) -> None:
    [(code, _, where, message)] = _load(tmp_path, "    A: {$ref: '#/components/schemas/A'}\n")
    assert code == "ref.cycle"
    assert where.endswith("#/components/schemas/A")
    assert "A -> A" in message


def test_a_longer_cycle_is_reported_once_starting_at_its_first_name(tmp_path: Path) -> None:
    found = _load(
        tmp_path,
        "    A: {$ref: '#/components/schemas/C'}\n"
        "    C: {description: sibling, $ref: '#/components/schemas/B'}\n"
        "    B: {$ref: '#/components/schemas/A'}\n"
        "    D: {$ref: '#/components/schemas/A'}\n",
    )
    assert [(code, message.split(" are ")[0]) for code, _, _, message in found] == [
        ("ref.cycle", "schemas A -> C -> B -> A")
    ]


def test_an_allof_cycle_is_a_cycle_too(tmp_path: Path) -> None:
    found = _load(
        tmp_path,
        "    A:\n"
        "      allOf:\n"
        "      - $ref: '#/components/schemas/B'\n"
        "      - {type: object, properties: {a: {type: string}}}\n"
        "    B: {allOf: [{$ref: '#/components/schemas/A'}]}\n",
    )
    assert [(code, where.rsplit("#", 1)[1]) for code, _, where, _ in found] == [
        ("ref.cycle", "/components/schemas/A")
    ]


@pytest.mark.parametrize(
    "schemas",
    [
        # Recursive through a property, items, additionalProperties, a union member.
        "    A: {type: object, properties: {next: {$ref: '#/components/schemas/A'}}}\n",
        "    A: {type: array, items: {$ref: '#/components/schemas/B'}}\n"
        "    B: {$ref: '#/components/schemas/A'}\n",
        "    A: {type: object, additionalProperties: {$ref: '#/components/schemas/A'}}\n",
        "    A: {oneOf: [{type: string}, {type: array, items: {$ref: '#/components/schemas/A'}}]}"
        "\n",
        # A chain of aliases that ends in a definition.
        "    A: {$ref: '#/components/schemas/B'}\n"
        "    B: {allOf: [{$ref: '#/components/schemas/C'}]}\n"
        "    C: {type: string}\n",
    ],
    ids=["property", "items", "additional_properties", "one_of_items", "alias_chain"],
)
def test_recursive_schemas_and_alias_chains_are_fine(tmp_path: Path, schemas: str) -> None:
    assert _load(tmp_path, schemas) == []
