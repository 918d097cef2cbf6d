"""The durable task engine, driven directly with hand-written step functions and a fake client.

The step functions below are what specagent generates for the Petstore tasks (see
tests/unit/tasks/test_compile_petstore.py for the real output); the fake client records every
call with its idempotency key and answers from a small order table, or fails as told.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from specagent_runtime import (
    ApiConnectionError,
    Ask,
    Call,
    Confirm,
    Effect,
    End,
    Goto,
    Handoff,
    Identity,
    InputSpec,
    MemoryStore,
    NotFoundError,
    OperationSpec,
    Respond,
    RunStatus,
    SetValues,
    SQLiteStore,
    Store,
    TaskContext,
    TaskDefinition,
    TaskEngine,
    TaskError,
    idempotency_key,
)
from specagent_runtime._tasks.input import InvalidAnswer, parse_answer, yes_or_no
from specagent_runtime._tasks.record import RunRecord

GET_ORDER = OperationSpec(id="getOrderById", method="GET", path="/store/order/{orderId}")
DELETE_ORDER = OperationSpec(id="deleteOrder", method="DELETE", path="/store/order/{orderId}")
PLACE_ORDER = OperationSpec(id="placeOrder", method="POST", path="/store/order")
GET_PET = OperationSpec(id="getPetById", method="GET", path="/pet/{petId}")


def _cancel_1(ctx: TaskContext) -> Effect:
    args = {"orderId": ctx.need_integer("inputs", "order_id")}
    return Call(operation=GET_ORDER, args=args, response=None, save_as="order", next="2")


def _cancel_2(ctx: TaskContext) -> Effect:
    if ctx.text("order", "status") == "delivered":
        return Goto("2.then.1")
    return Goto("3")


def _cancel_2_then_1(ctx: TaskContext) -> Effect:
    message = ctx.format("Order ", ctx.integer("order", "id"), " was already delivered.")
    return Respond(message=message, next="2.then.2")


def _cancel_2_then_2(ctx: TaskContext) -> Effect:
    return End(status="done")


def _cancel_3(ctx: TaskContext) -> Effect:
    message = ctx.format("Cancel order ", ctx.integer("order", "id"), "?")
    return Confirm(message=message, next="4", declined=None)


def _cancel_4(ctx: TaskContext) -> Effect:
    args = {"orderId": ctx.need_integer("order", "id")}
    return Call(operation=DELETE_ORDER, args=args, response=None, save_as=None, next="5")


def _cancel_5(ctx: TaskContext) -> Effect:
    return Respond(
        message=ctx.format("Order ", ctx.integer("order", "id"), " is cancelled."), next=None
    )


CANCEL = TaskDefinition(
    name="cancel_order",
    description="Cancel an order.",
    requires="verified",
    inputs=(InputSpec(name="order_id", type="integer"),),
    first="1",
    steps={
        "1": _cancel_1,
        "2": _cancel_2,
        "2.then.1": _cancel_2_then_1,
        "2.then.2": _cancel_2_then_2,
        "3": _cancel_3,
        "4": _cancel_4,
        "5": _cancel_5,
    },
    lines={"1": "agent.yaml:8", "3": "agent.yaml:15", "4": "agent.yaml:16"},
)


def _place_1(ctx: TaskContext) -> Effect:
    return Ask(input="pet_id", prompt="Which pet (its ID)?", next="2")


def _place_2(ctx: TaskContext) -> Effect:
    args = {"petId": ctx.need_integer("inputs", "pet_id")}
    return Call(operation=GET_PET, args=args, response=None, save_as="pet", next="3",
                on_error="2.error.1")  # fmt: skip


def _place_2_error_1(ctx: TaskContext) -> Effect:
    return Respond(
        message=ctx.format("No such pet: ", ctx.text("error", "message")), next="2.error.2"
    )


def _place_2_error_2(ctx: TaskContext) -> Effect:
    return End(status="failed")


def _place_3(ctx: TaskContext) -> Effect:
    if ctx.text("pet", "status") != "available":
        return Goto("3.then.1")
    return Goto("4")


def _place_3_then_1(ctx: TaskContext) -> Effect:
    return Handoff(reason=ctx.format(ctx.text("pet", "name"), " is not available"))


def _place_4(ctx: TaskContext) -> Effect:
    return Ask(input="quantity", prompt="How many?", next="5")


def _place_5(ctx: TaskContext) -> Effect:
    return SetValues(values={"total": ctx.need_integer("inputs", "quantity") * 10}, next="6")


def _place_6(ctx: TaskContext) -> Effect:
    message = ctx.format(
        "Order ", ctx.integer("inputs", "quantity"), " for ", ctx.value("total"), "?"
    )
    return Confirm(message=message, next="7", declined="6.no.1")


def _place_6_no_1(ctx: TaskContext) -> Effect:
    return Respond(message="Maybe another time.", next="6.no.2")


def _place_6_no_2(ctx: TaskContext) -> Effect:
    return End(status="cancelled")


def _place_7(ctx: TaskContext) -> Effect:
    args = {"petId": ctx.need_integer("pet", "id"), "quantity": ctx.integer("inputs", "quantity")}
    return Call(operation=PLACE_ORDER, args=args, response=None, save_as="order", next="8")


def _place_8(ctx: TaskContext) -> Effect:
    return Respond(
        message=ctx.format("Your order number is ", ctx.integer("order", "id"), "."), next=None
    )


PLACE = TaskDefinition(
    name="place_order",
    description="Order a pet.",
    requires="anyone",
    inputs=(
        InputSpec(name="pet_id", type="integer", required=False, minimum=1),
        InputSpec(name="quantity", type="integer", required=False, minimum=1, maximum=5),
    ),
    first="1",
    steps={
        "1": _place_1,
        "2": _place_2,
        "2.error.1": _place_2_error_1,
        "2.error.2": _place_2_error_2,
        "3": _place_3,
        "3.then.1": _place_3_then_1,
        "4": _place_4,
        "5": _place_5,
        "6": _place_6,
        "6.no.1": _place_6_no_1,
        "6.no.2": _place_6_no_2,
        "7": _place_7,
        "8": _place_8,
    },
)

TASKS = {"cancel_order": CANCEL, "place_order": PLACE}
CUSTOMER = Identity(username="user1", verified=True)


class FakeClient:
    """Answers like the Petstore; `failures` maps an operation id to errors to raise first."""

    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {
            1: {"id": 1, "petId": 1, "quantity": 2, "status": "placed"},
            3: {"id": 3, "petId": 4, "quantity": 1, "status": "delivered"},
        }
        self.pets = {
            1: {"id": 1, "name": "doggie", "status": "available"},
            4: {"id": 4, "name": "Goldie", "status": "sold"},
        }
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []
        self.failures: dict[str, list[Exception]] = {}
        self.fail_after_send: set[str] = set()

    async def _call(
        self,
        op: OperationSpec,
        args: Mapping[str, object],
        response_type: Any,
        *,
        idempotency_key: str | None = None,
    ) -> Any:
        self.calls.append((op.id, dict(args), idempotency_key))
        pending = self.failures.get(op.id)
        if pending:
            raise pending.pop(0)
        result = self._serve(op, args)
        if op.id in self.fail_after_send:
            self.fail_after_send.discard(op.id)
            raise ApiConnectionError("connection dropped", operation_id=op.id)
        return result

    def _serve(self, op: OperationSpec, args: Mapping[str, Any]) -> Any:
        if op is GET_ORDER or op is DELETE_ORDER:
            order = self.orders.get(args["orderId"])
            if order is None:
                raise NotFoundError("not found", operation_id=op.id, status=404,
                                    description="Order not found")  # fmt: skip
            if op is DELETE_ORDER:
                del self.orders[args["orderId"]]
                return None
            return dict(order)
        if op is GET_PET:
            pet = self.pets.get(args["petId"])
            if pet is None:
                raise NotFoundError("not found", operation_id=op.id, status=404,
                                    description="Pet not found")  # fmt: skip
            return dict(pet)
        order = {"id": 100 + len(self.orders), **args, "status": "placed"}
        self.orders[order["id"]] = order
        return order


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "memory":
        return MemoryStore()
    return SQLiteStore(tmp_path / "runs.db")


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


def _engine(store: Store, client: FakeClient) -> TaskEngine:
    ids = iter(f"run{n}" for n in range(1, 100))
    return TaskEngine(store, client, TASKS, new_id=lambda: next(ids))


def _deletes(client: FakeClient) -> list[tuple[str, dict[str, Any], str | None]]:
    return [call for call in client.calls if call[0] == "deleteOrder"]


async def test_cancel_happy_path(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("cancel_order", {"order_id": 1}, CUSTOMER, "conv1")
    assert turn.status is RunStatus.WAITING_CONFIRMATION
    assert turn.messages == ("Cancel order 1?",)
    assert _deletes(client) == []  # nothing happens before the customer's yes

    done = await engine.resume(turn.run_id, "yes please", CUSTOMER)
    assert done.status is RunStatus.DONE
    assert done.messages == ("Order 1 is cancelled.",)
    assert _deletes(client) == [("deleteOrder", {"orderId": 1}, idempotency_key("run1", "4"))]
    assert 1 not in client.orders

    info = await engine.get(turn.run_id)
    events = [(entry.step, entry.event) for entry in info.history]
    assert events.index(("4", "call")) < events.index(("4", "called"))
    assert events[-1] == (None, "end")
    assert info.history[-1].detail == "done"


async def test_already_delivered_branch(store: Store, client: FakeClient) -> None:
    turn = await _engine(store, client).start("cancel_order", {"order_id": 3}, CUSTOMER)
    assert turn.status is RunStatus.DONE
    assert turn.messages == ("Order 3 was already delivered.",)
    assert _deletes(client) == []


async def test_customer_says_no(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("cancel_order", {"order_id": 1}, CUSTOMER)
    unclear = await engine.resume(turn.run_id, "hmm, what?", CUSTOMER)
    assert unclear.status is RunStatus.WAITING_CONFIRMATION
    assert unclear.messages == ("Please answer yes or no. Cancel order 1?",)
    final = await engine.resume(turn.run_id, "no, keep it", CUSTOMER)
    assert final.status is RunStatus.CANCELLED
    assert _deletes(client) == []
    assert 1 in client.orders


async def test_unknown_order_fails_with_the_api_s_words(store: Store, client: FakeClient) -> None:
    turn = await _engine(store, client).start("cancel_order", {"order_id": 9}, CUSTOMER)
    assert turn.status is RunStatus.FAILED
    assert "Order not found" in turn.messages[0]


async def test_verified_tasks_refuse_anonymous_and_other_customers(
    store: Store, client: FakeClient
) -> None:
    engine = _engine(store, client)
    with pytest.raises(TaskError, match="verified"):
        await engine.start("cancel_order", {"order_id": 1}, None)
    turn = await engine.start("cancel_order", {"order_id": 1}, CUSTOMER)
    with pytest.raises(TaskError, match="another customer"):
        await engine.resume(turn.run_id, "yes", Identity(username="user2", verified=True))
    assert _deletes(client) == []


async def test_bad_inputs_from_the_model(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    with pytest.raises(TaskError, match="needs the input `order_id`"):
        await engine.start("cancel_order", {}, CUSTOMER)
    with pytest.raises(TaskError, match="whole number"):
        await engine.start("cancel_order", {"order_id": "one"}, CUSTOMER)
    with pytest.raises(TaskError, match="no input"):
        await engine.start("cancel_order", {"order_id": 1, "reason": "x"}, CUSTOMER)
    with pytest.raises(TaskError, match="no task"):
        await engine.start("refund", {}, CUSTOMER)


async def test_place_order_asks_reasks_and_places_once(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    # The model passed an invalid quantity: it is dropped and asked for instead.
    turn = await engine.start("place_order", {"quantity": 9}, None, "conv2")
    assert (turn.status, turn.waiting_for) == (RunStatus.WAITING_INPUT, "input:pet_id")
    assert turn.messages == ("Which pet (its ID)?",)

    turn = await engine.resume(turn.run_id, "the dog, number 1")
    assert turn.waiting_for == "input:quantity"
    turn = await engine.resume(turn.run_id, "seven")
    assert turn.messages == ("That does not look like a whole number. How many?",)
    turn = await engine.resume(turn.run_id, "7")
    assert turn.messages == ("The quantity must be at most 5. How many?",)
    turn = await engine.resume(turn.run_id, "3 please")
    assert (turn.status, turn.messages) == (RunStatus.WAITING_CONFIRMATION, ("Order 3 for 30?",))
    turn = await engine.resume(turn.run_id, "yes")
    assert (turn.status, turn.messages) == (RunStatus.DONE, ("Your order number is 102.",))
    placed = [call for call in client.calls if call[0] == "placeOrder"]
    assert placed == [("placeOrder", {"petId": 1, "quantity": 3}, idempotency_key("run1", "7"))]


async def test_too_many_invalid_answers_hand_off(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("place_order", {}, None)
    for _ in range(3):
        turn = await engine.resume(turn.run_id, "no idea")
    assert turn.status is RunStatus.HANDED_OFF
    assert turn.handoff_reason == "no valid pet_id after several tries"


async def test_declined_branch_and_handoff_and_on_error(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("place_order", {"pet_id": 1, "quantity": 1}, None)
    turn = await engine.resume(turn.run_id, "no")
    assert (turn.status, turn.messages) == (RunStatus.CANCELLED, ("Maybe another time.",))

    turn = await engine.start("place_order", {"pet_id": 4}, None)
    assert (turn.status, turn.handoff_reason) == (RunStatus.HANDED_OFF, "Goldie is not available")

    turn = await engine.start("place_order", {"pet_id": 8}, None)
    assert turn.status is RunStatus.FAILED
    assert turn.messages[0].startswith("No such pet: The service answered 404")


async def test_runs_are_listed_and_inspected(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    first = await engine.start("cancel_order", {"order_id": 1}, CUSTOMER, "conv1")
    await engine.start("place_order", {}, None, "conv2")
    runs = await engine.runs()
    assert [(run.id, run.task, run.status) for run in runs] == [
        ("run1", "cancel_order", RunStatus.WAITING_CONFIRMATION),
        ("run2", "place_order", RunStatus.WAITING_INPUT),
    ]
    waiting = await engine.waiting_run("conv1")
    assert waiting is not None and waiting.id == first.run_id
    assert (waiting.step, waiting.where, waiting.waiting_for) == (
        "3",
        "agent.yaml:15",
        "confirmation",
    )
    assert waiting.variables["order"]["status"] == "placed"
    assert [run.id for run in await engine.runs("conv2")] == ["run2"]
    cancelled = await engine.cancel("run2")
    assert cancelled.status is RunStatus.CANCELLED
    with pytest.raises(TaskError, match="already cancelled"):
        await engine.resume("run2", "1")


async def _crash_between_record_and_outcome(store: Store, client: FakeClient, op: str) -> str:
    """Run until the customer confirmed, then die after `op` was recorded and sent."""

    class Crash(BaseException):
        pass

    def die(*_args: object, **_kwargs: object) -> None:
        raise Crash

    engine = _engine(store, client)
    turn = await engine.start("cancel_order", {"order_id": 1}, CUSTOMER)
    original = client._serve

    def serve_then_die(op_spec: OperationSpec, args: Mapping[str, Any]) -> Any:
        result = original(op_spec, args)
        if op_spec.id == op:
            die()
        return result

    client._serve = serve_then_die  # type: ignore[method-assign,assignment]
    with pytest.raises(Crash):
        await engine.resume(turn.run_id, "yes", CUSTOMER)
    client._serve = original  # type: ignore[method-assign]
    return turn.run_id


async def test_recover_retries_an_idempotent_call_with_the_same_key(
    store: Store, client: FakeClient
) -> None:
    run_id = await _crash_between_record_and_outcome(store, client, "deleteOrder")
    info = await _engine(store, client).get(run_id)
    assert info.status is RunStatus.RUNNING and info.step == "4"

    turn = await _engine(store, client).recover(run_id)
    # The retried DELETE finds nothing left to delete: the first attempt did it.
    assert (turn.status, turn.messages) == (RunStatus.DONE, ("Order 1 is cancelled.",))
    keys = {key for _, _, key in _deletes(client)}
    assert len(_deletes(client)) == 2 and keys == {idempotency_key(run_id, "4")}


async def test_recover_hands_off_an_unsafe_call_in_doubt(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("place_order", {"pet_id": 1, "quantity": 1}, None)

    class Crash(BaseException):
        pass

    client.failures["placeOrder"] = [Crash()]  # type: ignore[list-item]
    with pytest.raises(Crash):
        await engine.resume(turn.run_id, "yes")
    recovered = await _engine(store, client).recover(turn.run_id)
    assert recovered.status is RunStatus.HANDED_OFF
    assert recovered.handoff_reason is not None and "not safe" in recovered.handoff_reason
    assert len([call for call in client.calls if call[0] == "placeOrder"]) == 1


async def test_unknown_outcome_in_process(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("cancel_order", {"order_id": 1}, CUSTOMER)
    client.fail_after_send.add("deleteOrder")
    turn = await engine.resume(turn.run_id, "yes", CUSTOMER)
    assert turn.status is RunStatus.DONE  # retried once with the same key, 404 means done
    assert {key for _, _, key in _deletes(client)} == {idempotency_key(turn.run_id, "4")}

    turn = await engine.start("place_order", {"pet_id": 1, "quantity": 1}, None)
    client.fail_after_send.add("placeOrder")
    turn = await engine.resume(turn.run_id, "yes")
    assert turn.status is RunStatus.HANDED_OFF
    assert len([call for call in client.calls if call[0] == "placeOrder"]) == 1


async def test_a_stale_worker_cannot_advance_a_run(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("cancel_order", {"order_id": 1}, CUSTOMER)
    stale = await store.get("task_run", turn.run_id)
    assert stale is not None
    await engine.resume(turn.run_id, "yes", CUSTOMER)
    # A second worker that loaded the run before the first one advanced it cannot save.
    with pytest.raises(TaskError, match="another worker"):
        await engine._save(RunRecord.from_json(stale.value), stale.version)


# --- reading answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "text", "value"),
    [
        (InputSpec(name="n", type="integer"), "it's order 12, thanks", 12),
        (InputSpec(name="n", type="integer"), "-3", -3),
        (InputSpec(name="x", type="number"), "about 2.5 kg", 2.5),
        (
            InputSpec(name="e", format="email"),
            "Mail me at Ann@Example.com please",
            "Ann@Example.com",
        ),
        (InputSpec(name="p", enum=("basic", "pro")), "The PRO plan", "pro"),
        (InputSpec(name="p", enum=("basic", "pro")), "basic", "basic"),
        (InputSpec(name="c", pattern=r"[A-Z]{2}\d{3}"), "AB123", "AB123"),
        (InputSpec(name="b", type="boolean"), "yes", True),
    ],
)
def test_answers_are_read_from_sentences(spec: InputSpec, text: str, value: object) -> None:
    assert parse_answer(spec, text) == value


@pytest.mark.parametrize(
    ("spec", "text", "reason"),
    [
        (InputSpec(name="n", type="integer"), "12 or 13", "more than one"),
        (InputSpec(name="n", type="integer"), "1.5", "whole number"),
        (InputSpec(name="n", type="integer", minimum=1), "0", "at least 1"),
        (InputSpec(name="e", format="email"), "ann at example", "email address"),
        (InputSpec(name="p", enum=("basic", "pro")), "basic or pro?", "choose one of"),
        (InputSpec(name="c", pattern=r"[A-Z]{2}\d{3}"), "AB12", "not a valid"),
        (InputSpec(name="s", max_length=3), "abcd", "at most 3 characters"),
        (InputSpec(name="s"), "   ", "did not get an answer"),
    ],
)
def test_bad_answers_say_why(spec: InputSpec, text: str, reason: str) -> None:
    with pytest.raises(InvalidAnswer, match=reason):
        parse_answer(spec, text)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Yes", True),
        ("yes please, go ahead", True),
        ("ok", True),
        ("No.", False),
        ("nope, keep it", False),
        ("please don't", False),
        ("what does that mean?", None),
        ("Yes, cancel it.", None),  # two intents: asked again (see test_judge)
        ("No, don't cancel it", False),
        ("I'd rather not cancel", None),
    ],
)
def test_yes_or_no(text: str, answer: bool | None) -> None:
    assert yes_or_no(text) is answer


async def test_the_customer_can_stop_while_asked(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("place_order", {}, None, "conv9")
    assert await engine.handle("conv9", "Never mind.") == turn.__class__(
        run_id=turn.run_id,
        task="place_order",
        status=RunStatus.CANCELLED,
        messages=("All right, I have stopped.",),
    )
    assert await engine.handle("conv9", "hello") is None  # nothing waits any more


async def test_offered_tools_depend_on_the_identity(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    assert [tool["name"] for tool in engine.offered(None)] == ["place_order"]
    names = [tool["name"] for tool in engine.offered(CUSTOMER)]
    assert names == ["cancel_order", "place_order"]
    assert engine.offered(CUSTOMER)[0]["input_schema"]["required"] == ["order_id"]


async def test_host_buttons_confirm_or_decline(store: Store, client: FakeClient) -> None:
    engine = _engine(store, client)
    turn = await engine.start("cancel_order", {"order_id": 1}, CUSTOMER)
    with pytest.raises(TaskError, match="belongs to another customer"):
        await engine.confirm(turn.run_id, True, None)
    done = await engine.confirm(turn.run_id, True, CUSTOMER)
    assert done.status is RunStatus.DONE and len(_deletes(client)) == 1
    with pytest.raises(TaskError, match="not waiting"):
        await engine.confirm(turn.run_id, False, CUSTOMER)
