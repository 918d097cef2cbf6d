"""Duplicate and concurrent delivery of every kind of message, across worker processes that
share one SQLite store file, with a slow API (issue 15; the README's table lists each attack).

Helpdesks deliver webhooks at least once, sometimes twice at the same moment, to different
workers. Each attack first runs the same flow once (the control: one delivery, one effect, the
expected reply, and how many model requests one delivery takes), then delivers the message
under attack twice with the same helpdesk message id: back to back ("same moment"), or the
second once the first's request is in flight at the API ("in flight"). The witnesses: the shop
API's log (exactly one effect, and no second request for it), the model's log (the duplicate
ran nothing: the doubled message took as many model requests as one delivery), and what the
customer was told (the outcome posted exactly once, nothing handed off or called unknown,
no error for the host).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.faults._delivery import (
    Delivery,
    Env,
    Pending,
    Worker,
    at_once,
    describe,
    posted_text,
    untruths,
)

SLOW = 1.0  # seconds the API takes for the slow request (the issue: 1-2 s)
SAME_MOMENT = "same-moment"
IN_FLIGHT = "in-flight"
TIMINGS = [SAME_MOMENT, IN_FLIGHT]


def deliver_twice(
    eo: Env,
    first: Callable[[], Pending],
    second: Callable[[], Pending],
    timing: str,
    method: str,
    path: str,
) -> list[Delivery]:
    """Both deliveries, back to back or the second once the first's request is at the API."""
    before = eo.api.arrivals(method, path)
    started = first()
    if timing == IN_FLIGHT:
        arrived = eo.api.wait_arrival(method, path, before + 1)
        assert arrived, f"{method} {path} never reached the API"
    return [started.result(), second().result()]


def requests_to(eo: Env, method: str, path: str) -> int:
    return len(eo.api.seen(method, path))


def check_once(
    eo: Env,
    deliveries: list[Delivery],
    after: list[Delivery],
    *,
    effect: tuple[str, int],
    effects_before: int,
    told: str,
    doubled: int,
    single: int,
    allow_refusal: bool = False,
) -> None:
    """The exactly-once verdict on a doubled delivery. `after`: the customer's next messages;
    `doubled`: the model requests the two deliveries took, `single`: what one took (control)."""
    replies = describe([*deliveries, *after])
    assert eo.api.effects()[effects_before:] == [effect], f"effects; deliveries: {replies}"
    assert doubled == single, (
        f"the duplicate ran the model ({doubled} requests, one delivery takes {single}): " + replies
    )
    judged = [d for d in deliveries if not (allow_refusal and d.refused())]
    assert untruths([*judged, *after]) == [], f"deliveries: {replies}"
    posted = posted_text([*deliveries, *after])
    assert posted.count(told) == 1, f"{told!r} posted {posted.count(told)} times: {replies}"


# --- the yes to a task's confirm step ---------------------------------------------------------


def _task_yes_control(eo: Env, one: Worker) -> int:
    control = eo.conversation("control")
    assert one.respond(control, "Please cancel order 9.", f"{control}-1").text == "Cancel order 9?"
    before = eo.model.count()
    single = one.respond(control, "yes", f"{control}-2")
    assert eo.api.effects() == [("cancel", 9)], describe([single])
    assert single.text == "Order 9 is cancelled.", describe([single])
    return eo.model.count() - before


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 15: the second worker takes the running task for abandoned and sends the "
    "DELETE again (in flight), or its save loses and the yes goes to the model (same moment)",
)
@pytest.mark.parametrize("timing", TIMINGS)
def test_a_yes_to_a_task_confirm_delivered_twice_cancels_once(eo: Env, timing: str) -> None:
    one, two = eo.spawn(), eo.spawn()
    model_calls = _task_yes_control(eo, one)
    eo.api.slow("DELETE", SLOW)
    c = eo.conversation()
    assert one.respond(c, "Please cancel order 7.", f"{c}-1").text == "Cancel order 7?"
    model_before = eo.model.count()

    deliveries = deliver_twice(
        eo,
        lambda: one.respond_later(c, "yes", f"{c}-2"),
        lambda: two.respond_later(c, "yes", f"{c}-2"),
        timing,
        "DELETE",
        "/api/orders/7",
    )
    doubled = eo.model.count() - model_before
    after = [one.respond(c, "Thanks!", f"{c}-3")]

    assert requests_to(eo, "DELETE", "/api/orders/7") == 1, describe(deliveries)
    check_once(
        eo,
        deliveries,
        after,
        effect=("cancel", 7),
        effects_before=1,
        told="Order 7 is cancelled.",
        doubled=doubled,
        single=model_calls,
    )


# --- the yes to a tool proposal ---------------------------------------------------------------


def _proposed(eo: Env, worker: Worker, c: str, order: int) -> str:
    asked = worker.respond(c, f"Cancel order {order} now, please.", f"{c}-1")
    event = asked.first("confirmation_requested")
    assert event is not None, describe([asked])
    return str(event["action_id"])


def _tool_yes_control(eo: Env, one: Worker) -> int:
    control = eo.conversation("control")
    _proposed(eo, one, control, 9)
    before = eo.model.count()
    single = one.respond(control, "yes", f"{control}-2")
    assert eo.api.effects() == [("cancel", 9)], describe([single])
    assert "DONE: cancel_now for order 9" in single.text, describe([single])
    return eo.model.count() - before


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 15: both workers run the yes turn; the worker that cancelled loses the "
    "conversation save (StoreConflict) and the other tells the model it was already carried out",
)
@pytest.mark.parametrize("timing", TIMINGS)
def test_a_yes_to_a_tool_proposal_delivered_twice_cancels_once(eo: Env, timing: str) -> None:
    one, two = eo.spawn(), eo.spawn()
    model_calls = _tool_yes_control(eo, one)
    eo.api.slow("DELETE", SLOW)
    c = eo.conversation()
    _proposed(eo, one, c, 8)
    model_before = eo.model.count()

    deliveries = deliver_twice(
        eo,
        lambda: one.respond_later(c, "yes", f"{c}-2"),
        lambda: two.respond_later(c, "yes", f"{c}-2"),
        timing,
        "DELETE",
        "/api/orders/8",
    )
    doubled = eo.model.count() - model_before
    after = [one.respond(c, "Thanks!", f"{c}-3")]

    assert requests_to(eo, "DELETE", "/api/orders/8") == 1, describe(deliveries)
    check_once(
        eo,
        deliveries,
        after,
        effect=("cancel", 8),
        effects_before=1,
        told="DONE: cancel_now for order 8",
        doubled=doubled,
        single=model_calls,
    )


# --- the host's confirm button pressed twice --------------------------------------------------


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 15: both presses run a turn; the worker that cancelled loses the "
    "conversation save (StoreConflict), so its outcome never reaches the customer",
)
def test_the_host_confirm_button_pressed_twice_cancels_once(eo: Env) -> None:
    one, two = eo.spawn(), eo.spawn()
    control = eo.conversation("control")
    action = _proposed(eo, one, control, 9)
    single = one.confirm_later(control, action, f"{control}-press").result()
    assert eo.api.effects() == [("cancel", 9)], describe([single])
    assert "DONE: cancel_now for order 9" in single.text, describe([single])

    eo.api.slow("DELETE", SLOW)
    c = eo.conversation()
    action = _proposed(eo, one, c, 8)
    # Two presses are two deliveries with their own ids: the inbox cannot merge them, the
    # confirmation's single use must.
    deliveries = at_once(
        one.confirm_later(c, action, f"{c}-press-1"), two.confirm_later(c, action, f"{c}-press-2")
    )
    after = [one.respond(c, "Thanks!", f"{c}-3")]

    assert requests_to(eo, "DELETE", "/api/orders/8") == 1, describe(deliveries)
    assert eo.api.effects()[1:] == [("cancel", 8)], describe(deliveries)
    assert untruths([*(d for d in deliveries if not d.refused()), *after]) == [], describe(
        deliveries
    )
    posted = posted_text([*deliveries, *after])
    assert posted.count("DONE: cancel_now for order 8") == 1, describe([*deliveries, *after])


@pytest.mark.slow
def test_the_host_task_confirm_button_pressed_twice_cancels_once(eo: Env) -> None:
    one, two = eo.spawn(), eo.spawn()
    control = eo.conversation("control")
    asked = one.respond(control, "Please cancel order 9.", f"{control}-1")
    waiting = asked.first("task_waiting")
    assert waiting is not None, describe([asked])
    single = one.confirm_task_later(control, str(waiting["run_id"]), f"{control}-press").result()
    assert single.text == "Order 9 is cancelled." and eo.api.effects() == [("cancel", 9)]

    eo.api.slow("DELETE", SLOW)
    c = eo.conversation()
    asked = one.respond(c, "Please cancel order 7.", f"{c}-1")
    waiting = asked.first("task_waiting")
    assert waiting is not None, describe([asked])
    run = str(waiting["run_id"])
    deliveries = at_once(
        one.confirm_task_later(c, run, f"{c}-press-1"),
        two.confirm_task_later(c, run, f"{c}-press-2"),
    )
    after = [one.respond(c, "Thanks!", f"{c}-3")]

    assert requests_to(eo, "DELETE", "/api/orders/7") == 1, describe(deliveries)
    assert eo.api.effects()[1:] == [("cancel", 7)], describe(deliveries)
    assert untruths([*(d for d in deliveries if not d.refused()), *after]) == [], describe(
        deliveries
    )
    assert posted_text([*deliveries, *after]).count("Order 7 is cancelled.") == 1, describe(
        deliveries
    )


# --- the first message, which starts a task ---------------------------------------------------

PLACE_FLOW = ("I'd like to order item {item}.", "2", "yes")


def _place_control(eo: Env, one: Worker) -> dict[str, int]:
    """The place_order flow once; the model requests each message took."""
    control = eo.conversation("control")
    calls = {}
    replies = []
    for number, text in enumerate(PLACE_FLOW, 1):
        before = eo.model.count()
        replies.append(one.respond(control, text.format(item=3), f"{control}-{number}"))
        calls[text] = eo.model.count() - before
    assert [r.text for r in replies] == [
        "How many of item 3 would you like (1 to 5)?",
        "Order 2 of item 3?",
        "Your order number is 5001.",
    ], describe(replies)
    assert eo.api.effects() == [("place", 5001)]
    assert len(eo.api.seen("GET", "/api/items/3/stock")) == 1
    return calls


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 15: both workers start place_order; one conversation save loses "
    "(StoreConflict) but its run survives as an orphan that asks again",
)
def test_a_first_message_delivered_twice_starts_one_task_run(eo: Env) -> None:
    one, two = eo.spawn(), eo.spawn()
    calls = _place_control(eo, one)
    eo.model.delay = 0.3  # a model that takes its time: both deliveries are inside it
    c = eo.conversation()
    model_before = eo.model.count()
    first = "I'd like to order item 4."
    deliveries = at_once(
        one.respond_later(c, first, f"{c}-1"), two.respond_later(c, first, f"{c}-1")
    )
    doubled = eo.model.count() - model_before
    eo.model.delay = 0.0
    # The customer goes on as asked, then thanks the agent: an orphan run would take the
    # thanks as the answer to its question and ask again (and a yes would order twice).
    after = [
        one.respond(c, "2", f"{c}-2"),
        one.respond(c, "yes", f"{c}-3"),
        one.respond(c, "Thanks!", f"{c}-4"),
    ]

    runs = one.runs(c)
    assert len(runs) == 1, f"task runs {runs}; deliveries: {describe(deliveries)}"
    assert doubled == calls[PLACE_FLOW[0]], f"model requests {doubled}: {describe(deliveries)}"
    assert eo.api.effects()[1:] == [("place", 5002)], describe([*deliveries, *after])
    assert untruths([*deliveries, *after]) == [], describe([*deliveries, *after])
    posted = posted_text([*deliveries, *after])
    assert posted.count("How many of item 4 would you like (1 to 5)?") == 1, posted
    assert posted.count("Your order number is 5002.") == 1, posted
    # Nothing asks again once the order is placed: the thanks reached the model.
    assert after[2].text == "You're welcome.", describe(after)


# --- the answer to a task's question ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 15: the second worker finds the run running and recovers it (a second "
    "stock check), the first worker's save loses and its answer goes to the model",
)
def test_an_answer_delivered_twice_advances_the_task_once(eo: Env) -> None:
    one, two = eo.spawn(), eo.spawn()
    calls = _place_control(eo, one)
    eo.api.slow("GET", SLOW)  # the answer triggers the stock check: a slow call
    c = eo.conversation()
    asked = one.respond(c, "I'd like to order item 4.", f"{c}-1")
    assert asked.text == "How many of item 4 would you like (1 to 5)?", describe([asked])
    model_before = eo.model.count()

    deliveries = at_once(one.respond_later(c, "2", f"{c}-2"), two.respond_later(c, "2", f"{c}-2"))
    doubled = eo.model.count() - model_before
    eo.api.slow("GET", 0.0)
    after = [one.respond(c, "yes", f"{c}-3")]

    assert len(eo.api.seen("GET", "/api/items/4/stock")) == 1, describe(deliveries)
    assert doubled == calls["2"], f"model requests {doubled}: {describe(deliveries)}"
    assert untruths([*deliveries, *after]) == [], describe([*deliveries, *after])
    assert posted_text(deliveries).count("Order 2 of item 4?") == 1, describe(deliveries)
    assert eo.api.effects()[1:] == [("place", 5002)], describe([*deliveries, *after])
    assert posted_text(after).count("Your order number is 5002.") == 1, describe(after)


# --- a POST without an Idempotency-Key, in flight ---------------------------------------------


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 15: the second worker hands the in-flight POST off as 'outcome unknown' and "
    "the first loses its save: the order is placed but its number never reaches the customer",
)
@pytest.mark.parametrize("timing", TIMINGS)
def test_a_yes_to_place_an_order_delivered_twice_places_it_once_and_tells_its_number(
    eo: Env, timing: str
) -> None:
    one, two = eo.spawn(), eo.spawn()
    calls = _place_control(eo, one)
    eo.api.slow("POST", SLOW)
    c = eo.conversation()
    one.respond(c, "I'd like to order item 4.", f"{c}-1")
    assert one.respond(c, "2", f"{c}-2").text == "Order 2 of item 4?"
    model_before = eo.model.count()

    deliveries = deliver_twice(
        eo,
        lambda: one.respond_later(c, "yes", f"{c}-3"),
        lambda: two.respond_later(c, "yes", f"{c}-3"),
        timing,
        "POST",
        "/api/orders",
    )
    doubled = eo.model.count() - model_before
    after = [one.respond(c, "Thanks!", f"{c}-4")]

    assert len(eo.api.seen("POST", "/api/orders")) == 2, describe(deliveries)  # control + one
    check_once(
        eo,
        deliveries,
        after,
        effect=("place", 5002),
        effects_before=1,
        told="Your order number is 5002.",
        doubled=doubled,
        single=calls["yes"],
    )


# --- a late redelivery (the host retries after the first delivery was answered) ---------------


def _late(eo: Env, kind: str, one: Worker, two: Worker) -> tuple[Delivery, Delivery, int, int]:
    """Run the flow up to `kind`'s message, deliver it, then redeliver it (same id) to the other
    worker; both deliveries, and the model and API requests the redelivery caused."""
    c = eo.conversation()
    text, message_id = "yes", f"{c}-2"
    if kind == "first message":
        text, message_id = "I'd like to order item 4.", f"{c}-1"
    elif kind == "answer":
        one.respond(c, "I'd like to order item 4.", f"{c}-1")
        text = "2"
    elif kind == "task-confirm yes":
        one.respond(c, "Please cancel order 7.", f"{c}-1")
    elif kind == "tool yes":
        _proposed(eo, one, c, 8)
    elif kind == "host confirm":
        action = _proposed(eo, one, c, 8)
    else:  # host task confirm
        waiting = one.respond(c, "Please cancel order 7.", f"{c}-1").first("task_waiting")
        assert waiting is not None
        run = str(waiting["run_id"])

    def deliver(worker: Worker) -> Delivery:
        if kind == "host confirm":
            return worker.confirm_later(c, action, f"{c}-press").result()
        if kind == "host task confirm":
            return worker.confirm_task_later(c, run, f"{c}-press").result()
        return worker.respond(c, text, message_id)

    first = deliver(one)
    model, api = eo.model.count(), len(eo.api.seen())
    again = deliver(two)
    return first, again, eo.model.count() - model, len(eo.api.seen()) - api


LATE_KINDS = [
    pytest.param(
        "first message",
        marks=pytest.mark.xfail(
            strict=True,
            reason="issue 15: no inbox: the redelivered first message starts a second run",
        ),
    ),
    pytest.param(
        "answer",
        marks=pytest.mark.xfail(
            strict=True, reason="issue 15: no inbox: the redelivered answer reaches the model"
        ),
    ),
    pytest.param(
        "task-confirm yes",
        marks=pytest.mark.xfail(
            strict=True,
            reason="issue 15: no inbox: the redelivered yes reaches the model, which starts "
            "the task again",
        ),
    ),
    pytest.param(
        "tool yes",
        marks=pytest.mark.xfail(
            strict=True,
            reason="issue 15: no inbox: the redelivered yes runs a turn (the model proposes "
            "the cancel again)",
        ),
    ),
    "host confirm",
    "host task confirm",
]


@pytest.mark.parametrize("kind", LATE_KINDS)
def test_a_late_redelivery_runs_nothing_and_gets_the_stored_reply(eo: Env, kind: str) -> None:
    one, two = eo.spawn(), eo.spawn()
    first, again, model_calls, api_calls = _late(eo, kind, one, two)

    assert first.outcome == "reply" and first.posted, describe([first])
    assert (model_calls, api_calls) == (0, 0), describe([first, again])
    if kind.startswith("host") and again.refused():
        return  # a button event seen before may be refused: nothing ran
    assert again.outcome == "reply", describe([again])
    assert again.duplicate is True, describe([again])
    assert again.text == first.text, describe([first, again])
