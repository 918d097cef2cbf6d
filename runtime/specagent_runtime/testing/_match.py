"""Comparing what a test expects with what happened: a subset of a JSON value, words in a reply.

Every comparison answers with the reason it failed (a short text naming the place: `body.items[0]
.sku: expected "MUG-2", got "LMP-1"`) or None, so the harness's assertions and the test files'
runner report the same words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any


def show(value: Any, limit: int = 80) -> str:
    """A value as JSON, cut to `limit` characters, for failure messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except ValueError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def same_scalar(expected: Any, actual: Any, *, loose: bool = False) -> bool:
    """Equal JSON scalars; 1 and 1.0 are equal, True and 1 are not. `loose` also lets a number
    or boolean match its text, as path and query parameters arrive ("1002" for 1002)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        if isinstance(expected, bool) and isinstance(actual, bool):
            return expected is actual
        if loose and isinstance(expected, bool) and isinstance(actual, str):
            return actual.lower() == str(expected).lower()
        return False
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    if loose and isinstance(actual, str) and isinstance(expected, int | float):
        return actual == str(expected)
    return bool(type(expected) is type(actual) and expected == actual)


def subset(expected: Any, actual: Any, where: str = "", *, loose: bool = False) -> str | None:
    """Why `actual` does not contain `expected` (mappings: these keys with these values,
    recursively; lists: the same length, item by item), or None when it does."""
    place = where or "the value"
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"{place}: expected an object with {show(expected)}, got {show(actual)}"
        for key, value in expected.items():
            inner = f"{where}.{key}" if where else str(key)
            if key not in actual:
                return f"{inner}: missing (expected {show(value)})"
            problem = subset(value, actual[key], inner, loose=loose)
            if problem is not None:
                return problem
        return None
    if isinstance(expected, list | tuple):
        if not isinstance(actual, list | tuple):
            return f"{place}: expected a list, got {show(actual)}"
        if len(expected) != len(actual):
            return f"{place}: expected {len(expected)} item(s), got {len(actual)}: {show(actual)}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            problem = subset(want, got, f"{where}[{index}]", loose=loose)
            if problem is not None:
                return problem
        return None
    if expected is None:
        return None if actual is None else f"{place}: expected null, got {show(actual)}"
    if same_scalar(expected, actual, loose=loose):
        return None
    return f"{place}: expected {show(expected)}, got {show(actual)}"


def text_problem(
    text: str,
    *,
    contains: Sequence[str] = (),
    not_contains: Sequence[str] = (),
    matches: str | None = None,
    equals: str | None = None,
) -> str | None:
    """Why a reply fails its checks; case-insensitive for `contains`/`not_contains` (a reply
    that says "Order 1002 is cancelled" satisfies "order 1002 is cancelled")."""
    folded = text.casefold()
    quoted = show(text, 160)
    if equals is not None and text.strip() != equals.strip():
        return f"the reply is {quoted}, expected exactly {show(equals)}"
    for part in contains:
        if part.casefold() not in folded:
            return f"the reply {quoted} does not contain {show(part)}"
    for part in not_contains:
        if part.casefold() in folded:
            return f"the reply {quoted} contains {show(part)}"
    if matches is not None and re.search(matches, text, re.IGNORECASE | re.DOTALL) is None:
        return f"the reply {quoted} does not match /{matches}/"
    return None
