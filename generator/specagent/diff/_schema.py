"""Schemas reduced to what a change can break: a type per value, and the fields of responses.

Two specs are compared by meaning, not text: a schema moved into `components`, a component
renamed, keys reordered or a description reworded do not change the type a caller sends or a
task reads, so none of them shows up. Types are short strings (`integer`, `array[string]`,
`object`, `string|null`) that compare equal exactly when the values they accept do, as far as a
tool or a task can tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specagent import ir
from specagent._jsonschema import follow_refs, schema_ref_name

__all__ = ["Field", "enum_values", "narrowed_limits", "response_fields", "type_of"]

MAX_DEPTH = 4  # response fields deeper than this are not compared (Stripe nests 10 levels)


def _resolve(
    schema: Any, schemas: Mapping[str, ir.JsonSchema], seen: frozenset[str] = frozenset()
) -> tuple[Any, frozenset[str]]:
    """Follow `$ref`s to components; a cycle yields an empty schema (any value)."""
    if not isinstance(schema, Mapping):
        return schema, seen
    return follow_refs(schema, schemas, seen)


def type_of(
    schema: Any, schemas: Mapping[str, ir.JsonSchema], seen: frozenset[str] = frozenset()
) -> str:
    """A short description of the values `schema` accepts; "any" when it does not say.

    `seen` holds the components being described further up, so a recursive schema (a list of
    itself) ends in `any` instead of recursing forever.
    """
    schema, seen = _resolve(schema, schemas, seen)
    if not isinstance(schema, Mapping):
        return "any"
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return "|".join(sorted({type_of(option, schemas, seen) for option in options}))
    parts = schema.get("allOf")
    if isinstance(parts, list) and parts:
        kinds = {type_of(part, schemas, seen) for part in parts} - {"any"}
        return kinds.pop() if len(kinds) == 1 else "object"
    declared = schema.get("type")
    kinds_list: list[Any] = (
        list(declared) if isinstance(declared, list) else [declared] if declared else []
    )
    if not kinds_list:
        if "properties" in schema:
            kinds_list = ["object"]
        elif "items" in schema:
            kinds_list = ["array"]
        elif isinstance(schema.get("enum"), list):
            kinds_list = sorted({_json_kind(value) for value in schema["enum"]})
    if schema.get("nullable") is True:
        kinds_list = [*kinds_list, "null"]
    names = []
    for kind in kinds_list:
        if kind == "array":
            names.append(f"array[{type_of(schema.get('items', {}), schemas, seen)}]")
        else:
            names.append(str(kind))
    return "|".join(sorted(set(names))) or "any"


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def enum_values(
    schema: Any, schemas: Mapping[str, ir.JsonSchema], seen: frozenset[str] = frozenset()
) -> frozenset[str] | None:
    """The allowed values (as JSON text, so 1 and "1" differ), or None when not an enum."""
    schema, seen = _resolve(schema, schemas, seen)
    if not isinstance(schema, Mapping):
        return None
    if schema.get("type") == "array":
        return enum_values(schema.get("items", {}), schemas, seen)
    values = schema.get("enum")
    if "const" in schema:
        values = [schema["const"]]
    if not isinstance(values, list):
        return None
    return frozenset(_text(value) for value in values if value is not None)


def _text(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


@dataclass(frozen=True, slots=True)
class Field:
    type: str
    enum: frozenset[str] | None
    required: bool


def response_fields(schema: Any, schemas: Mapping[str, ir.JsonSchema]) -> dict[str, Field]:
    """Every field a caller can read, by path: "" for the body, "customer.email", "[].id"
    for the elements of a list (the form task paths take once their indexes are dropped)."""
    found: dict[str, Field] = {}
    _walk(schema, schemas, path="", required=True, depth=0, seen=frozenset(), found=found)
    return found


def _walk(
    schema: Any,
    schemas: Mapping[str, ir.JsonSchema],
    *,
    path: str,
    required: bool,
    depth: int,
    seen: frozenset[str],
    found: dict[str, Field],
) -> None:
    name = schema_ref_name(schema.get("$ref"), schemas) if isinstance(schema, Mapping) else None
    if name is not None:
        if name in seen:
            found.setdefault(path, Field("object", None, required))
            return
        seen = seen | {name}
    resolved, _ = _resolve(schema, schemas)
    found[path] = Field(type_of(resolved, schemas), enum_values(resolved, schemas), required)
    if depth >= MAX_DEPTH or not isinstance(resolved, Mapping):
        return
    items = resolved.get("items")
    if items is not None and "array" in found[path].type:
        _walk(
            items, schemas, path=f"{path}[]", required=True, depth=depth + 1, seen=seen, found=found
        )
    for sub_path, sub, sub_required in _properties(resolved, schemas, path):
        _walk(
            sub,
            schemas,
            path=sub_path,
            required=sub_required,
            depth=depth + 1,
            seen=seen,
            found=found,
        )


def _properties(
    schema: Mapping[str, Any], schemas: Mapping[str, ir.JsonSchema], path: str
) -> list[tuple[str, Any, bool]]:
    """The object's properties, those of its `allOf` parts included."""
    result: list[tuple[str, Any, bool]] = []
    parts = [schema]
    for part in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
        resolved, _ = _resolve(part, schemas)
        if isinstance(resolved, Mapping):
            parts.append(resolved)
    for part in parts:
        properties = part.get("properties")
        listed = part.get("required")
        required = listed if isinstance(listed, list) else []
        if not isinstance(properties, Mapping):
            continue
        for name, sub in properties.items():
            sub_path = f"{path}.{name}" if path else str(name)
            result.append((sub_path, sub, name in required))
    return result


# Keywords whose larger value accepts fewer values, and those whose smaller value does.
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")


def narrowed_limits(
    old: Any,
    new: Any,
    old_schemas: Mapping[str, ir.JsonSchema],
    new_schemas: Mapping[str, ir.JsonSchema],
) -> list[str]:
    """The limits that now refuse values the old schema accepted: `maxLength 100 -> 50`, a
    `pattern` added or changed."""
    before, _ = _resolve(old, old_schemas)
    after, _ = _resolve(new, new_schemas)
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return []
    found = []
    for key in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        was, now = before.get(key), after.get(key)
        if not _number(now) or (was is not None and not _number(was)):
            continue  # booleans (3.0's exclusiveMinimum: true) and junk are not limits
        lower = key in _LOWER_BOUNDS
        if was is None or (now > was if lower else now < was):
            found.append(f"{key} {'none' if was is None else was} -> {now}")
    if after.get("pattern") and after.get("pattern") != before.get("pattern"):
        found.append(f"pattern {after['pattern']!r}")
    return found


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
