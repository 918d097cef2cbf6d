"""The task language of issue 19 end to end: a returns procedure ("returnable within 30 days
of delivery", a reason chosen by label, a pickup day) generated from `returns/openapi.yaml` and
`returns/agent.yaml`, run through `build_agent` with a scripted model behind the real `openai`
SDK and real HTTP to the returns reference server (`tests/support/returns_server.py`).

"Today" is pinned through the task engine's clock, so the 30 days hold on any day the suite
runs. Each test reads three witnesses: the replies, what the model was sent (it only answers
asides), and what reached the API (the server's log: a return is opened once, or not at all).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openai import AsyncOpenAI
from specagent import GenerateOptions, generate, ir
from specagent_runtime import Agent, MemoryStore, RunStatus, TaskEngine

from tests.support.fake_openai import FakeOpenAI, call, say
from tests.support.returns_server import ReturnsServer

from .conftest import REPO, _import_from

HERE = Path(__file__).resolve().parent / "returns"
PACKAGE = "e2e_returns_agent"
MODEL = "returns-model"
TODAY = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
REASON_PROMPT = (
    "Please tell me what is wrong with it: Too small, Too big, Damaged, Wrong item sent."
)
PICKUP_PROMPT = "On which day may we pick it up (from tomorrow, within 14 days)?"


@pytest.fixture(scope="module")
def returns_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("returns_package")
    result = generate(HERE / "openapi.yaml", HERE / "agent.yaml", PACKAGE, GenerateOptions())
    assert result.ok, [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    for path, text in result.files.items():
        target = root / PACKAGE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    yield from _import_from(root, PACKAGE)


@pytest.fixture
def server() -> Iterator[ReturnsServer]:
    with ReturnsServer() as running:
        yield running


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


async def _agent(
    package: ModuleType, server: ReturnsServer, fake: FakeOpenAI, today: dt.datetime = TODAY
) -> tuple[Agent, Any, AsyncOpenAI]:
    client = package.AsyncClient(server.base_url)
    model = fake.client()
    agent: Agent = package.build_agent(
        client, model=MODEL, openai_client=model, store=MemoryStore()
    )
    # The host's engine with a pinned clock: `today` in the steps is `today`'s date (UTC).
    agent.tasks = TaskEngine(agent.store, client, package.tasks, clock=today.timestamp)
    return agent, client, model


@pytest.fixture
async def agent(
    returns_package: ModuleType, server: ReturnsServer, fake: FakeOpenAI
) -> AsyncIterator[Agent]:
    built, client, model = await _agent(returns_package, server, fake)
    yield built
    await client.aclose()
    await model.close()


async def _status(agent: Agent, conversation: str) -> RunStatus:
    assert agent.tasks is not None
    [run] = await agent.tasks.runs(conversation)
    return run.status


async def test_a_return_in_natural_words_with_asides(
    agent: Agent, fake: FakeOpenAI, server: ReturnsServer
) -> None:
    fake.add(call("return_item", order_id=7))
    reply = await agent.respond("c", "I'd like to return order 7")
    assert reply.text == REASON_PROMPT  # delivered 13 days before the pinned today

    # An aside goes to the model; the run keeps waiting and asks its question again.
    fake.add(say("We are open from 9 to 5, Monday to Friday."))
    aside = await agent.respond("c", "what are your opening hours?")
    assert aside.text == f"We are open from 9 to 5, Monday to Friday.\n\n{REASON_PROMPT}"
    note = " ".join(str(m["content"]) for m in fake.messages(-1) if m["role"] == "system")
    assert "is waiting for the customer's answer to" in note
    assert await _status(agent, "c") is RunStatus.WAITING_INPUT

    two = await agent.respond("c", "too small, also slightly damaged")
    assert two.text.startswith("You mentioned Too small and Damaged; please choose one of:")
    reason = await agent.respond("c", "Too-Small")
    assert reason.text == PICKUP_PROMPT
    confirm = await agent.respond("c", "10 December 2026 is fine")
    assert confirm.text == "Return order 7 (Too small) with a pickup on 2026-12-10?"

    # A question at the confirmation: the model answers, nothing is confirmed or sent.
    fake.add(say("Yes, the pickup is free of charge."))
    await agent.respond("c", "sure, but is the pickup free?")
    assert await _status(agent, "c") is RunStatus.WAITING_CONFIRMATION
    assert server.posts() == []

    done = await agent.respond("c", "yes")
    assert done.text == "Return 100 is open: we pick it up on 2026-12-10."
    assert [entry.body for entry in server.posts()] == [
        {"reason": "too_small", "pickup_on": "2026-12-10"}
    ]
    assert len(fake.requests) == 3  # the start and the two asides: never the answers


async def test_thirty_days_after_delivery_it_is_too_late(
    returns_package: ModuleType, fake: FakeOpenAI, server: ReturnsServer
) -> None:
    fake.add(call("return_item", order_id=8), call("return_item", order_id=8))
    late, client, model = await _agent(returns_package, server, fake)
    reply = await late.respond("c", "return order 8 please")
    assert reply.text == (
        "Order 8 was delivered on 2026-10-20, more than 30 days ago, so it can no longer be"
        " returned."
    )
    # The same order a few weeks earlier (the clock pinned to 2026-11-15): still returnable.
    early, early_client, early_model = await _agent(
        returns_package, server, fake, dt.datetime(2026, 11, 15, 9, 0, tzinfo=dt.UTC)
    )
    assert (await early.respond("c", "return order 8 please")).text == REASON_PROMPT
    assert server.posts() == []
    for opened in (client, early_client):
        await opened.aclose()
    await model.close()
    await early_model.close()


async def test_cancel_words_inside_a_sentence(agent: Agent, fake: FakeOpenAI) -> None:
    fake.add(call("return_item", {}))
    asked = await agent.respond("c", "I want to return something")
    assert asked.text == "Which order would you like to return?"
    # "cancel my order" answers the question (badly: no number); it does not stop the task.
    again = await agent.respond("c", "I want to cancel my order")
    assert (
        again.text
        == "That does not look like a whole number. Which order would you like to return?"
    )
    assert await _status(agent, "c") is RunStatus.WAITING_INPUT
    stopped = await agent.respond("c", "stop, I changed my mind")
    assert stopped.text == "All right, I have stopped."
    assert await _status(agent, "c") is RunStatus.CANCELLED

    fake.add(call("return_item", order_id=7))
    await agent.respond("d", "return order 7")
    assert (await agent.respond("d", "never mind, cancel")).text == "All right, I have stopped."
    assert len(fake.requests) == 2


async def test_a_stop_at_the_confirmation_is_a_no(
    agent: Agent, fake: FakeOpenAI, server: ReturnsServer
) -> None:
    fake.add(call("return_item", order_id=7, reason="Damaged", pickup_on="2026-12-05"))
    confirm = await agent.respond("c", "order 7 arrived damaged, pick it up on the 5th")
    assert confirm.text == "Return order 7 (Damaged) with a pickup on 2026-12-05?"
    # The consent judge stays strict: a yes inside a longer sentence is asked again.
    unclear = await agent.respond("c", "Yes, and pick up the other one too")
    assert unclear.text.startswith("Please answer yes or no.")
    declined = await agent.respond("c", "please cancel this")
    assert declined.text == "All right, I have not done it."
    assert await _status(agent, "c") is RunStatus.CANCELLED
    assert server.posts() == []


async def test_asides_do_not_count_as_bad_answers(agent: Agent, fake: FakeOpenAI) -> None:
    fake.add(call("return_item", order_id=7))
    await agent.respond("c", "return order 7")
    fake.add(say("Refunds take 5 days."), say("Yes, any reason is fine."))
    for text in ("hmm", "do refunds take long?", "it's weird", "can I pick any?"):
        await agent.respond("c", text)
    assert await _status(agent, "c") is RunStatus.WAITING_INPUT  # two bad answers so far
    handed = await agent.respond("c", "whatever")
    assert handed.text == "I'm passing this to a colleague who can help you further."
    assert await _status(agent, "c") is RunStatus.HANDED_OFF


# --- date-times, `now` and the time zone ------------------------------------------------------


async def test_now_and_date_times_in_the_tasks_zone(
    returns_package: ModuleType,
    fake: FakeOpenAI,
    server: ReturnsServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Order 9 left on 2026-12-02 17:00 UTC; the pinned now is 2026-12-03 12:00 UTC. A promise
    of "12:30" is still to come in UTC, and was an hour ago in Berlin (11:30 UTC)."""
    fake.add(call("delivery_check", order_id=9), call("delivery_check", order_id=9))
    utc, client, model = await _agent(returns_package, server, fake)
    assert (await utc.respond("c", "where is order 9?")).text == (
        "When were you told it would arrive?"
    )
    on_time = await utc.respond("c", "2026-12-03 12:30")
    assert on_time.text == "Order 9 is on its way and due in 0 day(s)."

    monkeypatch.setenv("SPECAGENT_TIME_ZONE", "Europe/Berlin")
    berlin, berlin_client, berlin_model = await _agent(returns_package, server, fake)
    await berlin.respond("c", "where is order 9?")
    late = await berlin.respond("c", "they said 2026-12-03 12:30")
    assert late.text.startswith(
        "Order 9 is late: it left us 1 day(s) ago and was due 2026-12-03T12:30:00+01:00."
    )
    assert late.events and await _status(berlin, "c") is RunStatus.HANDED_OFF
    for opened in (client, berlin_client):
        await opened.aclose()
    for used in (model, berlin_model):
        await used.close()


def test_the_generated_date_code_is_typed(returns_package: ModuleType) -> None:
    """The dates, `today`/`now` and `days_since` come out as typed Python: mypy --strict and
    ruff pass on the package as generated."""
    assert returns_package.__file__ is not None
    folder = Path(returns_package.__file__).parent
    tasks = (folder / "tasks.py").read_text(encoding="utf-8")
    assert 'ctx.days_since(ctx.need(order.delivered_at, "order.delivered_at")) > 30' in tasks
    assert "pickup_on: datetime.date | None = None" in tasks
    assert "ctx.now() > ctx.need(inputs.promised_by" in tasks
    for command in (
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            os.devnull,
            "--cache-dir",
            str(REPO / ".mypy_cache"),
            "-p",
            f"{PACKAGE}.tasks",
        ],
        [sys.executable, "-m", "ruff", "check", "--no-cache", folder.name],
    ):
        done = subprocess.run(
            command, cwd=folder.parent, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
