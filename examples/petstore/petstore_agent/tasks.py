"""The tasks of this agent, compiled from the agent file by specagent.

Each task is a small state machine: one function per step, reading the run's variables through
`ctx` (a call's result as its model in models.py, the inputs as the task's inputs class) and
returning what the engine does next (ask, call, confirm, respond, ...). The engine saves the
run after every step. Regenerate instead of editing.
"""

from __future__ import annotations

from dataclasses import dataclass

from specagent_runtime import (
    Ask,
    Call,
    Confirm,
    Effect,
    End,
    Goto,
    InputSpec,
    Respond,
    TaskContext,
    TaskDefinition,
)

from . import _operations, models


@dataclass(frozen=True, slots=True)
class CancelOrderInputs:
    """The inputs of cancel_order as its steps read them (None: not given yet)."""

    order_id: int | None = None


def _cancel_order_1(ctx: TaskContext) -> Effect:
    """Step 1 of cancel_order: call (agent.yaml:45)."""
    inputs = ctx.inputs(CancelOrderInputs)
    return Call(
        operation=_operations.GET_ORDER_BY_ID,
        args={
            "orderId": ctx.need(inputs.order_id, "inputs.order_id"),
        },
        response=models.Order,
        save_as="order",
        next="2",
        owner=("username", "username"),
    )


def _cancel_order_2(ctx: TaskContext) -> Effect:
    """Step 2 of cancel_order: if (agent.yaml:49)."""
    order = ctx.result("order", models.Order)
    if order.status == "delivered":
        return Goto("2.then.1")
    return Goto("3")


def _cancel_order_2_then_1(ctx: TaskContext) -> Effect:
    """Step 2.then.1 of cancel_order: respond (agent.yaml:51)."""
    order = ctx.result("order", models.Order)
    return Respond(
        message=ctx.format(
            "Order ", order.id, " was already delivered, so it can't be cancelled."
        ),
        next="2.then.2",
    )


def _cancel_order_2_then_2(ctx: TaskContext) -> Effect:
    """Step 2.then.2 of cancel_order: end (agent.yaml:52)."""
    return End(status="done")


def _cancel_order_3(ctx: TaskContext) -> Effect:
    """Step 3 of cancel_order: confirm (agent.yaml:53)."""
    order = ctx.result("order", models.Order)
    return Confirm(
        message=ctx.format(
            "Cancel order ", order.id, " for ", order.quantity, " item(s)?"
        ),
        next="4",
        declined=None,
    )


def _cancel_order_4(ctx: TaskContext) -> Effect:
    """Step 4 of cancel_order: call (agent.yaml:54)."""
    order = ctx.result("order", models.Order)
    return Call(
        operation=_operations.DELETE_ORDER,
        args={
            "orderId": ctx.need(order.id, "order.id"),
        },
        response=None,
        save_as=None,
        next="5",
    )


def _cancel_order_5(ctx: TaskContext) -> Effect:
    """Step 5 of cancel_order: respond (agent.yaml:56)."""
    order = ctx.result("order", models.Order)
    return Respond(message=ctx.format("Order ", order.id, " is cancelled."), next=None)


CANCEL_ORDER_TASK = TaskDefinition(
    name="cancel_order",
    description="Cancel one of the customer's orders if it has not shipped yet.",
    requires="verified",
    inputs=(
        InputSpec(
            name="order_id",
            type="integer",
            description="The order number",
        ),
    ),
    first="1",
    steps={
        "1": _cancel_order_1,
        "2": _cancel_order_2,
        "2.then.1": _cancel_order_2_then_1,
        "2.then.2": _cancel_order_2_then_2,
        "3": _cancel_order_3,
        "4": _cancel_order_4,
        "5": _cancel_order_5,
    },
    lines={
        "1": "agent.yaml:45",
        "2": "agent.yaml:49",
        "2.then.1": "agent.yaml:51",
        "2.then.2": "agent.yaml:52",
        "3": "agent.yaml:53",
        "4": "agent.yaml:54",
        "5": "agent.yaml:56",
    },
)


@dataclass(frozen=True, slots=True)
class PlaceOrderInputs:
    """The inputs of place_order as its steps read them (None: not given yet)."""

    pet_id: int | None = None
    quantity: int | None = None


def _place_order_1(ctx: TaskContext) -> Effect:
    """Step 1 of place_order: ask (agent.yaml:65)."""
    return Ask(
        input="pet_id",
        prompt="Which pet would you like to order? Please give its ID.",
        next="2",
    )


def _place_order_2(ctx: TaskContext) -> Effect:
    """Step 2 of place_order: call (agent.yaml:67)."""
    inputs = ctx.inputs(PlaceOrderInputs)
    return Call(
        operation=_operations.GET_PET_BY_ID,
        args={
            "petId": ctx.need(inputs.pet_id, "inputs.pet_id"),
        },
        response=models.Pet,
        save_as="pet",
        next="3",
    )


def _place_order_3(ctx: TaskContext) -> Effect:
    """Step 3 of place_order: if (agent.yaml:70)."""
    pet = ctx.result("pet", models.Pet)
    if pet.status != "available":
        return Goto("3.then.1")
    return Goto("4")


def _place_order_3_then_1(ctx: TaskContext) -> Effect:
    """Step 3.then.1 of place_order: respond (agent.yaml:72)."""
    pet = ctx.result("pet", models.Pet)
    return Respond(
        message=ctx.format("Sorry, ", pet.name, " is not available right now."),
        next="3.then.2",
    )


def _place_order_3_then_2(ctx: TaskContext) -> Effect:
    """Step 3.then.2 of place_order: end (agent.yaml:73)."""
    return End(status="cancelled")


def _place_order_4(ctx: TaskContext) -> Effect:
    """Step 4 of place_order: ask (agent.yaml:74)."""
    pet = ctx.result("pet", models.Pet)
    return Ask(
        input="quantity",
        prompt=ctx.format("How many ", pet.name, " would you like (1 to 5)?"),
        next="5",
    )


def _place_order_5(ctx: TaskContext) -> Effect:
    """Step 5 of place_order: confirm (agent.yaml:76)."""
    inputs = ctx.inputs(PlaceOrderInputs)
    pet = ctx.result("pet", models.Pet)
    return Confirm(
        message=ctx.format(
            "Order ", inputs.quantity, " x ", pet.name, " (pet ", pet.id, ")?"
        ),
        next="6",
        declined="5.no.1",
    )


def _place_order_5_no_1(ctx: TaskContext) -> Effect:
    """Step 5.no.1 of place_order: respond (agent.yaml:78)."""
    return Respond(message="All right, I have not placed the order.", next="5.no.2")


def _place_order_5_no_2(ctx: TaskContext) -> Effect:
    """Step 5.no.2 of place_order: end (agent.yaml:78)."""
    return End(status="cancelled")


def _place_order_6(ctx: TaskContext) -> Effect:
    """Step 6 of place_order: call (agent.yaml:79)."""
    pet = ctx.result("pet", models.Pet)
    inputs = ctx.inputs(PlaceOrderInputs)
    return Call(
        operation=_operations.PLACE_ORDER,
        args={
            "petId": pet.id,
            "quantity": inputs.quantity,
            "status": "placed",
            "username": ctx.text("identity", "username"),
        },
        response=models.Order,
        save_as="order",
        next="7",
    )


def _place_order_7(ctx: TaskContext) -> Effect:
    """Step 7 of place_order: respond (agent.yaml:82)."""
    order = ctx.result("order", models.Order)
    return Respond(
        message=ctx.format("Your order number is ", order.id, "."), next=None
    )


PLACE_ORDER_TASK = TaskDefinition(
    name="place_order",
    description="Order a pet for the customer. Ask nothing yourself; the task asks what it needs.",
    requires="verified",
    inputs=(
        InputSpec(
            name="pet_id",
            type="integer",
            description="The ID of the pet to order",
            required=False,
            minimum=1,
        ),
        InputSpec(
            name="quantity",
            type="integer",
            description="How many to order (1 to 5)",
            required=False,
            minimum=1,
            maximum=5,
        ),
    ),
    first="1",
    steps={
        "1": _place_order_1,
        "2": _place_order_2,
        "3": _place_order_3,
        "3.then.1": _place_order_3_then_1,
        "3.then.2": _place_order_3_then_2,
        "4": _place_order_4,
        "5": _place_order_5,
        "5.no.1": _place_order_5_no_1,
        "5.no.2": _place_order_5_no_2,
        "6": _place_order_6,
        "7": _place_order_7,
    },
    lines={
        "1": "agent.yaml:65",
        "2": "agent.yaml:67",
        "3": "agent.yaml:70",
        "3.then.1": "agent.yaml:72",
        "3.then.2": "agent.yaml:73",
        "4": "agent.yaml:74",
        "5": "agent.yaml:76",
        "5.no.1": "agent.yaml:78",
        "5.no.2": "agent.yaml:78",
        "6": "agent.yaml:79",
        "7": "agent.yaml:82",
    },
)

TASKS: dict[str, TaskDefinition] = {
    "cancel_order": CANCEL_ORDER_TASK,
    "place_order": PLACE_ORDER_TASK,
}
