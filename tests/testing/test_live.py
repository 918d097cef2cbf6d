"""Live runs and simulated customers, against a local fake OpenAI-compatible server that plays
both the agent's model and the customer (no real model here), and pass^k over k = 4 trials
with a model that fails one trial in four.

The fake model answers by what each request shows, as a real one would: the agent's model
("agent-model") calls the tool the customer's words ask for, then reports; the customer's
("customer-model") opens with its request, says yes to the question it expects and then ends.
Live runs ignore the files' `model:` scripts, so the tests below have none.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from specagent_runtime.testing import (
    RunOptions,
    ScriptedAnthropic,
    ScriptedModel,
    Turn,
    call,
    pass_hat_k,
    run_tests_async,
    say,
)

from tests.testing.conftest import PETSTORE, run_specagent

SUITE = """\
package: petstore_agent
api:
  stubs:
    getOrderById:
      - when: {orderId: 1}
        body: {id: 1, petId: 1, quantity: 1, status: placed, complete: false, username: user1}
      - status: 404
        body: {message: Order not found}
    deleteOrder:
      body: null
identities:
  john: {username: user1}
tests:
  - name: an order lookup
    turns:
      - customer: Where is order 1?
        expect:
          reply: placed
          requests: [{path: /store/order/1}]

  - name: a cancellation
    identity: john
    turns:
      - customer: Please cancel order 1.
        expect:
          events: [{task_waiting: confirmation}]
      - customer: "yes"
    end:
      requests: [{method: DELETE, path: /store/order/1}]
      no_requests: [{method: DELETE, path: /store/order/2}]

  - name: a simulated customer cancels their order
    identity: john
    simulate:
      goal: You want order 1 cancelled.
      knows: {order number: 1}
      behaviour: You say yes when asked to confirm.
    end:
      count: {deleteOrder: 1}
"""

OPENING = "support chat opens"


def _last_user(body: dict[str, Any]) -> tuple[str, bool]:
    """The last user message, and whether tool results came after it (a later round)."""
    messages = body.get("messages", [])
    index = max(i for i, m in enumerate(messages) if m.get("role") == "user")
    later = any(m.get("role") == "tool" for m in messages[index:])
    return str(messages[index].get("content", "")), later


class TwoPlayers:
    """The agent's model and the customer's, one fake server; `flaky` makes the agent's model
    pick the wrong order the third time it is asked to cancel order 1 (1 trial in 4)."""

    def __init__(self, *, flaky: bool = True, customer_says_no: bool = False) -> None:
        self.flaky = flaky
        self.customer_says_no = customer_says_no
        self.cancel_requests = 0
        self.models: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Turn:
        model = str(body.get("model"))
        self.models.add(model)
        text, later = _last_user(body)
        if model == "customer-model":
            return self.customer(text)
        if later:
            return say("Order 1 is placed." if "Where is" in text else "Done.")
        if "Where is order 1" in text:
            return call("get_order", orderId=1)
        if re.search(r"cancel (my )?order 1", text, re.IGNORECASE):
            order = 1
            if text == "Please cancel order 1.":  # the scripted test, not the simulation
                with self._lock:
                    self.cancel_requests += 1
                    if self.flaky and self.cancel_requests == 3:
                        order = 2
            return call("cancel_order", order_id=order)
        return say("How can I help?")

    def customer(self, agent_text: str) -> Turn:
        if OPENING in agent_text:
            return say("Hi, can you cancel my order 1, please?")
        if agent_text.startswith("Cancel order 1"):
            return say("no" if self.customer_says_no else "yes")
        return say("###DONE###")


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "agent_tests"
    folder.mkdir()
    (folder / "live.yaml").write_text(SUITE, encoding="utf-8")
    return folder


@pytest.fixture
def players() -> Iterator[tuple[TwoPlayers, ScriptedModel]]:
    both = TwoPlayers()
    with ScriptedModel(respond=both) as server:
        yield both, server


def test_pass_hat_k_is_tau_bench_s() -> None:
    assert [pass_hat_k(3, 4, k) for k in (1, 2, 3, 4)] == [0.75, 0.5, 0.25, 0.0]
    assert pass_hat_k(4, 4, 4) == 1.0 and pass_hat_k(0, 4, 1) == 0.0
    assert pass_hat_k(5, 10, 2) == pytest.approx(10 / 45)
    with pytest.raises(ValueError, match="1 <= k <= trials"):
        pass_hat_k(3, 4, 5)


def test_live_run_over_4_trials_reports_pass_hat_k(
    suite: Path, players: tuple[TwoPlayers, ScriptedModel]
) -> None:
    both, server = players
    done = run_specagent(
        "test", suite, "--model", "agent-model", "--customer-model", "customer-model",
        "--base-url", server.base_url, "--trials", "4",
        cwd=PETSTORE, env={"OPENAI_API_KEY": ""},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # one trial of one test failed
    rows = {line.split(" ", 1)[1].split("  ")[0]: line for line in done.stdout.splitlines()[1:4]}
    assert re.search(r"\s4\s+4\s+1\.00\s*$", rows["an order lookup"])
    assert re.search(
        r"\s4\s+3\s+0\.00\s+turn 1: expected the event task_waiting", rows["a cancellation"]
    )
    assert re.search(r"\s4\s+4\s+1\.00\s*$", rows["a simulated customer cancels their order"])
    # Mean over the 3 tests of C(passed, k) / C(4, k): (1 + 3/4 + 1)/3, (1 + 1/2 + 1)/3, ...
    assert "pass^1 0.92  pass^2 0.83  pass^3 0.75  pass^4 0.67" in done.stdout
    assert "trial 3, turn 1: expected the event task_waiting" in done.stdout
    assert "trial 3, end: expected the request DELETE /store/order/1" in done.stdout
    assert "transcript of trial 3:" in done.stdout
    assert both.models == {"agent-model", "customer-model"}


async def test_the_same_run_through_the_library(
    suite: Path,
    players: tuple[TwoPlayers, ScriptedModel],
    isolated_imports: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, server = players
    monkeypatch.chdir(PETSTORE)
    client = server.client()  # over the port: the caller's to close
    options = RunOptions(
        mode="live",
        trials=4,
        model="agent-model",
        customer_model="customer-model",
        model_client=client,
    )
    try:
        result = await run_tests_async([suite], options)
    finally:
        await client.close()
    by_name = {r.name: r for r in result.results}
    assert [by_name[n].passed for n in by_name] == [4, 3, 4]
    assert [t.passed for t in by_name["a cancellation"].trials] == [True, True, False, True]
    assert result.pass_hat(1) == pytest.approx((1 + 0.75 + 1) / 3)
    assert result.pass_hat(4) == pytest.approx(2 / 3)
    assert not result.ok


async def test_a_simulated_customer_is_judged_by_the_api_not_the_conversation(
    suite: Path, isolated_imports: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The customer says no: the conversation goes smoothly, but the end state (no cancel
    request) fails the test's `count: {deleteOrder: 1}`."""
    monkeypatch.chdir(PETSTORE)
    players = TwoPlayers(flaky=False, customer_says_no=True)
    client = ScriptedModel(respond=players).client()  # in process
    options = RunOptions(
        mode="live", model="agent-model", customer_model="customer-model", model_client=client
    )
    try:
        result = await run_tests_async([suite], options)
    finally:
        await client.close()
    simulated = next(r for r in result.results if r.test.simulate is not None)
    (trial,) = simulated.trials
    assert [str(f) for f in trial.failures] == [
        "end: expected 1 request(s) deleteOrder in the conversation, made 0"
    ]
    assert "turn 2 customer: no" in trial.transcript


def test_scripted_runs_skip_simulated_customers(suite: Path) -> None:
    done = run_specagent("test", suite, cwd=PETSTORE)
    # Scripted: the first two tests have no `model:` answers, so the model is asked for more
    # than scripted; the simulation is skipped with the reason.
    assert done.returncode == 1
    assert "skipped: needs --model (a simulated customer)" in done.stdout
    assert "the model was asked 1 time(s), but the turn scripts 0 answer(s)" in done.stdout


def test_live_needs_a_key_or_a_server(suite: Path) -> None:
    done = run_specagent(
        "test", suite, "--model", "gpt-x", cwd=PETSTORE,
        env={"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""},
    )  # fmt: skip
    assert done.returncode == 2
    assert "set OPENAI_API_KEY (or --base-url" in done.stderr


def test_claude_models_go_through_the_anthropic_sdk(suite: Path) -> None:
    """`--model claude-*` talks the Messages API (here a scripted one on a local port)."""

    def answer(body: dict[str, Any]) -> Turn:
        last = body["messages"][-1]["content"]
        answered = isinstance(last, list) and any(b.get("type") == "tool_result" for b in last)
        return say("Order 1 is placed.") if answered else call("get_order", orderId=1)

    with ScriptedAnthropic(respond=answer) as server:
        done = run_specagent(
            "test", suite / "live.yaml", "--model", "claude-test", "--base-url", server.base_url,
            cwd=PETSTORE, env={"ANTHROPIC_API_KEY": ""},
        )  # fmt: skip
        assert server.requests and all(r["model"] == "claude-test" for r in server.requests)
    row = next(line for line in done.stdout.splitlines() if "an order lookup" in line)
    assert re.search(r"\s1\s+1\s+1\.00\s*$", row), done.stdout + done.stderr
