"""Instruction steps: checked and compiled at generation time, run by `StepModel` at run time."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from specagent import ir
from specagent.agentfile import load_agent_file
from specagent.loader import build_api, load_spec
from specagent.plan import make_plan
from specagent.render import render_tasks
from specagent.tasks import build_tasks
from specagent_runtime import Identity, InputSpec, Instruct, StepModel, Toolset

from tests.support.fake_openai import FakeOpenAI, Turn, call, say
from tests.unit.runtime.fakepkg.client import FakeClient

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"
ADA = Identity(email="ada@example.com", verified=True)

FIND = """
- call: getCustomerByEmail
  as: customer
- instruct: "Find which order they mean by {inputs.hint}"
  tools: [get_my_order]
  max_rounds: 3
  output:
    order_id: {type: integer, description: The order}
    reason: {type: string, enum: [damaged, late]}
  as: choice
"""


@pytest.fixture(scope="module")
def shop_plan() -> ir.Plan:
    agent = load_agent_file(SHOP / "agent.yaml")
    assert agent.problems == ()
    return make_plan(build_api(load_spec(SHOP / "openapi.yaml")), agent.config, "shop_agent")


def _build(plan: ir.Plan, steps: str) -> tuple[Any, list[ir.Diagnostic]]:
    text = (
        "tasks:\n"
        "  demo:\n"
        "    description: A task for the tests.\n"
        "    inputs:\n"
        "      hint: string\n"
        "    steps:\n" + textwrap.indent(textwrap.dedent(steps).strip(), " " * 6) + "\n"
    )
    return build_tasks(text, "agent.yaml", plan)


def _function(program: ir.TaskProgram, name: str, plan: ir.Plan) -> str:
    """The source of one step function in the rendered tasks.py (before ruff formats it)."""
    source = render_tasks(program, plan)
    start = source.index(f"def {name}(")
    end = source.find("\n\n\n", start)
    return source[start : end if end >= 0 else None]


def _problems(plan: ir.Plan, steps: str) -> list[tuple[str, str]]:
    _, diagnostics = _build(plan, steps)
    return [(d.code, d.where) for d in diagnostics]


# --- generation time ------------------------------------------------------------------------


def test_an_instruct_step_compiles_to_an_instruct_effect(shop_plan: ir.Plan) -> None:
    program, diagnostics = _build(shop_plan, FIND + '- respond: "Order {choice.order_id}"')
    assert diagnostics == []
    step = next(s for s in program.tasks[0].steps if s.kind == "instruct")
    body = _function(program, step.function, shop_plan)
    assert isinstance(step.effect, ir.InstructEffect)
    assert "return Instruct(" in body
    assert "tools=('get_my_order',)" in body
    assert "InputSpec(name='order_id', type='integer', description='The order')" in body
    assert "InputSpec(name='reason', type='string', enum=('damaged', 'late'))" in body
    assert "save_as='choice'" in body and "max_rounds=3" in body and "next='3'" in body
    assert "inputs = ctx.inputs(DemoInputs)" in body
    assert "ctx.format('Find which order they mean by ', inputs.hint)" in body


def test_a_tool_may_be_named_by_its_operation_id(shop_plan: ir.Plan) -> None:
    program, diagnostics = _build(shop_plan, FIND.replace("[get_my_order]", "[getCustomerOrder]"))
    assert diagnostics == []
    step = next(s for s in program.tasks[0].steps if s.kind == "instruct")
    assert "tools=('get_my_order',)" in _function(program, step.function, shop_plan)


def test_an_unknown_tool_names_its_line_and_suggests(shop_plan: ir.Plan) -> None:
    _, diagnostics = _build(shop_plan, FIND.replace("[get_my_order]", "[get_my_ordr]"))
    assert [(d.code, d.where) for d in diagnostics] == [("task.unknown_tool", "agent.yaml:10")]
    assert diagnostics[0].hint == "did you mean `get_my_order`?"


def test_an_operation_that_is_not_a_tool(shop_plan: ir.Plan) -> None:
    _, diagnostics = _build(shop_plan, FIND.replace("[get_my_order]", "[cancelOrder]"))
    assert [d.code for d in diagnostics] == ["task.unknown_tool"]
    assert "tools.include.operations" in diagnostics[0].hint


def test_the_output_is_typed_for_later_steps(shop_plan: ir.Plan) -> None:
    assert _problems(shop_plan, FIND + '- respond: "{choice.ordr_id}"') == [
        ("task.unknown_field", "agent.yaml:16")
    ]
    assert _problems(shop_plan, FIND + '- if: choice.order_id == "7"\n  then: [{end: done}]') == [
        ("task.type_mismatch", "agent.yaml:16")
    ]
    assert _problems(
        shop_plan, FIND + '- if: choice.reason == "broken"\n  then: [{end: done}]'
    ) == [("task.type_mismatch", "agent.yaml:16")]
    # Used as an argument of the type the operation wants: fine.
    steps = FIND + "- call: getCustomerOrder\n  with: {orderId: choice.order_id}"
    assert _problems(shop_plan, steps) == []


def test_the_output_is_not_known_before_the_step(shop_plan: ir.Plan) -> None:
    steps = '- respond: "{choice.order_id}"\n' + FIND
    assert ("task.used_before_set", "agent.yaml:7") in _problems(shop_plan, steps)


def test_output_as_and_round_bound_are_checked(shop_plan: ir.Plan) -> None:
    no_output = '- instruct: "Do it"\n  as: x'
    assert _problems(shop_plan, no_output) == [("task.missing_key", "agent.yaml:7")]
    no_as = '- instruct: "Do it"\n  output: {n: integer}'
    assert _problems(shop_plan, no_as) == [("task.missing_key", "agent.yaml:7")]
    empty = '- instruct: "Do it"\n  output: {}\n  as: x'
    assert _problems(shop_plan, empty) == [("task.missing_key", "agent.yaml:8")]
    rounds = '- instruct: "Do it"\n  max_rounds: 50\n  output: {n: integer}\n  as: x'
    assert _problems(shop_plan, rounds) == [("task.bad_value", "agent.yaml:8")]
    bad_type = '- instruct: "Do it"\n  output: {n: integr}\n  as: x'
    assert _problems(shop_plan, bad_type) == [("task.bad_value", "agent.yaml:8")]


# --- run time -------------------------------------------------------------------------------

EFFECT = Instruct(
    instruction="Find the order they mean",
    tools=("get_order",),
    output=(
        InputSpec(name="order_id", type="integer", minimum=1),
        InputSpec(name="reason", type="string", enum=("damaged", "late")),
    ),
    save_as="choice",
    next="3",
    max_rounds=4,
)
VARIABLES = {"inputs": {"hint": "the mug"}, "identity": {"email": "ada@example.com"}}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


async def _run(fake: FakeOpenAI, *script: Turn, effect: Instruct = EFFECT) -> Any:
    fake.add(*script)
    client = fake.client()
    api = FakeClient()
    toolset = Toolset.from_package("tests.unit.runtime.fakepkg", api)
    try:
        return await StepModel(client, "m", toolset).run(effect, VARIABLES, ADA)
    finally:
        await client.close()
        await api.aclose()


async def test_a_valid_output_finishes_the_step(fake: FakeOpenAI) -> None:
    outcome = await _run(fake, call("finish_step", order_id=7, reason="late"))

    assert outcome.values == {"order_id": 7, "reason": "late"}
    sent = fake.requests[0]
    assert "the mug" in sent["messages"][0]["content"]
    assert "ada@example.com" not in json.dumps(sent)  # the identity is not shown as data
    finish = fake.tools(0)["finish_step"]
    assert finish["required"] == ["order_id", "reason"]
    assert finish["properties"]["reason"]["enum"] == ["damaged", "late"]
    assert set(fake.tools(0)) == {"get_order", "finish_step", "handoff_to_human"}


async def test_an_invalid_output_is_sent_back_with_the_reason(fake: FakeOpenAI) -> None:
    outcome = await _run(
        fake,
        call("finish_step", order_id=0, reason="late"),
        call("finish_step", order_id=7, reason="late"),
    )

    assert outcome.values == {"order_id": 7, "reason": "late"}
    told = json.loads(fake.messages(1)[-1]["content"])
    assert told["status"] == "error"
    assert "`order_id`" in told["message"] and "at least 1" in told["message"]


async def test_three_invalid_outputs_hand_off_with_the_reason(fake: FakeOpenAI) -> None:
    outcome = await _run(
        fake,
        call("finish_step", order_id=7, reason="broken"),
        call("finish_step", order_id=7),
        call("finish_step", order_id=7, reason="late", note="x"),
    )

    assert outcome.values is None
    assert outcome.reason.startswith("no valid step output after 3 tries: unknown output fields")


async def test_the_round_bound_hands_off(fake: FakeOpenAI) -> None:
    effect = Instruct("Do it", (), EFFECT.output, "choice", None, max_rounds=2)
    outcome = await _run(fake, say("Thinking..."), say("Still thinking."), effect=effect)

    assert outcome.values is None
    assert outcome.reason == "the step did not finish within 2 rounds"
    assert fake.messages(1)[-1] == {"role": "user", "content": "Call finish_step with the result."}


async def test_the_model_may_hand_off_itself(fake: FakeOpenAI) -> None:
    outcome = await _run(fake, call("handoff_to_human", reason="two mugs orders"))

    assert outcome.values is None
    assert outcome.reason == "the step was handed off: two mugs orders"


async def test_tools_of_the_step_run_with_the_identity_and_the_gate_holds(
    fake: FakeOpenAI,
) -> None:
    outcome = await _run(
        fake,
        call("get_order", orderId=7, zip="12345"),
        call("cancel_order", orderId=7),
        call("finish_step", order_id=7, reason="late"),
    )

    assert outcome.values is not None
    looked_up = json.loads(fake.messages(1)[-1]["content"])
    assert looked_up["status"] == "ok" and looked_up["data"]["id"] == 7
    refused = json.loads(fake.messages(2)[-1]["content"])
    assert refused["status"] == "error" and "may use only: get_order" in refused["message"]


async def test_a_tool_that_needs_confirmation_is_refused_inside_a_step(fake: FakeOpenAI) -> None:
    effect = Instruct("Do it", ("cancel_order",), EFFECT.output, "choice", None)
    outcome = await _run(
        fake,
        call("cancel_order", orderId=7),
        call("finish_step", order_id=7, reason="late"),
        effect=effect,
    )

    assert outcome.values is not None
    refused = json.loads(fake.messages(1)[-1]["content"])
    assert refused["status"] == "error"
    assert "needs the customer's confirmation" in refused["message"]
