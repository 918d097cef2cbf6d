from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class CancelOrderArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    order_id: int = Field(..., alias="orderId", ge=1)
    """
    The order number.
    """
    email: str
    """
    The email of the order's customer
    """


class CancelRequest(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    email: str
    """
    The email of the order's customer
    """


class CreateCalendarInviteArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    booking_id: int


class CreateDemoBookingArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    name: str = Field(..., min_length=1)
    company: str = Field(..., min_length=1)
    email: str


class Plan(StrEnum):
    FREE = "free"
    PLUS = "plus"
    BUSINESS = "business"


class DemoBooking(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int
    name: str
    company: str
    email: str
    starts_at: str
    """
    Start of the demo, e.g. 2026-12-01 10:00 UTC
    """


class DemoBookingRequest(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    name: str = Field(..., min_length=1)
    company: str = Field(..., min_length=1)
    email: str


class Error(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    code: str
    """
    A stable error code
    """
    message: str
    """
    What went wrong
    """


class GetCustomerByEmailArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    email: str
    """
    The customer's email address.
    """


class GetCustomerOrderArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    email: str
    """
    The customer's email address.
    """
    order_id: int = Field(..., alias="orderId", ge=1)
    """
    The order number.
    """


class GetOrderArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    order_id: int = Field(..., alias="orderId", ge=1)
    """
    The order number.
    """
    zip: str = Field(..., pattern="^[0-9]{5}$")
    """
    The zip code of the shipping address.
    """


class Invite(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int
    booking_id: int
    sent_to: str
    starts_at: str


class InviteRequest(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    booking_id: int


class OrderItem(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    sku: str
    name: str
    quantity: int = Field(..., ge=1)


class OrderStatus(StrEnum):
    PLACED = "placed"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class OrderSummary(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int
    status: OrderStatus
    total: float
    """
    Order total in the order's currency
    """
    placed_at: date
    summary: str
    """
    What was ordered
    """


class Status(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


class Refund(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int
    order_id: int
    amount: float
    reason: str | None = None
    status: Status


class Reason(StrEnum):
    DAMAGED = "damaged"
    LATE = "late"
    WRONG_ITEM = "wrong_item"
    CHANGED_MIND = "changed_mind"
    OTHER = "other"


class RefundOrderArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    order_id: int = Field(..., alias="orderId", ge=1)
    """
    The order number.
    """
    email: str
    """
    The email of the order's customer
    """
    reason: Reason


class RefundRequest(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    email: str
    """
    The email of the order's customer
    """
    reason: Reason


class Status1(StrEnum):
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"


class Subscription(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    status: Status1
    renews_on: date | None = None


class Customer(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int
    email: str
    name: str
    plan: Plan
    subscription: Subscription | None = None
    recent_orders: list[OrderSummary]
    """
    The five most recent orders, newest first
    """
    payment_token: str | None = None
    """
    Internal payment reference; never shown to customers
    """


class Order(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int
    status: OrderStatus
    total: float
    currency: str
    placed_at: date
    items: list[OrderItem]
    shipping_city: str | None = None
    refunded: bool | None = None
