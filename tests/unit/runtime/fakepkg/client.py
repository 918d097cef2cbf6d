"""A client with the generated client's shape: a runtime `AsyncApiClient` subclass with one
async method per operation, taking the argument model's Python field names."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from specagent_runtime import Arg, AsyncApiClient, OperationSpec

from tests.unit.runtime.fakepkg.models import Account, Order, OrderItem, Product

GET_ORDER = OperationSpec(
    id="getOrder",
    method="GET",
    path="/orders/{orderId}",
    args=(Arg("orderId", "orderId", "path"), Arg("zip", "zip", "query")),
    responses=(("200", "The order"), ("404", "Order not found")),
    success_media_type="application/json",
)


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


class FakeClient(AsyncApiClient):
    """`get_order` goes through the real runtime client (to an in-process HTTP handler), so
    the API error path is the real one; the other methods record their calls directly."""

    default_base_url = "http://shop.test/api"

    def __init__(self, *, products: int = 3) -> None:
        super().__init__(http_client=httpx.AsyncClient(transport=httpx.MockTransport(self._serve)))
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

    def _serve(self, request: httpx.Request) -> httpx.Response:
        order_id = int(request.url.path.rsplit("/", 1)[1])
        order = self.orders.get(order_id)
        if order is None or order.zip != request.url.params.get("zip"):
            return httpx.Response(404, json={"message": "no such order"})
        return httpx.Response(200, json=order.model_dump(mode="json", by_alias=True))

    async def get_order(self, order_id: int, zip: str) -> Order:
        await self._enter("get_order", order_id=order_id, zip=zip)
        return await self._call(GET_ORDER, {"orderId": order_id, "zip": zip}, Order)

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
