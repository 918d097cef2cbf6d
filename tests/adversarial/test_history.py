"""History follows identity: what one identity saw is not shown to another speaker.

PRODUCT.md, Identity: "what one identity saw is not shown to another speaker". Issue 14: "when
the speaker's identity changes or disappears within a conversation, identity-bound results from
earlier turns are not shown to the new speaker."

The attack: a shared device or a hijacked chat widget. Ada (verified) reads her account; later
in the same conversation someone unverified, or Grace, asks what the account says. The witness
is every request the model received after the speaker changed.
"""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from specagent_runtime import Agent, Identity

from ._api import ADA, AcmeApi
from ._model import AttackerModel, call, say
from ._support import ada, grace, respond
from .conftest import MakeAgent

READ = "Show me my account."
ASK = "What is the phone number on the account?"
ADAS = (ADA["phone"], ADA["email"], ADA["name"])


async def ada_reads_her_account(
    agent: Agent, model: AttackerModel, conversation: str, reply: str = "Here it is."
) -> None:
    model.on(READ, call("get_my_account", {}), say(reply))
    await respond(agent, conversation, READ, ada())


async def later_speaker_asks(
    agent: Agent, model: AttackerModel, conversation: str, speaker: Identity | None
) -> str:
    """What the model was shown in the turn of the next speaker."""
    before = len(model.requests)
    model.on(ASK, say("Let me check."))
    await respond(agent, conversation, ASK, speaker)
    return json.dumps(model.requests[before:], ensure_ascii=False)


SPEAKERS = {"unverified": None, "another-customer": "grace"}


@pytest.mark.parametrize("speaker", SPEAKERS.values(), ids=SPEAKERS.keys())
async def test_earlier_results_are_not_shown_to_a_new_speaker(
    agent: Agent, model: AttackerModel, api: AcmeApi, speaker: str | None
) -> None:
    await ada_reads_her_account(agent, model, "control")
    shown = await later_speaker_asks(agent, model, "control", ada())
    assert ADA["phone"] in shown  # the witness: Ada herself still sees her history
    await ada_reads_her_account(agent, model, "c1")
    shown = await later_speaker_asks(agent, model, "c1", grace() if speaker else None)
    assert [value for value in ADAS if value in shown] == []


async def test_what_the_agent_told_ada_is_not_shown_to_a_new_speaker(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    await ada_reads_her_account(agent, model, "c1", f"Your phone number is {ADA['phone']}.")
    shown = await later_speaker_asks(agent, model, "c1", None)
    assert ADA["phone"] not in shown


async def test_context_is_not_shown_to_a_new_speaker(
    ctx: ModuleType, make_agent: MakeAgent, model: AttackerModel, api: AcmeApi
) -> None:
    agent = make_agent(ctx)
    model.on("Hi!", say("Hello!"))
    await respond(agent, "c1", "Hi!", ada())
    assert ADA["phone"] in model.everything()  # the witness: the context was given to Ada
    shown = await later_speaker_asks(agent, model, "c1", None)
    assert ADA["phone"] not in shown
