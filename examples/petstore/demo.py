"""A support conversation with the example petstore agent, played entirely on this machine.

    uv run python examples/petstore/demo.py

Starts the reference Petstore API and a scripted OpenAI-compatible model on free local ports,
wires the generated package's `build_agent` to both the way a support service would, and plays
the three kinds of access: a verified customer's own account, an order lookup anyone may do, and
a task (cancel an order) that checks the order, asks the customer and acts once; then a tool the
agent file marks `confirm` and the hand-off to a human. Only the model's words are scripted; the
tool calls, the identity binding, the task engine, the confirmation gate and the HTTP traffic
are the real runtime's. Each step is checked against what the model was shown and what reached
the API; the exit status is 0 when every check holds and 1 when one does not.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
_REPO = _HERE.parents[1]
# The package sits next to this file; the reference servers are the test suite's
# (`tests/support`), so the repository root must be importable too.
for _folder in (_HERE, _REPO):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from petstore_agent import AsyncClient, build_agent  # noqa: E402
from specagent_runtime import (  # noqa: E402
    Agent,
    AgentError,
    ApiError,
    ApiKey,
    ConfirmationExecuted,
    ConfirmationRequested,
    Event,
    HandoffRequested,
    Identity,
    MemoryStore,
    Reply,
    TaskFinished,
    TaskStarted,
    TaskWaiting,
    ToolCalled,
)

from tests.support.fake_openai import FakeOpenAI, ToolCall, Turn, call, say  # noqa: E402
from tests.support.petstore_server import PetstoreServer, RecordedRequest  # noqa: E402

MODEL = "demo-model"


@dataclass(frozen=True)
class Seen:
    """What one step produced: the reply, and the two records no script can fake."""

    reply: Reply
    model_requests: list[dict[str, Any]]  # sent to the model during the step
    api_requests: list[RecordedRequest]  # received by the API during the step
    petstore: PetstoreServer

    def offered(self) -> dict[str, dict[str, Any]]:
        """Tool name -> parameters schema, as the model was offered them in this step."""
        tools = self.model_requests[0].get("tools", [])
        return {tool["function"]["name"]: tool["function"]["parameters"] for tool in tools}

    def tool_results(self) -> list[dict[str, Any]]:
        """The tool results the model read in this step (after the customer's message)."""
        messages = self.model_requests[-1]["messages"]
        start = max(i for i, message in enumerate(messages) if message["role"] == "user")
        return [json.loads(m["content"]) for m in messages[start:] if m["role"] == "tool"]

    def api_calls(self) -> list[tuple[str, str]]:
        return [(request.method, request.path) for request in self.api_requests]

    def sent_to_model(self) -> str:
        return json.dumps(self.model_requests)


@dataclass(frozen=True)
class Check:
    says: str
    holds: Callable[[Seen], bool]


@dataclass(frozen=True)
class Step:
    title: str
    conversation: str
    message: str
    identity: Identity | None
    model: tuple[Turn, ...]  # the scripted model's answers during this step
    checks: tuple[Check, ...]


def _result(seen: Seen, index: int = 0) -> dict[str, Any]:
    results = seen.tool_results()
    return results[index] if len(results) > index else {}


def _executed(seen: Seen) -> list[ConfirmationExecuted]:
    return [e for e in seen.reply.events if isinstance(e, ConfirmationExecuted)]


def _waiting(seen: Seen) -> list[str]:
    return [f"{e.task}:{e.waiting_for}" for e in seen.reply.events if isinstance(e, TaskWaiting)]


def _finished(seen: Seen) -> list[str]:
    return [f"{e.task}:{e.status}" for e in seen.reply.events if isinstance(e, TaskFinished)]


def _deletes(seen: Seen) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in seen.petstore.requests(method="DELETE")]


def steps() -> list[Step]:
    """The conversations. user1 and orders 1 and 2 are the reference server's seed data."""
    user1 = Identity(username="user1", verified=True)
    return [
        # 1. User data, bound to the verified identity.
        Step(
            title="A verified customer asks about their account",
            conversation="ticket-101",
            message="Hi, which email address do you have for me?",
            identity=user1,
            model=(call("get_my_account"), say("We have user1@example.com on file, John.")),
            checks=(
                Check(
                    "get_my_account is offered without its bound `username` parameter",
                    lambda s: (
                        "get_my_account" in s.offered()
                        and "username" not in json.dumps(s.offered()["get_my_account"])
                    ),
                ),
                Check(
                    "the runtime filled `username` from the verified identity",
                    lambda s: s.api_calls() == [("GET", "/user/user1")],
                ),
                Check(
                    "the model read the account, the password redacted",
                    lambda s: (
                        _result(s).get("data", {}).get("email") == "user1@example.com"
                        and "password" not in _result(s)["data"]
                        and "password1" not in s.sent_to_model()
                    ),
                ),
            ),
        ),
        # 2. A lookup anyone may do.
        Step(
            title="An anonymous visitor looks up an order",
            conversation="chat-202",
            message="Hello, where is my order 1?",
            identity=None,
            model=(
                call("get_order", orderId=1),
                say("Order 1 is placed and ships on 15 January."),
            ),
            checks=(
                Check(
                    "only tools for anyone are offered: no account, no order tasks",
                    lambda s: (
                        "get_order" in s.offered()
                        and not {"get_my_account", "cancel_order", "place_order"} & set(s.offered())
                    ),
                ),
                Check(
                    "the lookup reached the API",
                    lambda s: s.api_calls() == [("GET", "/store/order/1")],
                ),
                Check(
                    "the model read order 1 and its status",
                    lambda s: _result(s).get("data", {}).get("status") == "placed",
                ),
            ),
        ),
        # 3. A task: the model starts it, the task engine runs its steps.
        Step(
            title="The verified customer asks to cancel an order",
            conversation="ticket-101",
            message="Please cancel my order 2.",
            identity=user1,
            model=(call("cancel_order", order_id=2),),  # the task speaks from here on
            checks=(
                Check(
                    "the cancel_order task checked the order and asks to confirm",
                    lambda s: (
                        s.api_calls() == [("GET", "/store/order/2")]
                        and _waiting(s) == ["cancel_order:confirmation"]
                        and "order 2" in s.reply.text.lower()
                    ),
                ),
                Check("nothing was deleted", lambda s: _deletes(s) == []),
            ),
        ),
        Step(
            title="The customer confirms in a new message",
            conversation="ticket-101",
            message="Yes, please.",
            identity=user1,
            model=(),  # the answer goes to the waiting task, never to the model
            checks=(
                Check(
                    "the model never saw the answer, so it cannot confirm for the customer",
                    lambda s: s.model_requests == [],
                ),
                Check(
                    "the task cancelled the order exactly once",
                    lambda s: (
                        _finished(s) == ["cancel_order:done"]
                        and _deletes(s) == [("DELETE", "/store/order/2")]
                        and s.petstore.order(2) is None
                    ),
                ),
            ),
        ),
        # A tool marked `confirm` in the agent file: proposed first, run after a new "yes".
        Step(
            title="The customer asks to change their phone number",
            conversation="ticket-101",
            message="Could you change my phone number to 555-0199?",
            identity=user1,
            model=(
                call("update_my_account", phone="555-0199"),
                call("update_my_account", phone="555-0199"),  # the model confirms by itself
                say("I'll change your phone number to 555-0199. Shall I go ahead?"),
            ),
            checks=(
                Check(
                    "the change waits for the customer's confirmation",
                    lambda s: (
                        [e.tool for e in s.reply.pending_confirmations] == ["update_my_account"]
                    ),
                ),
                Check(
                    "the reply shows the runtime's own summary of what a yes will run",
                    lambda s: all(e.summary in s.reply.text for e in s.reply.pending_confirmations),
                ),
                Check(
                    "the model's attempt to confirm on its own was refused",
                    lambda s: (
                        [r["status"] for r in s.tool_results()]
                        == ["confirmation_required", "error"]
                    ),
                ),
                Check("nothing was changed", lambda s: s.api_calls() == []),
            ),
        ),
        Step(
            title="The customer says yes",
            conversation="ticket-101",
            message="Yes, go ahead.",
            identity=user1,
            # The runtime judges the yes and runs the change itself; the model reports it, and
            # its repeated call is refused (the yes was used).
            model=(
                call("update_my_account", phone="555-0199"),
                say("Done: your phone number is now 555-0199."),
            ),
            checks=(
                Check(
                    "the customer's yes ran the proposed change, once",
                    lambda s: (
                        [(e.tool, e.ok, e.by) for e in _executed(s)]
                        == [("update_my_account", True, "customer")]
                        and s.api_calls() == [("PUT", "/user/user1")]
                    ),
                ),
                Check(
                    "the account has the new number",
                    lambda s: (s.petstore.user("user1") or {}).get("phone") == "555-0199",
                ),
            ),
        ),
        # The built-in hand-off.
        Step(
            title="The customer asks for a person",
            conversation="ticket-101",
            message="Thanks! Can I also talk to a person about a refund?",
            identity=user1,
            model=(Turn(calls=(ToolCall("handoff_to_human", {"reason": "refund question"}),)),),
            checks=(
                Check("the host is told to hand off", lambda s: s.reply.handed_off),
                Check("the customer gets a reply", lambda s: bool(s.reply.text.strip())),
            ),
        ),
    ]


# --- playing and printing ---------------------------------------------------------------------


def _arguments(arguments: Any) -> str:
    return ", ".join(f"{key}={json.dumps(value)}" for key, value in sorted(arguments.items()))


def _describe(event: Event) -> str:
    if isinstance(event, ToolCalled):
        line = f"  tool     {event.tool}({_arguments(event.arguments)}) -> {event.status}"
        return f"{line}: {event.error}" if event.error else line
    if isinstance(event, ConfirmationRequested):
        return f"  pending  {event.summary}"
    if isinstance(event, ConfirmationExecuted):
        outcome = "done" if event.ok else "failed"
        return f"  action   {event.tool} confirmed by the {event.by}: {outcome}"
    if isinstance(event, HandoffRequested):
        return f"  handoff  {event.reason}"
    if isinstance(event, TaskStarted):
        return f"  task     {event.task} started"
    if isinstance(event, TaskWaiting):
        return f"  task     {event.task} waits for the customer's {event.waiting_for}"
    if isinstance(event, TaskFinished):
        return f"  task     {event.task} finished: {event.status}"
    return f"  event    {event.kind}"


def _who(step: Step) -> str:
    if step.identity is None:
        return "anonymous"
    return "verified: " + ", ".join(
        f"{name}={step.identity.get(name)}" for name in sorted(step.identity.fields())
    )


async def play(script: Sequence[Step], *, out: Callable[[str], None] = print) -> bool:
    """Play the steps against fresh local servers, printing as they go; True when every check
    held."""
    with PetstoreServer() as petstore, FakeOpenAI() as model:
        out(f"Petstore API: {petstore.base_url}")
        out(f"Fake model:   {model.base_url}")
        # What a support service does once at start-up (see docs/running-the-agent.md).
        client = AsyncClient(petstore.base_url, credentials={"api_key": ApiKey(petstore.api_key)})
        openai_client = model.client()
        agent = build_agent(client, model=MODEL, openai_client=openai_client, store=MemoryStore())
        try:
            held = [
                await _step(n, step, agent=agent, petstore=petstore, model=model, out=out)
                for n, step in enumerate(script, 1)
            ]
        finally:
            await openai_client.close()
            await client.aclose()
    return all(held)


async def _step(
    number: int,
    step: Step,
    *,
    agent: Agent,
    petstore: PetstoreServer,
    model: FakeOpenAI,
    out: Callable[[str], None],
) -> bool:
    out("")
    out(f"== {number}. {step.title} [{step.conversation}, {_who(step)}]")
    out(f"customer: {step.message}")
    model.add(*step.model)
    model_before, api_before = len(model.requests), len(petstore.requests())
    reply = await agent.respond(step.conversation, step.message, identity=step.identity)
    seen = Seen(
        reply=reply,
        model_requests=model.requests[model_before:],
        api_requests=petstore.requests()[api_before:],
        petstore=petstore,
    )
    for event in reply.events:
        out(_describe(event))
    for request in seen.api_requests:
        out(f"  api      {request.method} {request.path} -> {request.status}")
    out(f"agent:    {reply.text}")
    all_held = True
    for check in step.checks:
        try:
            held = bool(check.holds(seen))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            held = False  # a reply shaped differently from what the check expects
        all_held = all_held and held
        out(f"  [{'ok' if held else 'FAILED'}] {check.says}")
    if model.script:
        # The agent stopped early: it did not call what the step expected it to.
        out(f"  [FAILED] the agent ended the turn with {len(model.script)} model answers unused")
        model.script.clear()
        all_held = False
    return all_held


def main() -> int:
    try:
        ok = asyncio.run(play(steps()))
    except (AgentError, ApiError, RuntimeError, OSError) as exc:
        print(f"demo: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("")
    print("every step behaved as expected" if ok else "some steps misbehaved (see FAILED above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
