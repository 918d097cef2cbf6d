"""Lines and columns for JSON pointers, so a spec problem names `openapi.yaml:24:11` as well.

Diagnostics about a spec carry JSON pointers (the normalised document's places); an editor
needs a line. Keeping every node's mark while loading would cost time and memory on every run,
and most runs report nothing, so the places are found afterwards, only for the pointers that
were reported: the file's text is composed again (YAML: PyYAML nodes keep their marks) or
scanned (JSON: a tokenizer that tracks the path), and each pointer is walked to its key.

A pointer the file does not have as such (a Swagger 2.0 document converted to OpenAPI 3, a
repair that renamed something) is mapped back where the conversion is known (`definitions`
for `components/schemas`...) or falls back to its nearest enclosing key when that is close.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections.abc import Iterable, Mapping, Sequence

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from specagent import ir
from specagent._jsonschema import escape, split_fragment, to_pointer

__all__ = ["with_lines"]

Place = tuple[int, int]  # 1-based line and column

# Swagger 2.0 places of what the converter moved (OpenAPI 3 prefix -> Swagger 2.0 prefix).
_SWAGGER_PREFIXES = (
    (("components", "schemas"), ("definitions",)),
    (("components", "parameters"), ("parameters",)),
    (("components", "responses"), ("responses",)),
    (("components", "securitySchemes"), ("securityDefinitions",)),
)
# A pointer the file lacks gets the line of its parent when at most this many tokens are
# missing and the parent is this deep: "no `responses`" at `/paths/~1pet/get/responses` is
# at the operation's line; `/components/schemas/Bundled_X` is not at `schemas:`'s line.
_FALLBACK_MISSING = 1
_FALLBACK_DEPTH = 3

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]')


def with_lines(
    diagnostics: Iterable[ir.Diagnostic], sources: Mapping[str, bytes]
) -> list[ir.Diagnostic]:
    """`diagnostics` with line and column added to each pointer into a file of `sources`
    (file name as in the locations -> its bytes); the others unchanged."""
    found = list(diagnostics)
    wanted: dict[str, set[tuple[str, ...]]] = {}
    for diagnostic in found:
        where = diagnostic.location
        if where.pointer and not where.line and where.file in sources:
            wanted.setdefault(where.file, set()).add(tuple(split_fragment(where.pointer)))
    if not wanted:
        return found
    places = {file: _locate(sources[file], paths) for file, paths in wanted.items()}
    located = []
    for diagnostic in found:
        where = diagnostic.location
        place = places.get(where.file, {}).get(tuple(split_fragment(where.pointer or "")))
        if place is None:
            located.append(diagnostic)
            continue
        where = dataclasses.replace(where, line=place[0], column=place[1])
        located.append(dataclasses.replace(diagnostic, location=where))
    return located


def _locate(raw: bytes, paths: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], Place]:
    """The place of each path in the file, for those that can be placed."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}
    candidates: dict[tuple[str, ...], list[tuple[str, ...]]] = {
        path: _candidates(path) for path in paths
    }
    every = {candidate for options in candidates.values() for candidate in options}
    if text.lstrip().startswith(("{", "[")):
        known = _json_places(text, every)
    else:
        known = _yaml_places(text, every)
    result = {}
    for path, options in candidates.items():
        place = next((known[option] for option in options if option in known), None)
        if place is not None:
            result[path] = place
    return result


def _candidates(path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Where `path` may be in the file, best first: as it is, as Swagger 2.0 had it, then
    close enclosing keys."""
    exact = [path]
    for new, old in _SWAGGER_PREFIXES:
        if path[: len(new)] == new:
            exact.append(old + path[len(new) :])
    found = list(exact)
    for option in exact:
        for missing in range(1, _FALLBACK_MISSING + 1):
            parent = option[:-missing]
            if len(parent) >= _FALLBACK_DEPTH:
                found.append(parent)
    return found


# --- YAML -----------------------------------------------------------------------------------

_Composer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_places(text: str, wanted: set[tuple[str, ...]]) -> dict[tuple[str, ...], Place]:
    loader = _Composer(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        return {}
    finally:
        loader.dispose()
    if root is None:
        return {}
    return {path: place for path in wanted if (place := _walk(root, path)) is not None}


def _walk(node: Node, path: Sequence[str]) -> Place | None:
    """The mark of the key (or list item) at `path`, following the node tree."""
    mark = None
    for token in path:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and str(key.value) == token:
                    mark, node = key.start_mark, value
                    break
            else:
                return None
        elif isinstance(node, SequenceNode) and token.isdigit() and int(token) < len(node.value):
            node = node.value[int(token)]
            mark = node.start_mark
        else:
            return None
    return (mark.line + 1, mark.column + 1) if mark is not None else None


# --- JSON -----------------------------------------------------------------------------------


def _json_places(text: str, wanted: set[tuple[str, ...]]) -> dict[tuple[str, ...], Place]:
    """One pass over the tokens (strings, brackets, `:` and `,`), tracking the path."""
    pointers = {to_pointer(path): path for path in wanted}
    lines = [match.end() for match in re.finditer("\n", text)]
    found: dict[tuple[str, ...], Place] = {}
    # One frame per open container: its pointer, its kind, the next key or index.
    stack: list[list[object]] = []
    pending = ""  # the pointer of the value about to start
    expecting_key = False

    def place(offset: int) -> Place:
        line = bisect.bisect_right(lines, offset)
        start = lines[line - 1] if line else 0
        return (line + 1, offset - start + 1)

    def note(pointer: str, offset: int) -> None:
        path = pointers.get(pointer)
        if path is not None and path not in found:
            found[path] = place(offset)

    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in {"{", "["}:
            if stack and stack[-1][1] == "array":
                note(pending, match.start())
            stack.append([pending, "object" if token == "{" else "array", 0])
            expecting_key = token == "{"
            if token == "[":
                pending = f"{pending}/0"
        elif token in "}]":
            if stack:
                stack.pop()
            expecting_key = False
        elif token == ",":
            if stack and stack[-1][1] == "array":
                index = int(str(stack[-1][2])) + 1
                stack[-1][2] = index
                pending = f"{stack[-1][0]}/{index}"
            else:
                expecting_key = True
        elif token == ":":
            expecting_key = False
        elif expecting_key and stack:
            try:
                key = json.loads(token)
            except ValueError:
                continue
            pending = f"{stack[-1][0]}/{escape(str(key))}"
            note(pending, match.start())
        elif stack and stack[-1][1] == "array":
            note(pending, match.start())
    return found
