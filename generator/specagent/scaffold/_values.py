"""Values for scaffolded tests: an example for a schema, and values that make a branch go
the way a path needs.

A task's `if` is compiled to Python over ``ctx.<kind>('var', 'field', ...)`` reads (see
`tasks._expr`); for the usual shapes (a field compared with a literal, `in` a list, `and`,
`or`, `not`) the values that make it true or false are found here, so a scaffolded test of a
branch takes that branch without the developer solving it by hand. What is beyond that is
left as a TODO in the file.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
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
_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in"}  # fmt: skip


def constraints(source: str, truth: bool) -> list[Constraint]:
    """Atomic constraints under which the compiled condition `source` has the value `truth`
    (for `or` true / `and` false: the first alternative)."""
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise Unsolvable(source) from exc
    return _want(tree, truth)


def _want(node: ast.expr, truth: bool) -> list[Constraint]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bool":
        return _want(node.args[0], truth)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _want(node.operand, not truth)
    if isinstance(node, ast.BoolOp):
        every = isinstance(node.op, ast.And) == truth
        if every:  # and-true, or-false: all of them
            return [c for value in node.values for c in _want(value, truth)]
        return _want(node.values[0], truth)  # or-true, and-false: the first suffices
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = _OPS.get(type(node.ops[0]))
        left, right = node.left, node.comparators[0]
        ref, value = _ref(left), _literal(right)
        if op is None or ref is None or value is _NOT_LITERAL:
            ref, value = _ref(right), _literal(left)
            op = _mirror(op)
            if op is None or ref is None or value is _NOT_LITERAL:
                raise Unsolvable(ast.unparse(node))
        return [Constraint(ref, op if truth else _FLIP[op], value)]
    ref = _ref(node)
    if ref is not None:
        return [Constraint(ref, "truthy" if truth else "falsy")]
    raise Unsolvable(ast.unparse(node))


def _mirror(op: str | None) -> str | None:
    return {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}.get(op or "")


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return _NOT_LITERAL
    return list(value) if isinstance(value, tuple | set) else value


def _ref(node: ast.expr) -> Ref | None:
    """``ctx.text('order', 'status')`` -> ('order', ('status',))."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "ctx"):
        return None
    parts: list[str | int] = []
    for arg in node.args:
        if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str | int):
            return None
        parts.append(arg.value)
    if not parts or not isinstance(parts[0], str):
        return None
    return str(parts[0]), tuple(parts[1:])


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
