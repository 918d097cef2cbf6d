"""Argument and response models shaped like datamodel-code-generator's output."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Args(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class GetAccountArgs(_Args):
    email: str


class GetOrderArgs(_Args):
    order_id: int = Field(alias="orderId")
    zip: str = Field(pattern=r"^\d{5}$")


class CancelOrderArgs(_Args):
    order_id: int = Field(alias="orderId")
    email: str


class SearchProductsArgs(_Args):
    query: str
    limit: int | None = None


class BrokenArgs(_Args):
    pass


class OrderItem(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    sku: str
    price_cents: int = Field(alias="priceCents")


class Order(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: int
    status: str
    zip: str
    internal_note: str | None = Field(default=None, alias="internalNote")
    items: list[OrderItem] = Field(default_factory=list)


class Account(BaseModel):
    email: str
    name: str
    password: str
    orders: list[Order] = Field(default_factory=list)


class Product(BaseModel):
    sku: str
    name: str
    description: str
