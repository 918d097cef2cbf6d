"""The task checker: every name, field path, type and operation against the Petstore spec."""

from __future__ import annotations

import textwrap

import pytest
from specagent import ir
from specagent.plan import make_plan
from specagent.tasks import build_tasks


def _check(
    plan: ir.Plan, steps: str, *, inputs: str = "order_id: integer", requires: str = "anyone"
) -> list[ir.Diagnostic]:
    """The task `demo` checked. `requires: anyone` by default: whether a verified-only task
    ties what it acts on to the customer is checked by the ownership tests below."""
    text = (
        "tasks:\n"
        "  demo:\n"
        "    description: A task for the tests.\n"
        "    inputs:\n" + textwrap.indent(textwrap.dedent(inputs).strip(), " " * 6) + "\n"
        "    steps:\n" + textwrap.indent(textwrap.dedent(steps).strip(), " " * 6) + "\n"
        f"    requires: {requires}\n"  # last, so that the steps' lines stay where they were
    )
    _, diagnostics = build_tasks(text, "agent.yaml", plan)
    return diagnostics


def _one(diagnostics: list[ir.Diagnostic]) -> ir.Diagnostic:
    assert len(diagnostics) == 1, [d.render() for d in diagnostics]
    return diagnostics[0]


GET_ORDER = """
- call: getOrderById
  with: {orderId: inputs.order_id}
  as: order
"""


def test_the_issue_example_compiles_cleanly(petstore_plan: ir.Plan) -> None:
    steps = (
        GET_ORDER
        + """
- if: order.status == "delivered"
  then:
    - respond: "Order {order.id} was already delivered, so it can't be cancelled."
    - end: done
- confirm: "Cancel order {order.id} for {order.quantity} item(s)?"
- call: deleteOrder
  with: {orderId: order.id}
- respond: "Order {order.id} is cancelled."
"""
    )
    assert _check(petstore_plan, steps) == []


def test_misspelt_field_names_the_line_and_suggests_the_field(petstore_plan: ir.Plan) -> None:
    problem = _one(
        _check(petstore_plan, GET_ORDER + '- if: order.stauts == "placed"\n  then: [{end: done}]')
    )
    assert problem.code == "task.unknown_field"
    assert problem.where == "agent.yaml:10"
    assert "`order` has no field `stauts`" in problem.message
    assert problem.hint == "did you mean `status`?"


def test_nested_fields_follow_refs_into_components(petstore_plan: ir.Plan) -> None:
    steps = """
- call: getPetById
  with: {petId: inputs.order_id}
  as: pet
- respond: "{pet.category.name} {pet.tags[0].name}"
- respond: "{pet.category.nmae}"
"""
    problem = _one(_check(petstore_plan, steps))
    assert problem.message.endswith("`pet.category` has no field `nmae`")
    assert problem.hint == "did you mean `name`?"


def test_comparing_text_with_a_number_is_an_error(petstore_plan: ir.Plan) -> None:
    problem = _one(
        _check(petstore_plan, GET_ORDER + "- if: order.status == 3\n  then: [{end: done}]")
    )
    assert problem.code == "task.type_mismatch"
    assert "compares string" in problem.message and "with integer" in problem.message


def test_ordering_needs_numbers_or_text_on_both_sides(petstore_plan: ir.Plan) -> None:
    problem = _one(
        _check(petstore_plan, GET_ORDER + '- if: order.quantity > "2"\n  then: [{end: done}]')
    )
    assert problem.code == "task.type_mismatch"


def test_enum_value_that_cannot_occur_is_an_error(petstore_plan: ir.Plan) -> None:
    problem = _one(
        _check(petstore_plan, GET_ORDER + '- if: order.status == "delivred"\n  then: [{end: done}]')
    )
    assert problem.code == "task.type_mismatch"
    assert problem.hint == "did you mean `delivered`?"


def test_result_used_before_its_step(petstore_plan: ir.Plan) -> None:
    steps = '- respond: "Your order is {order.status}"\n' + GET_ORDER
    problem = _one(_check(petstore_plan, steps))
    assert problem.code == "task.used_before_set"
    assert problem.where == "agent.yaml:7"
    assert "(agent.yaml:9)" in problem.message


def test_name_set_on_one_branch_only_is_not_usable_after_the_if(petstore_plan: ir.Plan) -> None:
    steps = (
        GET_ORDER
        + """
- if: order.quantity > 1
  then:
    - set: {many: true}
- respond: "{many}"
"""
    )
    problem = _one(_check(petstore_plan, steps))
    assert problem.code == "task.used_before_set"
    assert "only on some paths" in problem.message


def test_a_branch_that_ends_does_not_leak_into_what_follows(petstore_plan: ir.Plan) -> None:
    steps = (
        GET_ORDER
        + """
- if: order.quantity > 1
  then:
    - set: {many: true}
  else:
    - set: {many: false}
- if: many == true and not order.complete and order.shipDate != null
  then:
    - handoff: "{order.id} needs a person"
"""
    )
    assert _check(petstore_plan, steps) == []


def test_unknown_operation_suggests_the_closest(petstore_plan: ir.Plan) -> None:
    problem = _one(_check(petstore_plan, "- call: getOrderByID\n  with: {orderId: 1}"))
    assert problem.code == "task.unknown_operation"
    assert problem.hint == "did you mean `getOrderById`?"


def test_missing_required_parameter(petstore_plan: ir.Plan) -> None:
    problem = _one(_check(petstore_plan, "- confirm: Sure?\n- call: deleteOrder"))
    assert problem.code == "task.missing_argument"
    assert "`orderId`" in problem.message


def test_unknown_parameter_and_argument_type(petstore_plan: ir.Plan) -> None:
    diagnostics = _check(
        petstore_plan,
        "- confirm: Sure?\n- call: deleteOrder\n  with: {orderId: '\"x\"', order_id: 1}",
    )
    codes = sorted(d.code for d in diagnostics)
    assert codes == ["task.type_mismatch", "task.unknown_argument"]
    unknown = next(d for d in diagnostics if d.code == "task.unknown_argument")
    assert unknown.hint == "did you mean `orderId`?"


def test_identity_bindings_of_the_agent_file_fill_parameters(petstore_api: ir.Api) -> None:
    agent = ir.AgentConfig(
        overrides=(ir.ToolOverride("getUserByName", bind=(("username", "username"),)),)
    )
    plan = make_plan(petstore_api, agent, "petstore_agent")
    steps = (
        "- call: getUserByName\n  as: me\n- respond: 'Hello {me.firstName} ({identity.username})'"
    )
    assert _check(plan, steps) == []


def test_unknown_step_kind_and_unknown_keys(petstore_plan: ir.Plan) -> None:
    diagnostics = _check(petstore_plan, "- cal: getOrderById\n- respond: hi\n  as: x")
    assert [(d.code, d.where) for d in diagnostics] == [
        ("task.unknown_step", "agent.yaml:7"),
        ("agent.unknown_key", "agent.yaml:9"),
    ]
    assert diagnostics[0].hint == "did you mean `call`?"


def test_all_problems_are_reported_together(petstore_plan: ir.Plan) -> None:
    steps = """
- ask: ordr_id
- call: getOrderByIdd
- respond: "{nothing}"
- end: finished
"""
    diagnostics = _check(petstore_plan, steps)
    assert [d.code for d in diagnostics] == [
        "task.bad_value",
        "task.unknown_input",
        "task.unknown_operation",
        "task.unknown_name",
    ]


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("__import__('os').system('x')", "calls are not allowed"),
        ("order.id if order else 1", "is not allowed"),
        ("[x for x in order]", "is not allowed"),
        ("order.__class__", "has no field `__class__`"),
        ("inputs.order_id ** 2", "only `+`, `-` and `*`"),
        ("order.status is None", "`is` is not allowed"),
        ("order.id +", "not a valid expression"),
        ("order.id > 1e999", "not a finite number"),
    ],
)
def test_expressions_outside_the_subset_are_refused(
    petstore_plan: ir.Plan, expression: str, fragment: str
) -> None:
    steps = GET_ORDER + f"- if: {expression!r}\n  then: [{{end: done}}]"
    problem = _one(_check(petstore_plan, steps))
    assert fragment in problem.message


def test_messages_with_braces_and_bad_templates(petstore_plan: ir.Plan) -> None:
    assert _check(petstore_plan, "- respond: 'Use {{braces}} like this'") == []
    problem = _one(_check(petstore_plan, "- respond: 'Order {inputs.order_id'"))
    assert problem.code == "task.bad_message"


def test_input_declarations_are_checked(petstore_plan: ir.Plan) -> None:
    inputs = """
email: {type: string, format: emial}
count: {type: int, minimum: one}
code: {type: string, pattern: "[a-"}
"""
    diagnostics = _check(petstore_plan, "- end: done", inputs=inputs)
    assert [d.code for d in diagnostics] == [
        "task.bad_value",
        "task.bad_value",
        "agent.type",
        "task.bad_pattern",
    ]
    assert diagnostics[0].hint == "did you mean `email`?"
    assert diagnostics[1].hint == "did you mean `integer`?"


def test_len_membership_and_arithmetic_are_typed(petstore_plan: ir.Plan) -> None:
    steps = """
- call: getPetById
  with: {petId: inputs.order_id}
  as: pet
- if: len(pet.photoUrls) > 0 and pet.status in ["available", "pending"] and pet.id + 1 > 2
  then:
    - set: {total: pet.id * 2}
    - respond: "{total}"
"""
    assert _check(petstore_plan, steps) == []
    problem = _one(
        _check(
            petstore_plan,
            GET_ORDER + '- if: order.status in ["placed", "shipped"]\n  then: [{end: done}]',
        )
    )
    assert problem.hint == "did you mean `placed`?" or "shipped" in problem.message


def test_a_task_may_not_take_a_tool_s_name(petstore_api: ir.Api) -> None:
    agent = ir.AgentConfig(
        include=ir.Selection(operations=("deleteOrder",)),
        overrides=(ir.ToolOverride("deleteOrder", name="demo"),),
    )
    plan = make_plan(petstore_api, agent, "petstore_agent")
    problem = _one(_check(plan, "- end: done"))
    assert (problem.code, problem.where) == ("task.name_taken", "agent.yaml:2")
    assert "`deleteOrder`" in problem.message


def test_fields_a_task_relies_on_are_listed(petstore_plan: ir.Plan) -> None:
    text = (
        "tasks:\n  demo:\n    description: d\n    inputs: {id: integer}\n    steps:\n"
        "      - call: getPetById\n        with: {petId: inputs.id}\n        as: pet\n"
        "      - respond: '{pet.category.name} {pet.tags[0].name} {pet.status}'\n"
    )
    program, diagnostics = build_tasks(text, "agent.yaml", petstore_plan)
    assert diagnostics == []
    assert program.fields_used() == {
        "demo": (
            ("getPetById", "category"),
            ("getPetById", "category.name"),
            ("getPetById", "status"),
            ("getPetById", "tags"),
            ("getPetById", "tags[0].name"),
        )
    }


@pytest.mark.parametrize(
    "text",
    [
        "tasks: [a, b]",
        "tasks:\n  demo: 3",
        "tasks:\n  demo:\n    description: d\n    steps: {call: x}",
        "tasks:\n  demo:\n    description: d\n    steps: [[call, x]]",
        "tasks:\n  demo:\n    description: d\n    steps:\n      - call: [getOrderById]",
        "tasks:\n  demo:\n    description: d\n    steps:\n      - call: deleteOrder\n"
        "        with: [1]",
        "tasks:\n  demo:\n    description: d\n    steps:\n      - if: 1\n        then: 2",
        "tasks:\n  demo:\n    description: d\n    steps:\n      - set: {x: .inf}",
        "tasks:\n  demo:\n    description: d\n    inputs: {n: {type: number, maximum: .nan}}",
        "tasks:\n  demo:\n    description: d\n    steps:\n      - set: done",
        "tasks:\n  demo:\n    description: d\n    inputs: [a]\n    steps: []",
        "tasks:\n  demo:\n    description: d\n    inputs: {x: {type: [string]}}\n    steps: []",
        "tasks:\n  Demo Task:\n    description: d\n    steps:\n      - end:",
        "tasks:\n  demo:\n    description: d\n    steps:\n      - respond: '{'\n"
        "      - respond: '}'",
        "tasks:\n  demo:\n    steps:\n      - call: getOrderById\n        respond: x",
        "tasks:\n  demo:\n    description: d\n    steps:\n      - ask: x\n        prompt: 5",
        "tasks: {demo: {description: d, steps: [{set: {class: 1, inputs: 2}}]}}",
        "tasks:\n  demo: &a\n    description: d\n    steps: []\n  other: *a",
        "tasks:\n  demo:\n    description: d\n    steps:\n      - respond: '{order[\"id\"]}'",
    ],
)
def test_malformed_task_sections_give_diagnostics_not_exceptions(
    petstore_plan: ir.Plan, text: str
) -> None:
    _, diagnostics = build_tasks(text, "agent.yaml", petstore_plan)
    for diagnostic in diagnostics:
        assert diagnostic.where.startswith("agent.yaml:")
    if "other: *a" not in text:
        assert diagnostics, text


def test_steps_after_the_end_are_reported(petstore_plan: ir.Plan) -> None:
    problem = _one(_check(petstore_plan, "- end: done\n- respond: never said"))
    assert (problem.code, problem.severity, problem.where) == (
        "task.unreachable",
        ir.Severity.WARNING,
        "agent.yaml:8",
    )


def test_changes_without_a_confirmation_are_reported(petstore_plan: ir.Plan) -> None:
    steps = (
        GET_ORDER
        + """
- if: order.status == "placed"
  then:
    - confirm: "Cancel it?"
  else:
    - end: done
- call: deleteOrder
  with: {orderId: order.id}
- call: placeOrder
  with: {petId: 1}
"""
    )
    assert _check(petstore_plan, steps) == []  # the `else` branch ends: every path confirmed
    steps = (
        GET_ORDER
        + """
- if: order.status == "placed"
  then:
    - confirm: "Cancel it?"
- call: deleteOrder
  with: {orderId: order.id}
"""
    )
    problem = _one(_check(petstore_plan, steps))
    assert (problem.code, problem.severity) == ("task.unconfirmed", ir.Severity.WARNING)
    assert problem.where == "agent.yaml:14"


def test_an_input_used_before_it_is_asked_for(petstore_plan: ir.Plan) -> None:
    steps = (
        "- respond: 'Quantity {inputs.order_id}'\n- ask: order_id\n- respond: '{inputs.order_id}'"
    )
    problem = _one(_check(petstore_plan, steps))
    assert (problem.code, problem.where) == ("task.ask_later", "agent.yaml:7")
    assert "(agent.yaml:8)" in problem.message
