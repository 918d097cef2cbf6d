"""kill -9 of a webhook worker at every save of a turn and inside every API call, then the host's
redelivery of the same message (same helpdesk message id) to a fresh worker once the dead
worker's lease expired (issue 15; the README's table lists each attack).

Three consequential turns: the customer's "yes" to the `cancel_order` task's confirm step and
to a `cancel_now` tool proposal (a DELETE: the runtime may repeat it with the same key, so
exactly one cancellation is required), and the "yes" to `place_order` (a POST without a
declared Idempotency-Key: at most one order, and an unknown outcome is handed off, never
guessed); plus the first message, which starts the cancel task. The verdict reads the shop
API's effects and every reply the host got after the crash (the dead worker's reply never
reached anyone): one effect, and the customer told the true outcome. Never "done" or "already
carried out" for something that did not happen, never "did not work" for something that did,
and never silence about an order that was cancelled or placed.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.faults._delivery import (
    ALREADY,
    CRASH_LEASE_TTL,
    FAILURE_WORDS,
    Delivery,
    Env,
    describe,
    none,
    wait_for_lease,
)


@dataclass(frozen=True)
class Flow:
    """A conversation with one turn under attack."""

    setup: tuple[str, ...]  # the messages before the attacked one
    attacked: str
    rest: tuple[str, ...]  # what the customer says after it
    effect: tuple[str, int]  # the one effect the conversation must have
    told: str  # the words that tell the customer the outcome
    method: str  # the effect's request
    path: str
    retry_safe: bool  # the runtime may repeat the request (same Idempotency-Key)


FLOWS = {
    "task yes": Flow(
        ("Please cancel order 7.",),
        "yes",
        (),
        ("cancel", 7),
        "Order 7 is cancelled.",
        "DELETE",
        "/api/orders/7",
        True,
    ),
    "tool yes": Flow(
        ("Cancel order 8 now, please.",),
        "yes",
        (),
        ("cancel", 8),
        "DONE: cancel_now for order 8",
        "DELETE",
        "/api/orders/8",
        True,
    ),
    "place yes": Flow(
        ("I'd like to order item 4.", "2"),
        "yes",
        (),
        ("place", 5001),
        "Your order number is 5001.",
        "POST",
        "/api/orders",
        False,
    ),
    "task start": Flow(
        (),
        "Please cancel order 7.",
        ("yes",),
        ("cancel", 7),
        "Order 7 is cancelled.",
        "DELETE",
        "/api/orders/7",
        True,
    ),
}


def verdict(eo: Env, flow: Flow, after: list[Delivery]) -> list[str]:
    """What is wrong once the conversation went on after the crash (empty: it held)."""
    effects = eo.api.effects()
    told = "\n".join(d.text for d in after if d.outcome == "reply")
    handed_off = any("handoff_requested" in d.kinds() for d in after)
    problems = [f"the host got an error: {d.describe()}" for d in after if d.outcome == "error"]
    allowed = ([flow.effect],) if flow.retry_safe else ([], [flow.effect])
    if effects not in allowed:
        problems.append(f"effects {effects}")
    if flow.effect in effects:
        if flow.told not in told and not (handed_off and not flow.retry_safe):
            problems.append("the customer was never told the outcome")
        if FAILURE_WORDS.search(told):
            problems.append("the customer was told it failed")
    elif flow.told in told or "DONE" in told or ALREADY.search(told):
        problems.append("the customer was told it was done, and nothing happened")
    return [f"{p} (after the crash: {describe(after)})" for p in problems]


def _snapshot(eo: Env, flow: Flow, c: str) -> Path:
    """Run the setup messages with one worker, stop it, keep a copy of the store file."""
    worker = eo.spawn(lease_ttl=CRASH_LEASE_TTL)
    for number, text in enumerate(flow.setup, 1):
        reply = worker.respond(c, text, f"{c}-{number}")
        assert reply.outcome == "reply", reply.describe()
    worker.close()
    folder = eo.folder / "snapshot"
    folder.mkdir()
    # SQLite's online backup, not a file copy: the worker's -wal/-shm files come and go as it
    # shuts down, and a copy taken in between is torn (or fails).
    copy = folder / eo.store.name
    with contextlib.closing(sqlite3.connect(eo.store)) as source:
        with contextlib.closing(sqlite3.connect(copy)) as target:
            source.backup(target)
    return copy


def _fresh_store(eo: Env, snapshot: Path, name: str) -> Path:
    target = eo.folder / name
    target.mkdir()
    for source in snapshot.parent.iterdir():
        shutil.copy(source, target / source.name)
    return target / snapshot.name


def _redeliver(
    eo: Env, flow: Flow, c: str, store: Path, crashed: Any, *, again: bool = True
) -> list[Delivery]:
    """The host redelivers the message that got no reply (`again`), then the conversation goes
    on with a fresh worker."""
    wait_for_lease(crashed)
    worker = eo.spawn(store, lease_ttl=CRASH_LEASE_TTL)
    number = len(flow.setup) + 1
    after = [worker.respond(c, flow.attacked, f"{c}-{number}")] if again else []
    for text in (*flow.rest, "Thanks!"):
        number += 1
        after.append(worker.respond(c, text, f"{c}-{number}"))
    worker.close()
    return after


# --- at every save of the turn ----------------------------------------------------------------


def _every_save(eo: Env, flow: Flow) -> list[str]:
    c = "c"
    snapshot = _snapshot(eo, flow, c)
    attacked_id = f"{c}-{len(flow.setup) + 1}"
    # How many saves the turn makes (counted, not assumed: the fix adds leases, an inbox, an
    # outbox and an audit trail, all of them saves to crash after).
    counting = eo.spawn(_fresh_store(eo, snapshot, "count"), lease_ttl=CRASH_LEASE_TTL)
    whole = counting.respond(c, flow.attacked, attacked_id, crash_after_writes=None)
    counting.close()
    assert whole.outcome == "reply" and whole.writes > 0, whole.describe()
    problems = []
    for writes in range(1, whole.writes + 1):
        eo.api.reset()
        store = _fresh_store(eo, snapshot, f"k{writes}")
        worker = eo.spawn(store, lease_ttl=CRASH_LEASE_TTL)
        crashed = worker.respond(c, flow.attacked, attacked_id, crash_after_writes=writes)
        if crashed.outcome != "died":
            # Fewer saves this time (a lease renewed less often): the turn simply finished,
            # and the conversation goes on from it.
            worker.close()
            after = [crashed, *_redeliver(eo, flow, c, store, worker, again=False)]
            problems += [f"not killed (save {writes}): {p}" for p in verdict(eo, flow, after)]
            continue
        after = _redeliver(eo, flow, c, store, worker)
        problems += [f"killed {crashed.crashed_at}: {p}" for p in verdict(eo, flow, after)]
    return problems


@pytest.mark.slow
def test_killed_at_every_save_of_the_task_yes_then_redelivered(eo: Env) -> None:
    none(_every_save(eo, FLOWS["task yes"]))


@pytest.mark.slow
def test_killed_at_every_save_of_the_tool_yes_then_redelivered(eo: Env) -> None:
    none(_every_save(eo, FLOWS["tool yes"]))


@pytest.mark.slow
def test_killed_at_every_save_of_the_place_order_yes_then_redelivered(eo: Env) -> None:
    none(_every_save(eo, FLOWS["place yes"]))


@pytest.mark.slow
def test_killed_at_every_save_of_the_first_message_then_redelivered(eo: Env) -> None:
    """Covers the orphan run too: a run saved before the conversation that started it."""
    none(_every_save(eo, FLOWS["task start"]))


# --- inside the API call ----------------------------------------------------------------------

BEFORE_SEND = "before the request is sent"
IN_FLIGHT_DONE = "in flight, the API carries it out"
IN_FLIGHT_UNDONE = "in flight, the API rolls it back"
AFTER_RESPONSE = "after the response, before the save"
CALL_POINTS = [BEFORE_SEND, IN_FLIGHT_DONE, IN_FLIGHT_UNDONE, AFTER_RESPONSE]


def _killed_in_call(eo: Env, flow: Flow, point: str) -> list[str]:
    c = "c"
    snapshot = _snapshot(eo, flow, c)
    store = _fresh_store(eo, snapshot, "run")
    attacked_id = f"{c}-{len(flow.setup) + 1}"
    options: dict[str, Any] = {"lease_ttl": CRASH_LEASE_TTL}
    if point in (BEFORE_SEND, AFTER_RESPONSE):
        when = "before" if point == BEFORE_SEND else "after"
        options["crash_request"] = {"method": flow.method, "path": flow.path, "when": when}
        worker = eo.spawn(store, **options)
        crashed = worker.respond(c, flow.attacked, attacked_id)
    else:
        hold = eo.api.hold(flow.method, flow.path)
        worker = eo.spawn(store, **options)
        pending = worker.respond_later(c, flow.attacked, attacked_id)
        assert hold.arrived.wait(10), f"the {flow.method} never reached the API"
        worker.kill()
        crashed = pending.result()
        eo.api.release(hold, apply=point == IN_FLIGHT_DONE)
        deadline = time.monotonic() + 5
        while not eo.api.seen(flow.method, flow.path) and time.monotonic() < deadline:
            time.sleep(0.01)  # the server finishes the abandoned request
    assert crashed.outcome == "died", crashed.describe()
    return verdict(eo, flow, _redeliver(eo, flow, c, store, worker))


def _call_cases() -> list[Any]:
    return [
        pytest.param(flow, point, id=f"{flow}, {point}")
        for flow in ("task yes", "tool yes", "place yes")
        for point in CALL_POINTS
    ]


@pytest.mark.parametrize(("flow", "point"), _call_cases())
def test_killed_inside_the_call_then_redelivered(eo: Env, flow: str, point: str) -> None:
    none(_killed_in_call(eo, FLOWS[flow], point))


# --- after the last save, before the host got the reply (the outbox) --------------------------


@pytest.mark.parametrize(
    "flow",
    ["task yes", "tool yes", "place yes"],
)
def test_killed_before_the_reply_reached_the_host_the_redelivery_tells_the_outcome(
    eo: Env, flow: str
) -> None:
    chosen = FLOWS[flow]
    c = "c"
    snapshot = _snapshot(eo, chosen, c)
    store = _fresh_store(eo, snapshot, "run")
    worker = eo.spawn(store, lease_ttl=CRASH_LEASE_TTL)
    crashed = worker.respond(
        c, chosen.attacked, f"{c}-{len(chosen.setup) + 1}", crash_before_reply=True
    )
    assert crashed.outcome == "died", crashed.describe()
    assert eo.api.effects() == [chosen.effect]  # everything was done and saved
    none(verdict(eo, chosen, _redeliver(eo, chosen, c, store, worker)))


# --- the verdict's own control ----------------------------------------------------------------


def test_control_the_verdict_passes_an_uncrashed_conversation_and_sees_each_breach(
    eo: Env,
) -> None:
    """Without a crash the place-order flow holds; the same verdict then sees a second order,
    a "done" for an order that was never placed, and silence about one that was."""
    flow = FLOWS["place yes"]
    worker = eo.spawn(lease_ttl=CRASH_LEASE_TTL)
    for number, text in enumerate((*flow.setup, flow.attacked, "Thanks!"), 1):
        worker.respond("c", text, f"c-{number}")
    told = worker.respond("c2", "Thanks!", "c2-1")
    done = Delivery("reply", text="Your order number is 5001.")
    none(verdict(eo, flow, [done, told]))

    assert any("the customer was never told" in p for p in verdict(eo, flow, [told]))
    eo.api.reset()
    assert any("told it was done" in p for p in verdict(eo, flow, [done]))
    second = eo.spawn()
    for number, text in enumerate((*flow.setup, flow.attacked), 1):
        second.respond("c3", text, f"c3-{number}")
    for number, text in enumerate((*flow.setup, flow.attacked), 1):
        second.respond("c4", text, f"c4-{number}")
    assert any(p.startswith("effects") for p in verdict(eo, flow, [done]))
