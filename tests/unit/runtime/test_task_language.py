"""The task language's reading of customers (issue 19): choices by label and in any spelling,
dates, stop words inside a sentence, asides, and `today` from an injectable clock and zone."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from specagent_runtime import (
    Ask,
    Effect,
    InputSpec,
    MemoryStore,
    Respond,
    RunStatus,
    TaskContext,
    TaskDataError,
    TaskEngine,
    TaskTurn,
)
from specagent_runtime._tasks.dates import TaskClock, time_zone
from specagent_runtime._tasks.input import (
    InvalidAnswer,
    accepted_inputs,
    coerce,
    parse_answer,
)
from specagent_runtime._tasks.steps import TaskDefinition
from specagent_runtime._tasks.words import is_question, stop_requested

REASON = InputSpec(
    name="reason",
    enum=("too_small", "too_big", "damaged", "wrong_item"),
    labels=(("too_small", "Too small"), ("wrong_item", "Wrong item sent")),
)
# 2026-12-03 23:30 UTC: still the 3rd in UTC, already the 4th in Berlin.
LATE_EVENING = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC).timestamp()
UTC_CLOCK = TaskClock(dt.UTC, lambda: LATE_EVENING)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("too small", "too_small"),
        ("Too-Small", "too_small"),
        ("TOO_SMALL", "too_small"),
        ("  too   small. ", "too_small"),
        ("it's too small for me", "too_small"),
        ("Wrong item sent", "wrong_item"),  # the label
        ("they sent the wrong item", "wrong_item"),  # the value in words
        ("Damaged!", "damaged"),
        ("too big", "too_big"),
    ],
)
def test_choices_match_in_any_spelling_and_by_label(text: str, value: str) -> None:
    assert parse_answer(REASON, text) == value


@pytest.mark.parametrize(
    "text",
    ["too small, also slightly damaged", "damaged and too big", "Too small or too big"],
)
def test_an_answer_naming_two_choices_is_asked_again(text: str) -> None:
    with pytest.raises(InvalidAnswer, match=r"You mentioned .* and .*; please choose one of"):
        parse_answer(REASON, text)


def test_the_re_ask_shows_labels_not_identifiers() -> None:
    with pytest.raises(InvalidAnswer) as problem:
        parse_answer(REASON, "it smells funny")
    assert str(problem.value) == (
        "Please choose one of: Too small, too big, damaged, Wrong item sent."
    )
    assert "too_small" not in str(problem.value)


def test_a_longer_choice_wins_over_one_inside_it() -> None:
    sizes = InputSpec(name="size", enum=("small", "too_small"))
    assert parse_answer(sizes, "it is too small") == "too_small"
    assert parse_answer(sizes, "small please") == "small"


def test_the_model_s_spelling_of_a_choice_is_accepted() -> None:
    assert coerce(REASON, "Too small") == "too_small"
    assert coerce(REASON, "nonsense") == "nonsense"  # then refused by `validate`
    definition = TaskDefinition("t", "d", "anyone", (REASON,), None, {})
    assert accepted_inputs(definition, {"reason": "TOO-SMALL"}) == {"reason": "too_small"}


# --- dates ------------------------------------------------------------------------------------

PICKUP = InputSpec(name="pickup_on", format="date", description="pickup day")
WHEN = InputSpec(name="when", format="date-time")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2026-12-10", "2026-12-10"),
        ("on 2026/12/10 please", "2026-12-10"),
        ("10 December 2026", "2026-12-10"),
        ("the 10th of Dec 2026", "2026-12-10"),
        ("December 10, 2026", "2026-12-10"),
        ("tomorrow", "2026-12-04"),
        ("today works", "2026-12-03"),
    ],
)
def test_date_answers(text: str, value: str) -> None:
    assert parse_answer(PICKUP, text, UTC_CLOCK) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10/12/2026", "can't tell the day from the month"),
        ("2026-02-30", "does not look like a date"),
        ("next week sometime", "does not look like a date"),
        ("2026-12-10 or 2026-12-11", "more than one date"),
    ],
)
def test_bad_date_answers_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidAnswer, match=reason):
        parse_answer(PICKUP, text, UTC_CLOCK)


def test_date_time_answers_get_the_zone() -> None:
    berlin = TaskClock(time_zone("Europe/Berlin"), lambda: LATE_EVENING)
    assert parse_answer(WHEN, "at 2026-12-10 14:30", berlin) == "2026-12-10T14:30:00+01:00"
    assert parse_answer(WHEN, "2026-12-10T14:30Z", berlin) == "2026-12-10T15:30:00+01:00"
    with pytest.raises(InvalidAnswer, match="date and time like"):
        parse_answer(WHEN, "at half past two", berlin)


def test_today_depends_on_the_time_zone_and_the_clock() -> None:
    berlin = TaskClock(time_zone("Europe/Berlin"), lambda: LATE_EVENING)
    assert UTC_CLOCK.today() == dt.date(2026, 12, 3)
    assert berlin.today() == dt.date(2026, 12, 4)
    # A date-time's date is taken in the zone: 23:00 UTC on the 2nd is the 3rd in Berlin.
    shipped = dt.datetime(2026, 12, 2, 23, 0, tzinfo=dt.UTC)
    assert UTC_CLOCK.days_since(shipped) == 1
    assert berlin.days_since(shipped) == 1  # the 3rd, and today is the 4th there
    assert UTC_CLOCK.days_since(dt.date(2026, 11, 3)) == 30
    with pytest.raises(ValueError, match="unknown time zone"):
        time_zone("Mars/Olympus")


def test_time_zone_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECAGENT_TIME_ZONE", "America/Los_Angeles")
    assert str(time_zone()) == "America/Los_Angeles"
    monkeypatch.delenv("SPECAGENT_TIME_ZONE")
    assert time_zone() is dt.UTC


def test_task_context_dates() -> None:
    ctx = TaskContext(
        {"order": {"delivered_at": "2026-11-02", "shipped_at": "2026-11-01T08:00:00"}},
        UTC_CLOCK,
    )
    assert ctx.today() == dt.date(2026, 12, 3)
    assert ctx.now() == dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC)
    delivered = ctx.need_date("order", "delivered_at")
    assert (ctx.days_since(delivered), ctx.days_until(delivered)) == (31, -31)
    # A date-time without an offset is read in the tasks' zone.
    assert ctx.need_datetime("order", "shipped_at").tzinfo is dt.UTC
    assert ctx.date("order", "missing") is None
    with pytest.raises(TaskDataError, match="has no value"):
        ctx.need_date("order", "missing")
    with pytest.raises(TaskDataError, match="not a date"):
        TaskContext({"x": "soon"}).date("x")


# --- stop words and asides --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "stop",
        "Cancel.",
        "never mind, cancel",
        "please cancel this",
        "stop, I changed my mind",
        "forget it",
        "Nevermind!",
        "ok never mind then",
        "I changed my mind",
        "cancel it please",
        "no, stop it — thanks",
    ],
)
def test_stop_requests_inside_a_sentence(text: str) -> None:
    assert stop_requested(text)


@pytest.mark.parametrize(
    "text",
    [
        "I want to cancel my order",
        "I'd like to cancel",
        "don't cancel, it's order 12",
        "can I cancel?",
        "stop the subscription on the 3rd order",
        "the non-stop flight",
        "it stopped working",
        "I changed my mind about the colour, it's blue",
        "",
    ],
)
def test_what_is_not_a_stop_request(text: str) -> None:
    assert not stop_requested(text)


def test_questions() -> None:
    assert is_question("what are your opening hours?")
    assert is_question("opening hours\uff1f")  # a full-width question mark
    assert not is_question("order 12")


# --- the engine's reading order: stop, aside, answer ------------------------------------------


def _ask_company(ctx: TaskContext) -> Effect:
    return Ask("company", "Which company are you with?", "2")


def _ask_order(ctx: TaskContext) -> Effect:
    return Ask("order_id", "Which order?", "3")


def _thanks(ctx: TaskContext) -> Effect:
    return Respond(
        ctx.format(
            "Thanks: ", ctx.text("inputs", "company"), ", ", ctx.value("inputs", "order_id"), "."
        ),
        None,
    )


FORM = TaskDefinition(
    "form",
    "A company and an order.",
    "anyone",
    (
        InputSpec(name="company", required=False),
        InputSpec(name="order_id", type="integer", required=False),
    ),
    "1",
    {"1": _ask_company, "2": _ask_order, "3": _thanks},
)


async def test_the_engine_reads_stop_then_aside_then_answer() -> None:
    engine = TaskEngine(MemoryStore(), cast(Any, None), {"form": FORM})
    run = (await engine.start("form", {})).run_id
    # Free text: a question is an aside, never the answer; "cancel my old plan" is an answer.
    aside = await engine.resume(run, "why do you need that?")
    assert (aside.off_topic, aside.messages, aside.status) == (True, (), RunStatus.WAITING_INPUT)
    assert aside.question == "Which company are you with?"
    asked = await engine.resume(run, "Acme, I want to cancel my old plan")
    assert asked.messages == ("Which order?",)
    # A typed input: a valid value wins over a stop word next to it.
    done = await engine.resume(run, "order 12, cancel it")
    assert done.messages == ("Thanks: Acme, I want to cancel my old plan, 12.",)
    history = [entry.event for entry in (await engine.get(run)).history]
    assert "aside" in history and "invalid" not in history

    stopped = (await engine.start("form", {})).run_id
    turn = await engine.resume(stopped, "never mind, cancel")
    assert (turn.status, turn.messages) == (RunStatus.CANCELLED, ("All right, I have stopped.",))


def test_an_mcp_client_is_told_an_aside_is_not_an_answer() -> None:
    pytest.importorskip("mcp")
    from specagent_runtime._mcp.tasks import _turn_data  # noqa: PLC0415  # the [mcp] extra

    turn = TaskTurn(
        "r1", "form", RunStatus.WAITING_INPUT, (), "input:company", off_topic=True,
        question="Which company are you with?",
    )  # fmt: skip
    assert _turn_data(turn)["not_an_answer"] == (
        "answer the user yourself; the task still asks: Which company are you with?"
    )


async def test_a_stop_that_opens_the_message_wins_over_a_value_in_it() -> None:
    engine = TaskEngine(MemoryStore(), cast(Any, None), {"form": FORM})
    run = (await engine.start("form", {"company": "Acme"})).run_id
    turn = await engine.resume(run, "never mind, cancel order 12's return")
    assert turn.status is RunStatus.CANCELLED
    assert stop_requested("Please stop, order 12", leading=True)
    assert not stop_requested("order 12, cancel it", leading=True)
