"""Holes that used to generate with exit 0: identity fields the identity lacks (in a call, a
condition or a message) and a task input offering choices the API rejects."""

from __future__ import annotations

import textwrap

from specagent import ir
from specagent.plan import make_plan
from specagent.tasks import build_tasks


def _check(plan: ir.Plan, text: str) -> list[ir.Diagnostic]:
    _, diagnostics = build_tasks(textwrap.dedent(text), "agent.yaml", plan)
    return diagnostics


def _render(diagnostics: list[ir.Diagnostic]) -> list[str]:
    return [d.render() for d in diagnostics]


TASK = """\
tasks:
  demo:
    description: A task for the tests.
    requires: anyone
    inputs:
      status: {{type: string, enum: {enum}, description: A pet status}}
    steps:
      - call: findPetsByStatus
        with: {{status: inputs.status}}
        as: pets
      - respond: "{message}"
"""


def test_identity_fields_are_the_named_ones(petstore_plan: ir.Plan) -> None:
    text = TASK.format(enum="[sold]", message="Hello {identity.username}, {identity.mail}.")
    (problem,) = _check(petstore_plan, text)
    assert problem.code == "task.unknown_field"
    assert problem.where == "agent.yaml:11"
    assert problem.message == "task `demo`: `identity` has no field `mail`"
    assert problem.hint == "did you mean `identity.email`?"


def test_an_unknown_identity_field_without_a_close_one_says_how_to_declare_it(
    petstore_plan: ir.Plan,
) -> None:
    text = TASK.format(enum="[sold]", message="Your tier: {identity.loyalty_tier}.")
    (problem,) = _check(petstore_plan, text)
    assert "declare it: `identity: {fields: [loyalty_tier]}`" in problem.hint


def test_declared_identity_fields_may_be_read(petstore_api: ir.Api) -> None:
    agent = ir.AgentConfig(identity_fields=("loyalty_tier",))
    plan = make_plan(petstore_api, agent, "petstore_agent")
    text = TASK.format(enum="[sold]", message="Your tier: {identity.loyalty_tier}.")
    assert _check(plan, text) == []


def test_an_input_enum_wider_than_the_api_s_is_an_error(petstore_plan: ir.Plan) -> None:
    text = TASK.format(enum="[sold, lost, pending]", message="{len(pets)} pets.")
    (problem,) = _check(petstore_plan, text)
    assert problem.code == "task.type_mismatch"
    assert problem.where == "agent.yaml:9"
    assert "but `inputs.status` may also be 'lost', which the API rejects" in problem.message
    assert problem.hint == "remove 'lost' from the `enum` of `inputs.status`"


def test_an_input_enum_within_the_api_s_is_fine(petstore_plan: ir.Plan) -> None:
    text = TASK.format(enum="[sold, pending]", message="{len(pets)} pets.")
    assert _render(_check(petstore_plan, text)) == []
