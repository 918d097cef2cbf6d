"""Task runs saved by earlier runtimes load in this one, and runs saved now keep that format.

The records below are literal JSON as the runtime wrote it before the run record was typed
(format 1, read and written through string keys): one waiting for a confirmation, one waiting
for an answer after a wrong one, one that died between recording a call and its outcome, and
one that lacks the keys later versions added.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from specagent_runtime import MemoryStore, RunStatus, TaskEngine, idempotency_key
from specagent_runtime._tasks.record import (
    PendingCall,
    RunRecord,
    WaitingConfirmation,
    WaitingInput,
)

from tests.unit.runtime.test_task_engine import CUSTOMER, TASKS, FakeClient

WAITING_CONFIRMATION: dict[str, Any] = {
    "format": 1,
    "id": "old1",
    "task": "cancel_order",
    "conversation_id": "conv-old",
    "status": "waiting_confirmation",
    "step": "3",
    "variables": {
        "inputs": {"order_id": 1},
        "identity": {"username": "user1"},
        "order": {"id": 1, "petId": 1, "quantity": 2, "status": "placed"},
    },
    "waiting": {"kind": "confirm", "message": "Cancel order 1?", "next": "4", "declined": None},
    "pending": None,
    "outbox": [],
    "history": [
        {"step": None, "event": "started", "detail": "cancel_order", "at": 1700000000.0},
        {"step": "1", "event": "call", "detail": "getOrderById", "at": 1700000000.1},
        {"step": "1", "event": "called", "detail": "getOrderById: ok", "at": 1700000000.2},
        {"step": "2", "event": "branch", "detail": "to 3", "at": 1700000000.3},
        {"step": "3", "event": "confirm", "detail": "Cancel order 1?", "at": 1700000000.4},
    ],
    "handoff_reason": None,
    "created_at": 1700000000.0,
    "updated_at": 1700000000.4,
}

WAITING_INPUT: dict[str, Any] = {
    "format": 1,
    "id": "old2",
    "task": "place_order",
    "conversation_id": None,
    "status": "waiting_input",
    "step": "1",
    "variables": {"inputs": {}, "identity": {}},
    "waiting": {
        "kind": "input",
        "input": "pet_id",
        "message": "Which pet (its ID)?",
        "next": "2",
        "attempts": 1,
    },
    "pending": None,
    "outbox": [],
    "history": [
        {"step": None, "event": "started", "detail": "place_order", "at": 1700000000.0},
        {"step": "1", "event": "asked", "detail": "pet_id", "at": 1700000000.1},
        {"step": "1", "event": "invalid", "detail": "pet_id", "at": 1700000000.2},
    ],
    "handoff_reason": None,
    "created_at": 1700000000.0,
    "updated_at": 1700000000.2,
}

# Died after the DELETE of step 4 was recorded (and maybe sent), before its outcome was saved.
CALL_IN_DOUBT: dict[str, Any] = {
    **copy.deepcopy(WAITING_CONFIRMATION),
    "id": "old3",
    "status": "running",
    "step": "4",
    "waiting": None,
    "pending": {"step": "4", "operation": "deleteOrder", "retry_safe": True},
}

# Only the keys every version wrote; the optional ones came later.
MINIMAL: dict[str, Any] = {
    "id": "old4",
    "task": "cancel_order",
    "status": "done",
    "created_at": 1700000000.0,
    "updated_at": 1700000001.0,
}


async def _engine(*records: dict[str, Any]) -> tuple[TaskEngine, FakeClient]:
    store = MemoryStore()
    for record in records:
        await store.put("task_run", record["id"], record, version=0)
    index = [[record["id"], record.get("conversation_id")] for record in records]
    await store.put("task_run_index", "all", {"runs": index}, version=0)
    client = FakeClient()
    return TaskEngine(store, client, TASKS), client


@pytest.mark.parametrize("old", [WAITING_CONFIRMATION, WAITING_INPUT, CALL_IN_DOUBT])
def test_an_old_record_reads_into_types_and_writes_back_the_same_json(old: dict[str, Any]) -> None:
    record = RunRecord.from_json(old)
    assert record.to_json() == old
    assert isinstance(record.status, RunStatus)


def test_the_typed_fields_of_old_records() -> None:
    confirming = RunRecord.from_json(WAITING_CONFIRMATION)
    assert confirming.waiting == WaitingConfirmation("Cancel order 1?", "4", None)
    assert confirming.identity == {"username": "user1"}
    assert confirming.waiting_for == "confirmation"
    asking = RunRecord.from_json(WAITING_INPUT)
    assert asking.waiting == WaitingInput("pet_id", "Which pet (its ID)?", "2", attempts=1)
    assert asking.waiting_for == "input:pet_id"
    assert RunRecord.from_json(CALL_IN_DOUBT).pending == PendingCall("4", "deleteOrder", True)


def test_a_record_without_the_later_keys_loads() -> None:
    record = RunRecord.from_json(MINIMAL)
    assert (record.status, record.step, record.conversation_id) == (RunStatus.DONE, None, None)
    assert (record.waiting, record.pending, record.outbox, record.history) == (None, None, [], [])
    assert record.to_json()["format"] == 1


async def test_an_old_run_waiting_for_a_yes_is_inspected_and_finished() -> None:
    engine, client = await _engine(WAITING_CONFIRMATION)
    info = await engine.get("old1")
    assert (info.status, info.waiting_for, info.where) == (
        RunStatus.WAITING_CONFIRMATION,
        "confirmation",
        "agent.yaml:15",
    )
    assert [entry.event for entry in info.history][-1] == "confirm"
    assert [run.id for run in await engine.runs("conv-old")] == ["old1"]

    turn = await engine.resume("old1", "yes", CUSTOMER)
    assert (turn.status, turn.messages) == (RunStatus.DONE, ("Order 1 is cancelled.",))
    deletes = [call for call in client.calls if call[0] == "deleteOrder"]
    assert deletes == [("deleteOrder", {"orderId": 1}, idempotency_key("old1", "4"))]


async def test_an_old_run_waiting_for_an_answer_counts_the_earlier_wrong_one() -> None:
    engine, _ = await _engine(WAITING_INPUT)
    again = await engine.resume("old2", "no idea")
    assert again.status is RunStatus.WAITING_INPUT  # the second wrong answer: asked again
    handed = await engine.resume("old2", "still no idea")
    assert handed.status is RunStatus.HANDED_OFF  # the third: MAX_INVALID_ANSWERS reached


async def test_an_old_call_in_doubt_is_retried_with_its_key() -> None:
    engine, client = await _engine(CALL_IN_DOUBT)
    turn = await engine.recover("old3")
    assert (turn.status, turn.messages) == (RunStatus.DONE, ("Order 1 is cancelled.",))
    keys = {key for op, _, key in client.calls if op == "deleteOrder"}
    assert keys == {idempotency_key("old3", "4")}
