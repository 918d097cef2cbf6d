"""TaskContext: the typed reads generated steps use, and the JSON accessors older ones use.

Both must give a missing value the same meaning (None where None can go, a hand-off where it
cannot), including for a stored result that no longer matches its model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel
from specagent_runtime import TaskContext, TaskDataError


class Status(StrEnum):
    PLACED = "placed"
    DELIVERED = "delivered"


class Address(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    city: str | None = None
    zip_code: str = Field(..., alias="zipCode")


class Item(BaseModel):
    sku: str
    quantity: int = 1


class Order(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: int
    status: Status | None = None
    placed_at: date
    shipped_at: AwareDatetime | None = None
    address: Address
    billing: Address | None = None
    items: list[Item] | None = None
    note: str | None  # required, but may be null (dropped from the stored JSON)


class Orders(RootModel[list[Order]]):
    root: list[Order]


@dataclass(frozen=True, slots=True)
class CancelInputs:
    order_id: int | None = None
    reason: Literal["damaged", "late"] | None = None


ORDER = {
    "id": 7,
    "status": "delivered",
    "placed_at": "2026-11-02",
    "shipped_at": "2026-11-03T09:30:00Z",
    "address": {"zipCode": "12345", "city": "Oslo"},
    "items": [{"sku": "A-1", "quantity": 2}],
}


def test_a_result_is_read_as_its_model_once_per_step() -> None:
    ctx = TaskContext({"order": ORDER})
    order = ctx.result("order", Order)
    assert isinstance(order, Order)
    assert order.status == "delivered"  # a StrEnum: equal to its text, as generated code compares
    assert isinstance(order.status, Status)
    assert order.placed_at == date(2026, 11, 2)  # dates come out as dates
    assert isinstance(order.shipped_at, datetime)
    assert order.address.zip_code == "12345"  # by the spec's name (the alias) in the JSON
    assert order.note is None  # required but null: the store leaves it out
    assert ctx.result("order", Order) is order  # validated once per step


def test_a_drifted_result_reads_missing_and_invalid_fields_as_none() -> None:
    drifted = {"id": "seven", "status": "returned", "placed_at": "2026-11-02", "items": [{}]}
    order = TaskContext({"order": drifted}).result("order", Order)
    assert order.id is None and order.status is None  # did not validate
    assert order.placed_at == date(2026, 11, 2)  # did
    # A required object the API left out reads as an empty one: a field through it is None.
    assert order.address.city is None and order.address.zip_code is None
    assert order.items is not None and order.items[0].sku is None
    assert order.items[0].quantity == 1  # a missing optional field has its default
    with pytest.raises(TaskDataError, match=r"`order\.id` has no value"):
        TaskContext.need(order.id, "order.id")


def test_a_result_that_is_no_object_reads_as_all_none() -> None:
    ctx = TaskContext({"order": None, "orders": "not a list"})
    assert ctx.result("order", Order).id is None
    assert ctx.result("missing", Order).address.city is None
    assert ctx.result("orders", Orders).root is None


def test_a_list_result_is_a_root_model() -> None:
    ctx = TaskContext({"orders": [ORDER, {**ORDER, "id": "x"}]})
    orders = ctx.result("orders", Orders).root
    assert [order.id for order in orders] == [7, None]


def test_inputs_are_read_as_the_tasks_dataclass() -> None:
    ctx = TaskContext({"inputs": {"order_id": 12, "reason": "late"}})
    assert ctx.inputs(CancelInputs) == CancelInputs(order_id=12, reason="late")
    assert TaskContext({"inputs": {}}).inputs(CancelInputs) == CancelInputs()
    wrong = TaskContext({"inputs": {"order_id": "twelve", "reason": "late"}})
    assert wrong.inputs(CancelInputs) == CancelInputs(reason="late")


def test_item_and_need() -> None:
    assert TaskContext.item([1, 2], 0) == 1
    assert TaskContext.item([1, 2], -1) == 2
    assert TaskContext.item([1, 2], 2) is None
    assert TaskContext.item(None, 0) is None
    assert TaskContext.need(0, "x") == 0  # only None is missing
    with pytest.raises(TaskDataError, match=r"`inputs\.order_id` has no value"):
        TaskContext.need(None, "inputs.order_id")


def test_typed_values_show_as_their_stored_json() -> None:
    """A message shows a typed value exactly as the JSON accessors showed the stored value."""
    ctx = TaskContext({"order": ORDER})
    order = ctx.result("order", Order)
    typed = ctx.format(
        order.placed_at, "|", order.shipped_at, "|", order.status, "|", order.items, "|", None
    )
    untyped = ctx.format(
        ctx.text("order", "placed_at"),
        "|",
        ctx.text("order", "shipped_at"),
        "|",
        ctx.text("order", "status"),
        "|",
        ctx.items("order", "items"),
        "|",
        ctx.text("order", "nothing"),
    )
    assert (
        typed
        == untyped
        == "2026-11-02|2026-11-03T09:30:00Z|delivered|{'sku': 'A-1', 'quantity': 2}|"
    )


def test_the_json_accessors_still_work() -> None:
    """Packages generated before typed task code read this way; their runs must go on."""
    ctx = TaskContext({"order": ORDER, "inputs": {"order_id": 7}})
    assert ctx.text("order", "status") == "delivered"
    assert ctx.integer("inputs", "order_id") == 7
    assert ctx.text("order", "items", 0, "sku") == "A-1"
    assert ctx.text("order", "billing", "city") is None
    with pytest.raises(TaskDataError, match=r"`order\.billing` has no value"):
        ctx.need_value("order", "billing")
