"""models.py: what is fed to datamodel-code-generator and what is read back for the client."""

from __future__ import annotations

import ast

import pytest
from specagent import ir
from specagent.plan import make_plan
from specagent.render import RenderError, RenderOptions, _models, render
from specagent.render._models import build_models, synthetic_document
from specagent.render._source_fixes import escape_controls, redeclares_fields, union_bases

from tests.unit.render._api import ok, operation, param, petstore_api, ref

TRICKY = {
    "Tricky": {
        "type": "object",
        "properties": {
            "price": {"type": "number", "format": "decimal", "default": 0},
            "count": {"type": "integer", "default": "5"},
            "when": {"type": "string", "format": "date", "default": "2020-01-01"},
            "kind": {"type": "string", "enum": ["a", "b", "a"], "default": "c"},
            "flag": {"type": ["boolean", "null"], "default": True},
            "huge": {"type": "string", "pattern": "(\\w{1,100}){1,100}" * 4},
            "fine": {"type": "string", "pattern": "^[a-z]+$"},
            "mail": {"type": "string", "format": "email"},
            "examples": {"type": "string", "examples": {"x": {"value": "y"}}},
            "stop": {"default": None, "oneOf": [{"type": "string"}, {"type": "array"}]},
            "keys": {"type": "object", "propertyNames": {"maxLength": 3}},
            "reason": {"enum": [{"override": True}, "DEFAULT"]},
        },
    },
    "Odd Name": {"type": "array", "items": {"$ref": "#/components/schemas/Odd%20Name"}},
}
OPS = (
    operation(
        "getTricky",
        "get",
        "/t",
        parameters=(param("date", "query", {"type": "string", "format": "date"}),),
        responses=(ok({"type": "array", "items": ref("Tricky")}),),
    ),
)


@pytest.fixture(scope="module")
def plan() -> ir.Plan:
    return make_plan(petstore_api(schemas=TRICKY, operations=OPS), ir.AgentConfig(), "t_agent")


def test_synthetic_document_cleans_schemas(plan: ir.Plan) -> None:
    schemas = synthetic_document(plan)["components"]["schemas"]
    props = schemas["Tricky"]["properties"]
    for name in ("price", "count", "when", "kind", "stop"):
        assert "default" not in props[name], name
    assert props["flag"]["default"] is True
    assert props["kind"]["enum"] == ["a", "b"]
    assert "pattern" not in props["huge"]
    assert props["fine"]["pattern"] == "^[a-z]+$"
    assert "format" not in props["mail"]
    assert "propertyNames" not in props["keys"]
    assert "enum" not in props["reason"]  # an object as an enum member (enode.io)
    assert "examples" not in props["examples"] and "examples" in props  # the property stays
    assert schemas["OddName"]["items"] == {"$ref": "#/components/schemas/OddName"}
    assert list(schemas) == sorted(schemas)


def test_models_are_read_back_for_signatures(plan: ir.Plan) -> None:
    models = build_models(plan)
    assert {"Tricky", "OddName", "GetTrickyArgs", "GetTrickyResponse"} <= models.classes
    (field,) = models.args["GetTrickyArgs"]
    assert (field.key, field.python_name, field.required) == ("date", "date", False)
    assert field.annotation.endswith("| None")
    module, name, local = next(iter(models.imports))
    assert (module, name) == ("datetime", "date")
    assert field.annotation.startswith(local)
    assert models.root_types["GetTrickyResponse"] == "list[models.Tricky]"
    assert not models.source.startswith("#")
    compile(models.source, "models.py", "exec")


def test_control_characters_in_literals_are_escaped() -> None:
    source = 'A = "x\x1by\u200bz"\nB = r"q\x1b"\nC = """doc\x07"""\n'
    escaped = escape_controls(source)
    assert "\x1b" not in escaped and "\u200b" not in escaped and "\x07" not in escaped
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    exec(compile(ast.parse(source), "s", "exec"), before)
    exec(compile(ast.parse(escaped), "e", "exec"), after)
    assert [before[k] for k in "ABC"] == [after[k] for k in "ABC"]


def test_union_bases_become_pipes_that_still_evaluate() -> None:
    source = (
        "from typing import Union\n"
        "class B: ...\n"
        'class A(list[Union[dict[str, "A"], B]]): ...\n'
        'class C(list[Union["C", int]]): ...\n'
    )
    rewritten = union_bases(source)
    assert "Union[" not in rewritten.split("\n", 1)[1]
    assert "class A(list[dict[str, 'A'] | B])" in rewritten
    assert "class C(list['C | int'])" in rewritten
    exec(compile(rewritten, "u", "exec"), {})


def test_override_pragma_only_for_redeclared_fields() -> None:
    plain = ast.parse("class A(BaseModel):\n    x: int\nclass B(A):\n    y: str\n")
    assert not redeclares_fields(plain)
    same = ast.parse("class A(BaseModel):\n    x: int\nclass B(A):\n    x: int\n")
    assert not redeclares_fields(same)
    changed = ast.parse(
        "class A(BaseModel):\n    x: P | None\n"
        "class M(A):\n    pass\n"
        "class B(M):\n    x: Q | None\n"
    )
    assert redeclares_fields(changed)


def test_a_missing_class_is_reported_with_its_place(
    plan: ir.Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_models, "_run_codegen", lambda _doc: "class Tricky:\n    pass\n")
    with pytest.raises(RenderError) as caught:
        render(plan, RenderOptions())
    message = str(caught.value)
    assert "GetTrickyArgs (#/paths/~1t/get)" in message
    assert "OddName (#/components/schemas/Odd Name)" in message
