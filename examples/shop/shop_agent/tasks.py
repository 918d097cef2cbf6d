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
    Handoff,
    InputSpec,
    Instruct,
    Respond,
    TaskContext,
    TaskDefinition,
)

from . import _operations, models


@dataclass(frozen=True, slots=True)
class CancelOrderInputs:
    """The inputs of cancel_order as its steps read them (None: not given yet)."""

    order_hint: str | None = None


def _cancel_order_1(ctx: TaskContext) -> Effect:
    """Step 1 of cancel_order: call (agent.yaml:47)."""
    return Call(
        operation=_operations.GET_CUSTOMER_BY_EMAIL,
        args={
            "email": ctx.need_text("identity", "email"),
        },
        response=models.Customer,
        save_as="customer",
        next="2",
        redact=("payment_token",),
    )


def _cancel_order_2(ctx: TaskContext) -> Effect:
    """Step 2 of cancel_order: instruct (agent.yaml:49)."""
    inputs = ctx.inputs(CancelOrderInputs)
    return Instruct(
        instruction=ctx.format(
            (
                "Find which of the customer's recent orders (customer.recent_orders "
                'in the data) they mean by "'
            ),
            inputs.order_hint,
            '", and answer with its id.',
        ),
        tools=("get_my_order",),
        output=(
            InputSpec(
                name="order_id",
                type="integer",
                description="The id of the order they mean",
            ),
        ),
        save_as="choice",
        next="3",
        max_rounds=3,
    )


def _cancel_order_3(ctx: TaskContext) -> Effect:
    """Step 3 of cancel_order: call (agent.yaml:57)."""
    return Call(
        operation=_operations.GET_CUSTOMER_ORDER,
        args={
            "orderId": ctx.need_integer("choice", "order_id"),
            "email": ctx.need_text("identity", "email"),
        },
        response=models.Order,
        save_as="order",
        next="4",
    )


def _cancel_order_4(ctx: TaskContext) -> Effect:
    """Step 4 of cancel_order: if (agent.yaml:60)."""
    order = ctx.result("order", models.Order)
    if order.status == "cancelled":
        return Goto("4.then.1")
    return Goto("5")


def _cancel_order_4_then_1(ctx: TaskContext) -> Effect:
    """Step 4.then.1 of cancel_order: respond (agent.yaml:62)."""
    order = ctx.result("order", models.Order)
    return Respond(
        message=ctx.format("Order ", order.id, " is already cancelled."),
        next="4.then.2",
    )


def _cancel_order_4_then_2(ctx: TaskContext) -> Effect:
    """Step 4.then.2 of cancel_order: end (agent.yaml:63)."""
    return End(status="done")


def _cancel_order_5(ctx: TaskContext) -> Effect:
    """Step 5 of cancel_order: if (agent.yaml:64)."""
    order = ctx.result("order", models.Order)
    if order.status in ("shipped", "delivered"):
        return Goto("5.then.1")
    return Goto("6")


def _cancel_order_5_then_1(ctx: TaskContext) -> Effect:
    """Step 5.then.1 of cancel_order: respond (agent.yaml:66)."""
    order = ctx.result("order", models.Order)
    return Respond(
        message=ctx.format(
            "Order ",
            order.id,
            " has ",
            order.status,
            " already, so it can't be cancelled.",
        ),
        next="5.then.2",
    )


def _cancel_order_5_then_2(ctx: TaskContext) -> Effect:
    """Step 5.then.2 of cancel_order: end (agent.yaml:67)."""
    return End(status="done")


def _cancel_order_6(ctx: TaskContext) -> Effect:
    """Step 6 of cancel_order: confirm (agent.yaml:68)."""
    order = ctx.result("order", models.Order)
    return Confirm(
        message=ctx.format(
            "Cancel order ",
            order.id,
            " from ",
            order.placed_at,
            " (",
            order.total,
            " ",
            order.currency,
            ")?",
        ),
        next="7",
        declined="6.no.1",
    )


def _cancel_order_6_no_1(ctx: TaskContext) -> Effect:
    """Step 6.no.1 of cancel_order: respond (agent.yaml:70)."""
    order = ctx.result("order", models.Order)
    return Respond(
        message=ctx.format("All right, order ", order.id, " stays as it is."),
        next="6.no.2",
    )


def _cancel_order_6_no_2(ctx: TaskContext) -> Effect:
    """Step 6.no.2 of cancel_order: end (agent.yaml:70)."""
    return End(status="cancelled")


def _cancel_order_7(ctx: TaskContext) -> Effect:
    """Step 7 of cancel_order: call (agent.yaml:71)."""
    order = ctx.result("order", models.Order)
    return Call(
        operation=_operations.CANCEL_ORDER,
        args={
            "orderId": ctx.need(order.id, "order.id"),
            "email": ctx.need_text("identity", "email"),
        },
        response=models.Order,
        save_as="cancelled",
        next="8",
    )


def _cancel_order_8(ctx: TaskContext) -> Effect:
    """Step 8 of cancel_order: respond (agent.yaml:74)."""
    cancelled = ctx.result("cancelled", models.Order)
    return Respond(
        message=ctx.format("Order ", cancelled.id, " is cancelled."), next=None
    )


CANCEL_ORDER_TASK = TaskDefinition(
    name="cancel_order",
    description=(
        "Cancel one of the verified customer's orders if it has not shipped yet. "
        "Pass the customer's own words about which order they mean."
    ),
    requires="verified",
    inputs=(
        InputSpec(
            name="order_hint",
            type="string",
            description="Which order, in the customer's words",
        ),
    ),
    first="1",
    steps={
        "1": _cancel_order_1,
        "2": _cancel_order_2,
        "3": _cancel_order_3,
        "4": _cancel_order_4,
        "4.then.1": _cancel_order_4_then_1,
        "4.then.2": _cancel_order_4_then_2,
        "5": _cancel_order_5,
        "5.then.1": _cancel_order_5_then_1,
        "5.then.2": _cancel_order_5_then_2,
        "6": _cancel_order_6,
        "6.no.1": _cancel_order_6_no_1,
        "6.no.2": _cancel_order_6_no_2,
        "7": _cancel_order_7,
        "8": _cancel_order_8,
    },
    lines={
        "1": "agent.yaml:47",
        "2": "agent.yaml:49",
        "3": "agent.yaml:57",
        "4": "agent.yaml:60",
        "4.then.1": "agent.yaml:62",
        "4.then.2": "agent.yaml:63",
        "5": "agent.yaml:64",
        "5.then.1": "agent.yaml:66",
        "5.then.2": "agent.yaml:67",
        "6": "agent.yaml:68",
        "6.no.1": "agent.yaml:70",
        "6.no.2": "agent.yaml:70",
        "7": "agent.yaml:71",
        "8": "agent.yaml:74",
    },
)


@dataclass(frozen=True, slots=True)
class RefundOrderInputs:
    """The inputs of refund_order as its steps read them (None: not given yet)."""

    request: str | None = None


def _refund_order_1(ctx: TaskContext) -> Effect:
    """Step 1 of refund_order: call (agent.yaml:84)."""
    return Call(
        operation=_operations.GET_CUSTOMER_BY_EMAIL,
        args={
            "email": ctx.need_text("identity", "email"),
        },
        response=models.Customer,
        save_as="customer",
        next="2",
        redact=("payment_token",),
    )


def _refund_order_2(ctx: TaskContext) -> Effect:
    """Step 2 of refund_order: instruct (agent.yaml:86)."""
    inputs = ctx.inputs(RefundOrderInputs)
    return Instruct(
        instruction=ctx.format(
            "From the customer's words \"",
            inputs.request,
            (
                '", find which of their recent orders (customer.recent_orders in the '
                "data) they mean and the reason for the refund."
            ),
        ),
        tools=("get_my_order",),
        output=(
            InputSpec(
                name="order_id", type="integer", description="The id of the order"
            ),
            InputSpec(
                name="reason",
                type="string",
                enum=("damaged", "late", "wrong_item", "changed_mind", "other"),
            ),
        ),
        save_as="claim",
        next="3",
        max_rounds=3,
    )


def _refund_order_3(ctx: TaskContext) -> Effect:
    """Step 3 of refund_order: call (agent.yaml:95)."""
    return Call(
        operation=_operations.GET_CUSTOMER_ORDER,
        args={
            "orderId": ctx.need_integer("claim", "order_id"),
            "email": ctx.need_text("identity", "email"),
        },
        response=models.Order,
        save_as="order",
        next="4",
    )


def _refund_order_4(ctx: TaskContext) -> Effect:
    """Step 4 of refund_order: if (agent.yaml:98)."""
    order = ctx.result("order", models.Order)
    if bool(order.status != "delivered" or order.refunded is True):
        return Goto("4.then.1")
    return Goto("5")


def _refund_order_4_then_1(ctx: TaskContext) -> Effect:
    """Step 4.then.1 of refund_order: respond (agent.yaml:100)."""
    order = ctx.result("order", models.Order)
    return Respond(
        message=ctx.format(
            "Order ", order.id, " can't be refunded: it is ", order.status, "."
        ),
        next="4.then.2",
    )


def _refund_order_4_then_2(ctx: TaskContext) -> Effect:
    """Step 4.then.2 of refund_order: end (agent.yaml:101)."""
    return End(status="done")


def _refund_order_5(ctx: TaskContext) -> Effect:
    """Step 5 of refund_order: if (agent.yaml:102)."""
    order = ctx.result("order", models.Order)
    if ctx.need(order.total, "order.total") > 100:
        return Goto("5.then.1")
    return Goto("6")


def _refund_order_5_then_1(ctx: TaskContext) -> Effect:
    """Step 5.then.1 of refund_order: handoff (agent.yaml:104)."""
    order = ctx.result("order", models.Order)
    return Handoff(
        reason=ctx.format(
            "Refund of ",
            order.total,
            " ",
            order.currency,
            " for order ",
            order.id,
            " (",
            ctx.text("claim", "reason"),
            ") is above the 100 limit",
        )
    )


def _refund_order_6(ctx: TaskContext) -> Effect:
    """Step 6 of refund_order: confirm (agent.yaml:105)."""
    order = ctx.result("order", models.Order)
    return Confirm(
        message=ctx.format(
            "Refund ",
            order.total,
            " ",
            order.currency,
            " for order ",
            order.id,
            " (reason: ",
            ctx.text("claim", "reason"),
            ")?",
        ),
        next="7",
        declined=None,
    )


def _refund_order_7(ctx: TaskContext) -> Effect:
    """Step 7 of refund_order: call (agent.yaml:106)."""
    order = ctx.result("order", models.Order)
    return Call(
        operation=_operations.REFUND_ORDER,
        args={
            "orderId": ctx.need(order.id, "order.id"),
            "email": ctx.need_text("identity", "email"),
            "reason": ctx.need_text("claim", "reason"),
        },
        response=models.Refund,
        save_as="refund",
        next="8",
    )


def _refund_order_8(ctx: TaskContext) -> Effect:
    """Step 8 of refund_order: respond (agent.yaml:109)."""
    refund = ctx.result("refund", models.Refund)
    order = ctx.result("order", models.Order)
    return Respond(
        message=ctx.format(
            "Done: ",
            refund.amount,
            " ",
            order.currency,
            " for order ",
            order.id,
            " will be refunded (refund ",
            refund.id,
            ").",
        ),
        next=None,
    )


REFUND_ORDER_TASK = TaskDefinition(
    name="refund_order",
    description=(
        "Refund one of the verified customer's delivered orders. Pass the customer's "
        "own words about which order and what went wrong."
    ),
    requires="verified",
    inputs=(
        InputSpec(
            name="request",
            type="string",
            description="The customer's words: which order, what went wrong",
        ),
    ),
    first="1",
    steps={
        "1": _refund_order_1,
        "2": _refund_order_2,
        "3": _refund_order_3,
        "4": _refund_order_4,
        "4.then.1": _refund_order_4_then_1,
        "4.then.2": _refund_order_4_then_2,
        "5": _refund_order_5,
        "5.then.1": _refund_order_5_then_1,
        "6": _refund_order_6,
        "7": _refund_order_7,
        "8": _refund_order_8,
    },
    lines={
        "1": "agent.yaml:84",
        "2": "agent.yaml:86",
        "3": "agent.yaml:95",
        "4": "agent.yaml:98",
        "4.then.1": "agent.yaml:100",
        "4.then.2": "agent.yaml:101",
        "5": "agent.yaml:102",
        "5.then.1": "agent.yaml:104",
        "6": "agent.yaml:105",
        "7": "agent.yaml:106",
        "8": "agent.yaml:109",
    },
)


@dataclass(frozen=True, slots=True)
class BookDemoInputs:
    """The inputs of book_demo as its steps read them (None: not given yet)."""

    name: str | None = None
    company: str | None = None
    email: str | None = None


def _book_demo_1(ctx: TaskContext) -> Effect:
    """Step 1 of book_demo: ask (agent.yaml:123)."""
    return Ask(
        input="name", prompt="Happy to set up a demo! What is your name?", next="2"
    )


def _book_demo_2(ctx: TaskContext) -> Effect:
    """Step 2 of book_demo: ask (agent.yaml:125)."""
    inputs = ctx.inputs(BookDemoInputs)
    return Ask(
        input="company",
        prompt=ctx.format("Thanks ", inputs.name, ". Which company are you with?"),
        next="3",
    )


def _book_demo_3(ctx: TaskContext) -> Effect:
    """Step 3 of book_demo: ask (agent.yaml:127)."""
    return Ask(
        input="email",
        prompt="What is your work email address? The invite goes there.",
        next="4",
    )


def _book_demo_4(ctx: TaskContext) -> Effect:
    """Step 4 of book_demo: confirm (agent.yaml:129)."""
    inputs = ctx.inputs(BookDemoInputs)
    return Confirm(
        message=ctx.format(
            "Book a demo for ",
            inputs.name,
            " (",
            inputs.company,
            ") and send the invite to ",
            inputs.email,
            "?",
        ),
        next="5",
        declined=None,
    )


def _book_demo_5(ctx: TaskContext) -> Effect:
    """Step 5 of book_demo: call (agent.yaml:130)."""
    inputs = ctx.inputs(BookDemoInputs)
    return Call(
        operation=_operations.CREATE_DEMO_BOOKING,
        args={
            "name": ctx.need(inputs.name, "inputs.name"),
            "company": ctx.need(inputs.company, "inputs.company"),
            "email": ctx.need(inputs.email, "inputs.email"),
        },
        response=models.DemoBooking,
        save_as="booking",
        next="6",
    )


def _book_demo_6(ctx: TaskContext) -> Effect:
    """Step 6 of book_demo: call (agent.yaml:133)."""
    booking = ctx.result("booking", models.DemoBooking)
    return Call(
        operation=_operations.CREATE_CALENDAR_INVITE,
        args={
            "booking_id": ctx.need(booking.id, "booking.id"),
        },
        response=models.Invite,
        save_as="invite",
        next="7",
    )


def _book_demo_7(ctx: TaskContext) -> Effect:
    """Step 7 of book_demo: respond (agent.yaml:136)."""
    invite = ctx.result("invite", models.Invite)
    return Respond(
        message=ctx.format(
            "Your demo is booked for ",
            invite.starts_at,
            "; the invite is on its way to ",
            invite.sent_to,
            ".",
        ),
        next=None,
    )


BOOK_DEMO_TASK = TaskDefinition(
    name="book_demo",
    description="Book a demo of the business plan and send the calendar invite.",
    requires="anyone",
    inputs=(
        InputSpec(
            name="name",
            type="string",
            description="Your name",
            required=False,
            min_length=2,
        ),
        InputSpec(
            name="company",
            type="string",
            description="Your company",
            required=False,
            min_length=2,
        ),
        InputSpec(
            name="email",
            type="string",
            description="work email address",
            required=False,
            pattern="^[^@]+@(?!(gmail|yahoo|hotmail|outlook)\\.com$)[^@]+$",
            format="email",
        ),
    ),
    first="1",
    steps={
        "1": _book_demo_1,
        "2": _book_demo_2,
        "3": _book_demo_3,
        "4": _book_demo_4,
        "5": _book_demo_5,
        "6": _book_demo_6,
        "7": _book_demo_7,
    },
    lines={
        "1": "agent.yaml:123",
        "2": "agent.yaml:125",
        "3": "agent.yaml:127",
        "4": "agent.yaml:129",
        "5": "agent.yaml:130",
        "6": "agent.yaml:133",
        "7": "agent.yaml:136",
    },
)

TASKS: dict[str, TaskDefinition] = {
    "cancel_order": CANCEL_ORDER_TASK,
    "refund_order": REFUND_ORDER_TASK,
    "book_demo": BOOK_DEMO_TASK,
}
