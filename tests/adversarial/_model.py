"""A scripted model that plays the attacker, keyed by what the customer said.

The shared `FakeOpenAI` plays a fixed queue of answers; an attack script written that way would
break as soon as the fixed runtime takes one round more or less (asks the model once more after
a refusal, or runs a confirmed action itself). `AttackerModel` instead looks at each request:
it finds the customer message the turn answers (the last user message that is a key of its
plan) and plays that message's rounds in order, one per model request in the turn; rounds it
has no script for are a harmless "All right.". Instruction steps of tasks (requests that offer
`finish_step`) get their own script. Every request is recorded, so a test can search all that
reached the model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from tests.support.fake_openai import FakeOpenAI, ToolCall, Turn, call, calls, say

__all__ = ["AttackerModel", "Turn", "call", "calls", "say"]

Rounds = list[Turn] | Callable[[dict[str, Any]], Turn]
FINISH_TOOL = "finish_step"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


class AttackerModel(FakeOpenAI):
    """`plan` maps a customer message to the model's rounds in the turn it starts."""

    def __init__(self) -> None:
        super().__init__()
        self.plan: dict[str, Rounds] = {}
        self.instruct: list[Turn] = []
        self._holds: dict[tuple[str, int], threading.Event] = {}
        self.reached: dict[tuple[str, int], threading.Event] = {}

    def reset(self) -> None:
        """Forget the plan and the requests (the suite shares one server across tests)."""
        with self._lock:
            self.requests.clear()
            self.script.clear()
            self.plan.clear()
            self.instruct.clear()
            self._holds.clear()
            self.reached.clear()

    def on(self, message: str, *rounds: Turn) -> None:
        self.plan[message] = list(rounds)

    def hold(self, message: str, round_number: int) -> threading.Event:
        """Make the answer to `message`'s round wait until the returned event is set; the
        round's request is marked in `reached` when it arrives."""
        release = threading.Event()
        self._holds[(message, round_number)] = release
        self.reached[(message, round_number)] = threading.Event()
        return release

    # --- what reached the model ------------------------------------------------------------

    def everything(self) -> str:
        """Every request the model received, as one JSON text (for leak searches)."""
        return json.dumps(self.requests, ensure_ascii=False)

    def system_text(self, request: int = -1) -> str:
        return "\n".join(
            _text(m.get("content")) for m in self.messages(request) if m["role"] == "system"
        )

    def tool_names(self, request: int = -1) -> set[str]:
        return set(self.tools(request))

    def agent_requests(self) -> list[int]:
        """Indexes of the agent loop's requests (not instruction steps')."""
        return [
            i
            for i, body in enumerate(self.requests)
            if FINISH_TOOL not in {t["function"]["name"] for t in body.get("tools", [])}
        ]

    # --- playing ---------------------------------------------------------------------------

    def _anchor(self, messages: list[Mapping[str, Any]]) -> tuple[str | None, int]:
        for index in range(len(messages) - 1, -1, -1):
            message = messages[index]
            if message.get("role") != "user":
                continue
            text = _text(message.get("content")).strip()
            key = text if text in self.plan else None
            if key is None:  # a wrapped message: the longest key it contains
                inside = [k for k in self.plan if k and k in text]
                key = max(inside, key=len) if inside else None
            if key is not None:
                after = messages[index + 1 :]
                return key, sum(1 for m in after if m.get("role") == "assistant")
        return None, 0

    def _choose(self, body: dict[str, Any]) -> tuple[Turn, tuple[str, int] | None]:
        offered = {t["function"]["name"] for t in body.get("tools", [])}
        messages = body.get("messages", [])
        if FINISH_TOOL in offered:
            done = sum(1 for m in messages if m.get("role") == "assistant")
            if done < len(self.instruct):
                return self.instruct[done], None
            return say("Done."), None
        key, round_number = self._anchor(messages)
        if key is None:
            return say("All right."), None
        rounds = self.plan[key]
        if callable(rounds):
            return rounds(body), (key, round_number)
        if round_number < len(rounds):
            return rounds[round_number], (key, round_number)
        return say("All right."), (key, round_number)

    def choose(self, body: dict[str, Any]) -> Turn:
        with self._lock:
            turn, where = self._choose(body)
        if where is not None and where in self._holds:
            self.reached[where].set()
            self._holds[where].wait(10)  # each request has its own server thread
        return turn


def finish(**values: Any) -> Turn:
    """An instruction step's last round: `finish_step` with the step's output."""
    return Turn(calls=(ToolCall(FINISH_TOOL, values),))
