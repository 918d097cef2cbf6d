"""The agent file as read: which operations become tools, how they behave, and the tasks.

Everything here is as written, with the place of every value; names are checked against the
spec later (`specagent.agentfile.check_agent_against_api`, the tasks compiler).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Selection:
    operations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # lower case

    def is_empty(self) -> bool:
        return not (self.operations or self.tags or self.methods)


@dataclass(frozen=True, slots=True)
class ToolOverride:
    operation_id: str
    name: str | None = None
    description: str | None = None
    confirm: bool | None = None
    # parameter (wire name, or flat argument name) -> identity field, e.g. {"email": "email"}
    bind: tuple[tuple[str, str], ...] = ()
    # Response shaping: dotted field paths the model may see (empty: all) and must not see.
    expose: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    where: str = ""  # file:line of the override, for diagnostics


@dataclass(frozen=True, slots=True)
class AgentConfig:
    name: str = ""
    instructions: str = ""
    include: Selection = field(default_factory=Selection)
    exclude: Selection = field(default_factory=Selection)
    overrides: tuple[ToolOverride, ...] = ()
    source: str = ""  # the agent file's name as given, for diagnostics and the manifest
    # Key path ("tools.include.operations[1]") -> "file:line", so checks against the spec can
    # point at the exact entry in the agent file.
    locations: Mapping[str, str] = field(default_factory=dict)


# --- tasks: and context: ----------------------------------------------------------------------


LiteralValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Expression:
    """An expression as written: text to parse, or a YAML number/boolean/null used as is.

    Kept as text until the tasks compiler parses it with `ast`; nothing here is checked
    against the spec yet.
    """

    text: str | None
    value: LiteralValue
    where: str


@dataclass(frozen=True, slots=True)
class InputDecl:
    name: str
    where: str
    type: str = "string"
    description: str = ""
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    format: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class AskStep:
    where: str
    input: str
    prompt: str | None = None
    prompt_where: str = ""


@dataclass(frozen=True, slots=True)
class CallStep:
    where: str
    operation: str
    args: tuple[tuple[str, Expression], ...]
    save_as: str | None = None
    save_where: str = ""
    on_error: tuple[Step, ...] | None = None


@dataclass(frozen=True, slots=True)
class IfStep:
    where: str
    condition: Expression
    then: tuple[Step, ...]
    otherwise: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfirmStep:
    where: str
    message: str
    declined: tuple[Step, ...] | None = None


@dataclass(frozen=True, slots=True)
class RespondStep:
    where: str
    message: str


@dataclass(frozen=True, slots=True)
class SetStep:
    where: str
    values: tuple[tuple[str, Expression], ...]


@dataclass(frozen=True, slots=True)
class HandoffStep:
    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class EndStep:
    where: str
    status: str = "done"


@dataclass(frozen=True, slots=True)
class InstructStep:
    """A step in words for the model (`instruct:`), with the tools it may use and its typed
    `output`, kept `as` a variable like a call's result."""

    where: str
    instruction: str
    tools: tuple[tuple[str, str], ...]  # (tool or operation name, where)
    output: tuple[InputDecl, ...]
    save_as: str
    save_where: str = ""
    max_rounds: int = 4


Step = (
    AskStep
    | CallStep
    | IfStep
    | ConfirmStep
    | RespondStep
    | SetStep
    | HandoffStep
    | EndStep
    | InstructStep
)


@dataclass(frozen=True, slots=True)
class TaskDecl:
    name: str
    where: str
    description: str
    requires: str
    inputs: tuple[InputDecl, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class ContextSource:
    operation: str
    label: str
    where: str


@dataclass(frozen=True, slots=True)
class ContextDecl:
    """The `context:` section: what the agent knows about the verified customer from the start."""

    where: str
    sources: tuple[ContextSource, ...]
    refresh_after: int  # seconds
    max_chars: int  # the size cap of the whole section
