"""A simulated customer: a second model plays the customer of a scenario against the agent.

As in tau-bench, the customer model gets the scenario (what they want, what they know, how they
behave) and the conversation so far from its own side: the agent's messages are what it is
told, its own are what it said. It writes one message at a time and ends the conversation with
`STOP` once its goal is met or clearly cannot be. Whether the agent did the job is judged by
the test's end-state assertions on the API, not by this model.
"""

from __future__ import annotations

from typing import Any

from specagent_runtime._agent.anthropic import as_chat_client
from specagent_runtime.testing._schema import Scenario

__all__ = ["STOP", "SimulatedCustomer", "customer_prompt"]

STOP = "###DONE###"
OPENING = "(The support chat opens. Write your first message to the support agent.)"

_PROMPT = """\
You are role-playing a customer who contacts the support team of a company through its chat. \
You are the customer, not the assistant: never offer help, never describe what the agent \
should do, never mention that you are simulated.

Your goal: {goal}

What you know (share it only when the agent asks or it is needed): {knows}

How you behave: {behaviour}

Write only your next chat message, short, in the first person. When your goal has been \
reached, or the agent clearly cannot reach it, or you were told a colleague will take over, \
answer with exactly {stop} and nothing else."""


def customer_prompt(scenario: Scenario) -> str:
    return _PROMPT.format(
        goal=scenario.goal.strip(),
        knows=scenario.knows.strip() or "nothing beyond your goal",
        behaviour=scenario.behaviour.strip() or "polite and cooperative; you answer questions",
        stop=STOP,
    )


class SimulatedCustomer:
    """The customer's side of one simulated conversation; `client` is any chat-completions
    client (an `openai.AsyncOpenAI`, or an `anthropic.AsyncAnthropic`, adapted)."""

    def __init__(self, client: Any, model: str, scenario: Scenario) -> None:
        self._client = as_chat_client(client)
        self.model = model
        self.scenario = scenario
        # From the customer's side: the agent speaks as "user", the customer as "assistant".
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": customer_prompt(scenario)},
            {"role": "user", "content": OPENING},
        ]

    async def opening(self) -> str | None:
        """The first message: the scenario's own, or the model's."""
        if self.scenario.first_message:
            self.messages.append({"role": "assistant", "content": self.scenario.first_message})
            return self.scenario.first_message
        return await self._next()

    async def answer(self, agent_text: str) -> str | None:
        """The customer's reply to the agent's message; None when the customer is done."""
        self.messages.append({"role": "user", "content": agent_text or "(no answer)"})
        return await self._next()

    async def _next(self) -> str | None:
        completion = await self._client.chat.completions.create(
            model=self.model, messages=self.messages
        )
        text = str(completion.choices[0].message.content or "").strip()
        if not text or STOP in text:
            return None
        self.messages.append({"role": "assistant", "content": text})
        return text
