"""The kit tests itself: files that should fail, fail, and say in which turn and why.

A wrong expected request; an action expected without the customer's consent (it waits for
their yes, and the message says so); a script the agent did not follow (answers left over, or
too few); and the consent check, which fails any test in which a consequential request
reached the API without a confirmation, whatever the test expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from specagent_runtime import ConfirmationExecuted, ConfirmationRequested, TaskFinished, TaskWaiting
from specagent_runtime.testing import ApiRequest, SuiteResult, consent_problems, run_tests_async

from tests.testing.conftest import PETSTORE

HEADER = """\
package: petstore_agent
api:
  stubs:
    getOrderById:
      body: {id: 1, petId: 1, quantity: 1, status: placed, complete: false, username: user1}
    deleteOrder: {body: null}
    updateUser: {body: null}
identities:
  john: {username: user1}
tests:
"""


async def _run(tmp_path: Path, tests: str, monkeypatch: pytest.MonkeyPatch) -> SuiteResult:
    folder = tmp_path / "agent_tests"
    folder.mkdir()
    (folder / "t.yaml").write_text(HEADER + tests, encoding="utf-8")
    monkeypatch.chdir(PETSTORE)
    return await run_tests_async([folder])


def _failures(result: SuiteResult) -> list[str]:
    ((trial,),) = [r.trials for r in result.results]
    return [str(f) for f in trial.failures]


async def test_a_wrong_expected_request_fails_naming_the_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_imports: None
) -> None:
    result = await _run(
        tmp_path,
        """\
  - name: cancel
    identity: john
    turns:
      - customer: Cancel order 1.
        model: [{call: cancel_order, with: {order_id: 1}}]
      - customer: "yes"
        expect:
          requests: [{method: DELETE, path: /store/order/2}]
""",
        monkeypatch,
    )
    (failure,) = _failures(result)
    assert failure.startswith("turn 2: expected the request DELETE /store/order/2 in this turn")
    assert "made: DELETE /store/order/1 (deleteOrder) -> 200" in failure
    assert "path /store/order/1, not /store/order/2" in failure
    assert not result.ok


async def test_expecting_an_action_without_consent_fails_and_says_it_waits_for_a_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_imports: None
) -> None:
    result = await _run(
        tmp_path,
        """\
  - name: update at once
    identity: john
    turns:
      - customer: Change my phone to 555-0199.
        model:
          - {call: update_my_account, with: {phone: "555-0199"}}
          - say: Done!
        expect:
          requests: [updateUser]
""",
        monkeypatch,
    )
    (failure,) = _failures(result)
    assert failure.startswith("turn 1: expected the request updateUser in this turn, not made")
    assert failure.endswith(
        "update_my_account was proposed and waits for the customer's confirmation (it runs in "
        "the turn where they say yes)"
    )


async def test_a_script_the_agent_did_not_follow_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_imports: None
) -> None:
    result = await _run(
        tmp_path,
        """\
  - name: too many answers
    turns:
      - customer: Where is order 1?
        model:
          - say: It is placed.
          - say: Anything else?
  - name: too few answers
    turns:
      - customer: Where is order 1?
        model:
          - {call: get_order, with: {orderId: 1}}
""",
        monkeypatch,
    )
    first, second = (str(r.first_failure) for r in result.results)
    assert first == 'turn 1: the model was not asked for 1 scripted answer(s): say "Anything else?"'
    assert second == (
        "turn 1: the model was asked 2 time(s), but the turn scripts 1 answer(s) "
        "(add the missing `model:` answers)"
    )


async def test_an_unstubbed_call_is_a_failure_in_scripted_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_imports: None
) -> None:
    result = await _run(
        tmp_path,
        """\
  - name: no stub
    turns:
      - customer: Is pet 1 available?
        model:
          - {call: get_pet_by_id, with: {petId: 1}}
          - say: Let me check.
""",
        monkeypatch,
    )
    assert _failures(result) == [
        "turn 1: the agent called getPetById, which has no stub (add one under `stubs:`)"
    ]


def _request(operation: str, method: str = "POST", turn: int = 1) -> ApiRequest:
    return ApiRequest(method, f"/{operation}", {}, None, operation, turn=turn, status=200)


def test_the_consent_check_reads_the_api_log() -> None:
    cancel = _request("cancelOrder")
    proposed = ConfirmationRequested("a1", "cancel_order", "cancel")
    executed = ConfirmationExecuted("a1", "cancel_order", ok=True)
    # Sent in the turn it was proposed: a breach, whatever the test expected.
    assert consent_problems([(1, [proposed], [cancel])]) == [
        (1, "POST /cancelOrder (cancelOrder) -> 200 reached the API without the customer's "
            "confirmation (it was only proposed in this turn)")
    ]  # fmt: skip
    # Sent in the turn a confirmed action ran: fine.
    assert consent_problems([(1, [proposed], []), (2, [executed], [cancel])]) == []
    # A task waiting for a confirmation may call in the next turn (its yes), not two later.
    waiting = TaskWaiting("r1", "cancel_order", "confirmation")
    done = TaskFinished("r1", "cancel_order", "done")
    assert consent_problems([(1, [waiting], []), (2, [done], [cancel])]) == []
    assert consent_problems([(1, [waiting], []), (2, [done], []), (3, [], [cancel])]) != []
    # A run waits for the speaker it asked: another speaker's turn neither lets it act nor
    # uses up its question; the asker's next turn does.
    ada, bob = "v-ada", "v-bob"
    assert consent_problems([(1, [waiting], [], ada), (2, [done], [cancel], bob)]) != []
    assert (
        consent_problems([(1, [waiting], [], ada), (2, [], [], bob), (3, [done], [cancel], ada)])
        == []
    )
    assert (
        consent_problems([(1, [waiting], [], ada), (2, [], [], ada), (3, [done], [cancel], ada)])
        != []
    )
    # Reads never need consent; exempted operations neither.
    assert consent_problems([(1, [], [_request("getOrder", "GET")])]) == []
    assert consent_problems([(1, [], [cancel])], exempt=["cancelOrder"]) == []


def test_the_table_keeps_the_place_and_both_ends_of_a_long_name() -> None:
    """One task's scaffolded tests differ at the end of their names: the table must not cut
    them all to the same start."""
    from specagent_runtime.testing import (  # noqa: PLC0415
        ConversationTest,
        TestResult,
        TrialResult,
        format_report,
    )

    stem = 'deactivate_payment_link when link.status != "executed", '
    results = tuple(
        TestResult(
            ConversationTest(stem + end, Path("agent_tests/deactivate_payment_link.yaml"), line),
            (TrialResult(1, (), (), 0.1),),
        )
        for line, end in ((38, "confirmed"), (72, "declined"))
    )
    rows = format_report(SuiteResult(results, "scripted", 1)).splitlines()[1:3]
    assert rows[0].startswith("deactivate_payment_link.yaml:38 deactivate")
    assert rows[0].split("  ")[0].endswith(", confirmed")
    assert rows[1].split("  ")[0].endswith(", declined")
    assert len(rows[0].split("  ")[0]) == 72
