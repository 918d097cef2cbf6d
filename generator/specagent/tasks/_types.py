"""The static types task expressions are checked with, derived from JSON schemas.

A task's values are JSON at run time (the engine stores them between steps), so the checker
reasons in JSON Schema kinds: string, integer, number, boolean, null, object, array, and `any`
where the spec says nothing; a string of `format: date` or `date-time` is a `date` or a
`datetime` (compared with its own kind, counted in days with `days_since`/`days_until`, and
compared with text as the ISO text it is). Objects remember their schema and resolve
properties lazily, which keeps recursive schemas (a `Category` with a `parent: Category`) finite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specagent import ir
from specagent._jsonschema import resolve_schema

STRING = "string"
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"
NULL = "null"
OBJECT = "object"
ARRAY = "array"
ANY = "any"
DATE = "date"
DATETIME = "datetime"

_KINDS = frozenset({STRING, INTEGER, NUMBER, BOOLEAN, NULL, OBJECT, ARRAY})
_DATE_FORMATS = {"date": DATE, "date-time": DATETIME}
DATES = frozenset({DATE, DATETIME})


@dataclass(frozen=True, slots=True)
class Ty:
    """A checked type. Object types list their fields, or are `open` (any field, type any)."""

    kind: str
    enum: tuple[Any, ...] = ()
    fields: Mapping[str, Ty] | None = field(default=None, compare=False)
    item: Ty | None = field(default=None, compare=False)
    open: bool = False
    open_kind: str = ANY  # the type of every field of an `open` object (identity: string)
    # Lazily resolved object/array schema, so recursive schemas stay finite.
    schema: ir.JsonSchema | None = field(default=None, compare=False)
    schemas: Mapping[str, ir.JsonSchema] | None = field(default=None, compare=False)
    # The models.py class a variable holding a call's result is read as (None: plain JSON).
    model: str | None = None
    # A choice input's display labels (enum value, label): what a message shows the customer.
    labels: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def describe(self) -> str:
        if self.enum:
            return f"{self.kind} (one of {', '.join(repr(value) for value in self.enum)})"
        return {ANY: "a value of unknown type", DATETIME: "a date and time", DATE: "a date"}.get(
            self.kind, self.kind
        )

    @property
    def numeric(self) -> bool:
        return self.kind in (INTEGER, NUMBER)

    @property
    def dated(self) -> bool:
        """A date or a date-time."""
        return self.kind in DATES

    def field_types(self) -> Mapping[str, Ty] | None:
        """The object's fields by name; None when any field name is allowed."""
        if self.kind == ANY or self.open:
            return None
        if self.fields is not None:
            return self.fields
        if self.schema is not None and self.schemas is not None:
            return _properties(self.schema, self.schemas)
        return {}

    def element(self) -> Ty:
        if self.item is not None:
            return self.item
        if self.kind == ARRAY and self.schema is not None and self.schemas is not None:
            items = self.schema.get("items")
            return from_schema(items if isinstance(items, Mapping) else {}, self.schemas)
        return Ty(ANY)


def literal(value: object) -> Ty:
    if value is None:
        return Ty(NULL)
    if isinstance(value, bool):
        return Ty(BOOLEAN)
    if isinstance(value, int):
        return Ty(INTEGER)
    if isinstance(value, float):
        return Ty(NUMBER)
    if isinstance(value, str):
        return Ty(STRING)
    return Ty(ANY)


def from_schema(schema: ir.JsonSchema | None, schemas: Mapping[str, ir.JsonSchema]) -> Ty:
    """The type of values described by `schema`; `any` where it does not say."""
    if schema is None:
        return Ty(ANY)
    resolved = resolve_schema(schema, schemas)
    kinds = _declared_kinds(resolved)
    for key in ("allOf", "oneOf", "anyOf"):
        parts = resolved.get(key)
        if isinstance(parts, list) and parts and not kinds:
            return _combine(key, [p for p in parts if isinstance(p, Mapping)], schemas)
    enum = resolved.get("enum")
    values = tuple(v for v in enum if v is not None) if isinstance(enum, list) else ()
    if "const" in resolved and resolved["const"] is not None:
        values = (resolved["const"],)
    if not kinds and values:
        kinds = {literal(value).kind for value in values}
    if not kinds:
        if "properties" in resolved:
            kinds = {OBJECT}
        elif "items" in resolved:
            kinds = {ARRAY}
    if kinds == {INTEGER, NUMBER}:
        kinds = {NUMBER}
    if len(kinds) != 1:
        return Ty(ANY)
    kind = next(iter(kinds))
    if kind == OBJECT:
        properties = resolved.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            return Ty(OBJECT, open=True)
        return Ty(OBJECT, schema=resolved, schemas=schemas)
    if kind == ARRAY:
        return Ty(ARRAY, schema=resolved, schemas=schemas)
    fmt = resolved.get("format")
    if kind == STRING and not values and isinstance(fmt, str) and fmt in _DATE_FORMATS:
        return Ty(_DATE_FORMATS[fmt])
    return Ty(kind, enum=values)


def input_type(decl: ir.InputDecl) -> Ty:
    """The type of a task input (or an `instruct` output field) as expressions read it."""
    if decl.format in _DATE_FORMATS:
        return Ty(_DATE_FORMATS[decl.format])
    return Ty(decl.type, enum=decl.enum, labels=decl.labels)


def _declared_kinds(schema: ir.JsonSchema) -> set[str]:
    declared = schema.get("type")
    names = declared if isinstance(declared, list) else [declared] if declared else []
    return {name for name in names if isinstance(name, str) and name in _KINDS} - {NULL}


def _combine(key: str, parts: list[ir.JsonSchema], schemas: Mapping[str, ir.JsonSchema]) -> Ty:
    types = [from_schema(part, schemas) for part in parts]
    types = [ty for ty in types if ty.kind != NULL] or types
    if key == "allOf" or all(ty.kind == OBJECT for ty in types):
        if all(ty.kind == OBJECT for ty in types):
            merged: dict[str, Ty] = {}
            for ty in types:
                found = ty.field_types()
                if found is None:
                    return Ty(OBJECT, open=True)
                for name, field_type in found.items():
                    merged.setdefault(name, field_type)
            return Ty(OBJECT, fields=merged)
    kinds = {ty.kind for ty in types}
    if len(kinds) == 1:
        first = types[0]
        if first.kind in (OBJECT, ARRAY):
            return first
        enum = (
            tuple(dict.fromkeys(v for ty in types for v in ty.enum))
            if all(ty.enum for ty in types)
            else ()
        )
        return Ty(first.kind, enum=enum)
    if kinds == {INTEGER, NUMBER}:
        return Ty(NUMBER)
    return Ty(ANY)


def _properties(schema: ir.JsonSchema, schemas: Mapping[str, ir.JsonSchema]) -> dict[str, Ty]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    return {
        str(name): from_schema(prop if isinstance(prop, Mapping) else {}, schemas)
        for name, prop in properties.items()
    }


def comparable(left: Ty, right: Ty) -> bool:
    """Whether `==` between the two can ever be true (None compares with anything)."""
    if ANY in (left.kind, right.kind) or NULL in (left.kind, right.kind):
        return True
    if left.numeric and right.numeric:
        return True
    if (left.dated and right.kind == STRING) or (right.dated and left.kind == STRING):
        return True  # compared as the ISO text the API sends
    return left.kind == right.kind
