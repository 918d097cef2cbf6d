"""The checker's dates and choices (issue 19): `today`/`now`, `days_since`/`days_until`, date
comparisons typed at generation time, and `labels` of an input's enum."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from specagent import ir
from specagent.loader import build_api, load_spec
from specagent.plan import make_plan
from specagent.tasks import build_tasks

SPEC = Path(__file__).resolve().parents[2] / "e2e" / "returns" / "openapi.yaml"
GET_ORDER = """
- call: getOrder
  with: {orderId: inputs.order_id}
  as: order
"""


@pytest.fixture(scope="module")
def plan() -> ir.Plan:
    return make_plan(build_api(load_spec(SPEC)), ir.AgentConfig(), "returns_agent")


def _check(plan: ir.Plan, steps: str, inputs: str = "order_id: integer") -> list[ir.Diagnostic]:
    text = (
        "tasks:\n  demo:\n    description: A task for the tests.\n    requires: anyone\n"
        "    inputs:\n" + textwrap.indent(textwrap.dedent(inputs).strip(), " " * 6) + "\n"
        "    steps:\n" + textwrap.indent(textwrap.dedent(steps).strip(), " " * 6) + "\n"
    )
    _, diagnostics = build_tasks(text, "agent.yaml", plan)
    return diagnostics


def _messages(diagnostics: list[ir.Diagnostic]) -> list[str]:
    return [f"{d.code.value}: {d.message} | {d.hint}" for d in diagnostics]


@pytest.mark.parametrize(
    "condition",
    [
        "days_since(order.delivered_at) <= 30",
        "days_until(order.delivered_at) < -3 and order.delivered_at < today",
        "order.shipped_at < now",
        "days_since(order.shipped_at) == days_since(today)",
        'order.delivered_at == "2026-11-02"',  # compared as the ISO text
        "inputs.since <= order.delivered_at",
    ],
)
def test_date_expressions_that_are_sound(plan: ir.Plan, condition: str) -> None:
    steps = GET_ORDER + f"- if: '{condition}'\n  then:\n    - end: done\n"
    inputs = "order_id: integer\nsince: {type: string, format: date}"
    assert _check(plan, steps, inputs) == []


@pytest.mark.parametrize(
    ("condition", "message", "hint"),
    [
        (
            "order.delivered_at <= 30",
            "compares a date with integer",
            "days_since(order.delivered_at) <= 30",
        ),
        (
            "order.delivered_at == 30",
            "which are never equal",
            "days_since(order.delivered_at) == 30",
        ),
        ("order.shipped_at < today", "a date and time with a date", "`now`"),
        ("days_since(order.status) > 1", "needs a date or a date and time", "format: date"),
        ("order.delivered_at + 1 > 0", "cannot apply `+`", "days_since(order.delivered_at)"),
        ('today == "2026-11-02"', "cannot be compared with text", "days_since"),
        ("days_since(order.delivered_at, 2) > 1", "takes one date", ""),
    ],
)
def test_date_mistakes_are_type_errors_with_a_hint(
    plan: ir.Plan, condition: str, message: str, hint: str
) -> None:
    steps = GET_ORDER + f"- if: '{condition}'\n  then:\n    - end: done\n"
    [problem] = _check(plan, steps)
    assert message in problem.message, _messages([problem])
    assert hint in problem.hint, _messages([problem])
    assert problem.location.line == 11  # the `if`


@pytest.mark.parametrize("name", ["today", "now", "days_since"])
def test_the_date_names_are_reserved(plan: ir.Plan, name: str) -> None:
    [problem] = _check(plan, f"- set: {{{name}: 1}}")
    assert problem.code is ir.Code.TASK_BAD_NAME
    assert "reserved" in problem.message


def test_labels_and_formats_are_checked(plan: ir.Plan) -> None:
    inputs = """
    reason: {type: string, enum: [too_small, damaged], labels: {too_smal: Too small}}
    note: {type: string, labels: {a: A}}
    when: {type: integer, format: date}
    at: {type: string, format: datetime}
    """
    problems = _messages(_check(plan, "- end: done", inputs))
    assert problems == [
        "task.bad_value: `tasks.demo.inputs.reason.labels`: `too_smal` is not one of the"
        " input's enum values (too_small, damaged) | did you mean `too_small`?",
        "task.bad_value: `tasks.demo.inputs.note.labels`: labels name the choices of an `enum`,"
        " and this input has none | add `enum: [...]` with the values, or remove `labels`",
        "task.bad_value: `tasks.demo.inputs.when.format`: a date input has `type: string` |"
        " write `{type: string, format: date}`",
        "task.bad_value: `tasks.demo.inputs.at.format`: `datetime` is not an input format"
        " (`email`, `date` or `date-time`) | did you mean `date-time`?",
    ]


def test_the_default_question_lists_choices_by_label(plan: ir.Plan) -> None:
    inputs = """
    reason:
      type: string
      description: what is wrong with it
      enum: [too_small, damaged]
      labels: {too_small: Too small}
    """
    text = (
        "tasks:\n  demo:\n    description: d\n    requires: anyone\n    inputs:\n"
        + textwrap.indent(textwrap.dedent(inputs).strip(), " " * 6)
        + "\n    steps:\n      - ask: reason\n"
    )
    program, diagnostics = build_tasks(text, "agent.yaml", plan)
    assert diagnostics == []
    [task] = program.tasks
    ask = task.steps[0].effect
    assert isinstance(ask, ir.AskEffect)
    assert ask.prompt.text == "Please tell me what is wrong with it: Too small, damaged."
    assert task.inputs[0].labels == (("too_small", "Too small"),)


def test_messages_to_the_customer_show_a_choice_by_its_label(plan: ir.Plan) -> None:
    inputs = """
    reason: {type: string, enum: [too_small, damaged], labels: {too_small: Too small}}
    """
    text = (
        "tasks:\n  demo:\n    description: d\n    requires: anyone\n    inputs:\n"
        + textwrap.indent(textwrap.dedent(inputs).strip(), " " * 6)
        + "\n    steps:\n      - ask: reason\n"
        '      - confirm: "Return it ({inputs.reason})?"\n'
        '      - respond: "Noted: {inputs.reason}."\n'
        '      - handoff: "Return for {inputs.reason}"\n'
    )
    program, diagnostics = build_tasks(text, "agent.yaml", plan)
    assert diagnostics == []
    [task] = program.tasks
    confirm, respond, handoff = (step.effect for step in task.steps[1:])
    assert isinstance(confirm, ir.ConfirmEffect) and isinstance(respond, ir.RespondEffect)
    assert isinstance(handoff, ir.HandoffEffect)
    labelled = ir.LabelExpr  # what the customer reads: the label where there is one
    assert isinstance(confirm.message.parts[1], labelled)
    assert isinstance(respond.message.parts[1], labelled)
    assert confirm.message.parts[1].labels == (("too_small", "Too small"),)
    assert isinstance(handoff.reason.parts[1], ir.ReadExpr)  # for staff: the value
