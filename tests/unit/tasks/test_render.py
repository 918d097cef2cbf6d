"""What `render_tasks` writes: hostile agent-file text stays data, and the tool JSON."""

from __future__ import annotations

import ast
import json

from specagent import ir
from specagent.render import render_tasks, task_tools
from specagent.tasks import build_tasks

HOSTILE = '\\"""; import os; os.system("rm -rf /") #'


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text)


AGENT = f"""
tasks:
  cancel_order:
    description: {_q(HOSTILE)}
    inputs:
      order_id: {{type: integer, description: {_q(HOSTILE)}}}
      reason: {{type: string, enum: [{_q(HOSTILE)}, other], pattern: '.*'}}
    steps:
      - ask: reason
        prompt: {_q(HOSTILE)}
      - call: getOrderById
        with: {{orderId: inputs.order_id}}
        as: order
      - if: {_q('order.status == "delivered" or inputs.reason == ' + repr(HOSTILE))}
        then:
          - handoff: {_q(HOSTILE + " {order.id}")}
      - set: {{note: '"{{}}" + order.status'}}
      - confirm: {_q(HOSTILE)}
        else:
          - respond: "{{{{not an expression}}}}"
      - call: deleteOrder
        with: {{orderId: order.id}}
        on_error:
          - respond: "{{error.status}}: {{error.message}}"
      - respond: {_q(HOSTILE)}
"""

_CALLABLE = {
    "Ask",
    "Call",
    "Confirm",
    "End",
    "Goto",
    "Handoff",
    "InputSpec",
    "Respond",
    "SetValues",
    "TaskDefinition",
    "bool",
    "dataclass",
    "len",
}
_ACCESSORS = {"format", "text", "integer", "number", "boolean", "items", "value", "need", "item"}
_TYPED_READS = {"result", "inputs"}  # what a step's locals are bound to, and nothing else


def _render(plan: ir.Plan) -> str:
    program, diagnostics = build_tasks(AGENT, "agent.yaml", plan)
    # The one expected warning: the verified-only task deletes the order the customer named
    # without tying it to them (what is tested here is the hostile text).
    assert [d.code for d in diagnostics] == [ir.Code.TASK_NOT_OWNED], [
        d.render() for d in diagnostics
    ]
    return render_tasks(program, plan)


def _is_typed_read(value: ast.expr) -> bool:
    """`ctx.result("order", models.Order)`, `ctx.inputs(CancelOrderInputs)`, or its `.root`."""
    if isinstance(value, ast.Attribute) and value.attr == "root":
        value = value.value
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == "ctx"
        and value.func.attr in _TYPED_READS
    )


def test_agent_file_text_never_becomes_code(petstore_plan: ir.Plan) -> None:
    tree = ast.parse(_render(petstore_plan))
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert [(node.module, node.level) for node in imports if isinstance(node, ast.ImportFrom)] == [
        ("__future__", 0),
        ("dataclasses", 0),
        ("typing", 0),
        ("specagent_runtime", 0),
        (None, 1),
    ]
    assert len(imports) == 5
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id in _CALLABLE, ast.unparse(node)
            else:
                assert isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                assert func.value.id == "ctx", ast.unparse(node)
                accessor = func.attr.removeprefix("need_")
                assert accessor in _ACCESSORS | _TYPED_READS, ast.unparse(node)
        if isinstance(node, ast.FunctionDef):
            for stmt in node.body:
                assert isinstance(stmt, ast.Expr | ast.Return | ast.If | ast.Assign)
                if isinstance(stmt, ast.Assign):
                    assert _is_typed_read(stmt.value), ast.unparse(stmt)
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert HOSTILE in strings  # the text is kept, as a string
    assert "{not an expression}" in strings


def test_rendering_is_deterministic(petstore_plan: ir.Plan) -> None:
    assert _render(petstore_plan) == _render(petstore_plan)


def test_every_step_kind_compiles_to_its_effect(petstore_plan: ir.Plan) -> None:
    source = _render(petstore_plan)
    for effect in ("Ask(", "Call(", "Goto(", "Handoff(", "SetValues(", "Confirm(", "Respond("):
        assert effect in source
    assert "on_error='6.error.1'" in source  # the error branch, then an implicit end: failed
    assert "'6.error.2': _cancel_order_6_error_2" in source
    assert "declined='5.no.1'" in source


def test_task_tools(petstore_plan: ir.Plan) -> None:
    program, _ = build_tasks(AGENT, "agent.yaml", petstore_plan)
    [tool] = task_tools(program)
    assert tool["name"] == tool["task"] == "cancel_order"
    assert tool["requires"] == "verified"
    assert tool["input_schema"]["required"] == ["order_id"]  # `reason` is asked for
    assert tool["input_schema"]["properties"]["reason"]["enum"] == [HOSTILE, "other"]
