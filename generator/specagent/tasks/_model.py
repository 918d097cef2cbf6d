"""The `tasks:` section as written, with the place of every value.

These are the parser's output and the checker's input: nothing here is checked against the spec
yet. Expressions stay source text (or a YAML literal) until the checker parses them with `ast`.
"""

from __future__ import annotations

from dataclasses import dataclass

Literal = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Source:
    """An expression as written: text to parse, or a YAML number/boolean/null used as is."""

    text: str | None
    value: Literal
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
    args: tuple[tuple[str, Source], ...]
    save_as: str | None = None
    save_where: str = ""
    on_error: tuple[Step, ...] | None = None


@dataclass(frozen=True, slots=True)
class IfStep:
    where: str
    condition: Source
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
    values: tuple[tuple[str, Source], ...]


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
