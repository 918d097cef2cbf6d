"""Values for scaffolded tests: an example for a schema, and values that make a branch go
the way a path needs.

A task's `if` is compiled to an expression tree (`ir.Expr`) of reads (`order.status`),
literals, comparisons and `and`/`or`/`not`; for the usual shapes (a field compared with a
literal, `in` a list, a boolean field) the values that make it true or false are found here,
so a scaffolded test of a branch takes that branch without the developer solving it by hand.
What is beyond that is left as a TODO in the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specagent import ir
from specagent._jsonschema import resolve_schema

Ref = tuple[str, tuple[str | int, ...]]  # (variable, field path)
_MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Constraint:
    ref: Ref
    op: str  # ==, !=, <, <=, >, >=, in, not in, truthy, falsy
    value: Any = None


class Unsolvable(Exception):
    """The condition has a shape this module does not read (the test gets a TODO)."""


_FLIP = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "not in",
         "not in": "in", "truthy": "falsy", "falsy": "truthy"}  # fmt: skip
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def constraints(expr: ir.Expr, truth: bool) -> list[Constraint]:
    """Atomic constraints under which `expr` has the value `truth` (for `or` true and `and`
    false: the first alternative)."""
    if isinstance(expr, ir.NotExpr):
        return constraints(expr.operand, not truth)
    if isinstance(expr, ir.LogicExpr):
        if (expr.op == "and") == truth:  # and-true, or-false: all of them
            return [c for value in expr.values for c in constraints(value, truth)]
        return constraints(expr.values[0], truth)  # or-true, and-false: the first suffices
    if isinstance(expr, ir.CompareExpr) and len(expr.rest) == 1:
        ((op, other),) = expr.rest
        left, right = expr.first, other
        if isinstance(left, ir.ReadExpr) and _is_literal(right):
            found = Constraint((left.variable, left.path), op, _value(right))
        elif isinstance(right, ir.ReadExpr) and _is_literal(left) and op in _MIRROR:
            found = Constraint((right.variable, right.path), _MIRROR[op], _value(left))
        else:
            raise Unsolvable(readable(expr))
        return [found if truth else Constraint(found.ref, _FLIP[found.op], found.value)]
    if isinstance(expr, ir.ReadExpr):
        return [Constraint((expr.variable, expr.path), "truthy" if truth else "falsy")]
    raise Unsolvable(readable(expr))


def _is_literal(expr: ir.Expr) -> bool:
    return isinstance(expr, ir.LiteralExpr | ir.ListExpr)


def _value(expr: ir.Expr) -> Any:
    if isinstance(expr, ir.ListExpr):
        return [item.value for item in expr.items]
    assert isinstance(expr, ir.LiteralExpr)
    return expr.value


def reads(expr: ir.Expr | ir.Message) -> Iterator[ir.ReadExpr]:
    """Every variable or field read in an expression or a message."""
    if isinstance(expr, ir.Message):
        for part in expr.parts:
            if not isinstance(part, str):
                yield from reads(part)
    elif isinstance(expr, ir.ReadExpr):
        yield expr
    elif isinstance(expr, ir.CompareExpr):
        yield from reads(expr.first)
        for _, other in expr.rest:
            yield from reads(other)
    elif isinstance(expr, ir.LogicExpr):
        for value in expr.values:
            yield from reads(value)
    elif isinstance(expr, ir.NotExpr | ir.NegateExpr):
        yield from reads(expr.operand)
    elif isinstance(expr, ir.ArithmeticExpr):
        yield from reads(expr.left)
        yield from reads(expr.right)
    elif isinstance(expr, ir.LengthExpr):
        yield expr.value
    elif isinstance(expr, ir.DaysExpr | ir.LabelExpr):
        yield from reads(expr.value)


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "not in",
            "not in": "in"}  # fmt: skip


def readable(expr: ir.Expr, *, negate: bool = False) -> str:
    """The expression as the agent file writes it (`order.status == "delivered"`), or its
    opposite (a comparison turned round, else `not (...)`)."""
    if negate:
        if isinstance(expr, ir.CompareExpr) and len(expr.rest) == 1 and expr.rest[0][0] in _NEGATED:
            ((op, other),) = expr.rest
            return f"{readable(expr.first)} {_NEGATED[op]} {readable(other)}"
        if isinstance(expr, ir.NotExpr):
            return readable(expr.operand)
        inner = readable(expr)
        return f"not ({inner})" if " " in inner else f"not {inner}"
    if isinstance(expr, ir.ReadExpr):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in expr.path)
        return expr.variable + path
    if isinstance(expr, ir.LiteralExpr):
        return json.dumps(expr.value)
    if isinstance(expr, ir.ListExpr):
        return "[" + ", ".join(json.dumps(item.value) for item in expr.items) + "]"
    if isinstance(expr, ir.CompareExpr):
        return " ".join([readable(expr.first), *(f"{op} {readable(o)}" for op, o in expr.rest)])
    if isinstance(expr, ir.LogicExpr):
        return f" {expr.op} ".join(_grouped(value) for value in expr.values)
    if isinstance(expr, ir.NotExpr):
        return f"not {_grouped(expr.operand)}"
    if isinstance(expr, ir.NegateExpr):
        return f"-{_grouped(expr.operand)}"
    if isinstance(expr, ir.ArithmeticExpr):
        return f"{_grouped(expr.left)} {expr.op} {_grouped(expr.right)}"
    if isinstance(expr, ir.ClockExpr):
        return expr.which
    if isinstance(expr, ir.DaysExpr):
        return f"days_{expr.direction}({readable(expr.value)})"
    if isinstance(expr, ir.LabelExpr):
        return readable(expr.value)
    return f"len({readable(expr.value)})"


def _grouped(expr: ir.Expr) -> str:
    text = readable(expr)
    simple = isinstance(
        expr,
        ir.ReadExpr
        | ir.LiteralExpr
        | ir.ListExpr
        | ir.LengthExpr
        | ir.ClockExpr
        | ir.DaysExpr
        | ir.LabelExpr,
    )
    return text if simple else f"({text})"


def literal_text(message: ir.Message) -> str:
    """The longest literal piece of a message (for a `reply: contains` check), or ""."""
    best = max((p.strip() for p in message.parts if isinstance(p, str)), key=len, default="")
    return best if len(best) >= 4 else ""


def satisfies(value: Any, constraint: Constraint) -> bool:
    op, want = constraint.op, constraint.value
    try:
        if op == "==":
            return bool(value == want)
        if op == "!=":
            return bool(value != want)
        if op == "in":
            return value in want
        if op == "not in":
            return value not in want
        if op == "truthy":
            return bool(value)
        if op == "falsy":
            return not value
        if value is None or isinstance(value, str) != isinstance(want, str):
            return False
        return bool(
            {"<": value < want, "<=": value <= want, ">": value > want, ">=": value >= want}[op]
        )
    except TypeError:
        return False


def solve(found: list[Constraint], example: Any, options: Sequence[Any] = ()) -> Any:
    """A value meeting every constraint on one field, starting from `example`, then the
    field's own `options` (its enum); raises `Unsolvable` when no candidate does."""
    candidates: list[Any] = [example, *options]
    for constraint in found:
        want = constraint.value
        if constraint.op == "==":
            candidates.insert(0, want)
        elif constraint.op == "in" and isinstance(want, list) and want:
            candidates.insert(0, want[0])
        elif constraint.op in (">", ">=", "<", "<=") and isinstance(want, int | float):
            step = 1 if isinstance(want, int) else 0.5
            candidates += [want + step, want, want - step]
        elif constraint.op == "truthy":
            candidates += [True, "yes", 1]
        elif constraint.op == "falsy":
            candidates += [False, None, 0]
        elif constraint.op in ("!=", "not in"):
            taken = want if isinstance(want, list) else [want]
            if all(isinstance(t, str) for t in taken):
                candidates += ["other", "something else"]
            elif all(isinstance(t, int | float) and not isinstance(t, bool) for t in taken):
                candidates.append(max(taken) + 1)
            elif all(isinstance(t, bool) for t in taken):
                candidates += [not taken[0]]
    for candidate in candidates:
        if all(satisfies(candidate, c) for c in found):
            return candidate
    raise Unsolvable(", ".join(f"{c.op} {c.value!r}" for c in found))


def example(schema: Mapping[str, Any] | None, api: ir.Api, depth: int = 0) -> Any:
    """A small value of `schema`: required properties only, one item per list, the first enum
    value, the format's usual shape."""
    if not schema or depth > _MAX_DEPTH:
        return None
    schema = resolve_schema(schema, api.schemas)
    for combined in ("allOf", "oneOf", "anyOf"):
        parts = schema.get(combined)
        if isinstance(parts, list) and parts:
            if combined == "allOf":
                merged: dict[str, Any] = {}
                for part in parts:
                    value = example(part, api, depth + 1)
                    if isinstance(value, dict):
                        merged.update(value)
                return merged or example(parts[0], api, depth + 1)
            return example(parts[0], api, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "example" in schema and not isinstance(schema["example"], dict | list):
        return schema["example"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        required = [name for name in schema.get("required") or [] if name in properties]
        return {name: example(properties[name], api, depth + 1) for name in required}
    if kind == "array":
        item = example(schema.get("items"), api, depth + 1)
        return [item] if item is not None else []
    if kind == "integer":
        return int(schema.get("minimum", 1) or 1)
    if kind == "number":
        return float(schema.get("minimum", 1) or 1)
    if kind == "boolean":
        return False
    if kind == "string":
        return _string(schema)
    return None


def _string(schema: Mapping[str, Any]) -> str:
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not schema.get("format"):
        matching = from_pattern(pattern)
        if matching is not None and _fits(matching, schema):
            return matching
    shape = {
        "email": "customer@example.com",
        "date": "2026-01-15",
        "date-time": "2026-01-15T10:00:00Z",
        "uuid": "00000000-0000-4000-8000-000000000001",
        "uri": "https://example.com/",
    }.get(str(schema.get("format", "")), "text")
    minimum = schema.get("minLength")
    if isinstance(minimum, int) and len(shape) < minimum:
        shape = shape + "x" * (minimum - len(shape))
    return shape


def at_path(schema: Mapping[str, Any] | None, path: tuple[str | int, ...], api: ir.Api) -> Any:
    """The sub-schema at a field path (None when the schema does not say)."""
    current: Mapping[str, Any] | None = schema
    for part in path:
        if not current:
            return None
        current = resolve_schema(current, api.schemas)
        if isinstance(part, int):
            items = current.get("items")
            current = items if isinstance(items, Mapping) else None
        else:
            properties = current.get("properties") or {}
            inner = properties.get(part) if isinstance(properties, Mapping) else None
            current = inner if isinstance(inner, Mapping) else None
    return current


def put(body: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """`body` with `value` at `path`, making the objects and lists on the way."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(body) if isinstance(body, list) else []
        while len(items) <= head:
            items.append({})
        items[head] = put(items[head], rest, value)
        return items
    mapping = dict(body) if isinstance(body, dict) else {}
    mapping[head] = put(mapping.get(head), rest, value)
    return mapping


_QUANTIFIER = re.compile(r"\{(\d+)(?:,(\d*))?\}")


def from_pattern(pattern: str) -> str | None:
    """A short string that `pattern` matches, for the simple shapes ids are written in
    (literals, character classes, \\d and \\w, with {n}, {n,m}, +, * or ?): the class's
    characters in turn, so `[0N1RWU4X]{32}` reads like an id. None for anything else
    (alternatives, groups, negated classes)."""
    body = pattern.removeprefix("^").removesuffix("$")
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "[":
            end = body.find("]", i + 1)
            chars = _class_chars(body[i + 1 : end]) if end > i + 1 else None
            if chars is None:
                return None
            i = end + 1
        elif char == "\\" and i + 1 < len(body):
            escaped = body[i + 1]
            known = {"d": "0123456789", "w": "abcdefghij"}
            if escaped.isalnum() and escaped not in known:
                return None
            chars = known.get(escaped, escaped)
            i += 2
        elif char in "()|.+*?{}^$[]":
            return None
        else:
            chars = char
            i += 1
        count = 1
        if i < len(body) and body[i] in "+*?":
            count = 4 if body[i] == "+" else 1
            i += 1
        elif (quantity := _QUANTIFIER.match(body, i)) is not None:
            least = int(quantity.group(1))
            count = max(least, 1) if quantity.group(2) is not None else least
            i = quantity.end()
        out.append("".join(chars[k % len(chars)] for k in range(count)))
    value = "".join(out)
    try:
        return value if value and re.fullmatch(pattern, value) else None
    except re.error:
        return None


def _class_chars(spec: str) -> str | None:
    if spec.startswith("^") or "\\" in spec:
        return None
    chars: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            first, last = ord(spec[i]), ord(spec[i + 2])
            if last < first:
                return None
            chars.extend(chr(c) for c in range(first, min(last, first + 25) + 1))
            i += 3
        else:
            chars.append(spec[i])
            i += 1
    return "".join(chars) or None


def _fits(value: str, schema: Mapping[str, Any]) -> bool:
    low, high = schema.get("minLength"), schema.get("maxLength")
    return not (isinstance(low, int) and len(value) < low) and not (
        isinstance(high, int) and len(value) > high
    )
