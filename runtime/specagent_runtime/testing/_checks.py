"""What a turn (or a whole conversation) must show: requests, events, tool calls, the reply.

Each expectation is a small frozen pattern with `problem(...) -> str | None`: the reason it does
not hold, in words a developer reads in a CI log, or None. The Python harness's `expect_*`
methods and the test files' runner use the same patterns, so both report the same messages.
The consent check lives here too: no consequential request without a confirmation in its turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specagent_runtime._events import (
    ConfirmationExecuted,
    ConfirmationRequested,
    Event,
    TaskFinished,
    TaskWaiting,
    ToolCalled,
)
from specagent_runtime.testing._match import same_scalar, show, subset, text_problem
from specagent_runtime.testing._recorder import ApiRequest

__all__ = [
    "EVENT_KINDS",
    "EventPattern",
    "ReplyCheck",
    "RequestPattern",
    "ToolPattern",
    "consent_problems",
]

# Event kinds a test may name, and their fields (as `Event.to_json` writes them).
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "tool_called": ("tool", "arguments", "status", "error"),
    "confirmation_requested": ("action_id", "tool", "summary"),
    "confirmation_executed": ("action_id", "tool", "ok", "by"),
    "handoff_requested": ("reason",),
    "task_started": ("run_id", "task"),
    "task_waiting": ("run_id", "task", "waiting_for"),
    "task_finished": ("run_id", "task", "status"),
}
# Free-text fields: matched by "contains", case-insensitively.
_TEXT_FIELDS = frozenset({"summary", "reason", "error"})


@dataclass(frozen=True, slots=True)
class RequestPattern:
    """A request the agent made (or must not make): any of these that are given must match.

    `path` is the path under the base URL, literally (``/orders/1002/cancel``) or with
    ``{name}`` or ``*`` for one segment (``/orders/*/cancel``); `body` and `query` are subsets."""

    operation: str | None = None
    method: str | None = None
    path: str | None = None
    path_params: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    status: int | None = None

    def describe(self) -> str:
        parts = []
        if self.method or self.path:
            parts.append(" ".join(p for p in (self.method, self.path) if p))
        if self.operation:
            parts.append(f"({self.operation})" if parts else self.operation)
        for label, value in (
            ("path_params", self.path_params),
            ("query", self.query),
            ("body", self.body),
        ):
            if value:
                parts.append(f"{label} {show(value, 60)}")
        if self.status is not None:
            parts.append(f"-> {self.status}")
        return " ".join(parts) or "any request"

    def problem(self, request: ApiRequest) -> str | None:
        """Why `request` is not this one, or None."""
        if self.operation is not None and request.operation != self.operation:
            return f"operation {request.operation or 'unknown'}, not {self.operation}"
        if self.method is not None and request.method != self.method.upper():
            return f"method {request.method}, not {self.method.upper()}"
        if self.path is not None and not _path_matches(self.path, request.path):
            return f"path {request.path}, not {self.path}"
        for label, expected, actual in (
            ("path_params", self.path_params, request.path_params),
            ("query", self.query, request.query),
        ):
            if expected:
                found = subset(dict(expected), dict(actual), label, loose=True)
                if found is not None:
                    return found
        if self.body is not None:
            found = subset(self.body, request.body, "body")
            if found is not None:
                return found
        if self.status is not None and request.status != self.status:
            return f"status {request.status}, not {self.status}"
        return None

    def matches(self, request: ApiRequest) -> bool:
        return self.problem(request) is None


def _path_matches(pattern: str, path: str) -> bool:
    if "{" not in pattern and "*" not in pattern:
        return pattern.rstrip("/") == path.rstrip("/")
    parts = re.split(r"(\{[^}]*\}|\*)", pattern)
    regex = "".join("[^/]+" if p == "*" or p.startswith("{") else re.escape(p) for p in parts)
    return re.fullmatch(regex + "/?", path) is not None


def missing_requests(
    expected: Sequence[RequestPattern], requests: Sequence[ApiRequest], where: str
) -> str | None:
    """The first expected request not made (in order: each after the one before)."""
    position = 0
    for pattern in expected:
        index = next(
            (i for i in range(position, len(requests)) if pattern.matches(requests[i])), None
        )
        if index is None:
            made = []
            for request in requests[:6]:
                close = pattern.operation in (None, request.operation)
                why = pattern.problem(request) if close else None
                made.append(request.describe() + (f" [{why}]" if why else ""))
            more = f"; and {len(requests) - 6} more" if len(requests) > 6 else ""
            return (
                f"expected the request {pattern.describe()} {where}, not made; made: "
                f"{'; '.join(made) or 'none'}{more}"
            )
        position = index + 1
    return None


def forbidden_requests(
    patterns: Sequence[RequestPattern], requests: Sequence[ApiRequest], where: str
) -> str | None:
    for pattern in patterns:
        made = [r for r in requests if pattern.matches(r)]
        if made:
            return (
                f"the request {pattern.describe()} must not be made {where}: {made[0].describe()}"
            )
    return None


def count_problem(
    pattern: RequestPattern, count: int, requests: Sequence[ApiRequest], where: str
) -> str | None:
    made = [r for r in requests if pattern.matches(r)]
    if len(made) == count:
        return None
    return f"expected {count} request(s) {pattern.describe()} {where}, made {len(made)}"


@dataclass(frozen=True, slots=True)
class EventPattern:
    """An event of this kind whose named fields match (text fields: contains)."""

    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind} {show(dict(self.fields))}" if self.fields else self.kind

    def matches(self, event: Event) -> bool:
        if event.kind != self.kind:
            return False
        data = event.to_json()
        for name, expected in self.fields.items():
            actual = data.get(name)
            if name in _TEXT_FIELDS and isinstance(expected, str):
                if not isinstance(actual, str) or expected.casefold() not in actual.casefold():
                    return False
            elif isinstance(expected, Mapping):
                if subset(expected, actual) is not None:
                    return False
            elif not same_scalar(expected, actual, loose=True):
                return False
        return True


def describe_events(events: Iterable[Event]) -> str:
    shown = []
    for event in events:
        data = event.to_json()
        data.pop("kind", None)
        for noisy in ("run_id", "action_id"):
            data.pop(noisy, None)
        shown.append(f"{event.kind} {show(data, 70)}")
    return "; ".join(shown) or "none"


def missing_events(
    expected: Sequence[EventPattern], events: Sequence[Event], where: str
) -> str | None:
    for pattern in expected:
        if not any(pattern.matches(event) for event in events):
            return (
                f"expected the event {pattern.describe()} {where}; "
                f"events: {describe_events(events)}"
            )
    return None


def forbidden_events(
    patterns: Sequence[EventPattern], events: Sequence[Event], where: str
) -> str | None:
    for pattern in patterns:
        found = next((e for e in events if pattern.matches(e)), None)
        if found is not None:
            shown = describe_events([found])
            return f"the event {pattern.describe()} must not happen {where}: {shown}"
    return None


@dataclass(frozen=True, slots=True)
class ToolPattern:
    """A tool call the model made: its name, a subset of its arguments, its status."""

    name: str
    arguments: Mapping[str, Any] | None = None
    status: str | None = None

    def describe(self) -> str:
        args = f"({show(dict(self.arguments), 60)})" if self.arguments else ""
        return f"{self.name}{args}" + (f" -> {self.status}" if self.status else "")

    def matches(self, event: ToolCalled) -> bool:
        if event.tool != self.name:
            return False
        if self.arguments is not None and subset(dict(self.arguments), dict(event.arguments)):
            return False
        return self.status is None or event.status == self.status


def missing_tools(
    expected: Sequence[ToolPattern], called: Sequence[ToolCalled], where: str
) -> str | None:
    for pattern in expected:
        if not any(pattern.matches(event) for event in called):
            made = "; ".join(
                f"{e.tool}({show(dict(e.arguments), 60)}) -> {e.status}" for e in called
            )
            return f"expected the tool call {pattern.describe()} {where}; calls: {made or 'none'}"
    return None


def forbidden_tools(
    patterns: Sequence[ToolPattern], called: Sequence[ToolCalled], where: str
) -> str | None:
    for pattern in patterns:
        if any(pattern.matches(event) for event in called):
            return f"the tool {pattern.describe()} must not be called {where}"
    return None


def not_shown_problem(texts: Sequence[str], requests: Sequence[Mapping[str, Any]]) -> str | None:
    """Why the model saw one of `texts` (in any request body: prompt, tools, tool results)."""
    if not texts:
        return None
    import json  # noqa: PLC0415 - only here

    for index, body in enumerate(requests, 1):
        seen = json.dumps(body, ensure_ascii=False)
        for text in texts:
            if text and text in seen:
                return f"the model was shown {show(text)} (in its request {index} of this turn)"
    return None


@dataclass(frozen=True, slots=True)
class ReplyCheck:
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    matches: str | None = None
    equals: str | None = None

    def problem(self, text: str) -> str | None:
        return text_problem(
            text,
            contains=self.contains,
            not_contains=self.not_contains,
            matches=self.matches,
            equals=self.equals,
        )


ConsentTurn = (
    tuple[int, Sequence[Event], Sequence[ApiRequest]]
    | tuple[int, Sequence[Event], Sequence[ApiRequest], str | None]
)


def consent_problems(
    turns: Sequence[ConsentTurn],
    exempt: Iterable[str] = (),
) -> list[tuple[int, str]]:
    """(turn, problem) for each consequential request (not a read, operation not in `exempt`)
    sent in a turn where nobody confirmed anything: no confirmed action ran in that turn
    (`ConfirmationExecuted`) and no task run was waiting for a confirmation when it began.

    A turn is (number, events, requests), or with a fourth item, the speaker's identity
    fingerprint: a run waits for the answer of the speaker it asked, so another speaker's
    turn neither lets it act nor uses up its question.

    This is the runtime's promise seen from outside (the API's log): a test fails if an action
    reached the API without a confirmation, whatever the model or the script did."""
    allowed = set(exempt)
    waiting: dict[str, str | None] = {}  # run id -> the speaker it asked (None: unknown)
    found: list[tuple[int, str]] = []
    for number, events, requests, *rest in turns:
        speaker: str | None = rest[0] if rest else None
        answering = {
            run for run, asked in waiting.items() if None in (asked, speaker) or asked == speaker
        }
        confirmed_here = any(isinstance(e, ConfirmationExecuted) for e in events)
        for request in requests:
            if not request.unsafe or request.operation in allowed:
                continue
            if request.operation is None and not request.answered:
                continue
            if not (confirmed_here or answering):
                proposed = any(isinstance(e, ConfirmationRequested) for e in events)
                why = " (it was only proposed in this turn)" if proposed else ""
                found.append(
                    (
                        number,
                        f"{request.describe()} reached the API without the customer's "
                        f"confirmation{why}",
                    )
                )
        asked_again = any(
            isinstance(e, TaskWaiting) and e.waiting_for == "confirmation" for e in events
        )
        if answering and not asked_again:
            # The waiting runs took this turn's message (a yes, a no, something else) and moved
            # on, unless one asked again; either way that confirmation is used.
            for run in answering:
                waiting.pop(run, None)
        for event in events:
            if isinstance(event, TaskWaiting):
                if event.waiting_for == "confirmation":
                    waiting[event.run_id] = speaker
                else:
                    waiting.pop(event.run_id, None)
            elif isinstance(event, TaskFinished):
                waiting.pop(event.run_id, None)
    return found
