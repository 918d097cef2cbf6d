"""Reading one spec file (or URL) into plain Python data.

Real specs are YAML 1.1 written by hand or exported by tools, so the YAML loader is lenient
where PyYAML's safe loader is surprising (dates, `on:` keys, `=` values, sexagesimal ints) and
strict where a hostile file could hurt us (alias bombs, absurd nesting). Problems come back as
diagnostics, never as exceptions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from specagent._yaml_errors import explain
from specagent.ir import Code, Diagnostic, Location, Severity
from specagent.loader import _yaml
from specagent.loader._fetch import MAX_BYTES, fetch_url

# Limits for hostile input, checked on documents that use YAML aliases (a few small nodes can
# stand for an exponential tree). Size is counted in nodes plus one per 32 characters of text,
# so the limit is about 128 MB of expanded text; real specs stay far below.
MAX_NODES = 4_000_000
MAX_DEPTH = 200


@dataclass(slots=True)
class ReadResult:
    """Parsed data of one file (None when unreadable) plus what went wrong on the way."""

    data: Any
    raw: bytes
    diagnostics: list[Diagnostic] = field(default_factory=list)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def mask_url(url: str) -> str:
    """The URL for messages: a password or query values (tokens, keys) become `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username}:***@{parts.hostname or ''}"
        if parts.port is not None:
            netloc += f":{parts.port}"
    query = "&".join(
        f"{pair.split('=', 1)[0]}=***" if "=" in pair else pair
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def fetch(source: str | Path, name: str) -> tuple[bytes | None, Diagnostic | None]:
    """Read the bytes of a file or an http(s) URL."""
    if isinstance(source, str) and is_url(source):
        return fetch_url(source, name)
    path = Path(source)
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, _error(
                Code.SPEC_TOO_LARGE, f"file is larger than {MAX_BYTES} bytes", Location(name)
            )
        return path.read_bytes(), None
    except FileNotFoundError:
        return None, _error(Code.SPEC_NOT_FOUND, "file not found", Location(name))
    except IsADirectoryError:
        return None, _error(Code.SPEC_NOT_A_FILE, "is a directory, not a spec file", Location(name))
    except OSError as exc:
        return None, _error(
            Code.SPEC_UNREADABLE, f"cannot read file: {exc.strerror}", Location(name)
        )


def parse(raw: bytes, name: str) -> ReadResult:
    """Parse YAML or JSON (decided by content) and check the result's size and depth."""
    result = ReadResult(data=None, raw=raw)
    text = _decode(raw, name, result.diagnostics)
    if text is None:
        return result
    stripped = text.lstrip()
    data: Any = None
    if stripped.startswith(("{", "[")):
        data, json_error = _parse_json(text, name, result.diagnostics)
        if json_error is None and _json_depth(text) > MAX_DEPTH:
            result.diagnostics.append(
                _error(Code.SPEC_HOSTILE, f"nesting deeper than {MAX_DEPTH} levels", Location(name))
            )
            return result
        if json_error is not None:
            # Flow-style YAML also starts with "{"; a file named .json gets the JSON error.
            yaml_data, yaml_ok = (None, False)
            if not name.lower().endswith(".json"):
                yaml_data, yaml_ok = _parse_yaml(text, name, [])
            if not yaml_ok:
                result.diagnostics.append(json_error)
                return result
            data = yaml_data
    else:
        data, ok = _parse_yaml(text, name, result.diagnostics)
        if not ok:
            return result
    result.data = data
    return result


def _decode(raw: bytes, name: str, out: list[Diagnostic]) -> str | None:
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        out.append(
            _error(Code.SPEC_ENCODING, "file is not valid UTF-8", Location.at_line(name, line))
        )
        return None


def _parse_json(text: str, name: str, out: list[Diagnostic]) -> tuple[Any, Diagnostic | None]:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
        return result

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        where = Location.at_line(name, exc.lineno, exc.colno)
        return None, _error(Code.SPEC_SYNTAX, f"invalid JSON: {exc.msg}", where)
    except RecursionError:
        return None, _error(Code.SPEC_HOSTILE, "nesting is too deep", Location(name))
    for key in duplicates:
        out.append(
            Diagnostic(
                Code.SPEC_DUPLICATE_KEY,
                Severity.WARNING,
                f"duplicate key {key!r}; the last value wins",
                Location(name),
            )
        )
    return data, None


def _parse_yaml(text: str, name: str, out: list[Diagnostic]) -> tuple[Any, bool]:
    try:
        loaded = _yaml.load(text, MAX_DEPTH)
    except yaml.MarkedYAMLError as exc:
        fault = explain(exc, text)
        where = Location.at_line(name, fault.line, fault.column)
        out.append(_error(Code.SPEC_SYNTAX, f"invalid YAML: {fault.message}", where, fault.hint))
        return None, False
    except yaml.YAMLError as exc:
        out.append(_error(Code.SPEC_SYNTAX, f"invalid YAML: {type(exc).__name__}", Location(name)))
        return None, False
    except _yaml.YamlProblem as exc:
        where = Location.at_line(name, exc.line, exc.column) if exc.line else Location(name)
        out.append(_error(Code.SPEC_HOSTILE, exc.message, where))
        return None, False
    for key, line, column in loaded.duplicates:
        out.append(
            Diagnostic(
                Code.SPEC_DUPLICATE_KEY,
                Severity.WARNING,
                f"duplicate key {key!r}; the last value wins",
                Location.at_line(name, line, column),
            )
        )
    if loaded.aliased:
        shape_problem, _ = _check_shape(loaded.data)
        if shape_problem is not None:
            out.append(_error(Code.SPEC_HOSTILE, shape_problem, Location(name)))
            return None, False
        # Later steps edit the tree in place; aliases must not make one edit land twice.
        return _unshare(loaded.data), True
    return loaded.data, True


def _json_depth(text: str) -> int:
    """Nesting depth of a JSON text, counted on its brackets outside strings (fast)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _check_shape(data: Any) -> tuple[str | None, bool]:
    """Refuse alias bombs, cycles and absurd nesting before anything walks the data.

    YAML aliases make shared (or even circular) containers; the expanded size is computed
    with memoisation so a billion-laughs document is measured without being expanded.
    """
    if not isinstance(data, dict | list):
        return None, False
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    shared = False
    stack: list[tuple[Any, Any, int]] = [(data, _children(data), 0)]
    on_path.add(id(data))
    totals: list[int] = [1]
    while stack:
        node, children, total_index = stack[-1]
        for child in children:
            if not isinstance(child, dict | list):
                totals[total_index] += 1 + len(child) // 32 if isinstance(child, str) else 1
                if totals[total_index] > MAX_NODES:
                    return _TOO_BIG, shared
                continue
            key = id(child)
            if key in on_path:
                return "a YAML alias refers to its own ancestor (circular document)", shared
            known = sizes.get(key)
            if known is not None:
                shared = True
                totals[total_index] += known
                if totals[total_index] > MAX_NODES:
                    return _TOO_BIG, shared
                continue
            if len(stack) >= MAX_DEPTH:
                return f"nesting deeper than {MAX_DEPTH} levels", shared
            on_path.add(key)
            totals.append(1)
            stack.append((child, _children(child), len(totals) - 1))
            break
        else:
            stack.pop()
            on_path.discard(id(node))
            size = totals.pop()
            sizes[id(node)] = size
            if stack:
                parent_index = stack[-1][2]
                totals[parent_index] += size
                if totals[parent_index] > MAX_NODES:
                    return _TOO_BIG, shared
    return None, shared


_TOO_BIG = "document expands to an absurd size through YAML aliases (an alias bomb?)"


def _unshare(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _unshare(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_unshare(value) for value in data]
    return data


def _children(node: Any) -> Any:
    return iter(node.values()) if isinstance(node, dict) else iter(node)


def _error(code: Code, message: str, where: Location, hint: str = "") -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, where, hint)
