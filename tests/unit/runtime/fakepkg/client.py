"""A client with the generated client's shape; it records calls instead of sending requests."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.unit.runtime.fakepkg.models import Account, Order, OrderItem, Product


class NotFoundError(Exception):
    """Stands in for the runtime's `ApiError`: the agent layer relies on `model_message()`."""

    def model_message(self) -> str:
        return "The service answered 404 (not found): Order not found."


def _orders() -> dict[int, Order]:
    return {
        7: Order(
            id=7,
            status="placed",
            zip="12345",
            internalNote="fraud check pending",
            items=[OrderItem(sku="MUG-1", priceCents=1200)],
        ),
        8: Order(id=8, status="shipped", zip="12345", internalNote="vip"),
    }


class FakeClient:
    def __init__(self, *, products: int = 3) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.orders = _orders()
        self.products = products
        # Set by tests that check that one round's calls run concurrently.
        self.barrier: asyncio.Barrier | None = None

    async def _enter(self, method: str, **kwargs: Any) -> None:
        self.calls.append((method, kwargs))
        if self.barrier is not None:
            await asyncio.wait_for(self.barrier.wait(), timeout=5)

    async def get_account(self, email: str) -> Account:
        await self._enter("get_account", email=email)
        return Account(
            email=email, name="Ada", password="hunter2", orders=list(self.orders.values())
        )

    async def get_order(self, order_id: int, zip: str) -> Order:
        await self._enter("get_order", order_id=order_id, zip=zip)
        order = self.orders.get(order_id)
        if order is None or order.zip != zip:
            raise NotFoundError(f"GET /orders/{order_id}: 404")
        return order

    async def cancel_order(self, order_id: int, email: str) -> None:
        await self._enter("cancel_order", order_id=order_id, email=email)
        self.orders[order_id].status = "cancelled"

    async def search_products(self, query: str, limit: int | None) -> list[Product]:
        await self._enter("search_products", query=query, limit=limit)
        count = self.products if limit is None else min(limit, self.products)
        return [
            Product(sku=f"SKU-{n}", name=f"{query} {n}", description="A fine product. " * 5)
            for n in range(count)
        ]

    async def broken(self) -> None:
        await self._enter("broken")
        raise RuntimeError("connection reset; api_key=sk-very-secret")
