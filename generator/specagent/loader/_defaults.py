"""Whether a parameter's `default` fits its own schema (type, format, enum).

A default the schema contradicts (`format: uuid, default: notauuid`, `type: integer,
default: "x"`) cannot be sent as it is and would be shown to the model in the tool's schema as
if it were a valid value. The builder drops it with a warning naming the place; the API applies
its own default when the argument is left out.
"""

from __future__ import annotations

import datetime
import ipaddress
import uuid
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["default_problem"]

_TYPES: Mapping[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
    "null": lambda value: value is None,
}
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _parses(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            parse(text)
        except ValueError:
            return False
        return True

    return check


def _date_time(text: str) -> object:
    if "T" not in text.upper():
        raise ValueError(text)
    return datetime.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))


def _date(text: str) -> object:
    if len(text) != len("2024-01-31"):
        raise ValueError(text)
    return datetime.date.fromisoformat(text)


_STRING_FORMATS: Mapping[str, Callable[[str], bool]] = {
    "uuid": _parses(uuid.UUID),
    "date": _parses(_date),
    "date-time": _parses(_date_time),
    "ipv4": _parses(ipaddress.IPv4Address),
    "ipv6": _parses(ipaddress.IPv6Address),
}


def default_problem(schema: Mapping[str, Any]) -> str:
    """Why `schema["default"]` does not fit `schema` ("" when it fits or there is none)."""
    if "default" not in schema:
        return ""
    value = schema["default"]
    declared = schema.get("type")
    kinds = [declared] if isinstance(declared, str) else declared
    if isinstance(kinds, list) and kinds:
        known = [kind for kind in kinds if kind in _TYPES]
        if known and not any(_TYPES[kind](value) for kind in known):
            return f"is not {_a(' or '.join(known))}"
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and value not in enum:
        return "is not one of the values of its `enum`"
    fmt = schema.get("format")
    if isinstance(fmt, str):
        if fmt in _STRING_FORMATS:
            if not isinstance(value, str):
                return f"is not a text in the `{fmt}` format"
            if not _STRING_FORMATS[fmt](value):
                return f"is not a valid `{fmt}`"
        elif fmt in _INT_RANGES and isinstance(value, int) and not isinstance(value, bool):
            low, high = _INT_RANGES[fmt]
            if not low <= value <= high:
                return f"does not fit in `{fmt}`"
    return ""


def _a(kinds: str) -> str:
    words = {"integer": "an integer", "array": "an array", "object": "an object"}
    first, _, rest = kinds.partition(" or ")
    return words.get(first, f"a {first}") + (f" or {rest}" if rest else "")
