"""Tools' input schemas (agent.json): only the definitions a tool reaches, each written where it
is used when it is used once, and nothing the model cannot use, with no argument lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from specagent import GenerateOptions, plan_inputs
from specagent.render import agent_json

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT.parent / "shared" / "corpus" / "specs"

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Shapes", "version": "1"},
    "paths": {
        "/orders": {
            "post": {
                "operationId": "createOrder",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
                    },
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/trees": {
            "post": {
                "operationId": "plantTree",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/labels/{id}": {
            "get": {
                "operationId": "getLabel",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "description": "The label's <code>id</code>; see "
                        "[the guide](https://example.com/guide).",
                        "schema": {"type": "integer", "format": "int64", "maxLength": 5000},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "components": {
        "schemas": {
            "Order": {
                "type": "object",
                "title": "order_definition",
                "required": ["id", "lines", "shipping"],
                "properties": {
                    "id": {"type": "string", "readOnly": True},
                    "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                    "shipping": {"$ref": "#/components/schemas/Address"},
                    "billing": {"$ref": "#/components/schemas/Address"},
                    "note": {"type": "string", "maxLength": 5000, "description": "x " * 200},
                    "code": {"type": "string", "maxLength": 8},
                },
            },
            "Line": {
                "type": "object",
                "required": ["sku"],
                "properties": {
                    "sku": {"type": "string", "enum": ["a", "b"]},
                    "created": {"type": "string", "format": "date-time", "readOnly": True},
                    "quantity": {"type": "integer", "format": "int32", "minimum": 1},
                },
            },
            "Address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
            },
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                },
            },
        }
    },
}


def tools_of(tmp_path: Path, spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    planned = plan_inputs(path, None, "shapes_agent", GenerateOptions())
    assert planned.plan is not None, planned.problems
    data = json.loads(agent_json(planned.plan))
    return {tool["operation"]: tool["input_schema"] for tool in data["tools"]}


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return tools_of(tmp_path_factory.mktemp("shapes"), SPEC)


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.removeprefix("#/$defs/")
            elif key not in ("enum", "const", "default"):
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def reached(schema: dict[str, Any]) -> set[str]:
    """The definitions a schema's properties lead to, following `$defs` transitively."""
    defs = schema.get("$defs", {})
    found: set[str] = set()
    pending = list(refs(schema.get("properties", {})))
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(refs(defs.get(name, {})))
    return found


def test_a_definition_used_once_is_written_in_place(tools: dict[str, dict[str, Any]]) -> None:
    order = tools["createOrder"]
    # Address is used twice (shipping, billing): shared. Line once: written inside `lines`.
    assert set(order["$defs"]) == {"Address"}
    assert order["properties"]["shipping"] == {"$ref": "#/$defs/Address"}
    line = order["properties"]["lines"]["items"]
    assert line["properties"]["sku"] == {"type": "string", "enum": ["a", "b"]}
    assert line["required"] == ["sku"]


def test_a_recursive_definition_stays_shared(tools: dict[str, dict[str, Any]]) -> None:
    tree = tools["plantTree"]
    assert set(tree["$defs"]) == {"Node"}
    assert tree["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}


def test_what_the_model_cannot_use_is_left_out(tools: dict[str, dict[str, Any]]) -> None:
    order = tools["createOrder"]
    # The server fills in readOnly properties: neither offered nor required.
    assert "id" not in order["properties"]
    assert order["required"] == ["lines", "shipping"]
    line = order["properties"]["lines"]["items"]
    assert "created" not in line["properties"]
    # Number formats and titles say nothing to the model; limits no model reaches neither.
    assert line["properties"]["quantity"] == {"type": "integer", "minimum": 1}
    assert "title" not in json.dumps(order)
    assert "maxLength" not in order["properties"]["note"]
    assert order["properties"]["code"] == {"type": "string", "maxLength": 8}
    assert len(order["properties"]["note"]["description"]) <= 300


def test_descriptions_are_plain_text(tools: dict[str, dict[str, Any]]) -> None:
    label = tools["getLabel"]
    assert label["properties"]["id"] == {
        "type": "integer",
        "description": "The label's `id`; see the guide.",
    }


def test_a_described_reference_keeps_its_description(tmp_path: Path) -> None:
    spec = json.loads(json.dumps(SPEC))
    spec["components"]["schemas"]["Order"]["properties"]["lines"] = {
        "$ref": "#/components/schemas/Lines",
        "description": "What is ordered.",
    }
    spec["components"]["schemas"]["Lines"] = {
        "type": "array",
        "description": "A list of lines.",
        "items": {"$ref": "#/components/schemas/Line"},
    }
    lines = tools_of(tmp_path, spec)["createOrder"]["properties"]["lines"]
    assert lines["description"] == "What is ordered."
    assert lines["type"] == "array" and "$ref" not in lines


def test_a_reference_to_part_of_a_component_is_written_out(tmp_path: Path) -> None:
    # `#/components/schemas/Line/properties/quantity`: no `$defs` entry stands for it, and a
    # reference into the spec left in the tool schema resolves to nothing for the model.
    spec = json.loads(json.dumps(SPEC))
    spec["paths"]["/labels/{id}"]["get"]["parameters"].append(
        {
            "name": "count",
            "in": "query",
            "description": "How many.",
            "schema": {"$ref": "#/components/schemas/Line/properties/quantity"},
        }
    )
    label = tools_of(tmp_path, spec)["getLabel"]
    assert label["properties"]["count"] == {
        "description": "How many.",
        "minimum": 1,
        "type": "integer",
    }
    assert "$defs" not in label


@pytest.mark.parametrize(
    "name",
    [
        "intercom.io__2.16.yaml",
        "adyen.com_CheckoutService__71.json",
        "squareup.com__2.0.yaml",
        "cpy.re_peertube__3.3.0.yaml",  # parameters refer to a component's property
    ],
)
def test_every_definition_is_reached_and_every_reference_resolves(
    tmp_path: Path, name: str
) -> None:
    spec = CORPUS / name
    if not spec.exists():
        pytest.skip(f"{name} is not in the corpus")
    planned = plan_inputs(spec, None, "corpus_agent", GenerateOptions())
    assert planned.plan is not None
    data = json.loads(agent_json(planned.plan))
    for tool in data["tools"]:
        schema = tool["input_schema"]
        defs = schema.get("$defs", {})
        assert set(defs) == reached(schema), tool["name"]
        assert set(refs(schema)) <= set(defs), tool["name"]
    assert data["tools"]


def test_a_large_part_repeated_in_one_tool_is_written_once(tmp_path: Path) -> None:
    categories = {
        "type": "array",
        "items": {"type": "string", "enum": [f"c{n}" for n in range(60)]},
    }
    spec = json.loads(json.dumps(SPEC))
    spec["components"]["schemas"]["Order"]["properties"]["limits"] = {
        "type": "object",
        "properties": {"allowed": categories, "blocked": categories},
    }
    order = tools_of(tmp_path, spec)["createOrder"]
    limits = order["properties"]["limits"]["properties"]
    assert limits["allowed"] == limits["blocked"] == {"$ref": "#/$defs/allowed"}
    assert order["$defs"]["allowed"] == categories
    # Every value is still there, once.
    assert json.dumps(order).count('"c59"') == 1


def test_tool_descriptions_are_plain_and_say_things_once(tmp_path: Path) -> None:
    spec = json.loads(json.dumps(SPEC))
    operation = spec["paths"]["/labels/{id}"]["get"]
    operation["summary"] = "Deletes a label"
    operation["description"] = "Delete a label."
    assert _described(tmp_path, spec)["getLabel"] == "Delete a label."
    operation["summary"] = "Find a label."
    operation["description"] = (
        "<p>Returns the <code>Label</code>; see <a href='https://example.com'>the docs</a>.</p>"
        "<p>" + "More words. " * 100 + "</p>"
    )
    described = _described(tmp_path, spec)["getLabel"]
    assert described.startswith("Find a label. Returns the `Label`; see the docs. More words.")
    assert len(described) <= 500 and described.endswith(".")


def _described(tmp_path: Path, spec: dict[str, Any]) -> dict[str, str]:
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    planned = plan_inputs(path, None, "shapes_agent", GenerateOptions())
    assert planned.plan is not None
    return {tool.endpoint.operation.id: tool.description for tool in planned.plan.tools}
