"""Task expressions: a small subset of Python, parsed with `ast`, type-checked, compiled.

Expressions come from the agent file, so they are data written by someone else. They are never
evaluated: each is parsed at generation time, every node is checked against an allow-list,
every name and field path against the task's variables and the typed response schemas, and
the checked tree is reduced to `ir` expression nodes (`ir.ReadExpr` for a variable or field,
`ir.CompareExpr`, ...), which `specagent.render` writes as Python typed by the response models.
No text from the agent file or the spec reaches the generated code except as a literal.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from specagent import ir
from specagent._diagnostics import did_you_mean
from specagent.agentfile import unknown_field_hint
from specagent.ir import Code
from specagent.tasks import _types as t
from specagent.tasks._types import Ty

PathPart = str | int

_KINDS: dict[str, ir.ValueKind] = {
    t.STRING: "string",
    t.INTEGER: "integer",
    t.NUMBER: "number",
    t.BOOLEAN: "boolean",
    t.NULL: "null",
    t.OBJECT: "object",
    t.ARRAY: "array",
    t.ANY: "any",
    t.DATE: "date",
    t.DATETIME: "datetime",
}
# Names that are the runtime's clock unless a variable has the name (`tasks._types` dates).
_CLOCK: dict[str, Literal["today", "now"]] = {"today": "today", "now": "now"}
_DAYS: dict[str, Literal["since", "until"]] = {"days_since": "since", "days_until": "until"}
_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_ARITHMETIC: dict[type[ast.operator], Literal["+", "-", "*"]] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
}
_YAML_LITERALS: dict[str, ir.LiteralValue] = {"true": True, "false": False, "null": None}
_ORDERING = frozenset({"<", "<=", ">", ">="})
_NONE = ir.LiteralExpr(None)


class ExpressionError(Exception):
    """One problem in an expression; `code` is the diagnostic code it is reported with."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        code: ir.Code = ir.Code.TASK_BAD_EXPRESSION,
        name: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code
        self.name = name  # the unknown name, for reporting it once per task


@dataclass(frozen=True, slots=True)
class Typed:
    """A checked expression: a variable path (a read) or a computed value (`node`)."""

    ty: Ty
    label: str  # as the user wrote it, for messages
    path: tuple[PathPart, ...] | None = None
    node: ir.Expr = _NONE
    literal: ir.LiteralValue = None
    is_literal: bool = False
    source: ir.ReadSource = "json"  # of a read: where its variable comes from
    model: str | None = None  # of a read of a call's result: the variable's models.py class


@dataclass(frozen=True, slots=True)
class Scope:
    """What an expression may name at one point of a task.

    `later` maps names set by steps further down to where, for "used before it is set";
    `partial` maps names set only on some paths so far (one branch of an `if`).
    """

    variables: Mapping[str, Ty]
    later: Mapping[str, ir.Location] = field(default_factory=dict)
    partial: Mapping[str, ir.Location] = field(default_factory=dict)


def as_expr(typed: Typed, *, need: bool = False) -> ir.Expr:
    """The value as an `ir` node; `need` reads a path that must be present (else the engine
    hands the run off), for places where None cannot go."""
    if typed.path is None:
        return typed.node
    return ir.ReadExpr(
        variable=str(typed.path[0]),
        path=typed.path[1:],
        kind=_KINDS[typed.ty.kind],
        source=typed.source,
        model=typed.model,
        need=need,
    )


def check(
    text: str,
    scope: Scope,
    used: list[tuple[PathPart, ...]] | None = None,
    names: list[str] | None = None,
) -> Typed:
    """Parse, check and type `text`; raises `ExpressionError` naming the first problem.

    Every field path read is appended to `used` (for `specagent diff`: fields a task relies on),
    and every variable read, to `names` (where a value comes from: `tasks._ownership`).
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"`{text}` is not a valid expression ({exc.msg})",
            'write Python-like expressions: `order.status == "delivered"`, `inputs.quantity > 0`',
        ) from None
    checker = _Checker(scope, used if used is not None else [], names if names is not None else [])
    return checker.expr(tree.body)


def literal_value(value: ir.LiteralValue) -> Typed:
    node = ir.LiteralExpr(value)
    return Typed(t.literal(value), repr(value), node=node, literal=value, is_literal=True)


class _Checker:
    def __init__(self, scope: Scope, used: list[tuple[PathPart, ...]], names: list[str]) -> None:
        self.scope = scope
        self.used = used
        self.names = names

    def expr(self, node: ast.expr) -> Typed:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise ExpressionError(
                f"`{_source(node)}`: {_what(node)} is not allowed in task expressions",
                "use names, field paths, literals, comparisons, `and`/`or`/`not`, `in`,"
                " `+ - *`, `len()`, `today`/`now` and `days_since()`/`days_until()`",
            )
        result: Typed = handler(node)
        return result

    # --- leaves ----------------------------------------------------------------------------------

    def _Constant(self, node: ast.Constant) -> Typed:
        value = node.value
        if isinstance(value, float) and not math.isfinite(value):
            raise ExpressionError(f"`{_source(node)}` is not a finite number")
        if value is None or isinstance(value, bool | int | float | str):
            return literal_value(value)
        raise ExpressionError(f"`{_source(node)}`: this kind of literal is not allowed")

    def _Name(self, node: ast.Name) -> Typed:
        name = node.id
        if name in _YAML_LITERALS and name not in self.scope.variables:
            return literal_value(_YAML_LITERALS[name])  # YAML spellings, as users write them
        if name in _CLOCK and name not in self.scope.variables:
            kind = t.DATE if name == "today" else t.DATETIME
            return Typed(Ty(kind), name, node=ir.ClockExpr(_CLOCK[name]))
        if name in self.scope.variables:
            self.names.append(name)
            ty = self.scope.variables[name]
            if name == "inputs":
                return Typed(ty, name, path=(name,), source="inputs")
            if ty.model is not None:
                return Typed(ty, name, path=(name,), source="result", model=ty.model)
            return Typed(ty, name, path=(name,))
        if name in self.scope.partial:
            raise ExpressionError(
                f"`{name}` is set only on some paths before this step"
                f" (at {self.scope.partial[name]})",
                "set it on every branch of the `if`, or use it inside the branch that sets it",
                code=Code.TASK_USED_BEFORE_SET,
            )
        if name in self.scope.later:
            raise ExpressionError(
                f"`{name}` is used before the step that sets it ({self.scope.later[name]})",
                "move this step after that one",
                code=Code.TASK_USED_BEFORE_SET,
            )
        hint = did_you_mean(name, self.scope.variables)
        raise ExpressionError(
            f"unknown name `{name}`", hint, code=Code.TASK_UNKNOWN_NAME, name=name
        )

    def _known(self, node: ast.expr) -> bool:
        """Whether `node` is anything but a bare word the task does not know (which the user
        most likely meant as text)."""
        if not isinstance(node, ast.Name):
            return True
        name = node.id
        return (
            name in self.scope.variables
            or name in _CLOCK  # `today`, `now`: the task's clock
            or (name in _YAML_LITERALS and name not in self.scope.partial)
        )

    def _quote_words(self, node: ast.Compare) -> None:
        """`order.status == delivered`: a bare word compared (`==`, `!=`, `in`) with something
        the task knows is most likely text without its quotes; said so before the name check,
        whose "unknown name" (or "used before the step that sets it") would mislead. A word
        close to a variable's name is left to that check's "did you mean"."""
        sides = [node.left, *node.comparators]
        for index, op in enumerate(node.ops):
            symbol = _COMPARE.get(type(op))
            if symbol not in ("==", "!=", "in", "not in"):
                continue
            pair = (sides[index], sides[index + 1])
            for word, other in (pair, pair[::-1]):
                if not isinstance(word, ast.Name) or self._known(word) or not self._known(other):
                    continue
                if symbol in ("in", "not in") and word is pair[1]:
                    continue  # `x in items` with `items` unknown: an ordinary unknown name
                if did_you_mean(word.id, self.scope.variables, listing=False):
                    continue
                quoted = f'"{word.id}"'
                text = (
                    f"{_source(other)} {symbol} {quoted}"
                    if word is pair[1]
                    else f"{quoted} {symbol} {_source(other)}"
                )
                later = self.scope.later.get(word.id)
                where = f" (a later step sets it, {later})" if later is not None else ""
                raise ExpressionError(
                    f"`{_source(node)}`: `{word.id}` is not a name the task knows here{where}",
                    f"if you meant the text, quote it: `{text}`",
                    code=Code.TASK_UNKNOWN_NAME,
                )

    def _Attribute(self, node: ast.Attribute) -> Typed:
        base = self.expr(node.value)
        if base.path is None:
            raise ExpressionError(f"`{_source(node)}`: fields can only be read from variables")
        label = f"{base.label}.{node.attr}"
        fields = base.ty.field_types()
        if base.ty.kind not in (t.OBJECT, t.ANY):
            raise ExpressionError(
                f"`{label}`: `{base.label}` is {base.ty.describe()}, which has no fields"
            )
        if fields is None:
            found = Ty(base.ty.open_kind)
            return replace(base, ty=found, label=label, path=(*base.path, node.attr))
        if node.attr not in fields:
            hint = did_you_mean(node.attr, fields, listing=len(fields) <= 12)
            if base.path == ("identity",):
                hint = unknown_field_hint(node.attr, sorted(fields))
            raise ExpressionError(
                f"`{base.label}` has no field `{node.attr}`", hint, code=Code.TASK_UNKNOWN_FIELD
            )
        path = (*base.path, node.attr)
        self.used.append(path)
        return replace(base, ty=fields[node.attr], label=label, path=path)

    def _Subscript(self, node: ast.Subscript) -> Typed:
        base = self.expr(node.value)
        index = node.slice
        negative = isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub)
        if negative and isinstance(index, ast.UnaryOp):
            index = index.operand
        if not (isinstance(index, ast.Constant) and type(index.value) is int):
            raise ExpressionError(f"`{_source(node)}`: only `list[0]`-style indexes are allowed")
        if base.path is None or base.ty.kind not in (t.ARRAY, t.ANY):
            raise ExpressionError(f"`{_source(node)}`: `{base.label}` is not a list")
        position = -index.value if negative else index.value
        label = f"{base.label}[{position}]"
        return replace(base, ty=base.ty.element(), label=label, path=(*base.path, position))

    def _List(self, node: ast.List) -> Typed:
        return self._sequence(node.elts, node)

    def _Tuple(self, node: ast.Tuple) -> Typed:
        return self._sequence(node.elts, node)

    def _sequence(self, elements: list[ast.expr], node: ast.expr) -> Typed:
        words = [e.id for e in elements if isinstance(e, ast.Name) and not self._known(e)]
        if words:
            quoted = ", ".join(
                f'"{e.id}"' if isinstance(e, ast.Name) and not self._known(e) else _source(e)
                for e in elements
            )
            raise ExpressionError(
                f"`{_source(node)}`: `{words[0]}` is not a name the task knows",
                f"text goes in quotes inside the expression: `[{quoted}]`",
                code=Code.TASK_UNKNOWN_NAME,
            )
        items = [self.expr(element) for element in elements]
        if not all(item.is_literal for item in items):
            raise ExpressionError(f"`{_source(node)}`: a list may hold literals only")
        kinds = {item.ty.kind for item in items}
        item_type = Ty(kinds.pop()) if len(kinds) == 1 else Ty(t.ANY)
        values = ir.ListExpr(tuple(ir.LiteralExpr(item.literal) for item in items))
        return Typed(Ty(t.ARRAY, item=item_type), _source(node), node=values)

    # --- operators -------------------------------------------------------------------------------

    def _BoolOp(self, node: ast.BoolOp) -> Typed:
        op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
        values = tuple(as_expr(self.expr(value)) for value in node.values)
        return Typed(Ty(t.BOOLEAN), _source(node), node=ir.LogicExpr(op, values))

    def _UnaryOp(self, node: ast.UnaryOp) -> Typed:
        operand = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            return Typed(Ty(t.BOOLEAN), _source(node), node=ir.NotExpr(as_expr(operand)))
        if isinstance(node.op, ast.USub) and operand.ty.numeric:
            if operand.is_literal and isinstance(operand.literal, int | float):
                return literal_value(-operand.literal)
            negated = ir.NegateExpr(as_expr(operand, need=True))
            return Typed(operand.ty, _source(node), node=negated)
        raise ExpressionError(f"`{_source(node)}`: this operator is not allowed here")

    def _BinOp(self, node: ast.BinOp) -> Typed:
        symbol = _ARITHMETIC.get(type(node.op))
        if symbol is None:
            raise ExpressionError(
                f"`{_source(node)}`: only `+`, `-` and `*` are allowed", "compute it in the API"
            )
        left, right = self.expr(node.left), self.expr(node.right)
        label = _source(node)
        if left.ty.kind == t.STRING and right.ty.kind == t.STRING and symbol == "+":
            kind = t.STRING
        elif left.ty.numeric and right.ty.numeric:
            both_int = left.ty.kind == right.ty.kind == t.INTEGER
            kind = t.INTEGER if both_int else t.NUMBER
        else:
            dated = next((side for side in (left, right) if side.ty.dated), None)
            raise ExpressionError(
                f"`{label}`: cannot apply `{symbol}` to {left.ty.describe()} and"
                f" {right.ty.describe()}",
                f"count days instead: `days_since({dated.label})`" if dated else "",
                code=Code.TASK_TYPE_MISMATCH,
            )
        computed = ir.ArithmeticExpr(as_expr(left, need=True), symbol, as_expr(right, need=True))
        return Typed(Ty(kind), label, node=computed)

    def _Call(self, node: ast.Call) -> Typed:
        if isinstance(node.func, ast.Name) and node.func.id in _DAYS:
            return self._days(node, node.func.id)
        if not (isinstance(node.func, ast.Name) and node.func.id == "len"):
            raise ExpressionError(
                f"`{_source(node)}`: calls are not allowed in task expressions",
                "the functions are `len(x)`, `days_since(x)` and `days_until(x)`",
            )
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"`{_source(node)}`: `len` takes one value")
        value = self.expr(node.args[0])
        if value.ty.kind not in (t.STRING, t.ARRAY, t.ANY) or value.path is None:
            raise ExpressionError(
                f"`{_source(node)}`: `len` needs a text or list field,"
                f" `{value.label}` is {value.ty.describe()}"
            )
        # A value of unknown type is measured as a list, as it always was.
        kind = Ty(t.STRING if value.ty.kind == t.STRING else t.ARRAY)
        read = as_expr(replace(value, ty=kind), need=True)
        if not isinstance(read, ir.ReadExpr):  # pragma: no cover - value.path is set
            raise ExpressionError(f"`{_source(node)}`: `len` needs a field")
        return Typed(Ty(t.INTEGER), _source(node), node=ir.LengthExpr(read))

    def _days(self, node: ast.Call, function: str) -> Typed:
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"`{_source(node)}`: `{function}` takes one date")
        value = self.expr(node.args[0])
        if not value.ty.dated:
            hint = ""
            if value.ty.kind == t.STRING:
                hint = (
                    "only a field of `format: date` or `date-time` in the spec (or an input"
                    " with that format) is a date"
                )
            raise ExpressionError(
                f"`{_source(node)}`: `{function}` needs a date or a date and time,"
                f" `{value.label}` is {value.ty.describe()}",
                hint,
                code=Code.TASK_TYPE_MISMATCH,
            )
        days = ir.DaysExpr(_DAYS[function], as_expr(value, need=True))
        return Typed(Ty(t.INTEGER), _source(node), node=days)

    def _Compare(self, node: ast.Compare) -> Typed:
        self._quote_words(node)
        operands = [self.expr(node.left)] + [self.expr(value) for value in node.comparators]
        first: ir.Expr = ir.LiteralExpr(None)
        rest: list[tuple[str, ir.Expr]] = []
        for index, op in enumerate(node.ops):
            symbol = _COMPARE.get(type(op))
            if symbol is None:
                raise ExpressionError(f"`{_source(node)}`: `is` is not allowed; use `==` or `!=`")
            left, right = operands[index], operands[index + 1]
            _check_pair(symbol, left, right)
            left, right = _as_text(left, right), _as_text(right, left)
            operands[index], operands[index + 1] = left, right
            need = symbol in _ORDERING
            if index == 0:
                first = as_expr(left, need=need)
            rest.append((symbol, as_expr(right, need=need or symbol in ("in", "not in"))))
        return Typed(Ty(t.BOOLEAN), _source(node), node=ir.CompareExpr(first, tuple(rest)))


def _as_text(side: Typed, other: Typed) -> Typed:
    """A date compared with text is compared as the ISO text the API sent, as before dates
    had a type of their own (`order.placed_at == "2026-11-02"`)."""
    if not (side.ty.dated and other.ty.kind == t.STRING):
        return side
    if side.path is None:
        raise ExpressionError(
            f"`{side.label}` is {side.ty.describe()}; it cannot be compared with text",
            "compare it with a date or a date-time field (`order.delivered_at < today`), or"
            " count days with `days_since(...)`",
            code=Code.TASK_TYPE_MISMATCH,
        )
    return replace(side, ty=Ty(t.STRING))


def _date_hint(left: Typed, right: Typed, symbol: str) -> str:
    """How to say what a date compared with a number or another kind of date means."""
    dated, other = (left, right) if left.ty.dated else (right, left)
    if other.ty.numeric:
        return f"count the days: `days_since({dated.label}) {symbol} {other.label}`"
    if other.ty.dated:  # a date and a date-time
        timed = dated if dated.ty.kind == t.DATETIME else other
        return (
            "compare a date and time with `now` or another date and time, or count days:"
            f" `days_since({timed.label})`"
        )
    return (
        "compare a date with a date (`today`, another date field) or count days with"
        " `days_since(...)`"
    )


def _check_pair(symbol: str, left: Typed, right: Typed) -> None:
    if symbol in ("in", "not in"):
        _check_membership(left, right)
        return
    dates = left.ty.dated or right.ty.dated
    if symbol in _ORDERING:
        ok = (
            (left.ty.numeric and right.ty.numeric)
            or (left.ty.kind == right.ty.kind and left.ty.kind in (t.STRING, *t.DATES))
            or (dates and t.STRING in (left.ty.kind, right.ty.kind))
        )
        if not ok and t.ANY not in (left.ty.kind, right.ty.kind):
            hint = "compare numbers with numbers, or text with text"
            raise ExpressionError(
                f"`{left.label} {symbol} {right.label}` compares {left.ty.describe()} with"
                f" {right.ty.describe()}",
                _date_hint(left, right, symbol) if dates else hint,
                code=Code.TASK_TYPE_MISMATCH,
            )
        return
    if not t.comparable(left.ty, right.ty):
        raise ExpressionError(
            f"`{left.label} {symbol} {right.label}` compares {left.ty.describe()} with"
            f" {right.ty.describe()}, which are never equal",
            _date_hint(left, right, symbol) if dates else _quote_hint(left, right),
            code=Code.TASK_TYPE_MISMATCH,
        )
    _check_enum(left, right)
    _check_enum(right, left)


def _check_membership(left: Typed, right: Typed) -> None:
    if right.ty.kind == t.STRING:
        if left.ty.kind not in (t.STRING, t.ANY):
            raise ExpressionError(
                f"`{left.label} in {right.label}`: only text can be found in text,"
                f" `{left.label}` is {left.ty.describe()}"
            )
        return
    if right.ty.kind not in (t.ARRAY, t.ANY):
        raise ExpressionError(
            f"`{left.label} in {right.label}`: `{right.label}` is {right.ty.describe()},"
            " not a list or text"
        )
    if right.ty.kind == t.ARRAY:
        element = right.ty.element()
        if not t.comparable(left.ty, element):
            raise ExpressionError(
                f"`{left.label} in {right.label}` looks for {left.ty.describe()} among"
                f" {element.describe()} values",
                code=Code.TASK_TYPE_MISMATCH,
            )
        if isinstance(right.node, ir.ListExpr) and left.ty.enum:
            for item in right.node.items:
                _check_enum(left, Typed(element, right.label, literal=item.value, is_literal=True))


def _check_enum(field_side: Typed, other: Typed) -> None:
    """`order.status == "shipped"` can never be true when `status` has no such value."""
    enum = field_side.ty.enum
    if not enum or not other.is_literal or other.literal is None:
        return
    if other.literal not in enum:
        choices = [str(value) for value in enum]
        hint = did_you_mean(str(other.literal), choices)
        raise ExpressionError(
            f"`{field_side.label}` is one of {', '.join(repr(v) for v in enum)};"
            f" {other.literal!r} is never equal to it",
            hint,
            code=Code.TASK_TYPE_MISMATCH,
        )


def _quote_hint(left: Typed, right: Typed) -> str:
    for field_side, other in ((left, right), (right, left)):
        if field_side.ty.kind == t.STRING and other.is_literal:
            return f'compare with text: `{field_side.label} == "{other.literal}"`'
    return ""


def _source(node: ast.AST) -> str:
    return ast.unparse(node)


def _what(node: ast.AST) -> str:
    names = {
        "Lambda": "a lambda",
        "IfExp": "`x if c else y`",
        "Dict": "a dict",
        "Set": "a set",
        "ListComp": "a comprehension",
        "SetComp": "a comprehension",
        "DictComp": "a comprehension",
        "GeneratorExp": "a generator",
        "Await": "`await`",
        "Yield": "`yield`",
        "JoinedStr": "an f-string",
        "NamedExpr": "`:=`",
        "Starred": "`*`",
        "Slice": "a slice",
    }
    return names.get(type(node).__name__, f"`{type(node).__name__}`")
