"""Ownership: a response that belongs to someone else is withheld, and a verified-only task
cannot act on a resource the identity does not own.

PRODUCT.md, Identity: "responses that belong to someone else are withheld (`owner:` checks)".
Issue 14 plans `owner: {field: <response field>, is: identity.<field>}` on a tool override and
on a task `call` step (tests/adversarial/specs/owner_agent.yaml), and a generation warning (an
error with --strict) for a `requires: verified` task acting on a resource chosen by the
customer without a step tying it to the identity.

The attacker is the API (or whoever controls what it answers): asked for Ada's data it answers
with Grace's. The witnesses are what reached the model and the API's log of cancel requests.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ._api import ADA, GRACE, AcmeApi, Seen
from ._model import AttackerModel, call, say
from ._packages import ACME_SPEC, SPECS, build, generate_files, warnings_of
from ._support import ada, cancelled, respond, run_ids
from .conftest import MakeAgent

REPO = Path(__file__).resolve().parents[2]
GRACES_ORDER = {"id": 1, "status": "placed", "customer_email": GRACE["email"], "total": 77.77}


def owner_package(root: Path) -> ModuleType:
    return build(root, ACME_SPEC, SPECS / "owner_agent.yaml", "adv_owner")


CASES = {
    "account": ("get_my_account", {}, r"/api/accounts/by-email", GRACE, ADA["phone"]),
    "order": ("get_my_order", {"orderId": 1}, r"/api/orders/1/mine", GRACES_ORDER, "38.5"),
}


@pytest.mark.parametrize(
    ("tool", "arguments", "path", "theirs", "mine"), CASES.values(), ids=CASES.keys()
)
async def test_a_bound_tool_withholds_another_customers_record(
    package_root: Path,
    make_agent: MakeAgent,
    model: AttackerModel,
    api: AcmeApi,
    tool: str,
    arguments: dict[str, Any],
    path: str,
    theirs: dict[str, Any],
    mine: str,
) -> None:
    agent = make_agent(owner_package(package_root))
    model.on("Mine?", call(tool, arguments), say("Here you are."))
    await respond(agent, "control", "Mine?", ada())
    assert mine in model.everything()  # the witness: one's own record is shown
    api.on("GET", path, lambda seen: (200, theirs))
    model.on("Mine again?", call(tool, arguments), say("Here you are."))
    await respond(agent, "c1", "Mine again?", ada())
    assert GRACE["email"] not in model.everything()
    assert str(theirs.get("phone", theirs.get("total"))) not in model.everything()


def _graces_order_three(seen: Seen) -> tuple[int, Any]:
    """A hostile API: order 3 is Grace's, but it answers whoever asks."""
    return 200, {"id": 3, "status": "placed", "customer_email": GRACE["email"], "total": 99.0}


async def test_a_task_call_stops_on_another_customers_record(
    package_root: Path, make_agent: MakeAgent, model: AttackerModel, api: AcmeApi
) -> None:
    agent = make_agent(owner_package(package_root))
    api.on("GET", r"/api/orders/3/mine", _graces_order_three)
    model.on("Cancel order 3.", call("cancel_my_order", order_id=3))
    reply = await respond(agent, "c1", "Cancel order 3.", ada())
    assert "99" not in reply.text  # Grace's order is not described to Ada
    model.on("yes", call("cancel_order", orderId=3), say("Done."))
    await respond(agent, "c1", "yes", ada())
    assert 3 not in cancelled(api)
    # The control: Ada's own order goes through the same task.
    model.on("Cancel order 1.", call("cancel_my_order", order_id=1))
    started = await respond(agent, "c2", "Cancel order 1.", ada())
    assert run_ids(started)
    await respond(agent, "c2", "yes", ada())
    assert cancelled(api) == [1]


def test_the_generator_flags_a_verified_task_on_a_resource_not_tied_to_the_identity() -> None:
    spec = REPO / "examples" / "petstore" / "openapi.yaml"
    unfixed = SPECS / "petstore_unfixed_agent.yaml"
    lenient = generate_files(spec, unfixed, "adv_pet_check", check_only=True)
    assert any("cancel_order" in w for w in warnings_of(lenient)), warnings_of(lenient)
    strict = generate_files(spec, unfixed, "adv_pet_check", strict=True, check_only=True)
    assert not strict.ok
    # The example itself is fixed: its task ties the order to the customer.
    example = generate_files(
        spec,
        REPO / "examples" / "petstore" / "agent.yaml",
        "adv_pet_check",
        strict=True,
        check_only=True,
    )
    assert example.ok, warnings_of(example)
