"""A conversation test file as read: plain frozen records, every one knowing its line.

The file's layout (docs/testing.md has the reference):

    package: shop_agent            # the generated package (found next to the tests' folder)
    api:
      server: server:ShopServer    # optional: `module:callable`, a reference server
      stubs: {getOrder: {body: {...}}}   # answers by operationId (tried before the server)
    identities: {ada: {email: ada@example.com}}
    tests:
      - name: ...
        identity: ada              # a name above, a mapping of fields, or `anonymous`
        turns:                     # or `simulate:` (a second model plays the customer)
          - customer: Please cancel my order.
            model: [{call: cancel_order, with: {...}}]   # scripted mode: the model's answers
            expect: {reply: ..., requests: [...], events: [...], tools: [...]}
        end: {requests: [...], no_requests: [...], count: {...}, state: [...]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from specagent_runtime._identity import Identity
from specagent_runtime.testing._checks import EventPattern, ReplyCheck, RequestPattern, ToolPattern
from specagent_runtime.testing._model import Turn
from specagent_runtime.testing._recorder import Stub

Mode = Literal["scripted", "live"]
MODES: tuple[Mode, ...] = ("scripted", "live")
TurnKind = Literal["customer", "host_confirms", "host_answers_task"]


@dataclass(frozen=True, slots=True)
class Named:
    """A name the file uses (a tool, an operation, an event field), to check against the
    package once it is imported: where it was written and what kind of name it is."""

    name: str
    kind: Literal["tool", "operation", "model_tool"]
    line: int


@dataclass(frozen=True, slots=True)
class Expect:
    reply: ReplyCheck | None = None
    requests: tuple[RequestPattern, ...] = ()
    no_requests: tuple[RequestPattern, ...] = ()
    events: tuple[EventPattern, ...] = ()
    no_events: tuple[EventPattern, ...] = ()
    tools: tuple[ToolPattern, ...] = ()
    no_tools: tuple[ToolPattern, ...] = ()
    not_shown: tuple[str, ...] = ()  # texts the model must not receive (scripted mode)


@dataclass(frozen=True, slots=True)
class TurnSpec:
    """One turn: the customer's message, or a host button (`host_confirms`: the pending action
    of the tool `text`, or the only one when empty; `host_answers_task`: yes/no). An earlier
    turn's `message_id` again is the helpdesk delivering that message twice."""

    kind: TurnKind
    text: str
    line: int
    model: tuple[Turn, ...] = ()
    expect: Expect = field(default_factory=Expect)
    identity: Identity | None = None
    identity_given: bool = False  # False: the test's identity
    approved: bool = True  # host_answers_task
    message_id: str | None = None  # the helpdesk's message id; None: a new one per turn


@dataclass(frozen=True, slots=True)
class StateCheck:
    """After the conversation: call `operation` directly and compare its answer."""

    operation: str
    arguments: Mapping[str, Any]
    line: int
    returns: Any = None  # a subset of the JSON answer
    status: int | None = None  # expected HTTP status when the call fails (404 ...)


@dataclass(frozen=True, slots=True)
class EndExpect:
    requests: tuple[RequestPattern, ...] = ()
    no_requests: tuple[RequestPattern, ...] = ()
    counts: tuple[tuple[RequestPattern, int], ...] = ()
    events: tuple[EventPattern, ...] = ()
    no_events: tuple[EventPattern, ...] = ()
    state: tuple[StateCheck, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class Scenario:
    """A simulated customer: what they want, what they know, how they behave."""

    goal: str
    knows: str = ""
    behaviour: str = ""
    first_message: str | None = None
    max_turns: int = 8


@dataclass(frozen=True, slots=True)
class ConversationTest:
    name: str
    file: Path
    line: int
    identity: Identity | None = None
    turns: tuple[TurnSpec, ...] = ()
    simulate: Scenario | None = None
    end: EndExpect = field(default_factory=EndExpect)
    stubs: Mapping[str, tuple[Stub, ...]] = field(default_factory=dict)
    modes: frozenset[Mode] = frozenset(MODES)
    unconfirmed: tuple[str, ...] = ()  # operations the consent check lets pass

    @property
    def where(self) -> str:
        return f"{self.file.name}:{self.line}"


@dataclass(frozen=True, slots=True)
class TestFile:
    path: Path
    package: str | None
    server: str | None  # "module:callable"
    server_line: int
    tests: tuple[ConversationTest, ...]
    names: tuple[Named, ...] = ()  # checked against the package (see `_resolve`)
    package_line: int = 1

    __test__ = False  # not a pytest test class, whatever its name
