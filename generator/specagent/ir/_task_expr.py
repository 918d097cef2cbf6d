"""Task expressions as compiled: a checked tree the renderer writes as typed Python.

The compiler (`specagent.tasks`) checks every expression of the agent file against the
variables in scope and the response schemas, and reduces it to these nodes. It cannot write the
Python itself: the attribute names and annotations of the response models are chosen by the
model generator, which runs later (`specagent.render`). So a variable or field read stays a
`ReadExpr` (the variable, the field path as written in the spec, the value's JSON kind), and the
renderer turns it into attribute access on the models (`order.status`) or, where the models
cannot say, into the JSON accessors of `TaskContext` (`ctx.text("order", "meta", "colour")`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from specagent.ir._agent import LiteralValue

# The JSON kinds the compiler types values with (`specagent.tasks._types`).
ValueKind = Literal[
    "string", "integer", "number", "boolean", "null", "object", "array", "any", "date", "datetime"
]
# Where a variable comes from: the task's inputs, a call's result (a models.py class), or plain
# JSON the engine stored (the identity, `error`, `set` and `instruct` values).
ReadSource = Literal["inputs", "result", "json"]
PathPart = str | int


@dataclass(frozen=True, slots=True)
class ReadExpr:
    """A variable, or a field inside it: `order.items[0].sku` is ("order", ("items", 0, "sku"))."""

    variable: str
    path: tuple[PathPart, ...]
    kind: ValueKind  # the JSON kind of the value read
    source: ReadSource = "json"
    model: str | None = None  # the models.py class of a `result` variable
    # Must have a value where None cannot go (a required argument, `<`, `+`, `len`): a missing
    # value hands the run to a human.
    need: bool = False


@dataclass(frozen=True, slots=True)
class LiteralExpr:
    value: LiteralValue


@dataclass(frozen=True, slots=True)
class ListExpr:
    """A list of literals, as in `order.status in ["shipped", "delivered"]`."""

    items: tuple[LiteralExpr, ...]


@dataclass(frozen=True, slots=True)
class CompareExpr:
    """`first op1 x op2 y ...`, chained like Python's; ops are `==`, `<`, `in`, `not in`, ..."""

    first: Expr
    rest: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class LogicExpr:
    """`and` / `or` over the values, always a boolean (as `bool(a or b)`)."""

    op: Literal["and", "or"]
    values: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class NotExpr:
    operand: Expr


@dataclass(frozen=True, slots=True)
class NegateExpr:
    operand: Expr


@dataclass(frozen=True, slots=True)
class ArithmeticExpr:
    """`+`, `-` or `*` of two numbers, or `+` of two texts."""

    left: Expr
    op: Literal["+", "-", "*"]
    right: Expr


@dataclass(frozen=True, slots=True)
class LengthExpr:
    """`len(x)` of a text or a list that must have a value."""

    value: ReadExpr


@dataclass(frozen=True, slots=True)
class ClockExpr:
    """`today` (a date) or `now` (a date-time), in the time zone the runtime's tasks use."""

    which: Literal["today", "now"]


@dataclass(frozen=True, slots=True)
class DaysExpr:
    """`days_since(x)` / `days_until(x)` of a date or date-time that must have a value: whole
    calendar days between its date and today."""

    direction: Literal["since", "until"]
    value: Expr


@dataclass(frozen=True, slots=True)
class LabelExpr:
    """A choice as a message shows it to the customer: its display label (`labels:`), or the
    value itself when it has none."""

    value: Expr
    labels: tuple[tuple[str, str], ...]


Expr = (
    ReadExpr
    | LiteralExpr
    | ListExpr
    | CompareExpr
    | LogicExpr
    | NotExpr
    | NegateExpr
    | ArithmeticExpr
    | LengthExpr
    | ClockExpr
    | DaysExpr
    | LabelExpr
)


@dataclass(frozen=True, slots=True)
class Message:
    """A message with `{expression}` parts: literal text and values, in order.

    A missing value shows as nothing, as `TaskContext.format` does; a message without parts
    is written as a plain string.
    """

    parts: tuple[str | Expr, ...]

    @property
    def text(self) -> str | None:
        """The whole message when it has no expressions in it."""
        if all(isinstance(part, str) for part in self.parts):
            return "".join(part for part in self.parts if isinstance(part, str))
        return None
