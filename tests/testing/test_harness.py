"""AgentHarness, the kit's Python API: a conversation played turn by turn, assertions that
name the turn, the host's buttons, and reads of the API's end state."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from specagent_runtime.testing import AgentHarness, ScriptedModel, call, make_identity, say

from tests.testing.conftest import PETSTORE

JOHN = make_identity({"username": "user1"})
USER = {"id": 1, "username": "user1", "email": "user1@example.com", "password": "password1"}


@pytest.fixture
def petstore_agent(isolated_imports: None) -> Iterator[str]:
    sys.path.insert(0, str(PETSTORE))
    yield "petstore_agent"


async def test_a_turn_reports_what_it_did_and_asserts_on_it(petstore_agent: str) -> None:
    async with AgentHarness(petstore_agent, stubs={"getUserByName": USER}, identity=JOHN) as h:
        turn = await h.say(
            "What is my email?", model=[call("get_my_account"), say("user1@example.com")]
        )
        assert turn.error is None and turn.text == "user1@example.com"
        request = turn.expect_request(operation="getUserByName", path="/user/user1")
        assert request.status == 200 and request.stubbed
        turn.expect_tool("get_my_account", status="ok")
        turn.expect_not_shown("password1")
        turn.expect_reply("USER1@example.com")  # case-insensitive
        with pytest.raises(
            AssertionError, match=r"^turn 1: the request getUserByName must not be made"
        ):
            turn.expect_no_request(operation="getUserByName")
        with pytest.raises(AssertionError, match=r"^turn 1: expected the event handoff_requested"):
            turn.expect_event("handoff_requested")


async def test_the_host_confirms_a_pending_action(petstore_agent: str) -> None:
    model = ScriptedModel()
    async with AgentHarness(
        petstore_agent, model=model, stubs={"updateUser": None}, identity=JOHN
    ) as h:
        first = await h.say(
            "Change my phone to 555-0199.",
            model=[call("update_my_account", phone="555-0199"), say("Please confirm.")],
        )
        first.expect_event("confirmation_requested", tool="update_my_account")
        first.expect_no_request(operation="updateUser")
        second = await h.host_confirms("update_my_account", model=[say("Done.")])
        second.expect_event("confirmation_executed", by="host")
        second.expect_request(method="PUT", path="/user/user1", body={"phone": "555-0199"})
        assert h.consent_problems() == []
        nothing = await h.host_confirms()
        assert nothing.error == "no pending action to confirm"


async def test_end_state_reads_go_through_the_api_as_turn_0(petstore_agent: str) -> None:
    async with AgentHarness(petstore_agent, stubs={"getUserByName": USER}) as h:
        assert await h.call_operation("getUserByName", {"username": "user1"}) == USER
        assert h.requests == [] and h.recorder.requests[0].turn == 0
        with pytest.raises(ValueError, match="no operation 'nope'"):
            await h.call_operation("nope", {})


async def test_an_anonymous_lookup_has_a_client_key(
    petstore_agent: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The harness says who the visitor is, as a service does: the runtime's warning for a
    service that forgot `client_key` stays out of every anonymous test's transcript."""
    order = {"id": 1, "petId": 1, "quantity": 1, "status": "placed", "complete": False}
    async with AgentHarness(petstore_agent, stubs={"getOrderById": order}) as h:
        turn = await h.say(
            "Where is order 1?",
            model=[call("get_order", {"orderId": 1}), say("Order 1 is placed.")],
        )
        turn.expect_request(operation="getOrderById", path="/store/order/1")
    assert h.client_key == "test-visitor"
    assert not [r for r in caplog.records if "client key" in r.getMessage()]


async def test_a_message_delivered_twice_is_answered_once(petstore_agent: str) -> None:
    """Every turn carries a message id, as a helpdesk's message does; the same id again is a
    redelivery: the stored reply, no model call, no request."""
    order = {"id": 1, "petId": 1, "quantity": 1, "status": "placed", "complete": False}
    async with AgentHarness(petstore_agent, stubs={"getOrderById": order}) as h:
        first = await h.say(
            "Where is order 1?",
            model=[call("get_order", {"orderId": 1}), say("Order 1 is placed.")],
            message_id="zd-101",
        )
        again = await h.say("Where is order 1?", model=[], message_id="zd-101")
        fresh = await h.say("And order 1 again?", model=[say("Still placed.")])
    assert not first.duplicate and first.reply is not None and first.reply.message_id == "zd-101"
    assert again.duplicate and again.text == "Order 1 is placed." and again.requests == ()
    assert again.model_requests == 0
    assert not fresh.duplicate and fresh.text == "Still placed."
