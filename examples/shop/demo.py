"""A support conversation with the shop agent, played entirely on this machine.

    uv run python examples/shop/demo.py

Starts the shop's reference API (`server.py`) and a scripted OpenAI-compatible model on free
local ports, wires the generated `shop_agent` to both as a support service would, and plays the
three kinds of access: a verified customer whose account is given to the model as context, an
order lookup anyone may do (with a wrong zip code the API refuses), and the three tasks
(cancel an order, refund one above the limit and below it, book a demo). Only the model's words
are scripted; identity binding, context, the task engine, instruction steps, confirmations and
the HTTP traffic are the real runtime's. Each step is checked against what the model was shown
and what reached the API: exit status 0 when every check holds, 1 when one does not.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
# The package and the reference server sit next to this file; the scripted model is the
# runtime's testing kit (`specagent_runtime.testing`).
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from server import CLIENT_ID, CLIENT_SECRET, ShopServer  # noqa: E402
from shop_agent import AsyncClient, build_agent  # noqa: E402
from specagent_runtime import (  # noqa: E402
    Agent,
    ClientCredentials,
    HandoffRequested,
    Identity,
    MemoryStore,
    Reply,
    ToolCalled,
)
from specagent_runtime.testing import ScriptedModel, Turn, call, say  # noqa: E402

MODEL = "demo-model"
ADA = Identity(email="ada@example.com", verified=True)


class Demo:
    """Plays turns, prints them with the API traffic they caused, and records failed checks."""

    def __init__(self, agent: Agent, shop: ShopServer, fake: ScriptedModel) -> None:
        self.agent = agent
        self.shop = shop
        self.fake = fake
        self.failures: list[str] = []

    async def turn(
        self, conversation: str, text: str, identity: Identity | None, *script: Turn
    ) -> Reply:
        self.fake.add(*script)
        seen = len(self.shop.requests())
        who = "verified customer" if identity is not None else "visitor"
        print(f"\n{who}: {text}")
        reply = await self.agent.respond(conversation, text, identity=identity)
        for event in reply.events:
            if isinstance(event, ToolCalled):
                print(f"  [tool] {event.tool} -> {event.status} {event.error}".rstrip())
            elif isinstance(event, HandoffRequested):
                print(f"  [hand-off] {event.reason}")
        for request in self.shop.requests()[seen:]:
            if request.path != "/oauth/token":
                print(f"  [api] {request.method} {request.path} -> {request.status}")
        print(f"agent: {reply.text}")
        return reply

    def check(self, what: str, ok: bool) -> None:
        print(f"  {'ok' if ok else 'FAILED'}: {what}")
        if not ok:
            self.failures.append(what)

    def context(self) -> str:
        """The context the model was given last: a data message of its own, never part of the
        system instructions ("" when there was none)."""
        texts = [str(m["content"]) for m in self.fake.messages(-1)]
        return next((text for text in texts if text.startswith("[context]")), "")


async def play(demo: Demo) -> None:
    shop = demo.shop
    print("== 1. A verified customer: the account is context, read once ==")
    await demo.turn("ada", "Hi! Which plan am I on?", ADA, say("Hi Ada! You are on the Plus plan."))
    context = demo.context()
    demo.check(
        "the model saw the customer's plan as context", '"plan":"plus"' in context.replace(" ", "")
    )
    demo.check(
        "the context is data, not instructions",
        "plus" not in str(demo.fake.messages(-1)[0]["content"]),
    )
    demo.check(
        "the payment token stayed hidden", "tok_ada_4242" not in json.dumps(demo.fake.requests)
    )
    demo.check("one account lookup", len(shop.calls("GET", "/customers/by-email")) == 1)

    print("\n== 2. Anyone: an order by number and zip code ==")
    reply = await demo.turn(
        "guest",
        "Where is order 1003? My zip is 99999.",
        None,
        call("lookup_order", orderId=1003, zip="99999"),
        say("I can't find order 1003 with zip code 99999. Could you check the zip code?"),
    )
    demo.check("the API refused the wrong zip", shop.calls("GET", "/orders/1003")[-1].status == 404)
    demo.check("the visitor got no account data", demo.context() == "")
    demo.check("the model explained it", "zip code" in reply.text)

    print("\n== 3a. Task cancel_order: an instruction step finds the order, then confirm ==")
    reply = await demo.turn(
        "ada",
        "Please cancel the coffee mugs.",
        ADA,
        call("cancel_order", order_hint="the coffee mugs"),
        call("finish_step", order_id=1002),
    )
    demo.check("asked before acting", reply.text.startswith("Cancel order 1002"))
    reply = await demo.turn("ada", "Yes, please.", ADA)
    demo.check("cancelled", reply.text == "Order 1002 is cancelled.")
    demo.check("exactly one cancel request", len(shop.calls("POST", "/orders/1002/cancel")) == 1)

    print("\n== 3b. Task refund_order: above the limit goes to a human ==")
    reply = await demo.turn(
        "ada",
        "The desk lamp came two weeks late, I want my money back.",
        ADA,
        call("refund_order", request="the desk lamp came two weeks late"),
        call("finish_step", order_id=1001, reason="late"),
    )
    handed = any(isinstance(e, HandoffRequested) for e in reply.events)
    demo.check("handed off with the reason", handed)
    demo.check("no refund sent", shop.calls("POST", "/orders/1001/refund") == [])

    print("\n== 3c. Task refund_order: below the limit, confirmed ==")
    await demo.turn(
        "ada",
        "And the USB cables arrived broken.",
        ADA,
        call("refund_order", request="the USB cables arrived broken"),
        call("finish_step", order_id=1004, reason="damaged"),
    )
    reply = await demo.turn("ada", "yes", ADA)
    demo.check("refunded once", len(shop.calls("POST", "/orders/1004/refund")) == 1)
    demo.check("told the amount", "24 EUR" in reply.text)

    print("\n== 3d. Task book_demo: anyone, inputs asked and checked ==")
    await demo.turn("lead", "I'd like a demo of the business plan.", None, call("book_demo"))
    for answer in ("Grace", "Hopper Labs", "grace@gmail.com", "grace@hopperlabs.example"):
        reply = await demo.turn("lead", answer, None)
    reply = await demo.turn("lead", "yes", None)
    demo.check("booked with the time", "2026-12-01 10:00 UTC" in reply.text)
    demo.check("one booking, one invite", shop.count("bookings") == shop.count("invites") == 1)


async def main() -> int:
    with ShopServer() as shop, ScriptedModel() as fake:
        credentials = ClientCredentials(CLIENT_ID, CLIENT_SECRET)
        client = AsyncClient(shop.base_url, credentials={"supportOAuth": credentials})
        model: Any = fake.client()
        agent = build_agent(client, model=MODEL, openai_client=model, store=MemoryStore())
        demo = Demo(agent, shop, fake)
        try:
            await play(demo)
        finally:
            await client.aclose()
            await model.close()
    if demo.failures:
        print(f"\n{len(demo.failures)} check(s) failed: {', '.join(demo.failures)}")
        return 1
    print("\nAll checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
