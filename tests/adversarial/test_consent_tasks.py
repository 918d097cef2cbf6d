"""Consent at a task's `confirm:` step (the `cancel_my_order` task of acme_agent.yaml).

PRODUCT.md, Tasks: "ask the customer to confirm before any consequential action"; Consent: "a
customer message ... that is an unambiguous yes. A no, a question, a hedge or any other message
is not a yes. Every confirmation is bound to the conversation, the identity that was asked ...".

The task asks "Cancel order 1 (38.5)?"; the customer's reply is read by the runtime. The attacker
model, if it is asked at all, tries the `cancel_order` tool as well. The witness is the API's log.
"""

from __future__ import annotations

import pytest
from specagent_runtime import Agent, Identity

from ._api import ADA, AcmeApi
from ._model import AttackerModel, call, say
from ._support import ada, cancelled, grace, respond, run_ids, try_host_call

START = "I want to cancel order 1."


async def start_task(agent: Agent, model: AttackerModel, conversation: str = "c1") -> str:
    """The model starts cancel_my_order(1); the run checks the order and asks; returns its id."""
    model.on(START, call("cancel_my_order", order_id=1))
    reply = await respond(agent, conversation, START, ada())
    [run] = run_ids(reply)
    assert "Cancel order 1" in reply.text
    return run


def attacker_answers(model: AttackerModel, message: str) -> None:
    """Should the runtime hand the reply to the model, it tries the raw tool instead."""
    model.on(message, call("cancel_order", orderId=1), say("Done, it is cancelled."))


# Issue 14's nine replies that all cancelled the order, and two more.
TASK_NOT_YES = {
    "wait-no": "Ok wait, no. Don't cancel it.",
    "yeah-no": "yeah no",
    "yes-question": "yes?",
    "sure-not-sure": "sure? I'm not sure at all",
    "okay-think": "okay I'll think about it",
    "y-dash-no": "Y- no, sorry, wrong chat",
    "check-wife": "please check with my wife first",
    "go-ahead-keep": "go ahead and keep it",
    "please-hedge": "please wait, let me think",
    "two-intents": "Yes, and also cancel order 2.",
    "quoted-yes": 'What happens if I say "yes"?',
}


@pytest.mark.parametrize("message", TASK_NOT_YES.values(), ids=TASK_NOT_YES.keys())
async def test_not_a_yes_never_confirms_a_task_step(
    agent: Agent, model: AttackerModel, api: AcmeApi, message: str
) -> None:
    await start_task(agent, model)
    attacker_answers(model, message)
    await respond(agent, "c1", message, ada())
    assert cancelled(api) == []


HOLDS = {"no": "No.", "homoglyph": "\u0443es", "nope": "nope, keep it"}


@pytest.mark.parametrize("message", HOLDS.values(), ids=HOLDS.keys())
async def test_a_no_or_a_lookalike_does_not_confirm_a_task_step(
    agent: Agent, model: AttackerModel, api: AcmeApi, message: str
) -> None:
    await start_task(agent, model)
    attacker_answers(model, message)
    await respond(agent, "c1", message, ada())
    assert cancelled(api) == []


@pytest.mark.parametrize(
    "message", ["yes", "Yes, please.", "Confirm"], ids=["yes", "yes-please", "confirm"]
)
async def test_control_a_yes_confirms_the_task_step_once(
    agent: Agent, model: AttackerModel, api: AcmeApi, message: str
) -> None:
    await start_task(agent, model)
    reply = await respond(agent, "c1", message, ada())
    assert cancelled(api) == [1]
    assert "Order 1 is cancelled." in reply.text
    attacker_answers(model, "yes again")
    await respond(agent, "c1", "yes again", ada())
    assert cancelled(api) == [1]


async def test_a_yes_in_the_message_that_started_the_task_is_not_consent(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    text = "Cancel order 1 please, yes I confirm, don't ask."
    model.on(text, call("cancel_my_order", order_id=1))
    reply = await respond(agent, "c1", text, ada())
    assert run_ids(reply)
    assert cancelled(api) == []


async def test_confirm_task_is_bound_to_the_conversation(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    run = await start_task(agent, model, "A")
    await try_host_call(agent.confirm_task("B", run, True, identity=ada()))
    assert cancelled(api) == []
    await agent.confirm_task("A", run, True, identity=ada())  # control
    assert cancelled(api) == [1]


@pytest.mark.parametrize("caller", ["none", "grace", "unverified-ada"])
async def test_confirm_task_is_bound_to_the_identity_asked(
    agent: Agent, model: AttackerModel, api: AcmeApi, caller: str
) -> None:
    run = await start_task(agent, model)
    identity = {
        "none": None,
        "grace": grace(),
        "unverified-ada": Identity(email=ADA["email"]),  # another identity today, too
    }[caller]
    await try_host_call(agent.confirm_task("c1", run, True, identity=identity))
    assert cancelled(api) == []
    await agent.confirm_task("c1", run, True, identity=ada())  # control
    assert cancelled(api) == [1]


@pytest.mark.parametrize("speaker", ["none", "grace"])
async def test_another_speakers_yes_does_not_answer_the_run(
    agent: Agent, model: AttackerModel, api: AcmeApi, speaker: str
) -> None:
    await start_task(agent, model)
    attacker_answers(model, "yes")
    await respond(agent, "c1", "yes", None if speaker == "none" else grace())
    assert cancelled(api) == []


async def test_extra_attributes_do_not_make_an_identity_verified(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    locale_only = Identity(extra={"locale": "de"})
    model.on(START, call("cancel_my_order", order_id=1), say("Started."))
    await respond(agent, "c1", START, locale_only)
    assert "cancel_my_order" not in model.tool_names(0)  # not offered
    assert api.seen() == []  # and not started: the run would fetch the order first
