"""The agent file as read: which operations become tools, how they behave, and the tasks.

Everything here is as written, with the place of every value; names are checked against the
spec later (`specagent.agentfile.check_agent_against_api`, the tasks compiler).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from specagent.ir._diagnostic import Location


@dataclass(frozen=True, slots=True)
class Selection:
    operations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # lower case

    def is_empty(self) -> bool:
        return not (self.operations or self.tags or self.methods)


@dataclass(frozen=True, slots=True)
class OwnerDecl:
    """`owner: {field: ..., is: identity.<field>}`: whose a response is, as written."""

    field: str  # dotted path of response field names (the API's), e.g. "customer.email"
    identity_field: str  # the identity field it must equal, e.g. "email"
    where: Location


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
    owner: OwnerDecl | None = None  # the response must belong to the verified customer
    lookup_limit: int | None = None  # calls of this tool per conversation (a lookup budget)
    where: Location | None = None  # the override in the agent file, for diagnostics


@dataclass(frozen=True, slots=True)
class AgentConfig:
    name: str = ""
    instructions: str = ""
    include: Selection = field(default_factory=Selection)
    exclude: Selection = field(default_factory=Selection)
    overrides: tuple[ToolOverride, ...] = ()
    # Hosts other than the API's own that operation servers and token URLs may use: the only
    # way credentials and the customer's data may go anywhere else (lower case, no port).
    allow_hosts: tuple[str, ...] = ()
    # Identity fields beyond the named ones (`identity: {fields: [account_number]}`): the keys
    # of `Identity.extra` the host fills. Naming any other field is an error.
    identity_fields: tuple[str, ...] = ()
    # `limits:` as (name, value) in the runtime's order (`specagent_runtime.Limits`' fields);
    # only the ones the file sets: the runtime's defaults stay the runtime's.
    limits: tuple[tuple[str, int | float], ...] = ()
    source: str = ""  # the agent file's name as given, for diagnostics and the manifest
    # Key path ("tools.include.operations[1]") -> its place, so checks against the spec can
    # point at the exact entry in the agent file.
    locations: Mapping[str, Location] = field(default_factory=dict)


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
    where: Location


@dataclass(frozen=True, slots=True)
class InputDecl:
    name: str
    where: Location
    type: str = "string"
    description: str = ""
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    format: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    labels: tuple[tuple[str, str], ...] = ()  # (enum value, display label)


@dataclass(frozen=True, slots=True)
class AskStep:
    where: Location
    input: str
    prompt: str | None = None
    prompt_where: Location | None = None


@dataclass(frozen=True, slots=True)
class CallStep:
    where: Location
    operation: str
    args: tuple[tuple[str, Expression], ...]
    save_as: str | None = None
    save_where: Location | None = None
    on_error: tuple[Step, ...] | None = None
    owner: OwnerDecl | None = None  # the result must belong to the verified customer


@dataclass(frozen=True, slots=True)
class IfStep:
    where: Location
    condition: Expression
    then: tuple[Step, ...]
    otherwise: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfirmStep:
    where: Location
    message: str
    declined: tuple[Step, ...] | None = None


@dataclass(frozen=True, slots=True)
class RespondStep:
    where: Location
    message: str


@dataclass(frozen=True, slots=True)
class SetStep:
    where: Location
    values: tuple[tuple[str, Expression], ...]


@dataclass(frozen=True, slots=True)
class HandoffStep:
    where: Location
    reason: str


@dataclass(frozen=True, slots=True)
class EndStep:
    where: Location
    status: str = "done"


@dataclass(frozen=True, slots=True)
class InstructStep:
    """A step in words for the model (`instruct:`), with the tools it may use and its typed
    `output`, kept `as` a variable like a call's result."""

    where: Location
    instruction: str
    tools: tuple[tuple[str, Location], ...]  # (tool or operation name, where)
    output: tuple[InputDecl, ...]
    save_as: str
    save_where: Location | None = None
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
    where: Location
    description: str
    requires: str
    inputs: tuple[InputDecl, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class ContextSource:
    operation: str
    label: str
    where: Location


@dataclass(frozen=True, slots=True)
class ContextDecl:
    """The `context:` section: what the agent knows about the verified customer from the start."""

    where: Location
    sources: tuple[ContextSource, ...]
    refresh_after: int  # seconds
    max_chars: int  # the size cap of the whole section
