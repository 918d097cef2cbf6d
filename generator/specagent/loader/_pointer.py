"""JSON pointers: the one way places in a spec are named, in diagnostics and in `$ref`s."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

MISSING: Any = object()


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def to_pointer(path: Sequence[str]) -> str:
    """("paths", "/pet", "get") -> "/paths/~1pet/get"."""
    return "".join("/" + escape(token) for token in path)


def split_fragment(fragment: str) -> list[str]:
    """The tokens of a `$ref` fragment ("/components/schemas/Pet", percent-encoding allowed)."""
    text = unquote(fragment)
    if not text or text == "/":
        return [] if not text else [""]
    if not text.startswith("/"):
        return [text]  # a plain-name anchor; never resolvable as a pointer
    return [unescape(token) for token in text[1:].split("/")]


def resolve(document: Any, tokens: Sequence[str]) -> Any:
    """The value at `tokens`, or MISSING."""
    node = document
    for token in tokens:
        if isinstance(node, dict):
            node = node.get(token, MISSING)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def suggest(document: Any, tokens: Sequence[str]) -> str:
    """A "did you mean" hint for a pointer that resolves to nothing ("" when none fits)."""
    if not tokens:
        return ""
    parent = resolve(document, tokens[:-1])
    if not isinstance(parent, dict):
        return ""
    names = [name for name in parent if isinstance(name, str)]
    close = difflib.get_close_matches(tokens[-1], names, n=1, cutoff=0.6)
    if not close:
        return ""
    return f"did you mean '#{to_pointer([*tokens[:-1], close[0]])}'?"
